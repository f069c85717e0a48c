package provider

import (
	"context"
	"fmt"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// Resource identity (Terraform 1.12+): what names one proxmoxsafe_vm across
// migrations and renames. The VMID alone is not enough, because Proxmox VE
// hands a freed VMID to the next VM created (GET /cluster/nextid returns the
// lowest free VMID of the next-id range: pve-manager PVE/API2/Cluster.pm,
// method nextid); the SMBIOS UUID, generated for every new VM and clone,
// tells such a recycled VMID apart. Node and name change, so they are not
// identity.

var _ resource.ResourceWithIdentity = (*vmResource)(nil)

var (
	pathIdentityVMID = path.Root("vmid")
	pathIdentityUUID = path.Root("uuid")
)

// recoveredOnExisting is the on_existing a VM imported by identity is
// recorded with, and the one the list resource writes into generated
// configuration: a later state loss then adopts the VM instead of failing.
const recoveredOnExisting = guard.PolicyAdopt

type vmIdentityModel struct {
	VMID types.Int64  `tfsdk:"vmid"`
	UUID types.String `tfsdk:"uuid"`
}

func (r *vmResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"vmid": identityschema.Int64Attribute{
				RequiredForImport: true,
				Description:       "VMID of the VM.",
			},
			"uuid": identityschema.StringAttribute{
				OptionalForImport: true,
				Description: "SMBIOS UUID of the VM (smbios1). When given on import, the import is refused " +
					"unless the VM at vmid still has this UUID, so a recycled VMID is never taken for the VM.",
			},
		},
	}
}

// setVMIdentity writes the identity of the VM a state describes. An identity
// recorded earlier for the same VMID is kept as it is (a UUID that appears
// later, or is spelled in another case, does not change it): Terraform
// refuses an identity that changes during refresh.
func setVMIdentity(ctx context.Context, state tfsdk.State, identity *tfsdk.ResourceIdentity, diags *diag.Diagnostics) {
	if identity == nil || state.Raw.IsNull() {
		return
	}
	var m vmResourceModel
	diags.Append(state.Get(ctx, &m)...)
	if diags.HasError() {
		return
	}
	if !identity.Raw.IsNull() && identity.Raw.IsFullyKnown() {
		var prior vmIdentityModel
		diags.Append(identity.Get(ctx, &prior)...)
		if prior.VMID.ValueInt64() == m.VMID.ValueInt64() &&
			(prior.UUID.IsNull() || pve.SameUUID(prior.UUID.ValueString(), m.UUID.ValueString())) {
			return
		}
	}
	writeVMIdentity(ctx, identity, m.vmid(), m.UUID.ValueString(), diags)
}

// writeVMIdentity sets the identity of a VM just found (import, list).
func writeVMIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, vmid int, uuid string, diags *diag.Diagnostics) {
	if identity == nil {
		return
	}
	diags.Append(identity.Set(ctx, &vmIdentityModel{VMID: types.Int64Value(int64(vmid)), UUID: stringOrNull(uuid)})...)
}

// importByIdentity imports the VM an identity names: the VM with the VMID,
// wherever it runs, and only if its SMBIOS UUID is the one given.
func (r *vmResource) importByIdentity(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	var id vmIdentityModel
	resp.Diagnostics.Append(req.Identity.Get(ctx, &id)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if id.VMID.IsNull() || id.VMID.IsUnknown() {
		resp.Diagnostics.AddAttributeError(pathIdentityVMID, "Missing VMID in the import identity",
			"Importing proxmoxsafe_vm by identity needs vmid, e.g. identity = { vmid = 121 }.")
		return
	}
	vmid := int(id.VMID.ValueInt64())
	vm, err := r.resolveImportID(ctx, strconv.Itoa(vmid))
	if err != nil {
		addImportError(&resp.Diagnostics, strconv.Itoa(vmid), err)
		return
	}
	if want := id.UUID.ValueString(); want != "" && !pve.SameUUID(want, vm.UUID) {
		resp.Diagnostics.AddAttributeError(pathIdentityUUID, "The VMID belongs to a different VM", recycledVMIDDetail(vm, want))
		return
	}
	setImportedState(ctx, vm, &resp.State, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("on_existing"), string(recoveredOnExisting))...)
	writeVMIdentity(ctx, resp.Identity, vm.VMID, vm.UUID, &resp.Diagnostics)
}

func recycledVMIDDetail(vm *pve.VM, want string) string {
	have := "has no SMBIOS UUID"
	if vm.UUID != "" {
		have = "has SMBIOS UUID " + vm.UUID
	}
	return fmt.Sprintf("The import identity names VMID %d with SMBIOS UUID %s, but that VMID now belongs to "+
		"another VM (%s), which %s. The VM the identity was recorded for is gone and Proxmox VE gave its VMID "+
		"to a new VM, so nothing was imported and VM %d is left alone.\n\nIf VM %d is the one you want, import it "+
		"by ID (%q) or give its current uuid in the identity.",
		vm.VMID, want, vmLineOf(vm), have, vm.VMID, vm.VMID, importID(vm.Node, vm.VMID))
}

// setImportedState records where the VM is; Read fills in the rest.
func setImportedState(ctx context.Context, vm *pve.VM, state *tfsdk.State, diags *diag.Diagnostics) {
	for attr, value := range map[string]any{
		"id": strconv.Itoa(vm.VMID), "vmid": int64(vm.VMID), "node": vm.Node, "name": vm.Name,
	} {
		diags.Append(state.SetAttribute(ctx, path.Root(attr), value)...)
	}
}
