package provider_test

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
)

// Removing startup from the configuration deletes PVE's startup key
// (delete=startup) on the running VM, and the plan is then clean; a
// startup set outside Terraform while the configuration leaves it out is
// kept, as for an imported VM.
func TestAccVMResource_startupRemoved(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	sim := lab.RequireSim(t, "out-of-band config edits")
	name := acctest.RandomName("startup")
	with := lab.Config(vmHCL(name, lab.Node, `startup = { order = 2, up = 30 }`))
	without := lab.Config(vmHCL(name, lab.Node))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(sim, name),
		Steps: []resource.TestStep{
			{
				Config:           with,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(expectConfig(t, sim, name, map[string]string{"startup": "order=2,up=30"}))},
			},
			{
				Config: without,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(vmAddr, tfjsonpath.New("startup"), knownvalue.Null()),
					},
					PostApplyPreRefresh: afterApply(expectConfig(t, sim, name, map[string]string{"startup": ""}), restarts(sim, name, 0)),
				},
				ConfigStateChecks: []statecheck.StateCheck{expectAttr(tfjsonpath.New("startup"), knownvalue.Null())},
				// The plans after the apply are empty: the library checks it.
			},
			{
				// Set outside Terraform after the configuration dropped it: kept.
				PreConfig: func() {
					if err := sim.SetVMConfig(onlyVMNamed(t, sim, name).VMID, "startup", "order=7"); err != nil {
						t.Fatal(err)
					}
				},
				Config: without,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:            []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
					PostApplyPreRefresh: afterApply(expectConfig(t, sim, name, map[string]string{"startup": "order=7"})),
				},
				ConfigStateChecks: []statecheck.StateCheck{expectAttr(tfjsonpath.New("startup").AtMapKey("order"), knownvalue.Int64Exact(7))},
			},
		},
	})
}
