package provider

// What this run knows of the VMs of its resources, shared by every
// instance: the names it plans, the VMIDs instances hold in state, the VMs
// creates adopted and the names whose VM a refresh found gone.

import (
	"fmt"
	"maps"
	"sync"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// plannedNames records the names this run gives to VMs: new ones, and
// existing ones being renamed. VMs that already carry their name are left
// out: several of them are duplicates being cleaned up, not new ones.
type plannedNames struct {
	mu     sync.Mutex
	byName map[string][]plannedName
}

type plannedName struct {
	name string
	vmid int // 0 for a VM that does not exist yet
}

func (p plannedName) describe() string {
	if p.vmid == 0 {
		return fmt.Sprintf("a new VM named %q", p.name)
	}
	return fmt.Sprintf("VM %d, renamed to %q", p.vmid, p.name)
}

// add records a planned name and returns the earlier plans it collides with.
func (p *plannedNames) add(entry plannedName) []plannedName {
	key := guard.NameKey(entry.name)
	p.mu.Lock()
	defer p.mu.Unlock()
	var clashes []plannedName
	for _, other := range p.byName[key] {
		if entry.vmid != 0 && other.vmid == entry.vmid {
			return nil // the same VM planned again
		}
		clashes = append(clashes, other)
	}
	p.byName[key] = append(p.byName[key], entry)
	return clashes
}

// adoptedVMs remembers the VMs that creates of this run adopted, by VMID
// with their SMBIOS UUID. Terraform may destroy another object holding the
// same VM later in the same apply: the old object of a create_before_destroy
// replacement (the new one adopted the old VM, the only VM with its name),
// or a resource removed from the configuration whose VM another resource
// adopted first. Destroying the VM then would leave the adopter's state
// pointing at nothing.
type adoptedVMs struct {
	mu    sync.Mutex
	uuids map[int]string
}

func (a *adoptedVMs) add(vmid int, uuid string) {
	a.mu.Lock()
	a.uuids[vmid] = uuid
	a.mu.Unlock()
}

// has reports whether a create of this run adopted the VM with this VMID
// and UUID.
func (a *adoptedVMs) has(vmid int, uuid string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	adopted, ok := a.uuids[vmid]
	return ok && pve.SameUUID(adopted, uuid)
}

// ownedVMs remembers the VMIDs this run found in the state of some instance.
type ownedVMs struct {
	mu    sync.Mutex
	vmids map[int]bool
}

func (o *ownedVMs) add(vmid int) {
	if vmid == 0 {
		return
	}
	o.mu.Lock()
	o.vmids[vmid] = true
	o.mu.Unlock()
}

// set is a copy of the VMIDs, for a guard decision to ignore.
func (o *ownedVMs) set() map[int]bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return maps.Clone(o.vmids)
}

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
