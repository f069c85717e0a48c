package provider_test

import (
	"context"
	"encoding/json"
	"errors"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
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

// stateAfterApply runs state checks on the state a step's apply wrote,
// without the `terraform show` that ConfigStateChecks costs: the plan
// without refresh that terraform-plugin-testing makes after every apply
// carries that state as its prior state (hashicorp/terraform
// internal/command/jsonplan/plan.go Marshal: prior_state is the plan's
// state file, and a plan without refresh reads no resource). Data sources
// are read again by that plan, so checks of a data source's result stay in
// ConfigStateChecks.
func stateAfterApply(checks ...statecheck.StateCheck) plancheck.PlanCheck {
	return priorStateCheck(checks)
}

type priorStateCheck []statecheck.StateCheck

var _ plancheck.PlanCheck = priorStateCheck(nil)

func (c priorStateCheck) CheckPlan(ctx context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	if req.Plan == nil || req.Plan.PriorState == nil {
		resp.Error = errors.New("the plan after apply carries no prior state to check")
		return
	}
	// The plan's numbers were decoded as float64; state checks, like
	// ConfigStateChecks' `terraform show`, read json.Number.
	raw, err := json.Marshal(req.Plan.PriorState)
	if err != nil {
		resp.Error = err
		return
	}
	state := &tfjson.State{}
	state.UseJSONNumber(true)
	if err := state.UnmarshalJSON(raw); err != nil {
		resp.Error = err
		return
	}
	var errs []error
	for _, check := range c {
		var r statecheck.CheckStateResponse
		check.CheckState(ctx, statecheck.CheckStateRequest{State: state}, &r)
		errs = append(errs, r.Error)
	}
	resp.Error = errors.Join(errs...)
}
