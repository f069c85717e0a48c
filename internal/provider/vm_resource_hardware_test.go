package provider_test

import (
	"fmt"
	"regexp"
	"testing"

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

func expectAttr(path tfjsonpath.Path, v knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(vmAddr, path, v)
}

// Create with every hardware attribute, plan clean, change in place on a
// running VM (restarted once for what PVE leaves pending), replace for a
// new EFI vars type, and import by name.
func TestAccVMResource_hardware(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	name := lab.RandomName("uefi")
	vm := func(extra ...string) string {
		return lab.Config(vmHCL(name, lab.Node, append(append([]string{}, hardwareLines...), extra...)...))
	}
	updated := lab.Config(vmHCL(name, lab.Node,
		`cpu = { cores = 2, numa = false }`, `os_type = "win11"`, `bios = "ovmf"`, `machine = "q35"`, `scsi_hardware = "lsi"`,
		`efi_disk = { storage = "local-lvm", type = "4m", pre_enrolled_keys = false }`,
		`boot_order = ["net0", "scsi0"]`, `serial_devices = ["socket", "/dev/ttyS1"]`, `vga = { type = "std" }`,
		`startup = { order = 3 }`, `disks = { scsi0 = { storage = "local-lvm", size = 8 } }`, `networks = { net0 = { bridge = "vmbr0" } }`))
	replaced := lab.Config(vmHCL(name, lab.Node,
		`cpu = { cores = 2 }`, `bios = "ovmf"`, `machine = "q35"`,
		`efi_disk = { storage = "local-lvm", type = "2m" }`,
		`disks = { scsi0 = { storage = "local-lvm", size = 8 } }`, `networks = { net0 = { bridge = "vmbr0" } }`))

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(lab, name),
		Steps: []resource.TestStep{
			{
				Config: vm(),
				ConfigStateChecks: []statecheck.StateCheck{
					expectAttr(tfjsonpath.New("cpu").AtMapKey("numa"), knownvalue.Bool(true)),
					expectAttr(tfjsonpath.New("os_type"), knownvalue.StringExact("l26")),
					expectAttr(tfjsonpath.New("bios"), knownvalue.StringExact("ovmf")),
					expectAttr(tfjsonpath.New("machine"), knownvalue.StringExact("q35")),
					expectAttr(tfjsonpath.New("scsi_hardware"), knownvalue.StringExact("virtio-scsi-single")),
					expectAttr(tfjsonpath.New("efi_disk"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"storage": knownvalue.StringExact("local-lvm"), "type": knownvalue.StringExact("4m"),
						"pre_enrolled_keys": knownvalue.Bool(false),
					})),
					expectAttr(tfjsonpath.New("boot_order"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact("scsi0"), knownvalue.StringExact("net0")})),
					expectAttr(tfjsonpath.New("serial_devices"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("socket")})),
					expectAttr(tfjsonpath.New("vga"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"type": knownvalue.StringExact("serial0"), "memory": knownvalue.Int64Exact(16)})),
					expectAttr(tfjsonpath.New("startup"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"order": knownvalue.Int64Exact(2), "up": knownvalue.Int64Exact(30), "down": knownvalue.Int64Exact(60)})),
					expectAttr(tfjsonpath.New("status"), knownvalue.StringExact("running")),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(func(s *terraform.State) error {
					return expectConfig(t, lab, name, map[string]string{
						"numa": "1", "ostype": "l26", "bios": "ovmf", "machine": "q35", "scsihw": "virtio-scsi-single",
						"efidisk0": fmt.Sprintf("local-lvm:vm-%d-disk-1,efitype=4m,pre-enrolled-keys=0,size=4M", onlyVMNamedID(t, lab, name)),
						"boot":     "order=scsi0;net0", "serial0": "socket", "vga": "serial0,memory=16", "startup": "order=2,up=30,down=60",
					})(s)
				})},
				// The plans after each apply are empty (the library checks
				// it: no step repeats a configuration to expect that).
			},
			{
				// PVE leaves all but startup pending on the running VM; the
				// provider restarts it once, so nothing waits afterwards.
				Config: updated,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionUpdate),
					},
					PostApplyPreRefresh: afterApply(expectConfig(t, lab, name, map[string]string{
						"numa": "0", "ostype": "win11", "scsihw": "lsi", "boot": "order=net0;scsi0", "serial0": "socket",
						"serial1": "/dev/ttyS1", "vga": "std", "startup": "order=3",
					})),
				},
				ConfigStateChecks: []statecheck.StateCheck{
					expectAttr(tfjsonpath.New("os_type"), knownvalue.StringExact("win11")),
					expectAttr(tfjsonpath.New("vga"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"type": knownvalue.StringExact("std"), "memory": knownvalue.Null()})),
					expectAttr(tfjsonpath.New("startup"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"order": knownvalue.Int64Exact(3), "up": knownvalue.Null(), "down": knownvalue.Null()})),
				},
			},
			{
				ResourceName:            vmAddr,
				ImportState:             true,
				ImportStateId:           name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				// EFI vars cannot be converted: another type is a new VM.
				Config: replaced,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionDestroyBeforeCreate),
					},
					PostApplyPreRefresh: afterApply(func(s *terraform.State) error {
						id := onlyVMNamedID(t, lab, name)
						return expectConfig(t, lab, name, map[string]string{
							"efidisk0": fmt.Sprintf("local-lvm:vm-%d-disk-1,efitype=2m,pre-enrolled-keys=0,size=4M", id),
						})(s)
					}),
				},
			},
		},
	})
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

// An EFI disk on a storage the node lacks, and values PVE rejects, fail
// the plan.
func TestAccVMResource_hardwarePlanErrors(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	name := acctest.RandomName("bad")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      lab.Config(vmHCL(name, lab.Node, `efi_disk = { storage = "nvme-pool" }`)),
				ExpectError: regexp.MustCompile(`(?s)Unknown storage.*Storage "nvme-pool" does not exist on node`),
				PlanOnly:    true,
			},
			{
				Config:      lab.Config(vmHCL(name, lab.Node, `bios = "uefi"`)),
				ExpectError: regexp.MustCompile(`value must be one of: \["seabios" "ovmf"\]`),
				PlanOnly:    true,
			},
			{
				Config:      lab.Config(vmHCL(name, lab.Node, `machine = "q36"`)),
				ExpectError: regexp.MustCompile(`must be a QEMU machine type`),
				PlanOnly:    true,
			},
			{
				Config:      lab.Config(vmHCL(name, lab.Node, `boot_order = ["efidisk0"]`)),
				ExpectError: regexp.MustCompile(`must be a boot device`),
				PlanOnly:    true,
			},
			{
				Config:      lab.Config(vmHCL(name, lab.Node, `serial_devices = ["socket", "socket", "socket", "socket", "socket"]`)),
				ExpectError: regexp.MustCompile(`list must contain at most 4 elements`),
				PlanOnly:    true,
			},
		},
	})
}
