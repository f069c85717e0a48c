package provider

// This file holds the pending-change rule of proxmoxsafe_vm. On a running
// VM, Proxmox VE applies at once only what it can hotplug; the rest waits
// in the config's pending section until the next stop/start (qemu-server
// src/PVE/API2/Qemu.pm $update_vm_api, src/PVE/QemuServer.pm
// vmconfig_hotplug_pending and vmconfig_apply_pending). The rule: with
// reboot_after_update (default true) the provider restarts the VM once
// after a change that waits, and the plan says so; without it the VM keeps
// running its old values, refresh records those, and the plan keeps
// showing the change until the VM restarts. A plan is never clean while a
// change waits.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

var pathRebootAfterUpdate = path.Root("reboot_after_update")

// privatePendingKey is the private state key where refresh records the
// config keys whose change waits for a restart.
const privatePendingKey = "pending_changes"

func pendingAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"reboot_after_update": schema.BoolAttribute{
			MarkdownDescription: "Proxmox VE applies to a running VM at once only what it can hotplug (by default " +
				"network devices, disks and USB: its `hotplug` option defaults to `network,disk,usb`); other " +
				"changes, such as memory, CPU or the agent, wait until the VM next starts. With `true` (default) " +
				"the provider restarts the VM once after such a change, and `terraform plan` warns that the VM " +
				"will restart. With `false` the VM is not restarted: state keeps the values the VM runs, so the " +
				"plan shows the change until the VM is restarted.",
			Optional: true,
			Computed: true,
			Default:  booldefault.StaticBool(true),
		},
	}
}

// applyOutcome is what an apply did beyond the configuration, for the
// steps after it; it is not stored.
type applyOutcome struct {
	// pending lists the keys still waiting for a restart after the apply.
	pending []string
	// restarted: the apply restarted the VM for its pending changes, a
	// start after which wait_for_ip waits as after any other.
	restarted bool
}

// restartedVM reports whether the apply restarted the VM; nil: it did not.
func (o *applyOutcome) restartedVM() bool { return o != nil && o.restarted }

// privateData is the private state of a request or response.
type privateData interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

func readPendingPrivate(ctx context.Context, p privateData, diags *diag.Diagnostics) []string {
	if p == nil {
		return nil
	}
	b, d := p.GetKey(ctx, privatePendingKey)
	diags.Append(d...)
	var keys []string
	if len(b) > 0 && json.Unmarshal(b, &keys) != nil {
		return nil
	}
	return keys
}

func writePendingPrivate(ctx context.Context, p privateData, keys []string, diags *diag.Diagnostics) {
	if p == nil {
		return
	}
	var b []byte
	if len(keys) > 0 {
		b, _ = json.Marshal(keys) //nolint:errchkjson // a []string always marshals
	}
	diags.Append(p.SetKey(ctx, privatePendingKey, b)...)
}

// applyPending runs after a change to a running VM the plan keeps running:
// it reads which keys wait (one request) and, with reboot_after_update,
// restarts the VM once so that it runs what the plan says. A VM the plan
// stops applies its pending changes as it stops.
func (r *vmResource) applyPending(ctx context.Context, plan *vmResourceModel, vm *pve.VM, diags *diag.Diagnostics) bool {
	pending, err := r.data.client.PendingKeys(ctx, vm.Node, vm.VMID)
	if err != nil {
		addAPIError(diags, fmt.Sprintf("read the pending changes of VM %d (%q)", vm.VMID, vm.Name), err)
		return false
	}
	if plan.Applied == nil {
		plan.Applied = &applyOutcome{}
	}
	plan.Applied.pending = pending
	if len(pending) == 0 {
		return true
	}
	if !plan.RebootAfterUpdate.IsNull() && !plan.RebootAfterUpdate.ValueBool() {
		tflog.Info(ctx, "changes wait for the next start of the VM (reboot_after_update = false)",
			map[string]any{"vmid": vm.VMID, "pending": pending})
		return true
	}
	tflog.Info(ctx, "restarting the VM to apply pending changes", map[string]any{"vmid": vm.VMID, "pending": pending})
	if err := r.data.client.RebootVM(ctx, vm.Node, vm.VMID); err != nil {
		addAPIError(diags, fmt.Sprintf("restart VM %d (%q) on node %s to apply its pending changes (%s)",
			vm.VMID, vm.Name, vm.Node, strings.Join(pending, ", ")), err)
		return false
	}
	plan.Applied.pending = nil
	plan.Applied.restarted = true
	return true
}

// planPending warns at plan time that a running VM will restart, or that
// its changes will wait, and makes sure a plan is never clean while a
// change waits: refresh recorded the waiting keys in private state; a
// change the configuration makes is checked against the VM's hotplug
// settings (one config read, only when the plan changes something).
func (r *vmResource) planPending(ctx context.Context, private privateData, state, plan *vmResourceModel, changed bool, diags *diag.Diagnostics) {
	if state == nil || state.Status.ValueString() != "running" || plan.Started.IsUnknown() || !plan.Started.ValueBool() {
		return
	}
	waiting := readPendingPrivate(ctx, private, diags)
	keys := slices.Clone(waiting)
	if changed {
		vm, err := r.data.client.GetVMConfig(ctx, state.Node.ValueString(), state.vmid())
		if err != nil {
			addAPIError(diags, "read "+state.describe()+" to plan its change", err)
			return
		}
		change := diffConfig(ctx, plan, vm, diags)
		keys = append(keys, change.config.WaitsForRestart(vm.Raw)...)
		keys = append(keys, planCloudInitMove(change, plan, state, diags)...)
		slices.Sort(keys)
		keys = slices.Compact(keys)
	}
	if len(waiting) > 0 {
		// An update, even when the configuration equals what runs (a change
		// reverted while it waited): apply sends the configuration again,
		// which drops or restarts what waits.
		plan.Status = types.StringUnknown()
		plan.IPv4Addresses = types.ListUnknown(types.StringType)
		plan.IPv6Addresses = types.ListUnknown(types.StringType)
		plan.NetworkInterfaces = types.ListUnknown(types.ObjectType{AttrTypes: guestInterfaceAttrTypes})
	}
	if len(keys) == 0 {
		return
	}
	what := fmt.Sprintf("VM %d (%q) on node %s", state.vmid(), state.Name.ValueString(), state.Node.ValueString())
	if plan.RebootAfterUpdate.IsNull() || plan.RebootAfterUpdate.IsUnknown() || plan.RebootAfterUpdate.ValueBool() {
		diags.AddAttributeWarning(pathRebootAfterUpdate, "The VM will restart",
			fmt.Sprintf("Apply restarts %s once: Proxmox VE cannot change %s of a running VM, so the change waits "+
				"for the next start (reboot_after_update = true). Set reboot_after_update = false to leave the "+
				"VM running; the change then waits until you restart it.", what, strings.Join(keys, ", ")))
		return
	}
	diags.AddAttributeWarning(pathRebootAfterUpdate, "Changes wait for a restart of the VM",
		fmt.Sprintf("Proxmox VE cannot change %s of running %s: the change waits until the VM next starts, and "+
			"reboot_after_update = false keeps the provider from restarting it. Until then every plan shows the "+
			"change. Restart the VM (shut it down and start it), or set reboot_after_update = true.",
			strings.Join(keys, ", "), what))
}
