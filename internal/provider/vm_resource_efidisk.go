package provider

// This file holds efi_disk: OVMF's EFI vars disk (qemu-server
// src/PVE/QemuServer.pm $confdesc efidisk0, QemuServer/Drive.pm
// %efitype_fmt). An existing one is never changed in place.

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

var pathEFIDisk = path.Root("efi_disk")

var efiDiskAttrTypes = map[string]attr.Type{
	"storage":           types.StringType,
	"type":              types.StringType,
	"pre_enrolled_keys": types.BoolType,
}

type efiDiskModel struct {
	Storage         types.String `tfsdk:"storage"`
	Type            types.String `tfsdk:"type"`
	PreEnrolledKeys types.Bool   `tfsdk:"pre_enrolled_keys"`
}

func efiDiskAttribute() schema.Attribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "Configure a disk for storing EFI vars (used with `bios = \"ovmf\"`). Adding one " +
			"to a VM allocates it in place; changing the storage, type or keys of an existing one replaces " +
			"the VM, because Proxmox VE cannot convert EFI vars. Removing it from the configuration keeps " +
			"the VM's. Adopting a VM whose EFI disk differs is refused.",
		Optional:      true,
		Computed:      true,
		PlanModifiers: []planmodifier.Object{objectplanmodifier.UseStateForUnknown()},
		Attributes: map[string]schema.Attribute{
			"storage": schema.StringAttribute{
				MarkdownDescription: "Storage to allocate the EFI disk on, e.g. `local-lvm`.",
				Required:            true,
			},
			"type": keepString("Size and type of the OVMF EFI vars. `4m` is newer and recommended, and "+
				"required for Secure Boot. For backwards compatibility, `2m` is used if not otherwise specified.",
				stringvalidator.OneOf(pve.DefaultEFIType, "4m")),
			"pre_enrolled_keys": schema.BoolAttribute{
				MarkdownDescription: "Use an EFI vars template with distribution-specific and Microsoft " +
					"Standard keys enrolled, if used with `type = \"4m\"`. Note that this will enable Secure " +
					"Boot by default, though it can still be turned off from within the VM. Defaults to `false`.",
				Optional: true, Computed: true,
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
			},
		},
	}
}

func (h *hardwareModel) efiDisk(ctx context.Context, diags *diag.Diagnostics) *efiDiskModel {
	if !known(h.EFIDisk) {
		return nil
	}
	var e efiDiskModel
	diags.Append(h.EFIDisk.As(ctx, &e, basetypes.ObjectAsOptions{})...)
	return &e
}

func efiDiskFromModel(e *efiDiskModel) *pve.EFIDisk {
	return &pve.EFIDisk{Storage: e.Storage.ValueString(), Type: e.Type.ValueString(), PreEnrolledKeys: e.PreEnrolledKeys.ValueBool()}
}

func efiDiskDiffers(want *efiDiskModel, have *pve.EFIDisk) bool {
	return want.Storage.ValueString() != have.Storage ||
		(known(want.Type) && want.Type.ValueString() != have.Type) ||
		(known(want.PreEnrolledKeys) && want.PreEnrolledKeys.ValueBool() != have.PreEnrolledKeys)
}

func describeEFIDisk(d pve.EFIDisk) string {
	return fmt.Sprintf("on %s, type %s, pre-enrolled keys %t", d.Storage, orDefault(d.Type, pve.DefaultEFIType), d.PreEnrolledKeys)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// efiReplacement is the planned change of an existing EFI disk, which
// replaces the VM; nil when there is none.
func efiReplacement(ctx context.Context, state, plan *vmResourceModel, diags *diag.Diagnostics) *replacement {
	have, want := state.efiDisk(ctx, diags), plan.efiDisk(ctx, diags)
	if have == nil || want == nil || want.Storage.IsUnknown() {
		return nil
	}
	cur := efiDiskFromModel(have)
	if !efiDiskDiffers(want, cur) {
		return nil
	}
	return &replacement{pathEFIDisk, "efi_disk " + describeEFIDisk(*cur) + " -> " + describeEFIDisk(*efiDiskFromModel(want))}
}

// newEFIStorage is the storage of an EFI disk the plan allocates, or "".
func newEFIStorage(ctx context.Context, state, plan *vmResourceModel, diags *diag.Diagnostics) string {
	want := plan.efiDisk(ctx, diags)
	if want == nil || !known(want.Storage) {
		return ""
	}
	if state != nil {
		if have := state.efiDisk(ctx, diags); have != nil && have.Storage.ValueString() == want.Storage.ValueString() {
			return ""
		}
	}
	return want.Storage.ValueString()
}
