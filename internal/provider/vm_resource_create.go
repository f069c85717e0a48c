package provider

// This file holds the create workflow of proxmoxsafe_vm: guard, allocate a
// VMID, create or clone, verify that no concurrent apply won the name, and
// keep a VM that exists despite an error in state.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
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
	withPassword(ctx, req.Config, nil, &plan, &resp.Diagnostics)
	plan.cloneFromConfig(ctx, req.Config, &resp.Diagnostics)
	timeout, d := plan.Timeouts.Create(ctx, defaultCreateTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	name := plan.Name.ValueString()
	policy := guard.Policy(plan.OnExisting.ValueString())
	view, err := r.data.inventory.forNameCheck(ctx, createCheckMaxAge)
	if err != nil {
		addAPIError(&resp.Diagnostics, "read the cluster inventory before creating "+strconv.Quote(name), err)
		return
	}
	// No VM is ignored here: whatever plan time assumed, a VM with the name
	// that still exists at apply time blocks the create.
	decision := r.data.decide(ctx, view, name, policy, nil, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if decision.Action != guard.ActionRefuse && !r.removeUnfinished(ctx, decision.Remove, &resp.Diagnostics) {
		return
	}
	switch decision.Action {
	case guard.ActionRefuse:
		addGuardRefusal(&resp.Diagnostics, name, decision)
	case guard.ActionAdopt:
		if takesBack(decision.Reason) {
			addTakeBackWarning(&resp.Diagnostics, *decision.Target)
		}
		r.adopt(ctx, &plan, decision.Target, &resp.State, &resp.Diagnostics)
	case guard.ActionCreate:
		r.create(ctx, &plan, view, &resp.State, &resp.Diagnostics)
		recordCreateTaskLength(ctx, r.data.client, plan.Node.ValueString(), resp.Private, &resp.Diagnostics)
	case guard.ActionWait:
		// decide waits until the race settles and never returns this; a
		// decision nobody can act on refuses rather than creates.
		addGuardRefusal(&resp.Diagnostics, name, decision)
	}
	recordStartupConfigured(ctx, req.Config, resp.Private, &resp.Diagnostics)
	setVMIdentity(ctx, resp.State, resp.Identity, &resp.Diagnostics)
}

// create makes a new VM, records it in state the moment it exists, and then
// makes sure no concurrent apply won the name.
func (r *vmResource) create(ctx context.Context, plan *vmResourceModel, view *clusterView, state *tfsdk.State, diags *diag.Diagnostics) {
	defer func() {
		if diags.HasError() {
			r.markKeptVMCreated(ctx, state)
		}
	}()
	client := r.data.client
	node := plan.Node.ValueString()
	name := plan.Name.ValueString()
	spec := plan.createSpec(ctx, node, 0, diags)
	plan.Pool = types.StringValue(spec.Pool) // PVE adds the new VM to it, or to none
	source := plan.clone(ctx, diags)
	if diags.HasError() {
		return
	}
	// Written with the VM and replaced by the created marker as the last
	// step: a VM that still has it was left by an apply that never finished.
	deadline, _ := ctx.Deadline()
	marker := thisProcess(deadline)
	spec.Tags = append(spec.Tags, marker.Tag())
	var sourceVM guard.VM
	var cloneDescription string
	if source != nil {
		var ok bool
		if sourceVM, cloneDescription, ok = r.cloneSource(ctx, plan, view, source, node, diags); !ok {
			return
		}
	}

	autoID := plan.VMID.IsNull() || plan.VMID.IsUnknown()
	var err error
	var task *pve.StartedTask
	var underWay *createUnderWay // until the uniqueness check joins a read
	defer func() { r.data.inventory.createEnded(underWay) }()
	for attempt := 1; ; attempt++ {
		spec.VMID, err = r.allocateVMID(ctx, plan, autoID)
		if err != nil {
			addAPIError(diags, "allocate a VMID for "+strconv.Quote(name), err)
			return
		}
		tflog.Info(ctx, "creating VM", map[string]any{"name": name, "vmid": spec.VMID, "node": node})
		r.data.inventory.names.createRequested(spec.VMID, node, name)
		r.data.inventory.createEnded(underWay)
		underWay = r.data.inventory.createSent()
		if source != nil {
			task, err = client.StartCloneVM(ctx, pve.CloneSpec{
				SourceNode: sourceVM.Node, SourceVMID: sourceVM.VMID, NewID: spec.VMID, TargetNode: node,
				Name: name, Description: describeWithMarker(cloneDescription, marker), Full: source.fullClone(),
				Storage: source.Storage.ValueString(), Pool: spec.Pool,
			})
		} else {
			task, err = client.StartCreateVM(ctx, spec)
		}
		r.data.inventory.names.createAnswered(spec.VMID, err == nil)
		if err == nil {
			err = r.waitCreated(ctx, task, spec.VMID)
		}
		if pve.IsTransientLock(err) {
			// A storage or source lock held past PVE's timeout: the create
			// or clone failed and PVE removed its config; try again.
			tflog.Debug(ctx, "lock timeout, creating again", map[string]any{"vmid": spec.VMID, "attempt": attempt, "error": err.Error()})
			r.data.inventory.names.forget(spec.VMID)
			if serr := sleepUntil(ctx, time.Now().Add(collisionBackoff(attempt))); serr != nil {
				err = fmt.Errorf("%w; gave up retrying the lock after %d attempts: %w", err, attempt, serr)
				break
			}
			continue
		}
		if !errors.Is(err, pve.ErrAlreadyExists) || !autoID {
			break
		}
		// Another process (another terraform run, the web UI) took the VMID
		// between nextid and our create. Keep trying until the create
		// timeout, at random moments so that racers spread out.
		tflog.Debug(ctx, "VMID taken meanwhile, allocating another", map[string]any{"vmid": spec.VMID, "attempt": attempt})
		if serr := sleepUntil(ctx, time.Now().Add(collisionBackoff(attempt))); serr != nil {
			err = fmt.Errorf("%w; gave up finding a free VMID after %d attempts: %w", err, attempt, serr)
			break
		}
	}
	r.data.inventory.created()
	if err != nil && answerLost(ctx, err) && r.createdDespiteLostAnswer(ctx, node, spec.VMID, name) {
		tflog.Warn(ctx, "the answer to the create request was lost, but the VM exists", map[string]any{"vmid": spec.VMID})
		err = nil
	}
	if err != nil {
		// The VM can exist although the call failed: a task that timed out,
		// or an answer lost on the way back. Keep it in state then.
		// A taken VMID belongs to someone else: never take that VM.
		if !errors.Is(err, pve.ErrAlreadyExists) && r.saveIfExists(ctx, plan, node, spec.VMID, state) {
			addAPIError(diags, fmt.Sprintf("finish creating VM %d (%q); it exists and is kept in state as tainted", spec.VMID, name), err)
			return
		}
		// PVE removed the config of a failed create: the VMID is free for
		// anyone, and its name no longer ours to vouch for.
		r.data.inventory.names.forget(spec.VMID)
		if errors.Is(err, pve.ErrAlreadyExists) && !autoID {
			diags.AddAttributeError(pathVMID, "VMID already in use",
				fmt.Sprintf("VMID %d is already used by another VM or container in the cluster: %s\n\nRemove vmid "+
					"to let the provider allocate a free one, or choose another.", spec.VMID, err))
			return
		}
		addAPIError(diags, "create VM "+strconv.Quote(name), err)
		return
	}

	if source != nil {
		// The clone carries the marker in its description (PVE's clone takes
		// no tags); move it to the tags, where racing applies see it.
		if err := r.markCreating(ctx, node, spec.VMID, marker); err != nil {
			addAPIError(diags, fmt.Sprintf("mark VM %d as being created", spec.VMID), err)
			r.saveIfExists(ctx, plan, node, spec.VMID, state)
			return
		}
	}
	// The config only: a new VM is stopped. qemu-server (PVE/API2/Qemu.pm)
	// starts it only when create_vm gets `start`, which we never send, and
	// clone_vm has no such parameter.
	vm, err := client.GetVMConfig(ctx, node, spec.VMID)
	if err != nil {
		addAPIError(diags, fmt.Sprintf("read VM %d after creating it", spec.VMID), err)
		r.saveIfExists(ctx, plan, node, spec.VMID, state)
		return
	}
	vm.Status = "stopped"
	r.saveVM(ctx, plan, vm, state, diags)

	winner, err := r.verifyUnique(ctx, vm, task, underWay)
	if err != nil {
		addAPIError(diags, fmt.Sprintf("verify that VM %d is the only VM named %q", vm.VMID, name), err)
		return
	}
	if winner.VMID != vm.VMID {
		r.yieldToWinner(ctx, plan, vm, winner, state, diags)
		return
	}

	// The state saved above is what PVE said after the create; it is read
	// again only when a step below changes the VM.
	changed := false
	// The config (and its digest) as read after the create, until a step
	// below changes it; a power change leaves the config alone.
	config := vm
	if source != nil || plan.cloudInit(ctx, diags) != nil {
		// A clone starts as a copy of its source; converge it to the plan
		// before it first starts. Cloud-init goes in a config update, not
		// the create: only an update stores cipassword hashed (API2/Qemu.pm
		// $update_vm_api encrypt_pw; create_vm stores it as given).
		if !r.applyChange(ctx, plan, vm, diags) {
			return
		}
		changed, config = true, nil
	}
	if plan.Protection.ValueBool() {
		protect := pve.ConfigChange{Protection: plan.Protection.ValueBoolPointer()}
		if err := client.ApplyConfigChange(ctx, node, vm.VMID, protect, ""); err != nil {
			addAPIError(diags, fmt.Sprintf("protect VM %d", vm.VMID), err)
			return
		}
		changed, config = true, nil
	}
	if plan.Started.ValueBool() != (vm.Status == "running") {
		if !r.applyPower(ctx, plan, vm, diags) {
			return
		}
		changed = true
	}
	if changed {
		r.refreshState(ctx, plan, node, vm.VMID, state, diags)
	}
	r.waitForIPAfterStart(ctx, plan, node, vm.VMID, state, diags)
	// Replacing the creating marker with the created one is the create's
	// last request: until it, a crash leaves a VM the next apply takes back
	// as unfinished; after it, as unconfirmed until a refresh confirms that
	// Terraform saved it. (No marker is ever in state: tags are read
	// through userTags.)
	if err := r.markCreated(ctx, node, vm.VMID, config); err != nil {
		addAPIError(diags, fmt.Sprintf("finish creating VM %d (mark it created)", vm.VMID), err)
	}
}

// cloneSource finds the VM to clone and the description the clone is to
// have: the configured one, or the source's when the configuration leaves
// it out (PVE copies it then; the clone request carries the create marker
// in the description, so it is passed explicitly).
func (r *vmResource) cloneSource(ctx context.Context, plan *vmResourceModel, view *clusterView, source *cloneModel, node string, diags *diag.Diagnostics) (guard.VM, string, bool) {
	sourceVM, err := r.locateCloneSource(ctx, view, source.Source.ValueString(), node)
	if err != nil {
		addCloneSourceError(diags, source.Source.ValueString(), err)
		return guard.VM{}, "", false
	}
	if known(plan.Description) {
		return sourceVM, plan.Description.ValueString(), true
	}
	cfg, err := r.data.client.GetVMConfig(ctx, sourceVM.Node, sourceVM.VMID)
	if err != nil {
		addAPIError(diags, fmt.Sprintf("read the description of the clone source VM %d", sourceVM.VMID), err)
		return guard.VM{}, "", false
	}
	return sourceVM, userDescription(cfg.Description), true
}

// waitCreated waits for a create or clone task PVE accepted. While it runs,
// the name book knows the VM's name, so the cluster reads of this run do not
// look it up (its config has no name until the task ends).
func (r *vmResource) waitCreated(ctx context.Context, task *pve.StartedTask, vmid int) error {
	err := r.data.client.Wait(ctx, task)
	r.data.inventory.names.createEnded(vmid)
	return err
}

// allocateVMID returns the configured VMID or a free one.
func (r *vmResource) allocateVMID(ctx context.Context, plan *vmResourceModel, auto bool) (int, error) {
	if !auto {
		return plan.vmid(), nil
	}
	return r.data.client.AllocateVMID(ctx)
}

// collisionBackoff is a random wait before the next VMID attempt, growing
// from up to 50 ms to up to 2 s.
func collisionBackoff(attempt int) time.Duration {
	limit := min(50*time.Millisecond<<min(attempt, 6), 2*time.Second)
	return time.Duration(rand.Int64N(int64(limit)) + 1)
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

// sleepUntil waits on the real clock, for the waits no test drives.
func sleepUntil(ctx context.Context, t time.Time) error {
	return wallClock{}.SleepUntil(ctx, t)
}

func settleProblem(err error) string {
	if err != nil {
		return err.Error()
	}
	return "it was removed meanwhile"
}
