package provider_test

import (
	"fmt"
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

func expectCPU(cores, sockets int64, cpuType string) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("cpu"), knownvalue.ObjectExact(map[string]knownvalue.Check{
		"cores": knownvalue.Int64Exact(cores), "sockets": knownvalue.Int64Exact(sockets), "type": knownvalue.StringExact(cpuType),
		"numa": knownvalue.Bool(false),
	}))
}

// Importing a VM keeps what the configuration leaves out: no cpu block, or a
// cpu block without type and sockets, plans no change (it used to plan
// cpu.type kvm64 -> x86-64-v2-AES, sockets 2 -> 1, memory 2048 -> 512 and
// on_boot true -> false).
func TestAccVMResource_importKeepsPVEDefaults(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	name := lab.RandomName("legacy")
	vmid := existingVMWithoutCPUKey(t, lab, 4711, lab.Node, name)
	importBlock := fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", vmAddr, name)
	noop := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionNoop),
	}}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(lab, name),
		Steps: []resource.TestStep{
			{
				Config:           lab.Config(importBlock + vmHCL(name, lab.Node, `started = false`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: noop.PreApply, PostApplyPreRefresh: afterApply(cpuKeyUntouched(lab, vmid))},
				ConfigStateChecks: []statecheck.StateCheck{
					expectCPU(2, 2, "kvm64"),
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("memory"), knownvalue.Int64Exact(2048)),
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("on_boot"), knownvalue.Bool(true)),
				},
			},
			{
				// Setting only cores keeps sockets and type as the VM has them.
				Config:            lab.Config(vmHCL(name, lab.Node, `memory = 2048`, `started = false`, `cpu = { cores = 2 }`)),
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: noop.PreApply, PostApplyPreRefresh: afterApply(cpuKeyUntouched(lab, vmid))},
				ConfigStateChecks: []statecheck.StateCheck{expectCPU(2, 2, "kvm64")},
			},
			{
				// Setting type changes it in place, and only it.
				Config: lab.Config(vmHCL(name, lab.Node, `memory = 2048`, `started = false`, `cpu = { type = "host" }`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionUpdate),
					},
					PostApplyPreRefresh: afterApply(func(*terraform.State) error {
						if vm, _ := lab.VM(vmid); vm.Config["cpu"] != "host" || vm.Config["sockets"] != "2" {
							return fmt.Errorf("VM %d has cpu=%q sockets=%s, want host and 2", vmid, vm.Config["cpu"], vm.Config["sockets"])
						}
						return nil
					}),
				},
				ConfigStateChecks: []statecheck.StateCheck{expectCPU(2, 2, "host")},
			},
			{
				ResourceName:            vmAddr,
				ImportState:             true,
				ImportStateId:           name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
		},
	})
}

// Adopting a VM whose configuration leaves cpu, memory and on_boot out
// changes none of them.
func TestAccVMResource_adoptionKeepsPVEDefaults(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	name := lab.RandomName("legacy")
	vmid := existingVMWithoutCPUKey(t, lab, 4712, lab.Node, name)
	vm := vmHCL(name, lab.Node, `started = false`, `on_existing = "adopt"`)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(lab, name),
		Steps: []resource.TestStep{
			{
				Config:            lab.Config(vm),
				ConfigStateChecks: []statecheck.StateCheck{expectCPU(2, 2, "kvm64")},
				ConfigPlanChecks:  resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(cpuKeyUntouched(lab, vmid))},
				// The plans after the adoption are empty: the library checks it.
			},
		},
	})
}

// A new VM without a cpu block gets PVE's defaults, recorded as such, and
// then plans clean.
func TestAccVMResource_createWithPVEDefaults(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	name := lab.RandomName("fresh")
	vm := vmHCL(name, lab.Node, `started = false`)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(lab, name),
		Steps: []resource.TestStep{
			{
				Config: lab.Config(vm),
				ConfigStateChecks: []statecheck.StateCheck{
					expectCPU(1, 1, "kvm64"),
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("memory"), knownvalue.Int64Exact(512)),
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("on_boot"), knownvalue.Bool(false)),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(func(*terraform.State) error {
					if cpu, set := onlyVMNamed(t, lab, name).Config["cpu"]; set {
						return fmt.Errorf("new VM got cpu=%q although the configuration sets none", cpu)
					}
					return nil
				})},
				// The plans after the apply are empty: the library checks it.
			},
		},
	})
}
