package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// verifyUnique waits until every VM created in the same second as ours is
// visible, then returns the VM that owns the name: the earliest created,
// then the lowest VMID. Every racer computes the same winner.
func (r *vmResource) verifyUnique(ctx context.Context, ours *pve.VM, task *pve.StartedTask, sent *createUnderWay) (guard.VM, error) {
	// Any read that started once the creation second had passed will do,
	// also one another resource started: the parallel creates of one apply
	// share their checks, and the first read waits for the rest of the
	// wave (inventory_waves.go).
	notBefore, err := r.waitPastCreationSecond(ctx, ours.CreatedAt, task)
	if err != nil {
		return guard.VM{}, err
	}
	// PVE publishes a new VM's name only when its create task ends; a VM
	// still being created could turn out to carry our name, so wait for it.
	var view *clusterView
	for {
		view, err = r.data.inventory.join(ctx, notBefore, sent)
		if err != nil {
			return guard.VM{}, err
		}
		sent = nil
		pending := view.pendingCreations(ours.VMID)
		if len(pending) == 0 {
			break
		}
		tflog.Debug(ctx, "waiting for VMs still being created", map[string]any{"vmids": pending})
		if err := r.data.clock.SleepUntil(ctx, r.data.clock.Now().Add(lockPollInterval)); err != nil {
			return guard.VM{}, fmt.Errorf("VMs %s are still being created: %w", joinInts(pending), err)
		}
		notBefore = time.Now()
	}
	inv, err := r.data.withCreationTimes(ctx, view, ours.Name, map[int]int64{ours.VMID: ours.CreatedAt})
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

// creationSkew is the clock difference between cluster nodes the uniqueness
// check allows for: a racer on another node stamps its ctime by its own
// clock.
const creationSkew = time.Second

// waitPastCreationSecond returns once the second of ctime has ended, plus
// creationSkew, by the clock of the node that created our VM, and when that
// was by our clock (at the latest): every VM with the same or an earlier
// ctime exists by then, so a cluster read started since lists it. The node's clock is read from the create task: its
// start time (from the UPID) plus the time that passed here since PVE
// answered. qemu-server stamps ctime as the create worker starts (PVE/
// API2/Qemu.pm create_vm, $createfn: new_meta_info_string), so a create
// task that took longer than that second and the skew costs no wait at all.
// Without a task (its answer was lost) our own clock stands in, and the
// skew also absorbs its offset from the cluster's.
func (r *vmResource) waitPastCreationSecond(ctx context.Context, ctime int64, task *pve.StartedTask) (time.Time, error) {
	clk := r.data.clock
	now := clk.Now()
	if ctime <= 0 {
		return time.Now(), nil
	}
	target := time.Unix(ctime+1, 0).Add(creationSkew)
	if clusterNow, ok := task.ClusterNow(); ok {
		// clusterNow is a lower bound, so this is the latest local time at
		// which the node's clock can have reached target.
		target = now.Add(target.Sub(clusterNow))
	}
	if err := clk.SleepUntil(ctx, target); err != nil {
		return time.Time{}, err
	}
	// A read that started at target or later lists every VM of that
	// second; never ask for one from the future (a test's clock).
	return minTime(target, time.Now()), nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// yieldToWinner removes the VM we just created because a concurrent apply
// created the name first, then adopts or fails.
func (r *vmResource) yieldToWinner(ctx context.Context, plan *vmResourceModel, ours *pve.VM, winner guard.VM, state *tfsdk.State, diags *diag.Diagnostics) {
	tflog.Warn(ctx, "a concurrent apply created the same VM name first; removing ours", map[string]any{
		"ours": ours.VMID, "winner": winner.VMID,
	})
	leftovers, err := r.data.client.DestroyVM(ctx, ours.Node, ours.VMID)
	if err != nil {
		addAPIError(diags, fmt.Sprintf("remove VM %d, which lost the name %q to VM %d; it stays in state as tainted",
			ours.VMID, ours.Name, winner.VMID), err)
		return
	}
	addLeftoverVolumesWarning(diags, guard.VM{VMID: ours.VMID, Node: ours.Node, Name: ours.Name}, leftovers)
	r.data.inventory.names.forget(ours.VMID)
	r.data.inventory.invalidate()
	state.RemoveResource(ctx)
	if winner.Creation == guard.Unfinished || winner.Creation == guard.Unconfirmed {
		addTakeBackWarning(diags, winner)
		r.adopt(ctx, plan, &winner, state, diags)
		return
	}
	if guard.Policy(plan.OnExisting.ValueString()) == guard.PolicyAdopt {
		if winner.Creation == guard.Creating {
			// Adopt what the winner's apply made, not a half-made VM.
			if vm, err := r.waitOthersCreate(ctx, winner.Node, winner.VMID); err != nil || vm == nil {
				diags.AddAttributeError(pathName, "The VM a concurrent apply created is not finished",
					fmt.Sprintf("Another apply created %s first; this apply removed its own VM %d and waited for the "+
						"winner to finish, but %s. Run terraform apply again.", vmLine(winner), ours.VMID,
						settleProblem(err)))
				return
			}
		}
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
