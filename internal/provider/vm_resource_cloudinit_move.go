package provider

// This file moves the cloud-init drive (cloud_init.drive: another
// interface or storage). The drive holds no data: Proxmox VE generates it
// from the config at every start and on PUT .../cloudinit, and frees its
// volume when the drive is removed (qemu-server src/PVE/QemuServer.pm
// vmconfig_register_unused_drive: a drive_is_cloudinit volume is
// vdisk_free'd, not kept as unusedN). The move is two config updates: the
// old drive goes first, because create_disks refuses a second cloud-init
// drive while one is in the config or its pending section
// (src/PVE/API2/Qemu.pm create_disks: "<ds> - cloud-init drive is already
// attached at '<key>'"), and in a single update the delete is only marked
// pending when the new drive is created ($update_vm_api handles @delete by
// add_to_pending_delete before it creates the new disks). On a running VM
// the delete of an ide or sata drive waits for the next start
// (vmconfig_hotplug_pending cannot unplug them), so the provider stops the
// VM for the move and starts it again: one restart, which the plan warns
// about, and which reboot_after_update = false forbids.

import (
	"fmt"

	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// rebootAllowed reports whether the plan lets the provider restart the VM.
func rebootAllowed(plan *vmResourceModel) bool {
	return plan.RebootAfterUpdate.IsNull() || plan.RebootAfterUpdate.IsUnknown() || plan.RebootAfterUpdate.ValueBool()
}

// planCloudInitMove is the cloud-init drive move's part of the plan of a
// running VM: the keys the restart is for, or an error when
// reboot_after_update = false forbids the restart.
func planCloudInitMove(change vmChange, plan, state *vmResourceModel, diags *diag.Diagnostics) []string {
	from := change.cloudInitMovedFrom
	if from == nil {
		return nil
	}
	if !rebootAllowed(plan) {
		diags.AddAttributeError(pathCloudInit.AtName("drive"), "Moving the cloud-init drive needs a restart",
			fmt.Sprintf("Moving the cloud-init drive of running %s from %s needs the VM stopped: Proxmox VE allows one "+
				"cloud-init drive at a time and removes %s from a running VM only at its next start. "+
				"reboot_after_update = false keeps the provider from restarting it. Set reboot_after_update = true, "+
				"or stop the VM first (started = false), or keep the drive where it is.",
				state.describe(), from.Interface, from.Interface))
		return nil
	}
	return []string{from.Interface}
}

// removeMovedCloudInitDrive sends the first update of a move: it removes
// the old drive, stopping a running VM first (applyPower starts it again),
// and reads the new digest for the update that adds the new drive.
func (r *vmResource) removeMovedCloudInitDrive(ctx context.Context, plan *vmResourceModel, vm *pve.VM, from pve.CloudInitDrive, diags *diag.Diagnostics) bool {
	client := r.data.client
	what := fmt.Sprintf("VM %d (%q) on node %s", vm.VMID, vm.Name, vm.Node)
	if vm.Status == "running" {
		if !rebootAllowed(plan) {
			diags.AddAttributeError(pathCloudInit.AtName("drive"), "Moving the cloud-init drive needs a restart",
				fmt.Sprintf("%s runs, and reboot_after_update = false keeps the provider from stopping it to move its "+
					"cloud-init drive from %s. Set reboot_after_update = true, or stop the VM first (started = false).", what, from.Interface))
			return false
		}
		if err := client.ShutdownVM(ctx, vm.Node, vm.VMID, shutdownTimeout); err != nil {
			addAPIError(diags, fmt.Sprintf("shut down %s to move its cloud-init drive", what), err)
			return false
		}
		vm.Status = "stopped"
	}
	remove := pve.ConfigChange{CloudInit: &pve.CloudInitChange{RemoveDrive: from.Interface}}
	if err := client.ApplyConfigChange(ctx, vm.Node, vm.VMID, remove, vm.Digest); err != nil {
		addAPIError(diags, fmt.Sprintf("remove the cloud-init drive %s of %s to move it", from.Interface, what), err)
		return false
	}
	fresh, err := client.GetVMConfig(ctx, vm.Node, vm.VMID)
	if err != nil {
		addAPIError(diags, fmt.Sprintf("read %s after removing its cloud-init drive %s", what, from.Interface), err)
		return false
	}
	vm.Digest = fresh.Digest
	return true
}
