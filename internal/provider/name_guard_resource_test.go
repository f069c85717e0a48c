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
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

const guardAddr = "proxmoxsafe_name_guard.prom"

func guardHCL(name, node string) string {
	return fmt.Sprintf("resource \"proxmoxsafe_name_guard\" \"prom\" {\n  name = %q\n  node = %q\n}\n", name, node)
}

// forgetGuard drops the guard from state without destroying it, as a state
// loss would.
const forgetGuard = `
removed {
  from = proxmoxsafe_name_guard.prom
  lifecycle {
    destroy = false
  }
}
`

// The other provider creates the VM after the guard claimed its name; after
// a state loss the guard stops the plan; importing it by name recovers; and
// destroying it leaves the VM alone.
func TestAccNameGuard_lifecycle(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	name := lab.RandomName("monitoring-prometheus")
	var vm peerVM
	guard := lab.Config(guardHCL(name, lab.Node))
	vmidIs := func(want func() int64) statecheck.StateCheck {
		return statecheck.ExpectKnownValue(guardAddr, tfjsonpath.New("vmid"), knownvalue.Int64Func(func(v int64) error {
			if v != want() {
				return fmt.Errorf("vmid %d, want %d", v, want())
			}
			return nil
		}))
	}
	vmid := func() int64 { return int64(vm.VMID) }

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		// Destroying the guard leaves the other provider's VM alone.
		CheckDestroy: expectVMCount(lab, name, 1),
		Steps: []resource.TestStep{
			{
				// The name is free: the guard claims it.
				Config: guard,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(guardAddr, plancheck.ResourceActionCreate),
						plancheck.ExpectKnownValue(guardAddr, tfjsonpath.New("vmid"), knownvalue.Null()),
					},
					PostApplyPreRefresh: afterApply(expectVMCount(lab, name, 0)),
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(guardAddr, tfjsonpath.New("id"), knownvalue.StringExact(name)),
					statecheck.ExpectKnownValue(guardAddr, tfjsonpath.New("vmid"), knownvalue.Null()),
					statecheck.ExpectKnownValue(guardAddr, tfjsonpath.New("vm_node"), knownvalue.Null()),
				},
			},
			{
				// Another provider creates the VM through the API; the
				// refresh records it and nothing changes.
				PreConfig: func() { vm = createPeerVM(t, lab, name) },
				Config:    guard,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(guardAddr, plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					vmidIs(vmid),
					statecheck.ExpectKnownValue(guardAddr, tfjsonpath.New("vm_node"), knownvalue.StringExact(lab.Node)),
				},
			},
			{
				ResourceName:            guardAddr,
				ImportState:             true,
				ImportStateId:           name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"node"},
			},
			// The state is lost.
			{Config: lab.Config(forgetGuard), ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(expectVMCount(lab, name, 1))}},
			{
				// Names of fresh VMs are missing from /cluster/resources for a
				// minute here; the guard must still see this one.
				Config: guard,
				ExpectError: regexp.MustCompile(`(?s)A VM with this name already exists.*VMID \d+ on node ` + lab.Node +
					`, name "` + name + `".*terraform import <proxmoxsafe_name_guard address> ` + name +
					`.*terraform import <proxmox_virtual_environment_vm address> ` + lab.Node + `/\d+ .*bpg/proxmox` +
					`.*terraform import <proxmox_vm_qemu address> ` + lab.Node + `/qemu/\d+ .*Telmate/proxmox`),
			},
			{
				// Importing the guard by name recovers. Check never runs on
				// a step that expects an error: the refused apply before
				// left the one VM alone, checked before this apply.
				Config: lab.Config(fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", guardAddr, name) + guardHCL(name, lab.Node)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(guardAddr, plancheck.ResourceActionUpdate),
					clusterCheck(expectVMCount(lab, name, 1)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{vmidIs(vmid)},
			},
			{
				Config: guard,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
}

// The error's import IDs name this VM exactly, and the guard by the name its
// configuration spells.
func TestAccNameGuard_refusesTakenName(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	name := lab.RandomName("taken")
	vm := createPeerVM(t, lab, name)
	id := strconv.Itoa(vm.VMID)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			// Names compare case-insensitively, as for proxmoxsafe_vm.
			Config:   lab.Config(guardHCL(strings.ToUpper(name), lab.Node)),
			PlanOnly: true,
			ExpectError: regexp.MustCompile(`(?s)VMID ` + id + ` on node ` + lab.Node + `.*<proxmoxsafe_name_guard address> ` +
				strings.ToUpper(name) + `\n.* ` + lab.Node + `/` + id + ` .* ` + lab.Node + `/qemu/` + id + ` `),
		}},
	})
	vmCountIs(t, lab, name, 1)
}

func TestAccNameGuard_failsClosed(t *testing.T) {
	t.Parallel()
	t.Run("name unreadable on an offline node", func(t *testing.T) {
		lab := acctest.New(t, pvesim.Options{Nodes: []string{"pve", "pve2"}, StatsLag: time.Hour})
		sim := lab.RequireSim(t, "offline node control (pve2 unreachable)")
		if err := sim.AddVM(pvesim.VM{VMID: 321, Node: "pve2", Name: "fresh", Status: "running", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		sim.SetNodeOffline("pve2", true)
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
			Steps: []resource.TestStep{{
				Config:      lab.Config(guardHCL(acctest.RandomName("blind"), "pve")),
				ExpectError: regexp.MustCompile(`(?s)Cannot verify that the VM name is unique.*VMIDs 321`),
			}},
		})
	})
	t.Run("duplicated name", func(t *testing.T) {
		lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
		lab.RequireSim(t, "incident scenario (six monitoring-grafana VMs)")
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
			Steps: []resource.TestStep{{
				Config:      lab.Config(guardHCL("monitoring-grafana", "pve")),
				ExpectError: regexp.MustCompile(`(?s)Several VMs already carry this name.*6 VMs named "monitoring-grafana"`),
			}},
		})
	})
	t.Run("two guards claim one name", func(t *testing.T) {
		lab := acctest.NewEmpty(t)
		name := lab.RandomName("twice")
		second := strings.Replace(guardHCL(strings.ToUpper(name), lab.Node), `"prom"`, `"other"`, 1)
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
			Steps: []resource.TestStep{{
				Config:      lab.Config(guardHCL(name, lab.Node) + second),
				ExpectError: regexp.MustCompile(`Two resources claim the same VM name`),
			}},
		})
		vmCountIs(t, lab, name, 0)
	})
}
