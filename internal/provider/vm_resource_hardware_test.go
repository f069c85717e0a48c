package provider_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// hardwareLines is issue 12's firmware and device surface.
var hardwareLines = []string{
	`cpu = { cores = 2, numa = true }`,
	`os_type = "l26"`,
	`bios = "ovmf"`,
	`machine = "q35"`,
	`scsi_hardware = "virtio-scsi-single"`,
	`efi_disk = { storage = "local-lvm", type = "4m", pre_enrolled_keys = false }`,
	`boot_order = ["scsi0", "net0"]`,
	`serial_devices = ["socket"]`,
	`vga = { type = "serial0", memory = 16 }`,
	`startup = { order = 2, up = 30, down = 60 }`,
	`disks = { scsi0 = { storage = "local-lvm", size = 8 } }`,
	`networks = { net0 = { bridge = "vmbr0" } }`,
}

// expectConfig checks raw config keys of the only VM named name ("" means
// the key is absent) and that nothing is left pending.
func expectConfig(t *testing.T, sim acctest.Inventory, name string, want map[string]string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		vm := onlyVMNamed(t, sim, name)
		for k, v := range want {
			if got := vm.Config[k]; got != v {
				return fmt.Errorf("VM %d %s = %q, want %q", vm.VMID, k, got, v)
			}
		}
		if set, del := sim.PendingConfig(vm.VMID); len(set) > 0 || len(del) > 0 {
			return fmt.Errorf("VM %d has pending changes %v, deletes %v", vm.VMID, set, del)
		}
		return nil
	}
}

// onlyVMNamedID is the VMID of the only VM named name.
func onlyVMNamedID(t *testing.T, sim acctest.Inventory, name string) int {
	return onlyVMNamed(t, sim, name).VMID
}

// hardwareVM seeds a VM made outside Terraform with every hardware key set
// and returns those keys as the VM has them (in a lab the disks are new
// volumes, see Lab.AddVM).
func hardwareVM(t *testing.T, lab *acctest.Lab, vmid int, node, name string) map[string]string {
	t.Helper()
	conf := map[string]string{
		"numa": "1", "ostype": "l26", "bios": "ovmf", "machine": "q35,viommu=intel", "scsihw": "virtio-scsi-single",
		"efidisk0": fmt.Sprintf("local-lvm:vm-%d-disk-1,efitype=4m,pre-enrolled-keys=1,size=4M", vmid),
		"scsi0":    fmt.Sprintf("local-lvm:vm-%d-disk-0,size=8G", vmid), "net0": "virtio=BC:24:11:00:00:07,bridge=vmbr0",
		"boot": "order=scsi0;net0", "serial0": "socket", "vga": "serial0,memory=32", "startup": "order=5,down=90",
	}
	vm := lab.AddVM(t, pvesim.VM{VMID: vmid, Node: node, Name: name, Status: "stopped", Config: conf})
	for k := range conf {
		conf[k] = vm.Config[k]
	}
	return conf
}

// runningVMDevices is, per step, one line of configuration per scenario of
// TestAccVMResource_devices.
type runningVMDevices struct{ cd, net, disk, hw, grow string }

func (d runningVMDevices) hcl(lab *acctest.Lab) string {
	return lab.Config(d.cd + d.net + d.disk + d.hw + d.grow)
}

// Devices and hardware created on a VM and changed on it, running or not.
// One configuration, one resource per former test; the plan-time errors are
// steps of their own, with the other scenarios' configurations as they are:
//
//   - cdrom (cd): CD-ROM drives on a running VM: created with an ISO image
//     (create_disks writes the image's size into the drive), the medium
//     changed without a restart (QemuServer.pm vmconfig_update_disk:
//     change_medium), a new sata drive applied by one restart (new ide and
//     sata drives are not hotplugged), an ISO image missing from its
//     storage refused at plan time with what the storage has, an interface
//     used twice refused, import by name; removing the drives from the
//     configuration keeps them, an empty map removes them.
//   - networkOptions (net): a new NIC without model or firewall gets virtio
//     and no firewall, as a new VM gets no protection; MTU and rate are set
//     on create, the rate changes on the running VM without a restart
//     (QemuServer.pm vmconfig_update_net changes it online), and an MTU on
//     an e1000 device is refused at plan time (Proxmox VE would silently
//     ignore it), as is an MTU out of range; import by name.
//   - diskOptions (disk): disk options on a running VM: set on create in
//     PVE's spelling, PVE's defaults for a disk that sets none, backup
//     changed online (no restart), cache left pending by Proxmox VE
//     (QemuServer.pm vmconfig_update_disk: "skip") and applied by one
//     restart; bus-specific options checked at plan time; import by name.
//   - hardware (hw): create with every hardware attribute, change in place
//     on a running VM (restarted once for what PVE leaves pending), import
//     by name, replace for a new EFI vars type.
//   - hardwarePlanErrors (bad): an EFI disk on a storage the node lacks,
//     and values PVE rejects, fail the plan.
//   - addDiskAndNIC (grow): adding a disk or a network card to an existing
//     VM used to fail with "Provider produced inconsistent result after
//     apply": the new disk's volume and the new card's MAC were unknown in
//     the plan and came back null.
//
// The plans after each apply are empty (the library checks it: no step
// repeats a configuration to expect that), and the destroy at the end runs
// with the last valid configuration: the plan-time errors come before it.
func TestAccVMResource_devices(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	node := lab.Node
	cdName, netName, diskName, hwName, growName := lab.RandomName("cd"), lab.RandomName("net"), lab.RandomName("disks"), lab.RandomName("uefi"), lab.RandomName("grow")
	badName := acctest.RandomName("bad")
	cd, netVM, diskVM, hw := vmRes("cd"), vmRes("net"), vmRes("disk"), vmRes("hw")
	updated := func(addr string) plancheck.PlanCheck {
		return plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)
	}

	// cd
	cdRestarts := newRestartCounter(t, lab, cdName)
	cdVM := func(lines ...string) string { return vmAt("cd", cdName, node, lines...) }
	isoStorage, _, _ := strings.Cut(lab.ISO, ":")
	missing := isoStorage + ":iso/" + cdName + ".iso"
	cdISO := cdVM(fmt.Sprintf(`cdrom = { ide3 = { file = %q } }`, lab.ISO))
	cdEmpty := cdVM(`cdrom = { ide3 = { file = "none" } }`)
	cdTwo := cdVM(`cdrom = { ide3 = { file = "none" }, sata1 = { file = "cdrom" } }`)
	// net
	netRestarts := newRestartCounter(t, lab, netName)
	netOpts := func(opts string) string {
		return vmAt("net", netName, node, `networks = { net0 = { bridge = "vmbr0"`+opts+` } }`)
	}
	// disk
	diskRestarts := newRestartCounter(t, lab, diskName)
	disks := func(scsi0 string) string {
		return vmAt("disk", diskName, node, `disks = { scsi0 = { storage = "local-lvm", size = 8`+scsi0+` }, virtio0 = { storage = "local-lvm", size = 1 } }`)
	}
	scsi0 := tfjsonpath.New("disks").AtMapKey("scsi0")
	// hw
	hwFull := vmAt("hw", hwName, node, hardwareLines...)
	hwUpdated := vmAt("hw", hwName, node,
		`cpu = { cores = 2, numa = false }`, `os_type = "win11"`, `bios = "ovmf"`, `machine = "q35"`, `scsi_hardware = "lsi"`,
		`efi_disk = { storage = "local-lvm", type = "4m", pre_enrolled_keys = false }`,
		`boot_order = ["net0", "scsi0"]`, `serial_devices = ["socket", "/dev/ttyS1"]`, `vga = { type = "std" }`,
		`startup = { order = 3 }`, `disks = { scsi0 = { storage = "local-lvm", size = 8 } }`, `networks = { net0 = { bridge = "vmbr0" } }`)
	hwReplaced := vmAt("hw", hwName, node,
		`cpu = { cores = 2 }`, `bios = "ovmf"`, `machine = "q35"`,
		`efi_disk = { storage = "local-lvm", type = "2m" }`,
		`disks = { scsi0 = { storage = "local-lvm", size = 8 } }`, `networks = { net0 = { bridge = "vmbr0" } }`)
	// grow
	growOne := vmAt("grow", growName, node, `started = false`,
		`disks = { scsi0 = { storage = "local-lvm", size = 4 } }`,
		`networks = { net0 = { bridge = "vmbr0" } }`)
	growTwo := vmAt("grow", growName, node, `started = false`,
		`disks = { scsi0 = { storage = "local-lvm", size = 4 }, scsi1 = { storage = "local-lvm", size = 2 } }`,
		`networks = { net0 = { bridge = "vmbr0" }, net1 = { bridge = "vmbr0" } }`)
	// bad: never created, alone in its configurations.
	bad := func(line string) string { return lab.Config(vmAt("bad", badName, node, line)) }

	created := runningVMDevices{cd: cdISO, net: netOpts(`, mtu = 1`), disk: disks(`, discard = true, iothread = true, ssd = true, cache = "none", backup = false, replicate = false`), hw: hwFull, grow: growOne}
	changed := runningVMDevices{cd: cdEmpty, net: netOpts(`, mtu = 1, rate = 100.5`), disk: disks(`, discard = true, iothread = true, ssd = true, cache = "none", backup = true, replicate = false`), hw: hwUpdated, grow: growTwo}
	restarted := changed
	restarted.cd, restarted.disk = cdTwo, disks(`, cache = "writeback"`)
	with := func(d runningVMDevices, edit func(*runningVMDevices)) string { edit(&d); return d.hcl(lab) }

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy: resource.ComposeTestCheckFunc(checkNoVMNamed(lab, cdName), checkNoVMNamed(lab, netName),
			checkNoVMNamed(lab, diskName), checkNoVMNamed(lab, hwName), checkNoVMNamed(lab, growName)),
		Steps: []resource.TestStep{
			// bad
			{
				Config:      bad(`efi_disk = { storage = "nvme-pool" }`),
				ExpectError: regexp.MustCompile(`(?s)Unknown storage.*Storage "nvme-pool" does not exist on node`),
				PlanOnly:    true,
			},
			{
				Config:      bad(`bios = "uefi"`),
				ExpectError: regexp.MustCompile(`value must be one of: \["seabios" "ovmf"\]`),
				PlanOnly:    true,
			},
			{
				Config:      bad(`machine = "q36"`),
				ExpectError: regexp.MustCompile(`must be a QEMU machine type`),
				PlanOnly:    true,
			},
			{
				Config:      bad(`boot_order = ["efidisk0"]`),
				ExpectError: regexp.MustCompile(`must be a boot device`),
				PlanOnly:    true,
			},
			{
				Config:      bad(`serial_devices = ["socket", "socket", "socket", "socket", "socket"]`),
				ExpectError: regexp.MustCompile(`list must contain at most 4 elements`),
				PlanOnly:    true,
			},
			{
				Config: created.hcl(lab),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: append(afterApply(
					// cd
					expectDriveMatches(t, lab, cdName, "ide3", `^`+regexp.QuoteMeta(lab.ISO)+`,media=cdrom,size=\d+[KMGT]?$`),
					// net
					func(*terraform.State) error {
						vm := onlyVMNamed(t, lab, netName)
						if !strings.HasSuffix(vm.Config["net0"], ",bridge=vmbr0,mtu=1") || vm.Config["protection"] != "0" {
							return fmt.Errorf("net0 = %q, protection = %q", vm.Config["net0"], vm.Config["protection"])
						}
						return nil
					},
					// disk
					expectDrive(t, lab, diskName, "scsi0", []string{"discard=on", "iothread=1", "ssd=1", "cache=none", "backup=0", "replicate=0", "size=8G"}, nil),
					expectDrive(t, lab, diskName, "virtio0", []string{"size=1G"}, []string{"discard", "iothread", "ssd", "cache", "backup", "replicate"}),
					// hw
					func(s *terraform.State) error {
						return expectConfig(t, lab, hwName, map[string]string{
							"numa": "1", "ostype": "l26", "bios": "ovmf", "machine": "q35", "scsihw": "virtio-scsi-single",
							"efidisk0": fmt.Sprintf("local-lvm:vm-%d-disk-1,efitype=4m,pre-enrolled-keys=0,size=4M", onlyVMNamedID(t, lab, hwName)),
							"boot":     "order=scsi0;net0", "serial0": "socket", "vga": "serial0,memory=16", "startup": "order=2,up=30,down=60",
						})(s)
					},
				), stateAfterApply(
					// cd
					statecheck.ExpectKnownValue(cd, tfjsonpath.New("cdrom").AtMapKey("ide3").AtMapKey("file"), knownvalue.StringExact(lab.ISO)),
					// net
					statecheck.ExpectKnownValue(netVM, tfjsonpath.New("protection"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(netVM, net0Path, knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"model": knownvalue.StringExact("virtio"), "firewall": knownvalue.Bool(false),
						"mtu": knownvalue.Int64Exact(1), "rate": knownvalue.Null(),
					})),
					// disk
					statecheck.ExpectKnownValue(diskVM, scsi0, knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"discard": knownvalue.Bool(true), "iothread": knownvalue.Bool(true), "ssd": knownvalue.Bool(true),
						"cache": knownvalue.StringExact("none"), "backup": knownvalue.Bool(false), "replicate": knownvalue.Bool(false),
					})),
					statecheck.ExpectKnownValue(diskVM, tfjsonpath.New("disks").AtMapKey("virtio0"), knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"discard": knownvalue.Bool(false), "iothread": knownvalue.Bool(false), "ssd": knownvalue.Bool(false),
						"cache": knownvalue.Null(), "backup": knownvalue.Bool(true), "replicate": knownvalue.Bool(true),
					})),
					// hw
					statecheck.ExpectKnownValue(hw, tfjsonpath.New("cpu").AtMapKey("numa"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(hw, tfjsonpath.New("os_type"), knownvalue.StringExact("l26")),
					statecheck.ExpectKnownValue(hw, tfjsonpath.New("bios"), knownvalue.StringExact("ovmf")),
					statecheck.ExpectKnownValue(hw, tfjsonpath.New("machine"), knownvalue.StringExact("q35")),
					statecheck.ExpectKnownValue(hw, tfjsonpath.New("scsi_hardware"), knownvalue.StringExact("virtio-scsi-single")),
					statecheck.ExpectKnownValue(hw, tfjsonpath.New("efi_disk"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"storage": knownvalue.StringExact("local-lvm"), "type": knownvalue.StringExact("4m"),
						"pre_enrolled_keys": knownvalue.Bool(false),
					})),
					statecheck.ExpectKnownValue(hw, tfjsonpath.New("boot_order"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact("scsi0"), knownvalue.StringExact("net0")})),
					statecheck.ExpectKnownValue(hw, tfjsonpath.New("serial_devices"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("socket")})),
					statecheck.ExpectKnownValue(hw, tfjsonpath.New("vga"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"type": knownvalue.StringExact("serial0"), "memory": knownvalue.Int64Exact(16)})),
					statecheck.ExpectKnownValue(hw, tfjsonpath.New("startup"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"order": knownvalue.Int64Exact(2), "up": knownvalue.Int64Exact(30), "down": knownvalue.Int64Exact(60)})),
					statecheck.ExpectKnownValue(hw, tfjsonpath.New("status"), knownvalue.StringExact("running")),
				))},
			},
			{
				// cd: the medium changes without a restart. net: the rate
				// changes online. disk: backup is not among the options
				// vmconfig_update_disk skips. hw: PVE leaves all but startup
				// pending on the running VM; the provider restarts it once,
				// so nothing waits afterwards. grow: a disk and a NIC added.
				PreConfig: func() { cdRestarts.mark(); netRestarts.mark(); diskRestarts.mark() },
				Config:    changed.hcl(lab),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{updated(cd), updated(netVM), updated(diskVM), updated(hw)},
					PostApplyPreRefresh: append(afterApply(
						// cd
						expectDriveValue(t, lab, cdName, "ide3", "none,media=cdrom"), cdRestarts.expect(0),
						// net
						func(*terraform.State) error {
							vm := onlyVMNamed(t, lab, netName)
							if !strings.HasSuffix(vm.Config["net0"], ",bridge=vmbr0,mtu=1,rate=100.5") {
								return fmt.Errorf("net0 = %q", vm.Config["net0"])
							}
							return netRestarts.expect(0)(nil)
						},
						// disk
						expectDrive(t, lab, diskName, "scsi0", []string{"discard=on", "iothread=1", "ssd=1", "cache=none", "replicate=0", "size=8G"}, []string{"backup"}),
						diskRestarts.expect(0),
						// hw
						expectConfig(t, lab, hwName, map[string]string{
							"numa": "0", "ostype": "win11", "scsihw": "lsi", "boot": "order=net0;scsi0", "serial0": "socket",
							"serial1": "/dev/ttyS1", "vga": "std", "startup": "order=3",
						}),
					), stateAfterApply(
						// net
						statecheck.ExpectKnownValue(netVM, net0Path.AtMapKey("rate"), knownvalue.Float64Exact(100.5)),
						// hw
						statecheck.ExpectKnownValue(hw, tfjsonpath.New("os_type"), knownvalue.StringExact("win11")),
						statecheck.ExpectKnownValue(hw, tfjsonpath.New("vga"), knownvalue.ObjectExact(map[string]knownvalue.Check{
							"type": knownvalue.StringExact("std"), "memory": knownvalue.Null()})),
						statecheck.ExpectKnownValue(hw, tfjsonpath.New("startup"), knownvalue.ObjectExact(map[string]knownvalue.Check{
							"order": knownvalue.Int64Exact(3), "up": knownvalue.Null(), "down": knownvalue.Null()})),
						// grow
						statecheck.ExpectKnownValue(vmRes("grow"), tfjsonpath.New("disks").AtMapKey("scsi1").AtMapKey("volume"),
							knownvalue.StringRegexp(regexp.MustCompile(`^vm-[0-9]+-disk-[0-9]+$`))),
						statecheck.ExpectKnownValue(vmRes("grow"), tfjsonpath.New("networks").AtMapKey("net1").AtMapKey("mac"),
							knownvalue.StringRegexp(regexp.MustCompile(`^[0-9A-F]{2}(:[0-9A-F]{2}){5}$`))),
					)),
				},
			},
			{
				// cd: a new sata drive is applied by one restart. disk: cache
				// waits for the next start: one restart applies it, and the
				// options left out stay as they are.
				PreConfig: func() { cdRestarts.mark(); diskRestarts.mark() },
				Config:    restarted.hcl(lab),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{updated(cd), updated(diskVM)},
					PostApplyPreRefresh: append(afterApply(
						expectDriveValue(t, lab, cdName, "sata1", "cdrom,media=cdrom"), cdRestarts.expect(1),
						expectDrive(t, lab, diskName, "scsi0", []string{"discard=on", "iothread=1", "ssd=1", "cache=writeback", "replicate=0"}, []string{"backup"}),
						diskRestarts.expect(1),
					), stateAfterApply(
						statecheck.ExpectKnownValue(diskVM, scsi0.AtMapKey("cache"), knownvalue.StringExact("writeback")),
						statecheck.ExpectKnownValue(diskVM, scsi0.AtMapKey("ssd"), knownvalue.Bool(true)),
						// Each VM imported by name is what the applies left.
						importVerified(t, lab, cd, cdName), importVerified(t, lab, netVM, netName),
						importVerified(t, lab, diskVM, diskName), importVerified(t, lab, hw, hwName),
					)),
				},
			},
			// Plan-time errors, each with the others' configurations as
			// they are.
			{
				Config:      with(restarted, func(d *runningVMDevices) { d.cd = cdVM(fmt.Sprintf(`cdrom = { ide3 = { file = %q } }`, missing)) }),
				ExpectError: regexp.MustCompile(`ISO image not found(.|\n)*` + regexp.QuoteMeta(missing) + `(.|\n)*ISO images(.|\n)*there:(.|\n)*` + regexp.QuoteMeta(lab.ISO)),
			},
			{
				Config: with(restarted, func(d *runningVMDevices) {
					d.cd = cdVM(`cdrom = { ide3 = { file = "none" } }`, `disks = { ide3 = { storage = "local-lvm", size = 1 } }`)
				}),
				ExpectError: regexp.MustCompile(`Interface used twice`),
			},
			{
				Config:      with(restarted, func(d *runningVMDevices) { d.net = netOpts(`, model = "e1000", mtu = 1500`) }),
				ExpectError: regexp.MustCompile(`(?s)MTU needs a VirtIO device.*Proxmox VE applies mtu to VirtIO devices\s+only`),
			},
			{
				Config:      with(restarted, func(d *runningVMDevices) { d.net = netOpts(`, mtu = 500`) }),
				ExpectError: regexp.MustCompile(`(?s)mtu.*value must be`),
			},
			{
				Config: with(restarted, func(d *runningVMDevices) {
					d.disk = vmAt("disk", diskName, node, `disks = { virtio0 = { storage = "local-lvm", size = 1, ssd = true } }`)
				}),
				ExpectError: regexp.MustCompile(`No SSD emulation on virtio`),
			},
			{
				Config: with(restarted, func(d *runningVMDevices) {
					d.disk = vmAt("disk", diskName, node, `disks = { sata0 = { storage = "local-lvm", size = 1, iothread = true } }`)
				}),
				ExpectError: regexp.MustCompile(`No iothread on this bus`),
			},
			{
				// cd: removing the drives from the configuration keeps them.
				// hw: EFI vars cannot be converted: another type is a new VM.
				Config: with(restarted, func(d *runningVMDevices) { d.cd = cdVM(); d.hw = hwReplaced }),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(cd, plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction(hw, plancheck.ResourceActionDestroyBeforeCreate),
					},
					PostApplyPreRefresh: afterApply(func(s *terraform.State) error {
						id := onlyVMNamedID(t, lab, hwName)
						return expectConfig(t, lab, hwName, map[string]string{
							"efidisk0": fmt.Sprintf("local-lvm:vm-%d-disk-1,efitype=2m,pre-enrolled-keys=0,size=4M", id),
						})(s)
					}),
				},
			},
			{
				// cd: an empty map removes them.
				Config: with(restarted, func(d *runningVMDevices) { d.cd = cdVM(`cdrom = {}`, `started = false`); d.hw = hwReplaced }),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(func(*terraform.State) error {
					vm := onlyVMNamed(t, lab, cdName)
					if _, has := vm.Config["ide3"]; has {
						return fmt.Errorf("ide3 still there: %q", vm.Config["ide3"])
					}
					return nil
				})},
			},
		},
	})
}
