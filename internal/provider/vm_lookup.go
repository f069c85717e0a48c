package provider

// This file holds the one way to find exactly one VM by name or VMID, used
// by the data source, import, clone sources and refresh of a moved VM.

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// vmRef names a VM by VMID or, when vmid is 0, by name.
type vmRef struct {
	vmid int
	name string
}

// parseVMRef reads a VMID or a name.
func parseVMRef(s string) vmRef {
	if vmid, err := strconv.Atoi(s); err == nil {
		return vmRef{vmid: vmid}
	}
	return vmRef{name: s}
}

func (r vmRef) String() string {
	if r.vmid != 0 {
		return strconv.Itoa(r.vmid)
	}
	return strconv.Quote(r.name)
}

// vmNotFoundError: no VM carries the reference. It matches pve.ErrNotFound.
type vmNotFoundError struct {
	ref vmRef
	// unchecked are VMIDs whose names could not be read (node offline):
	// any of them may be the VM.
	unchecked []int
	// complete is false when the credentials may not see every VM.
	complete bool
	// node is set when the VMID was looked up on that node only.
	node string
}

func (e *vmNotFoundError) Error() string { return "no VM " + e.ref.String() }
func (e *vmNotFoundError) Unwrap() error { return pve.ErrNotFound }

// vmAmbiguousError: several VMs carry the name, oldest first.
type vmAmbiguousError struct {
	name    string
	matches []guard.VM
}

func (e *vmAmbiguousError) Error() string {
	return fmt.Sprintf("%d VMs are named %q", len(e.matches), e.name)
}

// notQEMUError: the VMID belongs to a container. It matches
// pve.ErrNotFound: there is no QEMU VM with the VMID.
type notQEMUError struct{ entry pve.InventoryVM }

func (e *notQEMUError) Error() string {
	return fmt.Sprintf("VMID %d on node %s is a container (%s), not a QEMU VM", e.entry.VMID, e.entry.Node, e.entry.Type)
}
func (e *notQEMUError) Unwrap() error { return pve.ErrNotFound }

// templateError: the VM is a template where a VM is needed.
type templateError struct{ vm *pve.VM }

func (e *templateError) Error() string { return vmLineOf(e.vm) + " is a template" }

// vmReadError: the VM was listed but reading it failed; a VM deleted or
// moved since the inventory was read matches pve.ErrNotFound.
type vmReadError struct {
	listed guard.VM
	err    error
}

func (e *vmReadError) Error() string {
	return fmt.Sprintf("read VM %d on node %s: %v", e.listed.VMID, e.listed.Node, e.err)
}
func (e *vmReadError) Unwrap() error { return e.err }

// lookupOptions say what a caller accepts.
type lookupOptions struct {
	// templates are accepted (data source, clone source, refresh).
	templates bool
	// fresh reads a new inventory; otherwise a recent one is used, and a
	// fresh one only when it has no such VM (a shared view may predate a VM
	// created earlier in this run).
	fresh bool
}

// findOne returns the one QEMU VM of the view that ref names, or a typed
// error: *vmNotFoundError, *vmAmbiguousError or *notQEMUError. Creation
// times are not read: findVM reads them to report an ambiguous name.
func (v *clusterView) findOne(ref vmRef) (guard.VM, error) {
	if ref.vmid != 0 {
		entry, ok := v.find(ref.vmid)
		switch {
		case !ok:
			return guard.VM{}, &vmNotFoundError{ref: ref, complete: v.complete}
		case !entry.IsQEMU():
			return guard.VM{}, &notQEMUError{entry: entry}
		}
		return guardVM(entry, 0), nil
	}
	inv := v.guardInventory(nil)
	matches := guard.Matches(inv, ref.name)
	switch len(matches) {
	case 0:
		return guard.VM{}, &vmNotFoundError{ref: ref, unchecked: vmFilter{}.uncheckedVMIDs(inv), complete: v.complete}
	case 1:
		return matches[0], nil
	}
	return guard.VM{}, &vmAmbiguousError{name: ref.name, matches: matches}
}

// findVM finds exactly one VM by ref in the cluster and reads it. Besides
// the errors of findOne (an ambiguous name lists its VMs oldest first), it
// returns *templateError, *vmReadError, or the error of an inventory read.
// The view it used is returned for warnings, also with an error.
func (d *providerData) findVM(ctx context.Context, ref vmRef, opts lookupOptions) (*pve.VM, *clusterView, error) {
	read := d.inventory.recent
	if opts.fresh {
		read = d.inventory.fresh
	}
	view, err := read(ctx)
	if err != nil {
		return nil, nil, err
	}
	found, err := view.findOne(ref)
	var notFound *vmNotFoundError
	if errors.As(err, &notFound) && !opts.fresh {
		if view, err = d.inventory.fresh(ctx); err != nil {
			return nil, nil, err
		}
		found, err = view.findOne(ref)
	}
	var ambiguous *vmAmbiguousError
	if errors.As(err, &ambiguous) {
		inv, readErr := inventoryWithCreationTimes(ctx, d.client, view, nil, func(vm pve.InventoryVM) bool {
			return vm.NameKnown && guard.SameName(vm.Name, ref.name)
		})
		if readErr != nil {
			return nil, view, readErr
		}
		ambiguous.matches = guard.Matches(inv, ref.name)
	}
	if err != nil {
		return nil, view, err
	}
	vm, err := d.client.GetVM(ctx, found.Node, found.VMID)
	if err != nil {
		return nil, view, &vmReadError{listed: found, err: err}
	}
	if vm.Template && !opts.templates {
		return nil, view, &templateError{vm: vm}
	}
	return vm, view, nil
}
