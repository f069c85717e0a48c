package provider_test

import (
	"context"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
)

// afterApply runs checks of the cluster (the simulator's VMs, tasks and
// volumes) that read neither Terraform's state nor its plan, right after a
// step's apply.
//
// A step's Check costs one `terraform show` of the state (and
// ConfigStateChecks one more), while terraform-plugin-testing plans without
// refresh and reads that plan after every apply anyway: a
// PostApplyPreRefresh plan check rides on it for free. That plan refreshes
// nothing, so it changes no VM and starts no task before the checks run.
// Checks that count API requests stay in Check: the plan sends requests.
//
// Unlike Check, the checks also run on PlanOnly steps (on their plan
// without refresh).
func afterApply(checks ...resource.TestCheckFunc) []plancheck.PlanCheck {
	return []plancheck.PlanCheck{clusterCheck(resource.ComposeTestCheckFunc(checks...))}
}

// clusterCheck is a TestCheckFunc that ignores its state argument, run as a
// plan check.
type clusterCheck resource.TestCheckFunc

var _ plancheck.PlanCheck = clusterCheck(nil)

func (c clusterCheck) CheckPlan(_ context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = c(nil)
}
