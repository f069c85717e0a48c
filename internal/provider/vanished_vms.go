package provider

import (
	"sync"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
)

// vanishedVMs are the names of VMs that this run's refresh found deleted
// outside Terraform (or replaced by a stranger) and dropped from state.
//
// Terraform plans every resource again after such a refresh, also inside
// `terraform destroy` (its pre-destroy refresh is a normal plan: terraform
// internal/terraform/context_plan.go destroyPlan, PreDestroyRefresh; the
// instance is planned unless skipPlanChanges). If another VM took the name
// meanwhile, a plan-time refusal would make destroy fail although it has
// nothing to do. For these names the refusal is a warning at plan time and
// stays an error at apply time, where Create checks again.
type vanishedVMs struct {
	mu    sync.Mutex
	names map[string]bool
}

func (v *vanishedVMs) add(name string) {
	if name == "" {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.names == nil {
		v.names = map[string]bool{}
	}
	v.names[guard.NameKey(name)] = true
}

func (v *vanishedVMs) has(name string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.names[guard.NameKey(name)]
}
