package provider

// This file holds proxmoxsafe_vm's resource pool. PVE keeps pool
// membership outside the VM's config (user.cfg); /cluster/resources shows
// it as the entries' "pool" (pve-manager PVE/API2/Cluster.pm resources).

import (
	"context"
	"fmt"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// poolRegexp is pve-access-control AccessControl.pm verify_poolname (up to
// three levels), or "" for no pool.
var poolRegexp = regexp.MustCompile(`^([A-Za-z0-9.\-_]+(/[A-Za-z0-9.\-_]+){0,2})?$`)

func poolAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "The resource pool the VM belongs to; `\"\"` for none. A new VM is added to it as " +
			"Proxmox VE creates it (the pool must exist). Changing it moves the VM to the other pool in place. " +
			"Left as the VM has it when omitted; Proxmox VE's default is no pool.",
		Optional:      true,
		Computed:      true,
		PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		Validators: []validator.String{stringvalidator.RegexMatches(poolRegexp,
			"must be a Proxmox VE pool name: letters, digits, '.', '-' and '_', nested pools as parent/child")},
	}
}

// wantPool is the pool the plan asks for, and whether it asks.
func (m *vmResourceModel) wantPool() (string, bool) {
	return m.Pool.ValueString(), known(m.Pool)
}

// readPool sets the state's pool from the cluster inventory of this run.
// A VM recorded without a pool is not looked up: its refresh then costs no
// cluster read (a pool set outside Terraform shows once the configuration
// names one).
func (r *vmResource) readPool(ctx context.Context, state *vmResourceModel, diags *diag.Diagnostics) {
	if known(state.Pool) && state.Pool.ValueString() == "" {
		return
	}
	pool, found, err := r.poolOf(ctx, state.vmid(), false)
	if err != nil {
		addAPIError(diags, "read the resource pool of "+state.describe(), err)
		return
	}
	if found {
		state.Pool = types.StringValue(pool)
	}
}

// poolOf looks a VM's pool up in the cluster inventory.
func (r *vmResource) poolOf(ctx context.Context, vmid int, fresh bool) (string, bool, error) {
	read := r.data.inventory.recent
	if fresh {
		read = r.data.inventory.fresh
	}
	view, err := read(ctx)
	if err != nil {
		return "", false, err
	}
	vm, found := view.find(vmid)
	return vm.Pool, found, nil
}

// applyPool moves the VM from pool from to the plan's pool. When it
// fails, the plan keeps from, so state says where the VM is.
func (r *vmResource) applyPool(ctx context.Context, plan *vmResourceModel, vm *pve.VM, from string, diags *diag.Diagnostics) bool {
	to, set := plan.wantPool()
	if !set {
		plan.Pool = types.StringValue(from)
		return true
	}
	if to == from {
		return true
	}
	tflog.Info(ctx, "moving the VM to another pool", map[string]any{"vmid": vm.VMID, "from": from, "to": to})
	if err := r.data.client.MoveVMToPool(ctx, vm.VMID, from, to); err != nil {
		plan.Pool = types.StringValue(from)
		addAPIError(diags, fmt.Sprintf("move VM %d (%q) from pool %q to pool %q", vm.VMID, vm.Name, from, to), err)
		return false
	}
	r.data.inventory.invalidate()
	return true
}

// adoptPool moves an adopted VM into the plan's pool, reading where it is.
func (r *vmResource) adoptPool(ctx context.Context, plan *vmResourceModel, vm *pve.VM, diags *diag.Diagnostics) bool {
	from, _, err := r.poolOf(ctx, vm.VMID, false)
	if err != nil {
		addAPIError(diags, fmt.Sprintf("read the resource pool of VM %d (%q)", vm.VMID, vm.Name), err)
		return false
	}
	return r.applyPool(ctx, plan, vm, from, diags)
}
