package provider

// This file holds startup: pve-common JSONSchema.pm 'pve-startup-order'.
// Left out of a configuration that never set it (an imported or adopted
// VM), it keeps what the VM has; removed from a configuration that set it,
// it is deleted from the VM. Private state remembers which is which: the
// prior configuration is not part of a plan request.

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

var pathStartup = path.Root("startup")

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
			"or stopped. Set at least one of them. Changed in place, also on a running VM. Removing it from the " +
			"configuration deletes it from the VM; left out of a configuration that never set it (an imported " +
			"or adopted VM), it is left as the VM has it.",
		Optional:      true,
		Computed:      true,
		PlanModifiers: []planmodifier.Object{startupRemoval{}},
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

// privateStartupKey marks in private state that the configuration set
// startup at the last apply.
const privateStartupKey = "startup_configured"

// recordStartupConfigured remembers after an apply whether the
// configuration sets startup.
func recordStartupConfigured(ctx context.Context, config tfsdk.Config, private privateData, diags *diag.Diagnostics) {
	if private == nil {
		return
	}
	var startup types.Object
	diags.Append(config.GetAttribute(ctx, pathStartup, &startup)...)
	var value []byte
	if !startup.IsNull() {
		value = []byte("true")
	}
	diags.Append(private.SetKey(ctx, privateStartupKey, value)...)
}

// startupRemoval plans the VM's startup when the configuration leaves it
// out (as UseStateForUnknown), and none when the configuration set it at
// the last apply and no longer does.
type startupRemoval struct{}

var _ planmodifier.Object = startupRemoval{}

func (startupRemoval) Description(context.Context) string {
	return "Keeps the VM's startup when the configuration leaves it out, unless the configuration set it before."
}

func (m startupRemoval) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

func (startupRemoval) PlanModifyObject(ctx context.Context, req planmodifier.ObjectRequest, resp *planmodifier.ObjectResponse) {
	if req.State.Raw.IsNull() || !req.PlanValue.IsUnknown() || req.ConfigValue.IsUnknown() {
		return
	}
	if !req.StateValue.IsNull() && req.Private != nil {
		configured, d := req.Private.GetKey(ctx, privateStartupKey)
		resp.Diagnostics.Append(d...)
		if len(configured) > 0 {
			resp.PlanValue = types.ObjectNull(startupAttrTypes)
			return
		}
	}
	resp.PlanValue = req.StateValue
}

// diffStartup is the startup the VM needs to match want; nil when it
// matches. A null want (the configuration removed startup, see
// startupRemoval) deletes the VM's.
func diffStartup(ctx context.Context, want *vmResourceModel, have pve.Startup, diags *diag.Diagnostics) *pve.Startup {
	if want.Startup.IsNull() {
		if have.IsZero() {
			return nil
		}
		return &pve.Startup{}
	}
	s := want.startup(ctx, diags)
	if s == nil {
		return nil
	}
	if w := startupFromModel(s); pve.FormatStartup(*w) != pve.FormatStartup(have) {
		return w
	}
	return nil
}
