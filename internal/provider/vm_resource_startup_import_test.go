package provider_test

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
)

// The documented limit of startup after an import: when the configuration
// of the import already matches the VM's startup, the import plans no
// change, and Terraform persists nothing a plan without changes computes
// (terraform internal/terraform/node_resource_apply_instance.go: a NoOp
// change "doesn't need to re-write the state"). Import and refresh do not
// see the configuration, so nothing records that the configuration set
// startup: removing it keeps the VM's value. The first apply that changes
// the VM records it, and removal then deletes startup.
func TestAccVMResource_startupAfterImport(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	sim := lab.RequireSim(t, "reads the VM's startup key")
	name := acctest.RandomName("stimp")
	startup := func(order int) string { return fmt.Sprintf(`startup = { order = %d, up = 30 }`, order) }
	with := func(order int) string { return vmHCL(name, lab.Node, startup(order)) }
	without := vmHCL(name, lab.Node)
	importBlock := fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", vmAddr, name)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(sim, name),
		Steps: []resource.TestStep{
			{
				Config:           lab.Config(with(2)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(expectConfig(t, sim, name, map[string]string{"startup": "order=2,up=30"}))},
			},
			{Config: lab.Config(forgetVM)},
			{
				Config: lab.Config(importBlock + with(2)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionNoop),
				}},
			},
			{
				// The limit: nothing recorded that the configuration set it.
				Config: lab.Config(without),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:            []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
					PostApplyPreRefresh: afterApply(expectConfig(t, sim, name, map[string]string{"startup": "order=2,up=30"})),
				},
				ConfigStateChecks: []statecheck.StateCheck{expectAttr(tfjsonpath.New("startup").AtMapKey("order"), knownvalue.Int64Exact(2))},
			},
			{
				// An apply that changes the VM records it...
				Config: lab.Config(with(3)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionUpdate),
					},
					PostApplyPreRefresh: afterApply(expectConfig(t, sim, name, map[string]string{"startup": "order=3,up=30"})),
				},
			},
			{
				// ...and removing startup then deletes it.
				Config: lab.Config(without),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(vmAddr, tfjsonpath.New("startup"), knownvalue.Null()),
					},
					PostApplyPreRefresh: afterApply(expectConfig(t, sim, name, map[string]string{"startup": ""})),
				},
			},
		},
	})
}
