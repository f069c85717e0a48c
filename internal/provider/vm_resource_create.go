package provider

// This file holds the create workflow of proxmoxsafe_vm: guard, allocate a
// VMID, create or clone, verify that no concurrent apply won the name, and
// keep a VM that exists despite an error in state.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

func (r *vmResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan vmResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := plan.Timeouts.Create(ctx, defaultCreateTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	name := plan.Name.ValueString()
	policy := guard.Policy(plan.OnExisting.ValueString())
	view, err := r.data.inventory.fresh(ctx)
	if err != nil {
		addAPIError(&resp.Diagnostics, "read the cluster inventory before creating "+strconv.Quote(name), err)
		return
	}
	// No VM is ignored here: whatever plan time assumed, a VM with the name
	// that still exists at apply time blocks the create.
	decision := r.decide(ctx, view, name, policy, nil, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	switch decision.Action {
	case guard.ActionRefuse:
		addGuardRefusal(&resp.Diagnostics, name, decision)
	case guard.ActionAdopt:
		r.adopt(ctx, &plan, decision.Target, &resp.State, &resp.Diagnostics)
	case guard.ActionCreate:
		r.create(ctx, &plan, view, &resp.State, &resp.Diagnostics)
	}
}

// create makes a new VM, records it in state the moment it exists, and then
// makes sure no concurrent apply won the name.
func (r *vmResource) create(ctx context.Context, plan *vmResourceModel, view *clusterView, state *tfsdk.State, diags *diag.Diagnostics) {
	client := r.data.client
	node := plan.Node.ValueString()
	name := plan.Name.ValueString()
	spec := plan.createSpec(ctx, node, 0, diags)
	source := plan.clone(ctx, diags)
	if diags.HasError() {
		return
	}
	var sourceVM guard.VM
	if source != nil {
		var err error
		if sourceVM, err = view.findOne(parseVMRef(source.Source.ValueString())); err != nil {
			addCloneSourceError(diags, source.Source.ValueString(), err)
			return
		}
	}

	autoID := plan.VMID.IsNull() || plan.VMID.IsUnknown()
	var err error
	for attempt := 1; ; attempt++ {
		spec.VMID, err = r.allocateVMID(ctx, plan, autoID)
		if err != nil {
			addAPIError(diags, "allocate a VMID for "+strconv.Quote(name), err)
			return
		}
		tflog.Info(ctx, "creating VM", map[string]any{"name": name, "vmid": spec.VMID, "node": node})
		if source != nil {
			err = client.CloneVM(ctx, pve.CloneSpec{
				SourceNode: sourceVM.Node, SourceVMID: sourceVM.VMID, NewID: spec.VMID, TargetNode: node,
				Name: name, Description: spec.Description, Full: source.Full.ValueBool(), Storage: source.Storage.ValueString(),
			})
		} else {
			err = client.CreateVM(ctx, spec)
		}
		if !errors.Is(err, pve.ErrAlreadyExists) || !autoID || attempt == maxAllocationAttempts {
			break
		}
		tflog.Debug(ctx, "VMID taken meanwhile, allocating another", map[string]any{"vmid": spec.VMID})
	}
	r.data.inventory.invalidate()
	if err != nil && answerLost(ctx, err) && r.createdDespiteLostAnswer(ctx, node, spec.VMID, name) {
		tflog.Warn(ctx, "the answer to the create request was lost, but the VM exists", map[string]any{"vmid": spec.VMID})
		err = nil
	}
	if err != nil {
		// The VM can exist although the call failed: a task that timed out,
		// or an answer lost on the way back. Keep it in state then.
		if r.saveIfExists(ctx, plan, node, spec.VMID, state) {
			addAPIError(diags, fmt.Sprintf("finish creating VM %d (%q); it exists and is kept in state as tainted", spec.VMID, name), err)
			return
		}
		if errors.Is(err, pve.ErrAlreadyExists) && !autoID {
			diags.AddAttributeError(pathVMID, "VMID already in use",
				fmt.Sprintf("VMID %d is already used by another VM or container in the cluster: %s\n\nRemove vmid "+
					"to let the provider allocate a free one, or choose another.", spec.VMID, err))
			return
		}
		addAPIError(diags, "create VM "+strconv.Quote(name), err)
		return
	}

	vm, err := client.GetVM(ctx, node, spec.VMID)
	if err != nil {
		addAPIError(diags, fmt.Sprintf("read VM %d after creating it", spec.VMID), err)
		r.saveIfExists(ctx, plan, node, spec.VMID, state)
		return
	}
	r.saveVM(ctx, plan, vm, state, diags)

	winner, err := r.verifyUnique(ctx, vm)
	if err != nil {
		addAPIError(diags, fmt.Sprintf("verify that VM %d is the only VM named %q", vm.VMID, name), err)
		return
	}
	if winner.VMID != vm.VMID {
		r.yieldToWinner(ctx, plan, vm, winner, state, diags)
		return
	}

	if source != nil {
		// A clone starts as a copy of its source; converge it to the plan.
		if !r.applyChange(ctx, plan, vm, diags) {
			return
		}
	}
	if plan.Protection.ValueBool() {
		protect := pve.ConfigChange{Protection: plan.Protection.ValueBoolPointer()}
		if err := client.ApplyConfigChange(ctx, node, vm.VMID, protect, ""); err != nil {
			addAPIError(diags, fmt.Sprintf("protect VM %d", vm.VMID), err)
			return
		}
	}
	if !r.applyPower(ctx, plan, vm, diags) {
		return
	}
	r.refreshState(ctx, plan, node, vm.VMID, state, diags)
}

// allocateVMID returns the configured VMID or a free one.
func (r *vmResource) allocateVMID(ctx context.Context, plan *vmResourceModel, auto bool) (int, error) {
	if !auto {
		return plan.vmid(), nil
	}
	return r.data.client.NextID(ctx)
}

// verifyUnique waits until every VM created in the same second as ours is
// visible, then returns the VM that owns the name: the earliest created,
// then the lowest VMID. Every racer computes the same winner.
func (r *vmResource) verifyUnique(ctx context.Context, ours *pve.VM) (guard.VM, error) {
	if ours.CreatedAt > 0 {
		// A VM with the same ctime existed before that second ended; the
		// extra second absorbs clock skew between us and the cluster.
		if err := r.data.clock.SleepUntil(ctx, time.Unix(ours.CreatedAt+2, 0)); err != nil {
			return guard.VM{}, err
		}
	}
	// PVE publishes a new VM's name only when its create task ends; a VM
	// still being created could turn out to carry our name, so wait for it.
	var view *clusterView
	for {
		r.data.inventory.invalidate()
		var err error
		if view, err = r.data.inventory.fresh(ctx); err != nil {
			return guard.VM{}, err
		}
		pending := view.pendingCreations(ours.VMID)
		if len(pending) == 0 {
			break
		}
		tflog.Debug(ctx, "waiting for VMs still being created", map[string]any{"vmids": pending})
		if err := r.data.clock.SleepUntil(ctx, r.data.clock.Now().Add(lockPollInterval)); err != nil {
			return guard.VM{}, fmt.Errorf("VMs %s are still being created: %w", joinInts(pending), err)
		}
	}
	inv, err := r.withCreationTimes(ctx, view, ours.Name, map[int]int64{ours.VMID: ours.CreatedAt})
	if err != nil {
		return guard.VM{}, err
	}
	matches := guard.Matches(inv, ours.Name)
	for _, m := range matches {
		if m.VMID == ours.VMID {
			return guard.Winner(matches), nil
		}
	}
	// Our VM is not listed yet: it is still the one we just made.
	return guard.Winner(append(matches, guard.VM{VMID: ours.VMID, Node: ours.Node, Name: ours.Name, CreatedAt: ours.CreatedAt})), nil
}

// yieldToWinner removes the VM we just created because a concurrent apply
// created the name first, then adopts or fails.
func (r *vmResource) yieldToWinner(ctx context.Context, plan *vmResourceModel, ours *pve.VM, winner guard.VM, state *tfsdk.State, diags *diag.Diagnostics) {
	tflog.Warn(ctx, "a concurrent apply created the same VM name first; removing ours", map[string]any{
		"ours": ours.VMID, "winner": winner.VMID,
	})
	if err := r.data.client.DestroyVM(ctx, ours.Node, ours.VMID); err != nil {
		addAPIError(diags, fmt.Sprintf("remove VM %d, which lost the name %q to VM %d; it stays in state as tainted",
			ours.VMID, ours.Name, winner.VMID), err)
		return
	}
	r.data.inventory.invalidate()
	state.RemoveResource(ctx)
	if guard.Policy(plan.OnExisting.ValueString()) == guard.PolicyAdopt {
		diags.AddWarning("Adopting the VM a concurrent apply created",
			fmt.Sprintf("Another apply created %s first. This apply removed its own VM %d and adopts the winner.",
				vmLine(winner), ours.VMID))
		r.adopt(ctx, plan, &winner, state, diags)
		return
	}
	diags.AddAttributeError(pathName, "A concurrent apply created this VM name first",
		fmt.Sprintf("While this apply created VM %d, another one created %s, which came first. To keep the name "+
			"unique, this apply removed its own VM %d; nothing of it is left.\n\n%s",
			ours.VMID, vmLine(winner), ours.VMID, importAdvice(ours.Name)))
}

// saveIfExists stores the VM in state when it exists despite an error, so it
// is never orphaned. It reports whether it did.
func (r *vmResource) saveIfExists(ctx context.Context, plan *vmResourceModel, node string, vmid int, state *tfsdk.State) bool {
	if vmid == 0 {
		return false
	}
	// The caller's context may be what expired; the probe gets its own.
	probeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	vm, err := r.data.client.GetVMConfig(probeCtx, node, vmid)
	if err != nil || !isOurNewVM(vm, plan.Name.ValueString()) {
		return false
	}
	vm.Node = node
	var ignored diag.Diagnostics
	r.saveVM(probeCtx, plan, vm, state, &ignored)
	return !ignored.HasError()
}

// isOurNewVM tells whether the VM at a VMID we just asked to create is ours:
// it carries our name, or PVE is still creating it and has not written the
// name yet (a VMID taken by someone else fails the request at once).
func isOurNewVM(vm *pve.VM, name string) bool {
	if vm.Name == "" {
		return vm.BeingCreated()
	}
	return guard.SameName(vm.Name, name)
}

// answerLost reports whether a request failed on the way back rather than
// being refused by Proxmox VE: PVE may have done the work.
func answerLost(ctx context.Context, err error) bool {
	var apiErr *pve.APIError
	var taskErr *pve.TaskError
	return ctx.Err() == nil && !errors.As(err, &apiErr) && !errors.As(err, &taskErr)
}

// createdDespiteLostAnswer waits for the create task behind a lost answer
// and reports whether it made our VM.
func (r *vmResource) createdDespiteLostAnswer(ctx context.Context, node string, vmid int, name string) bool {
	if vmid == 0 || r.waitUnlocked(ctx, node, vmid) != nil {
		return false
	}
	vm, err := r.data.client.GetVMConfig(ctx, node, vmid)
	return err == nil && guard.SameName(vm.Name, name)
}

// waitUnlocked polls until no task holds the VM's lock.
func (r *vmResource) waitUnlocked(ctx context.Context, node string, vmid int) error {
	for {
		vm, err := r.data.client.GetVMConfig(ctx, node, vmid)
		if err != nil {
			return err
		}
		if vm.Lock == "" {
			return nil
		}
		tflog.Debug(ctx, "VM is locked, waiting", map[string]any{"vmid": vmid, "lock": vm.Lock})
		if err := r.data.clock.SleepUntil(ctx, r.data.clock.Now().Add(lockPollInterval)); err != nil {
			return fmt.Errorf("VM %d is still locked (%s): %w", vmid, vm.Lock, err)
		}
	}
}
