package provider

import (
	"sync"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// clusterView is one read of the cluster: every VM with its name resolved as
// far as possible, plus what could not be checked.
type clusterView struct {
	vms        []pve.InventoryVM
	unresolved []int
	complete   bool
	readAt     time.Time

	// The name index, built on first use: the name checks of an apply look
	// at the VMs of one name and those without a known name, not at all of
	// a 10,000-VM cluster each time.
	indexOnce sync.Once
	byName    map[string][]int // guard.NameKey -> indexes of QEMU VMs in vms
	unnamed   []int            // indexes of QEMU VMs whose name is unknown
}

// guardInventory converts the view for the pure guard. Only QEMU VMs carry
// the names we protect; containers share the VMID space but not names.
func (v *clusterView) guardInventory(createdAt map[int]int64) guard.Inventory {
	inv := guard.Inventory{Unresolved: v.unresolved, Complete: v.complete}
	for _, vm := range v.vms {
		if !vm.IsQEMU() {
			continue
		}
		inv.VMs = append(inv.VMs, guardVM(vm, createdAt[vm.VMID]))
	}
	return inv
}

func guardVM(vm pve.InventoryVM, createdAt int64) guard.VM {
	return guard.VM{
		VMID: vm.VMID, Node: vm.Node, Name: vm.Name, NameKnown: vm.NameKnown,
		Status: vm.Status, Template: vm.Template, CreatedAt: createdAt, Tags: vm.Tags, Uptime: vm.Uptime,
		Creation: creationOf(vm.Tags, time.Now()),
	}
}

// pendingCreations lists the VMs, other than except, that a create or clone
// task still holds and whose name is not published yet.
func (v *clusterView) pendingCreations(except int) []int {
	var ids []int
	for _, vm := range v.vms {
		if vm.VMID != except && vm.BeingCreated() {
			ids = append(ids, vm.VMID)
		}
	}
	return ids
}

// find returns the inventory entry with the VMID.
func (v *clusterView) find(vmid int) (pve.InventoryVM, bool) {
	for _, vm := range v.vms {
		if vm.VMID == vmid {
			return vm, true
		}
	}
	return pve.InventoryVM{}, false
}

func (v *clusterView) index() {
	v.indexOnce.Do(func() {
		v.byName = make(map[string][]int, len(v.vms))
		for i, vm := range v.vms {
			switch {
			case !vm.IsQEMU():
			case !vm.NameKnown:
				v.unnamed = append(v.unnamed, i)
			default:
				key := guard.NameKey(vm.Name)
				v.byName[key] = append(v.byName[key], i)
			}
		}
	})
}

// named returns the QEMU VMs whose known name is name.
func (v *clusterView) named(name string) []pve.InventoryVM {
	v.index()
	idx := v.byName[guard.NameKey(name)]
	out := make([]pve.InventoryVM, 0, len(idx))
	for _, i := range idx {
		out = append(out, v.vms[i])
	}
	return out
}

// nameInventory is guardInventory cut down to what the guard looks at for
// one name: the VMs that carry it and those whose name is unknown
// (guard.Decide and guard.Matches ignore every other VM).
func (v *clusterView) nameInventory(name string, createdAt map[int]int64) guard.Inventory {
	v.index()
	inv := guard.Inventory{Unresolved: v.unresolved, Complete: v.complete}
	for _, idx := range [][]int{v.byName[guard.NameKey(name)], v.unnamed} {
		for _, i := range idx {
			inv.VMs = append(inv.VMs, guardVM(v.vms[i], createdAt[v.vms[i].VMID]))
		}
	}
	return inv
}
