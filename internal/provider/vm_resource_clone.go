package provider

// This file holds the clone attribute of proxmoxsafe_vm: a create-time
// instruction, write-only so that nothing about it is stored or read back
// (an imported or adopted clone plans clean), how the source is chosen,
// and the plan-time check of the clone's disks against the source's.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

func cloneSchema() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "Create the VM as a clone of a template or VM instead of empty, then converge it to " +
			"this configuration (disk sizes, networks, cloud-init, ...) before it first starts. A create-time " +
			"instruction: write-only (Terraform 1.11 or later), never stored in state nor read back, so importing or " +
			"adopting a VM cloned long ago plans no change, and changing it later changes nothing; to rebuild a VM " +
			"from another source, replace it (`terraform apply -replace=<address>`).",
		Optional:  true,
		WriteOnly: true,
		Attributes: map[string]schema.Attribute{
			"source": schema.StringAttribute{
				MarkdownDescription: "Name or VMID of the template or VM to clone. It may sit on any node. When several " +
					"VMs carry the name, the one on the target `node` is taken; several elsewhere and none there is an error.",
				Required: true, WriteOnly: true,
			},
			"full": schema.BoolAttribute{
				MarkdownDescription: "Create a full copy of all disks (`true`, the default here). `false` makes a linked " +
					"clone, which Proxmox VE supports for templates only (its own default for templates).",
				Optional: true, WriteOnly: true,
			},
			"storage": schema.StringAttribute{
				MarkdownDescription: "Target storage for full clone. Defaults to the source's storage of each disk.",
				Optional:            true, WriteOnly: true,
			},
		},
	}
}

// cloneFromConfig puts the write-only clone of config into the model, for
// the steps of a create that need it. Write-only values are in the
// configuration only; plan and state always hold null.
func (m *vmResourceModel) cloneFromConfig(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) {
	diags.Append(config.GetAttribute(ctx, pathClone, &m.Clone)...)
}

// fullClone is clone.full with this provider's default, a full clone.
func (c *cloneModel) fullClone() bool { return c.Full.IsNull() || c.Full.ValueBool() }

// findCloneSource picks the VM a clone copies: a VMID, or the VM carrying
// the name; of several, the one on the target node.
func (v *clusterView) findCloneSource(ref vmRef, node string) (guard.VM, error) {
	vm, err := v.findOne(ref)
	ambiguous, ok := err.(*vmAmbiguousError) //nolint:errorlint // findOne returns it unwrapped
	if !ok {
		return vm, err
	}
	var local []guard.VM
	for _, m := range ambiguous.matches {
		if m.Node == node {
			local = append(local, m)
		}
	}
	if len(local) == 1 {
		return local[0], nil
	}
	return guard.VM{}, &cloneSourceAmbiguousError{vmAmbiguousError: *ambiguous, node: node, local: len(local)}
}

// cloneSourceAmbiguousError: several VMs carry the source's name and the
// target node does not have exactly one of them.
type cloneSourceAmbiguousError struct {
	vmAmbiguousError
	node  string
	local int
}

func (e *cloneSourceAmbiguousError) explain(source string) string {
	where := fmt.Sprintf("none of them is on the target node %s", e.node)
	if e.local > 1 {
		where = fmt.Sprintf("%d of them are on the target node %s", e.local, e.node)
	}
	return fmt.Sprintf("The clone source %q is ambiguous: %d VMs carry that name and %s:\n%s\n\nSet clone.source "+
		"to the VMID of the one to clone.", source, len(e.matches), where, vmList(e.matches))
}

// planClone checks at plan time the clone a create will make: the source
// exists and is unambiguous, and the configuration fits it.
func (r *vmResource) planClone(ctx context.Context, plan *vmResourceModel, view *clusterView, diags *diag.Diagnostics) {
	source := plan.clone(ctx, diags)
	if source == nil || source.Source.IsUnknown() || plan.Node.IsUnknown() {
		return
	}
	src, err := r.locateCloneSource(ctx, view, source.Source.ValueString(), plan.Node.ValueString())
	if err != nil {
		addCloneSourceError(diags, source.Source.ValueString(), err)
		return
	}
	srcVM, err := r.data.client.GetVMConfig(ctx, src.Node, src.VMID)
	if err != nil {
		addAPIError(diags, "read the clone source "+vmLine(src), err)
		return
	}
	if src.Node != plan.Node.ValueString() {
		r.checkCloneToNode(ctx, srcVM, plan.Node.ValueString(), diags)
	}
	checkCloneDisks(ctx, plan, source, srcVM, diags)
}

// checkCloneToNode refuses at plan time a clone to another node of a VM
// with a volume on a storage that is not shared: PVE's clone_vm dies with
// "can't clone VM to node '<target>' (VM uses local storage)", counting
// every volume, CD-ROM images and the cloud-init drive included
// (API2/Qemu.pm $check_storage_access_clone).
func (r *vmResource) checkCloneToNode(ctx context.Context, src *pve.VM, target string, diags *diag.Diagnostics) {
	topo, err := r.data.topology.get(ctx)
	if err != nil {
		addAPIError(diags, "read the cluster's storages to check the clone to node "+target, err)
		return
	}
	shared := map[string]bool{}
	for _, st := range topo.Storages {
		shared[st.ID] = shared[st.ID] || st.Shared
	}
	var local []string
	for _, key := range sortedKeys(src.Raw) {
		if !pve.IsDiskInterface(key) && key != "efidisk0" && key != "tpmstate0" {
			continue
		}
		volume, _, _ := strings.Cut(src.Raw[key], ",")
		volume = strings.TrimPrefix(volume, "file=")
		storage, _, ok := strings.Cut(volume, ":")
		if ok && !shared[storage] {
			local = append(local, fmt.Sprintf("%s on %s", key, storage))
		}
	}
	if len(local) > 0 {
		diags.AddAttributeError(pathNode, "Clone source on another node uses local storage",
			fmt.Sprintf("The clone source %s is on node %s, and Proxmox VE clones to another node only from shared "+
				"storage (\"can't clone VM to node '%s' (VM uses local storage)\"); local volumes: %s. Use a template "+
				"on node %s (a template there with the same name is preferred), or move the source's disks to shared storage.",
				vmLineOf(src), src.Node, target, strings.Join(local, ", "), target))
	}
}

// checkCloneDisks refuses at plan time what PVE's clone_vm would refuse
// (a target storage for a linked clone) and a configured disk smaller
// than the source's: the clone copies the source's disk, and Proxmox VE
// cannot shrink it.
func checkCloneDisks(ctx context.Context, plan *vmResourceModel, source *cloneModel, src *pve.VM, diags *diag.Diagnostics) {
	if !source.fullClone() && known(source.Storage) {
		diags.AddAttributeError(pathClone.AtName("storage"), "Storage of a linked clone",
			fmt.Sprintf("clone.storage is set with full = false. Proxmox VE refuses this (\"parameter 'storage' not "+
				"allowed for linked clones\"): a linked clone's disks stay on %s's storage. Remove storage or set full = true.",
				vmLineOf(src)))
	}
	if !known(plan.Disks) {
		return
	}
	have := map[string]pve.Disk{}
	for _, d := range src.Disks {
		have[d.Interface] = d
	}
	disks := plan.disks(ctx, diags)
	for _, iface := range sortedKeys(disks) {
		want, ok := disks[iface], false
		var h pve.Disk
		if h, ok = have[iface]; !ok || !known(want.Size) || want.Size.ValueInt64() >= h.SizeGB {
			continue
		}
		diags.AddAttributeError(pathDisks.AtMapKey(iface).AtName("size"), "Disk smaller than the clone source's",
			fmt.Sprintf("The clone source %s has disk %s of %d GiB; the configuration says %d GiB. A clone starts with "+
				"a copy of that disk and Proxmox VE cannot shrink it. Set size to %d or more.",
				vmLineOf(src), iface, h.SizeGB, want.Size.ValueInt64(), h.SizeGB))
	}
}

// locateCloneSource finds a clone source in view, else in a view read
// after this run's last change: the source may be a VM this run just
// created, which the view of a name check can miss.
func (r *vmResource) locateCloneSource(ctx context.Context, view *clusterView, source, node string) (guard.VM, error) {
	vm, err := view.findCloneSource(parseVMRef(source), node)
	var notFound *vmNotFoundError
	if !errors.As(err, &notFound) {
		return vm, err
	}
	if view, err = r.data.inventory.recent(ctx); err != nil {
		return guard.VM{}, err
	}
	return view.findCloneSource(parseVMRef(source), node)
}
