package provider

// This file holds the steps that converge an existing VM to the plan:
// configuration, disk growth, power, rename and migration.

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// applyChange sends the configuration differences and disk growth.
func (r *vmResource) applyChange(ctx context.Context, plan *vmResourceModel, vm *pve.VM, diags *diag.Diagnostics) bool {
	change := diffConfig(ctx, plan, vm, diags)
	if diags.HasError() {
		return false
	}
	if len(change.destructive) > 0 {
		diags.AddError("Refusing a destructive change",
			fmt.Sprintf("VM %d (%q) cannot be changed in place without losing data:\n  - %s",
				vm.VMID, vm.Name, strings.Join(change.destructive, "\n  - ")))
		return false
	}
	if change.cloudInitMovedFrom != nil && !r.removeMovedCloudInitDrive(ctx, plan, vm, *change.cloudInitMovedFrom, diags) {
		return false
	}
	if err := r.data.client.ApplyConfigChange(ctx, vm.Node, vm.VMID, change.config, vm.Digest); err != nil {
		addAPIError(diags, fmt.Sprintf("update the configuration of VM %d (%q)", vm.VMID, vm.Name), err)
		return false
	}
	if vm.Status == "running" && plan.Started.ValueBool() {
		return r.applyPending(ctx, plan, vm, diags)
	}
	return true
}

// applyPower starts or shuts down the VM as `started` says.
func (r *vmResource) applyPower(ctx context.Context, plan *vmResourceModel, vm *pve.VM, diags *diag.Diagnostics) bool {
	running := vm.Status == "running"
	switch want := plan.Started.ValueBool(); {
	case want && !running:
		if err := r.data.client.StartVM(ctx, vm.Node, vm.VMID); err != nil {
			addAPIError(diags, fmt.Sprintf("start VM %d (%q)", vm.VMID, vm.Name), err)
			return false
		}
	case !want && running:
		if err := r.data.client.ShutdownVM(ctx, vm.Node, vm.VMID, shutdownTimeout); err != nil {
			addAPIError(diags, fmt.Sprintf("shut down VM %d (%q)", vm.VMID, vm.Name), err)
			return false
		}
	}
	return true
}

// checkRename refuses a new name that another VM already carries.
func (r *vmResource) checkRename(ctx context.Context, vm *pve.VM, newName string, read func(context.Context) (*clusterView, error), diags *diag.Diagnostics) bool {
	view, err := read(ctx)
	if err != nil {
		addAPIError(diags, "read the cluster inventory before renaming VM "+strconv.Itoa(vm.VMID), err)
		return false
	}
	decision := r.data.decide(ctx, view, newName, guard.PolicyFail, map[int]bool{vm.VMID: true}, diags)
	if decision.Action == guard.ActionCreate {
		return true
	}
	if decision.Reason == guard.ReasonExists || decision.Reason == guard.ReasonDuplicates {
		diags.AddAttributeError(pathName, "Another VM already has the new name",
			fmt.Sprintf("Renaming VM %d from %q to %q would give two VMs one name. VMs named %q:\n%s\n\n"+
				"Choose another name, or remove the other VM first.",
				vm.VMID, vm.Name, newName, newName, vmList(decision.Matches)))
		return false
	}
	addGuardRefusal(diags, newName, decision)
	return false
}

// migrate moves a VM offline, shutting it down for the move when it runs.
func (r *vmResource) migrate(ctx context.Context, vm *pve.VM, target string, diags *diag.Diagnostics) *pve.VM {
	client := r.data.client
	// Nothing is shut down before the target is known good.
	topo, err := r.data.topology.get(ctx)
	if err != nil {
		addAPIError(diags, fmt.Sprintf("check node %s before migrating VM %d there", target, vm.VMID), err)
		return nil
	}
	if problem := nodeProblem(topo, target); problem != "" {
		diags.AddAttributeError(pathNode, "Unusable node",
			fmt.Sprintf("%s VM %d stays on %s and was not shut down.", problem, vm.VMID, vm.Node))
		return nil
	}
	if vm.Status == "running" {
		if err := client.ShutdownVM(ctx, vm.Node, vm.VMID, shutdownTimeout); err != nil {
			addAPIError(diags, fmt.Sprintf("shut down VM %d for its migration to %s", vm.VMID, target), err)
			return nil
		}
	}
	if err := client.MigrateVM(ctx, vm.Node, vm.VMID, target); err != nil {
		addAPIError(diags, fmt.Sprintf("migrate VM %d from %s to %s", vm.VMID, vm.Node, target), err)
		return nil
	}
	moved, err := client.GetVM(ctx, target, vm.VMID)
	if err != nil {
		addAPIError(diags, fmt.Sprintf("read VM %d after migrating it to %s", vm.VMID, target), err)
		return nil
	}
	return moved
}
