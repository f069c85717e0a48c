package provider

// This file holds what an apply does with the VMs that interrupted applies
// of this provider left behind (see vm_create_marker.go and
// vm_created_marker.go): it takes back the one that carries the name, and
// removes those that lost their name to an older VM.

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// takesBack reports whether a decision to adopt takes back a VM of an
// interrupted apply of this provider, whatever on_existing says.
func takesBack(reason guard.Reason) bool {
	return reason == guard.ReasonUnfinished || reason == guard.ReasonUnconfirmed
}

// whyTakenBack says why a VM (its Creation) is ours and in no state.
func whyTakenBack(vm guard.VM) string {
	if vm.Creation == guard.Unconfirmed {
		return fmt.Sprintf("%s was created by an apply of this provider in this working directory and workspace. "+
			"That apply's terraform process has ended, and no refresh has seen the VM in a Terraform state since "+
			"(its \"created\" marker is still set): the apply was interrupted after Proxmox VE finished the VM but "+
			"before Terraform saved it, or the state lost it before any plan or refresh ran. It is in no "+
			"Terraform state.", vmLine(vm))
	}
	return fmt.Sprintf("%s was created by an apply of this provider that was interrupted before it finished "+
		"(its create marker is still set and its creator is gone), so it is in no Terraform state.", vmLine(vm))
}

// addTakeBackWarning names the VM an interrupted apply created, which this
// apply takes into state instead of creating another.
func addTakeBackWarning(diags *diag.Diagnostics, vm guard.VM) {
	diags.AddAttributeWarning(pathName, "Taking back a VM an interrupted apply created",
		whyTakenBack(vm)+" This apply takes it into state and finishes its configuration instead of creating another.")
}

// removeUnfinished deletes VMs that interrupted applies of this provider
// created and that lost their name to an older VM: they are in no state and
// nobody else's. It reports whether all went.
func (r *vmResource) removeUnfinished(ctx context.Context, vms []guard.VM, diags *diag.Diagnostics) bool {
	for _, vm := range vms {
		leftovers, err := r.data.client.DestroyVM(ctx, vm.Node, vm.VMID)
		if err != nil && !errors.Is(err, pve.ErrNotFound) {
			addAPIError(diags, fmt.Sprintf("remove VM %d (%q), left unfinished by an interrupted apply", vm.VMID, vm.Name), err)
			return false
		}
		addLeftoverVolumesWarning(diags, vm, leftovers)
		diags.AddAttributeWarning(pathName, "Removed a VM an interrupted apply left behind",
			fmt.Sprintf("%s was created by an apply of this provider that was interrupted, and had lost its name "+
				"to an older VM before it finished. It was in no Terraform state and has been destroyed.", vmLine(vm)))
		r.data.inventory.invalidate()
	}
	return true
}
