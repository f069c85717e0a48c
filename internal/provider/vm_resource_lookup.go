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

// vmGoneError: the VM of a state no longer exists, and why.
type vmGoneError struct{ detail string }

func (e *vmGoneError) Error() string { return e.detail }

// locate finds the VM of a state: where state says it is (two requests),
// else by VMID anywhere in the cluster, and checks it is still the same VM.
// A VM that is gone is a *vmGoneError; any other error is a failed read.
func (r *vmResource) locate(ctx context.Context, state *vmResourceModel) (*pve.VM, error) {
	return r.locateWith(ctx, state, r.data.client.GetVM)
}

// locateConfig is locate without the status read (one request instead of
// two); the VM's Status is empty.
func (r *vmResource) locateConfig(ctx context.Context, state *vmResourceModel) (*pve.VM, error) {
	return r.locateWith(ctx, state, r.data.client.GetVMConfig)
}

func (r *vmResource) locateWith(ctx context.Context, state *vmResourceModel, read func(context.Context, string, int) (*pve.VM, error)) (*pve.VM, error) {
	vmid := state.vmid()
	vm, err := read(ctx, state.Node.ValueString(), vmid)
	if errors.Is(err, pve.ErrNotFound) {
		vm, err = r.findMoved(ctx, vmid)
	}
	if errors.Is(err, pve.ErrNotFound) {
		return nil, &vmGoneError{fmt.Sprintf("VM %d (%q) was deleted outside Terraform; it is removed from state.",
			vmid, state.Name.ValueString())}
	}
	if err != nil {
		return nil, err
	}
	if reason := identityMismatch(state, vm); reason != "" {
		return nil, &vmGoneError{fmt.Sprintf("VMID %d now belongs to a different VM (%s): %s. The VM this resource managed is "+
			"gone; it is removed from state, and VM %d is left alone.", vmid, vmLineOf(vm), reason, vmid)}
	}
	return vm, nil
}

// locateOrReport is locate for CRUD: a failed read is reported in diags,
// a VM that is gone is returned for the caller to react.
func (r *vmResource) locateOrReport(ctx context.Context, state *vmResourceModel, diags *diag.Diagnostics) (*pve.VM, *vmGoneError) {
	vm, err := r.locate(ctx, state)
	return reportLocated(state, diags, vm, err)
}

// locateConfigOrReport is locateOrReport without the status read.
func (r *vmResource) locateConfigOrReport(ctx context.Context, state *vmResourceModel, diags *diag.Diagnostics) (*pve.VM, *vmGoneError) {
	vm, err := r.locateConfig(ctx, state)
	return reportLocated(state, diags, vm, err)
}

func reportLocated(state *vmResourceModel, diags *diag.Diagnostics, vm *pve.VM, err error) (*pve.VM, *vmGoneError) {
	var gone *vmGoneError
	if errors.As(err, &gone) {
		return nil, gone
	}
	if err != nil {
		addAPIError(diags, "read "+state.describe(), err)
	}
	return vm, nil
}

// findMoved looks a VMID up cluster-wide, for a VM migrated outside
// Terraform. A VMID that is gone or now a container is pve.ErrNotFound.
func (r *vmResource) findMoved(ctx context.Context, vmid int) (*pve.VM, error) {
	vm, _, err := r.data.findVM(ctx, vmRef{vmid: vmid}, lookupOptions{templates: true})
	if err == nil {
		tflog.Info(ctx, "VM found on another node", map[string]any{"vmid": vmid, "node": vm.Node})
	}
	return vm, err
}

// identityMismatch tells why vm is not the VM recorded in state, if it is not.
// It fails closed: a VM that lacks the identity state recorded (no smbios1
// uuid, no meta ctime) cannot be proven to be ours, so it is not. PVE writes
// both with every VM it creates (qemu-server PVE/API2/Qemu.pm create_vm:
// smbios1 uuid and meta ctime are added when absent), so our VM has them.
func identityMismatch(state *vmResourceModel, vm *pve.VM) string {
	if uuid := state.UUID.ValueString(); uuid != "" {
		switch {
		case vm.UUID == "":
			return fmt.Sprintf("it has no SMBIOS UUID, while the VM this resource created has %s", uuid)
		case !pve.SameUUID(uuid, vm.UUID):
			return fmt.Sprintf("its SMBIOS UUID is %s, not %s", vm.UUID, uuid)
		}
	}
	if created := parseCreatedAt(state.CreatedAt); created > 0 {
		switch {
		case vm.CreatedAt == 0:
			return fmt.Sprintf("it has no creation time, while the VM this resource created was created %s", formatCreatedAt(created))
		case created != vm.CreatedAt:
			return fmt.Sprintf("it was created %s, not %s", formatCreatedAt(vm.CreatedAt), formatCreatedAt(created))
		}
	}
	return ""
}

func vmLineOf(vm *pve.VM) string {
	return vmLine(guard.VM{VMID: vm.VMID, Node: vm.Node, Name: vm.Name, Status: vm.Status, Template: vm.Template, CreatedAt: vm.CreatedAt})
}

// resolveImportID finds the VM an import ID names: a VM name, a VMID or
// node/VMID. Its errors are those of findVM.
func (r *vmResource) resolveImportID(ctx context.Context, id string) (*pve.VM, error) {
	m := nodeVMIDRegexp.FindStringSubmatch(id)
	if m == nil {
		if allDigits(id) {
			if _, err := parseImportVMID(id); err != nil {
				return nil, err
			}
		}
		vm, _, err := r.data.findVM(ctx, parseVMRef(id), lookupOptions{fresh: true})
		return vm, err
	}
	vmid, err := parseImportVMID(m[2])
	if err != nil {
		return nil, err
	}
	vm, err := r.data.client.GetVM(ctx, m[1], vmid)
	switch {
	case errors.Is(err, pve.ErrNotFound):
		// VMs and containers share VMIDs: say so if it is a container's.
		var notQEMU *notQEMUError
		if _, _, ferr := r.data.findVM(ctx, vmRef{vmid: vmid}, lookupOptions{fresh: true}); errors.As(ferr, &notQEMU) {
			return nil, notQEMU
		}
		return nil, &vmNotFoundError{ref: vmRef{vmid: vmid}, node: m[1]}
	case err != nil:
		return nil, err
	case vm.Template:
		return nil, &templateError{vm: vm}
	}
	return vm, nil
}

// addImportError explains why an import ID names no VM that can be imported.
func addImportError(diags *diag.Diagnostics, id string, err error) {
	var (
		notFound  *vmNotFoundError
		notQEMU   *notQEMUError
		ambiguous *vmAmbiguousError
		template  *templateError
		badID     *importIDError
	)
	problem := ""
	switch {
	case errors.As(err, &badID):
		problem = badID.Error()
	case errors.As(err, &notQEMU):
		problem = notQEMU.Error() + ". proxmoxsafe_vm manages QEMU VMs only; VMs and containers share VMIDs, so check the VMID."
	case errors.As(err, &template):
		diags.AddError("Cannot import a template",
			fmt.Sprintf("%s is a template. proxmoxsafe_vm manages VMs; use the template as clone.source instead.", vmLineOf(template.vm)))
		return
	case errors.As(err, &notFound) && notFound.node != "":
		problem = fmt.Sprintf("There is no VM %d on node %s.", notFound.ref.vmid, notFound.node)
	case errors.As(err, &notFound) && notFound.ref.vmid != 0:
		problem = fmt.Sprintf("There is no VM with VMID %s in the cluster.", id)
	case errors.As(err, &notFound) && len(notFound.unchecked) > 0:
		problem = fmt.Sprintf("No VM named %q was found, but the names of VMIDs %s could not be read. Retry "+
			"when every node is online, or import by node/VMID.", id, joinInts(notFound.unchecked))
	case errors.As(err, &notFound):
		problem = fmt.Sprintf("No VM named %q exists in the cluster. Import IDs are a VM name, a VMID or node/VMID.", id)
	case errors.As(err, &ambiguous):
		ids := make([]string, 0, len(ambiguous.matches))
		for _, m := range ambiguous.matches {
			ids = append(ids, fmt.Sprintf("%s/%d", m.Node, m.VMID))
		}
		problem = fmt.Sprintf("The name %q is ambiguous: %d VMs carry it:\n%s\n\nImport one of them by node/VMID "+
			"instead: %s.\n\n%s", id, len(ambiguous.matches), vmList(ambiguous.matches), strings.Join(ids, ", "), duplicatesHint)
	default:
		addAPIError(diags, "read VM "+id, err)
		return
	}
	diags.AddError("Cannot import VM "+strconv.Quote(id), problem)
}

// PVE's VMID range (pve-common PVE/JSONSchema.pm, standard option
// "pve-vmid": 100 to 999999999; pve_verify_vmid refuses leading zeros).
const minVMID, maxVMID = 100, 999_999_999

// importIDError: an import ID that cannot name a VM.
type importIDError struct{ id string }

func (e *importIDError) Error() string {
	return fmt.Sprintf("%q is not a VMID: Proxmox VE VMIDs are whole numbers from %d to %d, without leading zeros. "+
		"Import IDs are a VM name, a VMID or node/VMID.", e.id, minVMID, maxVMID)
}

// parseImportVMID reads the VMID of an import ID, refusing what PVE would
// refuse instead of clamping or wrapping it.
func parseImportVMID(s string) (int, error) {
	vmid, err := strconv.Atoi(s)
	if err != nil || vmid < minVMID || vmid > maxVMID || (len(s) > 1 && s[0] == '0') {
		return 0, &importIDError{id: s}
	}
	return vmid, nil
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// addCloneSourceError explains why a clone source names no VM or template
// (an error of clusterView.findOne).
func addCloneSourceError(diags *diag.Diagnostics, source string, err error) {
	var (
		notFound  *vmNotFoundError
		ambiguous *vmAmbiguousError
		// sourceAmbiguous: several, and not exactly one on the target node.
		sourceAmbiguous *cloneSourceAmbiguousError
	)
	var problem string
	switch {
	case errors.As(err, &sourceAmbiguous):
		problem = sourceAmbiguous.explain(source)
	case errors.As(err, &ambiguous):
		problem = fmt.Sprintf("The clone source %q is ambiguous; %d VMs carry that name:\n%s\n\nSet clone.source to "+
			"the VMID of the one to clone.", source, len(ambiguous.matches), vmList(ambiguous.matches))
	case errors.As(err, &notFound) && notFound.ref.vmid == 0:
		problem = fmt.Sprintf("There is no VM or template named %q to clone.", source)
	default: // no such VMID, or a container's
		problem = fmt.Sprintf("There is no VM or template with VMID %s to clone.", source)
	}
	diags.AddAttributeError(pathClone.AtName("source"), "Invalid clone source", problem)
}
