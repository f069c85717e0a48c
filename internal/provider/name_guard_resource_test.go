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
// destroying it leaves the VM alone. While the state is empty, the steps of
// refusalSteps (was TestAccNameGuard_refusesTakenName and
// TestAccNameGuard_failsClosed) run between the refusal and the import.
func TestAccNameGuard_lifecycle(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	name := lab.RandomName("monitoring-prometheus")
	refusals, checkRefusals := refusalSteps(t, lab)
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
		Steps: append([]resource.TestStep{
			{
				// The name is free: the guard claims it.
				Config: guard,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(guardAddr, plancheck.ResourceActionCreate),
						plancheck.ExpectKnownValue(guardAddr, tfjsonpath.New("vmid"), knownvalue.Null()),
					},
					PostApplyPreRefresh: append(afterApply(expectVMCount(lab, name, 0)), stateAfterApply(
						statecheck.ExpectKnownValue(guardAddr, tfjsonpath.New("id"), knownvalue.StringExact(name)),
						statecheck.ExpectKnownValue(guardAddr, tfjsonpath.New("vmid"), knownvalue.Null()),
						statecheck.ExpectKnownValue(guardAddr, tfjsonpath.New("vm_node"), knownvalue.Null()),
					)),
				},
			},
			{
				// Another provider creates the VM through the API; the
				// refresh records it and nothing changes.
				PreConfig: func() { vm = createPeerVM(t, lab, name) },
				Config:    guard,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(guardAddr, plancheck.ResourceActionNoop),
					},
					PostApplyPreRefresh: []plancheck.PlanCheck{stateAfterApply(
						vmidIs(vmid),
						statecheck.ExpectKnownValue(guardAddr, tfjsonpath.New("vm_node"), knownvalue.StringExact(lab.Node)),
					)},
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
		}, append(refusals, []resource.TestStep{
			{
				// Importing the guard by name recovers. Check never runs on
				// a step that expects an error: the refused apply before
				// left the one VM alone, checked before this apply.
				Config: lab.Config(fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", guardAddr, name) + guardHCL(name, lab.Node)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(guardAddr, plancheck.ResourceActionUpdate),
						clusterCheck(expectVMCount(lab, name, 1)),
					},
					PostApplyPreRefresh: []plancheck.PlanCheck{stateAfterApply(vmidIs(vmid))},
				},
			},
			{
				// Without the import block the plans are empty (a plan-only
				// step fails on changes).
				Config:   guard,
				PlanOnly: true,
			},
		}...)...),
	})
	checkRefusals()
}

// refusalSteps are plan-time refusals of a guard whose name cannot be
// claimed, steps for a test whose state is empty at that point; each step
// is one scenario, the two that need the simulator's controls on a
// simulator of their own. check checks the lab after the test.
//
//   - (was TestAccNameGuard_refusesTakenName) a name a VM has: the error's
//     import IDs name this VM exactly, and the guard by the name its
//     configuration spells; names compare case-insensitively, as for
//     proxmoxsafe_vm.
//   - (was TestAccNameGuard_failsClosed "two guards claim one name") two
//     guards of one configuration claim one name.
//   - (failsClosed "name unreadable on an offline node") a VM's name cannot
//     be read on an offline node: the guard cannot prove the name free.
//   - (failsClosed "duplicated name") several VMs already carry the name.
func refusalSteps(t *testing.T, lab *acctest.Lab) (steps []resource.TestStep, check func()) {
	taken := lab.RandomName("taken")
	vm := createPeerVM(t, lab, taken)
	id := strconv.Itoa(vm.VMID)
	twice := lab.RandomName("twice")
	second := strings.Replace(guardHCL(strings.ToUpper(twice), lab.Node), `"prom"`, `"other"`, 1)
	steps = []resource.TestStep{
		{
			Config:   lab.Config(guardHCL(strings.ToUpper(taken), lab.Node)),
			PlanOnly: true,
			ExpectError: regexp.MustCompile(`(?s)VMID ` + id + ` on node ` + lab.Node + `.*<proxmoxsafe_name_guard address> ` +
				strings.ToUpper(taken) + `\n.* ` + lab.Node + `/` + id + ` .* ` + lab.Node + `/qemu/` + id + ` `),
		},
		{
			Config:      lab.Config(guardHCL(twice, lab.Node) + second),
			ExpectError: regexp.MustCompile(`Two resources claim the same VM name`),
		},
	}
	if lab.Sim != nil {
		// The offline node and the incident scenario's six
		// monitoring-grafana VMs are simulator controls.
		offline := acctest.New(t, pvesim.Options{Nodes: []string{"pve", "pve2"}, StatsLag: time.Hour})
		if err := offline.Sim.AddVM(pvesim.VM{VMID: 321, Node: "pve2", Name: "fresh", Status: "running", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		offline.Sim.SetNodeOffline("pve2", true)
		incident := acctest.New(t, pvesim.Options{Scenario: "incident"})
		steps = append(steps, resource.TestStep{
			Config:      offline.Config(guardHCL(acctest.RandomName("blind"), "pve")),
			ExpectError: regexp.MustCompile(`(?s)Cannot verify that the VM name is unique.*VMIDs 321`),
		}, resource.TestStep{
			Config:      incident.Config(guardHCL("monitoring-grafana", "pve")),
			ExpectError: regexp.MustCompile(`(?s)Several VMs already carry this name.*6 VMs named "monitoring-grafana"`),
		})
	} else {
		t.Log("against a real cluster: the offline-node and duplicated-name steps need the simulator's controls; they run against the simulator only")
	}
	return steps, func() {
		vmCountIs(t, lab, taken, 1)
		vmCountIs(t, lab, twice, 0)
	}
}
