package provider_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/recoveryexample"
)

// vmidsNamed asserts which VMs carry name in the simulator. It is a state
// check because the legacy Check functions cannot shim for_each instances.
func vmidsNamed(sim *pvesim.Server, name string, want ...int) simCheck {
	return simCheck(func() error {
		var got []int
		for _, vm := range sim.VMsNamed(name) {
			got = append(got, vm.VMID)
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("VMs named %s: %v, want %v", name, got, want)
		}
		return nil
	})
}

// expectImported checks that the plan imports addr and neither creates nor
// destroys it. (An in-place update is allowed: ignore_changes does not stop
// the provider from filling schema defaults.)
type expectImported string

func (e expectImported) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != string(e) {
			continue
		}
		switch {
		case rc.Change.Importing == nil:
			resp.Error = fmt.Errorf("%s is not imported: %v", e, rc.Change.Actions)
		case rc.Change.Actions.Create() || rc.Change.Actions.Delete() || rc.Change.Actions.Replace():
			resp.Error = fmt.Errorf("%s is imported but planned for %v", e, rc.Change.Actions)
		}
		return
	}
	resp.Error = fmt.Errorf("%s is not in the plan", e)
}

// simCheck runs an assertion on the simulator after a step's apply.
type simCheck func() error

func (c simCheck) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = c()
}

// The recovery after the incident, done with Terraform as the recovery
// guide shows it: its example (examples/guides/recover-from-state-loss) is
// applied step by step. The duplicates data source drives the imports, and
// Terraform destroys the extra VMs. Two of them (108, 111) have a disk on
// the ZFS pool that cannot be imported: as in Proxmox VE (qemu-server
// QemuServer.pm destroy_vm), their destroy still succeeds, and only those
// volumes stay behind on the broken pool, for the operator to free
// (`pvesm free <volid>`) once the pool is back.
func TestAccVMDuplicatesCleanup(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "incident", StatsLag: 0})
	sim := lab.RequireSim(t, "incident scenario and broken storage (leftover volumes)")
	guide := func(step recoveryexample.Step) string {
		config, err := recoveryexample.Config(acctest.ModuleRoot(t), step)
		if err != nil {
			t.Fatal(err)
		}
		return lab.Config(config)
	}
	grafana := `proxmoxsafe_vm.monitoring["monitoring-grafana"]`
	prometheus := `proxmoxsafe_vm.monitoring["monitoring-prometheus"]`
	extras := []int{108, 110, 111, 112, 115, 116, 117, 121, 122}

	var importExtras []plancheck.PlanCheck
	for _, id := range extras {
		importExtras = append(importExtras, expectImported(fmt.Sprintf("proxmoxsafe_vm.extra[%q]", fmt.Sprint(id))))
	}
	var destroyExtras []plancheck.PlanCheck
	for _, id := range extras {
		destroyExtras = append(destroyExtras,
			plancheck.ExpectResourceAction(fmt.Sprintf("proxmoxsafe_vm.extra[%q]", fmt.Sprint(id)), plancheck.ResourceActionDestroy))
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// The stack's configuration alone: the plan refuses to create
				// a third VM of either name.
				Config:      guide(recoveryexample.Stack),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Several VMs already carry this name`),
			},
			{
				// Step 1: the running VM of each name comes back under
				// management, and the others are imported as they are.
				Config: guide(recoveryexample.Import),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: importExtras, PostApplyPreRefresh: []plancheck.PlanCheck{stateAfterApply(
					statecheck.ExpectKnownValue(grafana, tfjsonpath.New("vmid"), knownvalue.Int64Exact(126)),
					statecheck.ExpectKnownValue(prometheus, tfjsonpath.New("vmid"), knownvalue.Int64Exact(123)),
					statecheck.ExpectKnownValue(grafana, tfjsonpath.New("status"), knownvalue.StringExact("running")),
					statecheck.ExpectKnownValue(`proxmoxsafe_vm.extra["110"]`, tfjsonpath.New("name"), knownvalue.StringExact("monitoring-grafana")),
					statecheck.ExpectKnownValue(`proxmoxsafe_vm.extra["108"]`, tfjsonpath.New("name"), knownvalue.StringExact("monitoring-prometheus")),
					vmidsNamed(sim, "monitoring-grafana", 110, 111, 115, 117, 122, 126),
					vmidsNamed(sim, "monitoring-prometheus", 108, 112, 116, 121, 123),
				)}},
			},
			{
				// Step 2: dropping them from the configuration destroys them,
				// the two with a disk on the missing pool included: their
				// VMs go, the volumes on the pool stay behind (step 3).
				// Then one VM per name: nothing left to report. The plan
				// the library makes after the apply is that of this
				// configuration on the cleaned cluster; it must be empty
				// (the library checks) and it reads the duplicates data
				// source again, which its prior state carries (readInPlan).
				Config: guide(recoveryexample.RemoveExtras),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: destroyExtras, PostApplyPreRefresh: []plancheck.PlanCheck{stateAfterApply(
					vmidsNamed(sim, "monitoring-grafana", 126),
					vmidsNamed(sim, "monitoring-prometheus", 123),
					simCheck(func() error {
						want := []string{"downloads:vm-108-disk-1", "downloads:vm-111-disk-1"}
						if got := sim.LeftoverVolumes(); !slices.Equal(slices.Sorted(slices.Values(got)), want) {
							return fmt.Errorf("volumes left on the broken pool %v, want %v", got, want)
						}
						return nil
					}),
					statecheck.ExpectKnownValue("data.proxmoxsafe_vm_duplicates.monitoring", tfjsonpath.New("groups"), knownvalue.ListSizeExact(0)),
				)}},
			},
			{
				// Step 4: recovery.tf deleted, the kept VMs are still
				// managed, unchanged: the plan is empty (a PlanOnly step
				// fails on any change; the check says it too).
				Config:   guide(recoveryexample.Stack),
				PlanOnly: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan(), stateAfterApply(
					statecheck.ExpectKnownValue(grafana, tfjsonpath.New("vmid"), knownvalue.Int64Exact(126)),
					statecheck.ExpectKnownValue(prometheus, tfjsonpath.New("vmid"), knownvalue.Int64Exact(123)),
					vmidsNamed(sim, "monitoring-grafana", 126),
					vmidsNamed(sim, "monitoring-prometheus", 123),
				)}},
			},
			{
				// The test harness cannot read for_each instances back at
				// the end, so forget the kept VMs without destroying them.
				Config: lab.Config(`
removed {
  from = proxmoxsafe_vm.monitoring
  lifecycle {
    destroy = false
  }
}
`),
				// The state is empty now: cluster checks only.
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(func(*terraform.State) error {
					return errors.Join(vmidsNamed(sim, "monitoring-grafana", 126)(), vmidsNamed(sim, "monitoring-prometheus", 123)())
				})},
			},
		},
	})
}
