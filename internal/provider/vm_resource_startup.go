package provider

// This file holds startup: pve-common JSONSchema.pm 'pve-startup-order'.

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

var startupAttrTypes = map[string]attr.Type{
	"order": types.Int64Type,
	"up":    types.Int64Type,
	"down":  types.Int64Type,
}

type startupModel struct {
	Order types.Int64 `tfsdk:"order"`
	Up    types.Int64 `tfsdk:"up"`
	Down  types.Int64 `tfsdk:"down"`
}

func startupAttribute() schema.Attribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "Startup and shutdown behavior. Order is a non-negative number defining the " +
			"general startup order. Shutdown is done with reverse ordering. Additionally you can set the " +
			"`up` or `down` delay in seconds, which specifies a delay to wait before the next VM is started " +
			"or stopped. Set at least one of them. Changed in place, also on a running VM." + keepsWhatTheVMHas,
		Optional:      true,
		Computed:      true,
		PlanModifiers: []planmodifier.Object{objectplanmodifier.UseStateForUnknown()},
		Attributes: map[string]schema.Attribute{
			"order": schema.Int64Attribute{MarkdownDescription: "Startup order.", Optional: true,
				Validators: []validator.Int64{int64validator.AtLeast(0),
					// An empty startup would read back as none: omit startup instead.
					int64validator.AtLeastOneOf(path.MatchRelative().AtParent().AtName("up"), path.MatchRelative().AtParent().AtName("down"))}},
			"up": schema.Int64Attribute{MarkdownDescription: "Delay in seconds before the next VM is started.", Optional: true,
				Validators: []validator.Int64{int64validator.AtLeast(0)}},
			"down": schema.Int64Attribute{MarkdownDescription: "Delay in seconds before the next VM is stopped.", Optional: true,
				Validators: []validator.Int64{int64validator.AtLeast(0)}},
		},
	}
}

func (h *hardwareModel) startup(ctx context.Context, diags *diag.Diagnostics) *startupModel {
	if !known(h.Startup) {
		return nil
	}
	var s startupModel
	diags.Append(h.Startup.As(ctx, &s, basetypes.ObjectAsOptions{})...)
	return &s
}

func startupFromModel(s *startupModel) *pve.Startup {
	return &pve.Startup{Order: s.Order.ValueInt64Pointer(), Up: s.Up.ValueInt64Pointer(), Down: s.Down.ValueInt64Pointer()}
}
