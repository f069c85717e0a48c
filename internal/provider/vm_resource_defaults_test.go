package provider_test

import (
	"fmt"
	"regexp"
	"strconv"
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

// existingVMWithoutCPUKey seeds a VM made outside Terraform long ago whose
// config has no "cpu" key, so it runs PVE's default CPU type (kvm64: PVE
// qemu-server src/PVE/QemuServer/CPUConfig.pm, get_default_cpu_type), with
// two sockets of two cores, 2 GiB of memory and onboot set.
func existingVMWithoutCPUKey(t *testing.T, lab *acctest.Lab, vmid int, node, name string) int {
	t.Helper()
	return lab.AddVM(t, pvesim.VM{
		VMID: vmid, Node: node, Name: name, Status: "stopped",
		Config: map[string]string{"cores": "2", "sockets": "2", "memory": "2048", "onboot": "1"},
	}).VMID
}

func cpuKeyUntouched(sim acctest.Inventory, vmid int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		vm, ok := sim.VM(vmid)
		if !ok {
			return fmt.Errorf("VM %d is gone", vmid)
		}
		if cpu, set := vm.Config["cpu"]; set {
			return fmt.Errorf("VM %d got cpu=%q; the configuration never set cpu.type", vmid, cpu)
		}
		if vm.Config["cores"] != "2" || vm.Config["sockets"] != "2" || vm.Config["memory"] != "2048" || vm.Config["onboot"] != "1" {
			return fmt.Errorf("VM %d has cores=%s sockets=%s memory=%s onboot=%s, want 2, 2, 2048, 1", vmid,
				vm.Config["cores"], vm.Config["sockets"], vm.Config["memory"], vm.Config["onboot"])
		}
		return nil
	}
}

// vmAt is a proxmoxsafe_vm block named res (address vmRes(res)) for the
// VM named name: several scenarios share one configuration, one resource
// each, so they share one terraform run.
func vmAt(res, name, node string, lines ...string) string {
	return relabel(vmHCL(name, node, lines...), res)
}

// relabel gives the proxmoxsafe_vm "test" of hcl the label label.
func relabel(hcl, label string) string {
	return strings.Replace(hcl, `"test"`, strconv.Quote(label), 1)
}

// vmRes is the address of the proxmoxsafe_vm block named res.
func vmRes(res string) string { return "proxmoxsafe_vm." + res }

// importAt is an import block of the VM named name into vmRes(res).
func importAt(res, name string) string {
	return fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", vmRes(res), name)
}

// forgetVMs drops the blocks named res from state without destroying their
// VMs, as forgetVM does for proxmoxsafe_vm.test.
func forgetVMs(res ...string) string {
	var b strings.Builder
	for _, r := range res {
		fmt.Fprintf(&b, "removed {\n  from = %s\n  lifecycle {\n    destroy = false\n  }\n}\n", vmRes(r))
	}
	return b.String()
}

func expectCPU(addr string, cores, sockets int64, cpuType string) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(addr, tfjsonpath.New("cpu"), knownvalue.ObjectExact(map[string]knownvalue.Check{
		"cores": knownvalue.Int64Exact(cores), "sockets": knownvalue.Int64Exact(sockets), "type": knownvalue.StringExact(cpuType),
		"numa": knownvalue.Bool(false),
	}))
}

// What a configuration leaves out keeps what the VM has, for imported and
// adopted VMs alike, and a new VM gets PVE's defaults. One configuration,
// one resource per former test:
//
//   - importKeepsPVEDefaults (cpuimp): importing a VM without a cpu key
//     plans no change with no cpu block, or a cpu block without type and
//     sockets (it used to plan cpu.type kvm64 -> x86-64-v2-AES, sockets
//     2 -> 1, memory 2048 -> 512 and on_boot true -> false); setting type
//     changes it in place, and only it; import by name.
//   - adoptionKeepsPVEDefaults (cpuadopt): adopting it changes none of cpu,
//     memory and on_boot.
//   - createWithPVEDefaults (fresh): a new VM without a cpu block gets PVE's
//     defaults, recorded as such, and then plans clean.
//   - importKeepsHardwareDefaults (hwimp): importing a VM with protection,
//     an e1000 NIC behind the firewall, an MTU, a rate limit, disk options
//     and a CD-ROM plans no change when the configuration leaves them out
//     (it used to plan protection true -> false, model e1000 -> virtio and
//     firewall true -> false), nor when it sets what the VM has; setting
//     one of them changes only that; protection goes off last, so the VM
//     can be destroyed.
//   - adoptionKeepsHardwareDefaults (hwadopt): adopting that VM with a
//     configuration that leaves it all out changes nothing and plans clean.
//   - hardwareKeepsWhatTheVMHas (fwimp, adopted): import and adoption of a
//     VM whose firmware and devices the configuration leaves out plan no
//     change and write nothing; setting machine keeps its other options.
//   - hardwareAdoptionRefusesFirmware (firmware): adoption never changes
//     firmware: a VM whose bios, machine or EFI disk differ from the
//     configuration is refused, naming each; other hardware converges.
//
// The plans after each apply are empty: the library checks it.
func TestAccVMResource_keepsWhatTheVMHas(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	node := lab.Node
	names := map[string]string{}
	for _, res := range []string{"cpuimp", "cpuadopt", "fresh", "hwimp", "hwadopt", "fwimp", "adopted", "firmware"} {
		names[res] = lab.RandomName(res)
	}
	cpuImpID := existingVMWithoutCPUKey(t, lab, 4711, node, names["cpuimp"])
	cpuAdoptID := existingVMWithoutCPUKey(t, lab, 4712, node, names["cpuadopt"])
	hwImpID, hwImpConf := legacyHardwareVM(t, lab, 4721, node, names["hwimp"])
	hwAdoptID, hwAdoptConf := legacyHardwareVM(t, lab, 4722, node, names["hwadopt"])
	fwImpConf := hardwareVM(t, lab, 4731, node, names["fwimp"])
	adoptedConf := hardwareVM(t, lab, 4732, node, names["adopted"])
	const firmwareWish = 4741 // the simulator's VMID; a lab's comes from nextid
	lab.AddVM(t, pvesim.VM{VMID: firmwareWish, Node: node, Name: names["firmware"], Status: "stopped", Config: map[string]string{
		"scsi0": fmt.Sprintf("local-lvm:vm-%d-disk-0,size=8G", firmwareWish), "ostype": "l26",
	}})

	// cpuimp
	cpuImp := func(lines ...string) string { return vmAt("cpuimp", names["cpuimp"], node, lines...) }
	cpuAdopt := vmAt("cpuadopt", names["cpuadopt"], node, `started = false`, `on_existing = "adopt"`)
	fresh := vmAt("fresh", names["fresh"], node, `started = false`)
	// hwimp
	hwLeftOut := []string{`started = false`, `disks = { scsi0 = { storage = "local-lvm", size = 8 } }`, `networks = { net0 = { bridge = "vmbr0" } }`}
	hwImp := func(lines ...string) string { return vmAt("hwimp", names["hwimp"], node, lines...) }
	hwAdoptLines := []string{`started = false`, `on_existing = "adopt"`, `disks = { scsi0 = { storage = "local-lvm", size = 8 } }`, `networks = { net0 = { bridge = "vmbr0" } }`}
	hwAdopt := func(extra ...string) string {
		return vmAt("hwadopt", names["hwadopt"], node, append(append([]string{}, hwAdoptLines...), extra...)...)
	}
	// fwimp and adopted
	fwPlain := []string{`started = false`, `disks = { scsi0 = { storage = "local-lvm", size = 8 } }`}
	fwImp := func(extra ...string) string {
		return vmAt("fwimp", names["fwimp"], node, append(append([]string{}, fwPlain...), extra...)...)
	}
	adopted := fmt.Sprintf("resource \"proxmoxsafe_vm\" \"adopted\" {\n  name = %q\n  node = %q\n  on_existing = \"adopt\"\n  started = false\n}\n", names["adopted"], node)
	fwUnchanged := func(*terraform.State) error {
		for res, want := range map[string]map[string]string{"fwimp": fwImpConf, "adopted": adoptedConf} {
			if err := expectConfig(t, lab, names[res], want)(nil); err != nil {
				return err
			}
		}
		return nil
	}
	// firmware
	firmware := func(lines ...string) string {
		return vmAt("firmware", names["firmware"], node, append([]string{`on_existing = "adopt"`, `started = false`}, lines...)...)
	}
	firmwareOK := firmware(`os_type = "win11"`, `startup = { order = 1 }`)

	all := func(parts ...string) string { return lab.Config(strings.Join(parts, "")) }
	afterImport := func(cpuimp, hwimp, fwimp, hwadopt string) string {
		return all(cpuimp, cpuAdopt, fresh, hwimp, hwadopt, fwimp, adopted, firmwareOK)
	}
	var destroyed []resource.TestCheckFunc
	for _, n := range names {
		destroyed = append(destroyed, checkNoVMNamed(lab, n))
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeTestCheckFunc(destroyed...),
		Steps: []resource.TestStep{
			{
				// firmware: the adoption fails at apply, so it runs alone.
				Config:      lab.Config(firmware(`bios = "ovmf"`, `machine = "q35"`, `efi_disk = { storage = "local-lvm", type = "4m" }`)),
				ExpectError: regexp.MustCompile(`(?s)Refusing to adopt the existing VM.*bios: the VM uses seabios, the configuration.*says ovmf.*machine: the VM is pc,.*configuration says q35.*efi_disk: the VM has none`),
			},
			{
				Config: all(
					importAt("cpuimp", names["cpuimp"]), cpuImp(`started = false`), cpuAdopt, fresh,
					importAt("hwimp", names["hwimp"]), hwImp(hwLeftOut...), hwAdopt(),
					importAt("fwimp", names["fwimp"]), fwImp(), adopted, firmwareOK),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmRes("cpuimp"), plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction(vmRes("hwimp"), plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction(vmRes("fwimp"), plancheck.ResourceActionNoop),
					},
					PostApplyPreRefresh: append(afterApply(
						cpuKeyUntouched(lab, cpuImpID), cpuKeyUntouched(lab, cpuAdoptID),
						func(*terraform.State) error {
							if cpu, set := onlyVMNamed(t, lab, names["fresh"]).Config["cpu"]; set {
								return fmt.Errorf("new VM got cpu=%q although the configuration sets none", cpu)
							}
							return nil
						},
						legacyHardwareUntouched(lab, hwImpID, hwImpConf), legacyHardwareUntouched(lab, hwAdoptID, hwAdoptConf),
						fwUnchanged,
						expectConfig(t, lab, names["firmware"], map[string]string{"ostype": "win11", "startup": "order=1", "bios": "", "machine": "", "efidisk0": ""}),
					), stateAfterApply(
						// cpuimp
						expectCPU(vmRes("cpuimp"), 2, 2, "kvm64"),
						statecheck.ExpectKnownValue(vmRes("cpuimp"), tfjsonpath.New("memory"), knownvalue.Int64Exact(2048)),
						statecheck.ExpectKnownValue(vmRes("cpuimp"), tfjsonpath.New("on_boot"), knownvalue.Bool(true)),
						// cpuadopt
						expectCPU(vmRes("cpuadopt"), 2, 2, "kvm64"),
						// fresh
						expectCPU(vmRes("fresh"), 1, 1, "kvm64"),
						statecheck.ExpectKnownValue(vmRes("fresh"), tfjsonpath.New("memory"), knownvalue.Int64Exact(512)),
						statecheck.ExpectKnownValue(vmRes("fresh"), tfjsonpath.New("on_boot"), knownvalue.Bool(false)),
						// hwimp
						statecheck.ExpectKnownValue(vmRes("hwimp"), tfjsonpath.New("protection"), knownvalue.Bool(true)),
						statecheck.ExpectKnownValue(vmRes("hwimp"), net0Path, knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"model": knownvalue.StringExact("e1000"), "firewall": knownvalue.Bool(true),
							"mtu": knownvalue.Int64Exact(1400), "rate": knownvalue.Float64Exact(12.5),
						})),
						statecheck.ExpectKnownValue(vmRes("hwimp"), tfjsonpath.New("disks").AtMapKey("scsi0"), knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"discard": knownvalue.Bool(true), "iothread": knownvalue.Bool(true), "ssd": knownvalue.Bool(true),
							"cache": knownvalue.StringExact("writeback"), "backup": knownvalue.Bool(false), "replicate": knownvalue.Bool(true),
						})),
						statecheck.ExpectKnownValue(vmRes("hwimp"), tfjsonpath.New("cdrom"), knownvalue.MapExact(map[string]knownvalue.Check{
							"ide3": knownvalue.ObjectExact(map[string]knownvalue.Check{"file": knownvalue.StringExact(lab.ISO)}),
						})),
						// hwadopt
						statecheck.ExpectKnownValue(vmRes("hwadopt"), tfjsonpath.New("vmid"), knownvalue.Int64Exact(int64(hwAdoptID))),
						statecheck.ExpectKnownValue(vmRes("hwadopt"), tfjsonpath.New("protection"), knownvalue.Bool(true)),
						// fwimp and adopted
						statecheck.ExpectKnownValue(vmRes("fwimp"), tfjsonpath.New("machine"), knownvalue.StringExact("q35")),
						statecheck.ExpectKnownValue(vmRes("fwimp"), tfjsonpath.New("efi_disk").AtMapKey("pre_enrolled_keys"), knownvalue.Bool(true)),
						statecheck.ExpectKnownValue(vmRes("fwimp"), tfjsonpath.New("startup"), knownvalue.ObjectExact(map[string]knownvalue.Check{
							"order": knownvalue.Int64Exact(5), "up": knownvalue.Null(), "down": knownvalue.Int64Exact(90)})),
						statecheck.ExpectKnownValue(vmRes("adopted"), tfjsonpath.New("bios"), knownvalue.StringExact("ovmf")),
						// firmware
						statecheck.ExpectKnownValue(vmRes("firmware"), tfjsonpath.New("os_type"), knownvalue.StringExact("win11")),
						statecheck.ExpectKnownValue(vmRes("firmware"), tfjsonpath.New("bios"), knownvalue.StringExact("seabios")),
					)),
				},
			},
			{
				// cpuimp: setting only cores keeps sockets and type as the VM
				// has them. hwimp: setting what the VM already has plans no
				// change either. fwimp: without its import block, nothing.
				Config: afterImport(
					cpuImp(`memory = 2048`, `started = false`, `cpu = { cores = 2 }`),
					hwImp(`started = false`, `protection = true`,
						`disks = { scsi0 = { storage = "local-lvm", size = 8, ssd = true, backup = false } }`,
						`networks = { net0 = { bridge = "vmbr0", model = "e1000", firewall = true, rate = 12.5 } }`,
						fmt.Sprintf(`cdrom = { ide3 = { file = %q } }`, lab.ISO)),
					fwImp(), hwAdopt()),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectEmptyPlan(),
						plancheck.ExpectResourceAction(vmRes("cpuimp"), plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction(vmRes("hwimp"), plancheck.ResourceActionNoop),
					},
					PostApplyPreRefresh: append(afterApply(
						cpuKeyUntouched(lab, cpuImpID), legacyHardwareUntouched(lab, hwImpID, hwImpConf), fwUnchanged,
					), stateAfterApply(expectCPU(vmRes("cpuimp"), 2, 2, "kvm64"))),
				},
			},
			{
				// cpuimp: setting type changes it in place, and only it.
				// hwimp: the firewall goes off in place; model, MTU, rate and
				// the device's queues stay. fwimp: setting machine keeps its
				// other options (viommu). hwadopt: protection goes off.
				Config: afterImport(
					cpuImp(`memory = 2048`, `started = false`, `cpu = { type = "host" }`),
					hwImp(`started = false`, `disks = { scsi0 = { storage = "local-lvm", size = 8 } }`, `networks = { net0 = { bridge = "vmbr0", firewall = false } }`),
					fwImp(`machine = "pc-q35-9.0"`), hwAdopt(`protection = false`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmRes("cpuimp"), plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction(vmRes("hwimp"), plancheck.ResourceActionUpdate),
					},
					PostApplyPreRefresh: append(afterApply(
						func(*terraform.State) error {
							if vm, _ := lab.VM(cpuImpID); vm.Config["cpu"] != "host" || vm.Config["sockets"] != "2" {
								return fmt.Errorf("VM %d has cpu=%q sockets=%s, want host and 2", cpuImpID, vm.Config["cpu"], vm.Config["sockets"])
							}
							return nil
						},
						func(*terraform.State) error {
							vm, _ := lab.VM(hwImpID)
							if got, want := vm.Config["net0"], "e1000=BC:24:11:AA:BB:01,bridge=vmbr0,mtu=1400,queues=2,rate=12.5"; got != want {
								return fmt.Errorf("net0 = %q, want %q", got, want)
							}
							return nil
						},
						func(*terraform.State) error {
							if got := onlyVMNamed(t, lab, names["fwimp"]).Config["machine"]; got != "pc-q35-9.0,viommu=intel" {
								return fmt.Errorf("machine = %q, want pc-q35-9.0,viommu=intel", got)
							}
							return nil
						},
					), stateAfterApply(expectCPU(vmRes("cpuimp"), 2, 2, "host"),
						importVerified(t, lab, vmRes("cpuimp"), names["cpuimp"]),
						importVerified(t, lab, vmRes("hwimp"), names["hwimp"]))),
				},
			},
			{
				// hwimp: protection goes off last.
				Config: afterImport(
					cpuImp(`memory = 2048`, `started = false`, `cpu = { type = "host" }`),
					hwImp(append(append([]string{}, hwLeftOut...), `protection = false`)...),
					fwImp(`machine = "pc-q35-9.0"`), hwAdopt(`protection = false`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:            []plancheck.PlanCheck{plancheck.ExpectResourceAction(vmRes("hwimp"), plancheck.ResourceActionUpdate)},
					PostApplyPreRefresh: []plancheck.PlanCheck{stateAfterApply(statecheck.ExpectKnownValue(vmRes("hwimp"), tfjsonpath.New("protection"), knownvalue.Bool(false)))},
				},
			},
		},
	})
}
