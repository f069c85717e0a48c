package provider

// This file holds the name lookups that proxmoxsafe_vm and
// proxmoxsafe_name_guard share: one guard decision for a name, with the
// creation times the guard needs to order the VMs that carry it.

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// decide runs the guard for a name, reading the creation time of each VM
// that carries it (the inventory does not list creation times). While a
// racing apply of this provider is creating a VM with the name, it reads
// the cluster again until that apply settles (keeps or removes its VM), at
// most raceSettleTimeout.
func (p *providerData) decide(ctx context.Context, view *clusterView, name string, policy guard.Policy, ignore map[int]bool, diags *diag.Diagnostics) guard.Decision {
	settle, cancel := context.WithTimeout(ctx, raceSettleTimeout)
	defer cancel()
	for {
		inv, err := p.withCreationTimes(ctx, view, name, nil)
		if err != nil {
			addAPIError(diags, "read the VMs named "+strconv.Quote(name), err)
			return guard.Decision{Action: guard.ActionRefuse}
		}
		d := guard.Decide(inv, name, policy, ignore)
		if d.Action != guard.ActionWait {
			return d
		}
		tflog.Info(ctx, "another apply is creating a VM with this name, waiting for it", map[string]any{
			"name": name, "vmids": joinInts(vmidsOf(d.Creating)),
		})
		if sleepUntil(settle, time.Now().Add(lockPollInterval)) != nil {
			d.Action = guard.ActionRefuse
			return d
		}
		if view, err = p.inventory.fresh(ctx); err != nil {
			addAPIError(diags, "read the cluster inventory again for "+strconv.Quote(name), err)
			return guard.Decision{Action: guard.ActionRefuse}
		}
	}
}

func vmidsOf(vms []guard.VM) []int {
	ids := make([]int, 0, len(vms))
	for _, vm := range vms {
		ids = append(ids, vm.VMID)
	}
	return ids
}

// withCreationTimes returns the guard's inventory for a name with creation
// times for the VMs that carry it: one config read per such VM, and usually
// there is none. It holds only what the guard looks at for that name, and
// the config read corrects what the list said of each (see
// inventoryWithCreationTimes).
func (p *providerData) withCreationTimes(ctx context.Context, view *clusterView, name string, known map[int]int64) (guard.Inventory, error) {
	created, configs, err := readCreationTimes(ctx, p.client, view.named(name), known, nil)
	if err != nil {
		return guard.Inventory{}, err
	}
	inv := view.nameInventory(name, created)
	correctFromConfigs(&inv, configs)
	return inv, nil
}

// inventoryWithCreationTimes reads the creation time of the VMs selected.
// The same config read replaces what the shared read said of each of them:
// the view's names are live (pve.Client.ReadLiveNames) but may be up to
// createCheckMaxAge old for a name check (planInventoryMaxAge for a plan),
// and a racing apply's loser frees its VMID for the next create at once.
// The config's name and tags are the VM's own, read now.
func inventoryWithCreationTimes(ctx context.Context, client *pve.Client, view *clusterView, known map[int]int64, selected func(pve.InventoryVM) bool) (guard.Inventory, error) {
	created, configs, err := readCreationTimes(ctx, client, view.vms, known, selected)
	if err != nil {
		return guard.Inventory{}, err
	}
	inv := view.guardInventory(created)
	correctFromConfigs(&inv, configs)
	return inv, nil
}

// readCreationTimes reads the config of each VM of vms that selected picks
// (nil: every one) and known does not already date.
func readCreationTimes(ctx context.Context, client *pve.Client, vms []pve.InventoryVM, known map[int]int64, selected func(pve.InventoryVM) bool) (map[int]int64, map[int]*pve.VM, error) {
	created := map[int]int64{}
	for id, ct := range known {
		created[id] = ct
	}
	configs := map[int]*pve.VM{}
	for _, vm := range vms {
		if _, ok := created[vm.VMID]; ok || (selected != nil && !selected(vm)) {
			continue
		}
		cfg, err := client.GetVMConfig(ctx, vm.Node, vm.VMID)
		if errors.Is(err, pve.ErrNotFound) {
			continue // deleted since the inventory was read
		}
		if err != nil {
			return nil, nil, err
		}
		created[vm.VMID] = cfg.CreatedAt
		configs[vm.VMID] = cfg
	}
	return created, configs, nil
}

// correctFromConfigs replaces what the list said of each VM whose config
// was read with the config's own name, template flag and tags.
func correctFromConfigs(inv *guard.Inventory, configs map[int]*pve.VM) {
	now := time.Now()
	for i := range inv.VMs {
		vm := &inv.VMs[i]
		cfg, ok := configs[vm.VMID]
		if !ok {
			continue
		}
		// A config without a name (a create or clone still under way) names
		// nothing yet, as when the list's name was looked up.
		vm.Name, vm.NameKnown = cfg.Name, true
		vm.Template = cfg.Template
		vm.Tags, vm.Creation = cfg.Tags, creationOfVM(cfg, now)
	}
}
