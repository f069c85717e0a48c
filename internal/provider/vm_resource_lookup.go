package provider

// This file holds the lookups of proxmoxsafe_vm: the VM behind a state,
// import IDs, clone sources and the guard decision for a name.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// locate finds the VM of a state: where state says it is (two requests),
// else by VMID anywhere in the cluster, and checks it is still the same VM.
// A non-empty reason means the VM is gone and why.
func (r *vmResource) locate(ctx context.Context, state *vmResourceModel, diags *diag.Diagnostics) (*pve.VM, string) {
	vmid := state.vmid()
	vm, err := r.data.client.GetVM(ctx, state.Node.ValueString(), vmid)
	if errors.Is(err, pve.ErrNotFound) {
		vm, err = r.findMoved(ctx, vmid)
	}
	if errors.Is(err, pve.ErrNotFound) {
		return nil, fmt.Sprintf("VM %d (%q) was deleted outside Terraform; it is removed from state.",
			vmid, state.Name.ValueString())
	}
	if err != nil {
		addAPIError(diags, fmt.Sprintf("read VM %d (%q)", vmid, state.Name.ValueString()), err)
		return nil, ""
	}
	if reason := identityMismatch(state, vm); reason != "" {
		return nil, fmt.Sprintf("VMID %d now belongs to a different VM (%s): %s. The VM this resource managed is "+
			"gone; it is removed from state, and VM %d is left alone.", vmid, vmLineOf(vm), reason, vmid)
	}
	return vm, ""
}

// findMoved looks a VMID up cluster-wide, for a VM migrated outside Terraform.
func (r *vmResource) findMoved(ctx context.Context, vmid int) (*pve.VM, error) {
	view, err := r.data.inventory.recent(ctx)
	if err != nil {
		return nil, err
	}
	entry, ok := view.find(vmid)
	if !ok {
		// Never conclude "gone" from a view another resource read earlier.
		if view, err = r.data.inventory.fresh(ctx); err != nil {
			return nil, err
		}
		if entry, ok = view.find(vmid); !ok {
			return nil, pve.ErrNotFound
		}
	}
	if entry.Type != "" && entry.Type != "qemu" {
		return nil, pve.ErrNotFound
	}
	tflog.Info(ctx, "VM found on another node", map[string]any{"vmid": vmid, "node": entry.Node})
	return r.data.client.GetVM(ctx, entry.Node, vmid)
}

// identityMismatch tells why vm is not the VM recorded in state, if it is not.
func identityMismatch(state *vmResourceModel, vm *pve.VM) string {
	if uuid := state.UUID.ValueString(); uuid != "" && vm.UUID != "" && !strings.EqualFold(uuid, vm.UUID) {
		return fmt.Sprintf("its SMBIOS UUID is %s, not %s", vm.UUID, uuid)
	}
	if created := parseCreatedAt(state.CreatedAt); created > 0 && vm.CreatedAt > 0 && created != vm.CreatedAt {
		return fmt.Sprintf("it was created %s, not %s", formatCreatedAt(vm.CreatedAt), formatCreatedAt(created))
	}
	return ""
}

func vmLineOf(vm *pve.VM) string {
	return vmLine(guard.VM{VMID: vm.VMID, Node: vm.Node, Name: vm.Name, Status: vm.Status, Template: vm.Template, CreatedAt: vm.CreatedAt})
}

// resolveImportID accepts a VM name, a VMID or node/VMID.
func (r *vmResource) resolveImportID(ctx context.Context, id string, diags *diag.Diagnostics) (*pve.VM, string) {
	client := r.data.client
	if m := nodeVMIDRegexp.FindStringSubmatch(id); m != nil {
		vmid, _ := strconv.Atoi(m[2])
		vm, err := client.GetVM(ctx, m[1], vmid)
		if errors.Is(err, pve.ErrNotFound) {
			return nil, fmt.Sprintf("There is no VM %d on node %s.", vmid, m[1])
		}
		if err != nil {
			addAPIError(diags, "read VM "+id, err)
		}
		return vm, ""
	}
	view, err := r.data.inventory.fresh(ctx)
	if err != nil {
		addAPIError(diags, "read the cluster inventory", err)
		return nil, ""
	}
	if vmid, err := strconv.Atoi(id); err == nil {
		entry, ok := view.find(vmid)
		if !ok || (entry.Type != "" && entry.Type != "qemu") {
			return nil, fmt.Sprintf("There is no VM with VMID %d in the cluster.", vmid)
		}
		vm, err := client.GetVM(ctx, entry.Node, vmid)
		if err != nil {
			addAPIError(diags, "read VM "+id, err)
		}
		return vm, ""
	}
	inv, err := r.data.withCreationTimes(ctx, view, id, nil)
	if err != nil {
		addAPIError(diags, "read the VMs named "+strconv.Quote(id), err)
		return nil, ""
	}
	matches := guard.Matches(inv, id)
	switch len(matches) {
	case 0:
		if len(view.unresolved) > 0 {
			return nil, fmt.Sprintf("No VM named %q was found, but the names of VMIDs %s could not be read. Retry "+
				"when every node is online, or import by node/VMID.", id, joinInts(view.unresolved))
		}
		return nil, fmt.Sprintf("No VM named %q exists in the cluster. Import IDs are a VM name, a VMID or node/VMID.", id)
	case 1:
		vm, err := client.GetVM(ctx, matches[0].Node, matches[0].VMID)
		if err != nil {
			addAPIError(diags, "read VM "+id, err)
		}
		return vm, ""
	}
	ids := make([]string, 0, len(matches))
	for _, m := range matches {
		ids = append(ids, fmt.Sprintf("%s/%d", m.Node, m.VMID))
	}
	return nil, fmt.Sprintf("The name %q is ambiguous: %d VMs carry it:\n%s\n\nImport one of them by node/VMID "+
		"instead: %s.\n\n%s", id, len(matches), vmList(matches), strings.Join(ids, ", "), duplicatesHint)
}

// resolveCloneSource finds the one VM a clone source names, by VMID or name.
func resolveCloneSource(view *clusterView, source string) (*guard.VM, string) {
	inv := view.guardInventory(nil)
	if vmid, err := strconv.Atoi(source); err == nil {
		for _, vm := range inv.VMs {
			if vm.VMID == vmid {
				return &vm, ""
			}
		}
		return nil, fmt.Sprintf("There is no VM or template with VMID %d to clone.", vmid)
	}
	matches := guard.Matches(inv, source)
	switch len(matches) {
	case 0:
		return nil, fmt.Sprintf("There is no VM or template named %q to clone.", source)
	case 1:
		return &matches[0], ""
	}
	return nil, fmt.Sprintf("The clone source %q is ambiguous; %d VMs carry that name:\n%s\n\nSet clone.source to "+
		"the VMID of the one to clone.", source, len(matches), vmList(matches))
}
