package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

var (
	_ list.ListResource              = (*vmListResource)(nil)
	_ list.ListResourceWithConfigure = (*vmListResource)(nil)
)

// NewVMListResource returns the proxmoxsafe_vm list resource (Terraform
// 1.14+ `terraform query`).
func NewVMListResource() list.ListResource {
	return &vmListResource{}
}

type vmListResource struct {
	data *providerData
}

type vmListModel struct {
	Name           types.String `tfsdk:"name"`
	Node           types.String `tfsdk:"node"`
	Tags           types.List   `tfsdk:"tags"`
	Status         types.String `tfsdk:"status"`
	Template       types.Bool   `tfsdk:"template"`
	DuplicatesOnly types.Bool   `tfsdk:"duplicates_only"`
}

func (l *vmListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_vm"
}

func (l *vmListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Finds existing QEMU VMs for `terraform query` (Terraform 1.14 and later), so that " +
			"`terraform query -generate-config-out=FILE` writes an `import` block (by identity) and a " +
			"`proxmoxsafe_vm` resource block for each of them.\n\n" +
			"Results come in VMID order. Each carries the identity `{vmid, uuid}`, the display name " +
			"`name (vmid on node)` and, when Terraform asks for it, the resource object: the VM as " +
			"`proxmoxsafe_vm` reads it, with `on_existing = \"adopt\"` and no `clone`, so the generated " +
			"configuration plans no changes after the import.\n\n" +
			"Cost: one read of the cluster inventory, plus one configuration read per VM returned, with or " +
			"without the resource object: the identity's `uuid` (SMBIOS UUID) is only in the VM's " +
			"configuration. Status comes from the inventory. Containers are never listed.",
		Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{
				MarkdownDescription: "Only list VMs with this name, or whose name matches this glob pattern " +
					"(`*`, `?`, `[a-z]`, as Go's `path.Match`), e.g. `monitoring-*`. Compared case-insensitively, " +
					"like the duplicate check.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1), globValidator{}},
			},
			"node": schema.StringAttribute{
				MarkdownDescription: "Only list VMs on this node.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			// list blocks have no set attributes; order and repeats do not matter here.
			"tags": schema.ListAttribute{
				MarkdownDescription: "Only list VMs that carry every one of these tags (compared case-insensitively).",
				ElementType:         types.StringType,
				Optional:            true,
				Validators: []validator.List{listvalidator.ValueStringsAre(stringvalidator.RegexMatches(tagRegexp,
					"must be a Proxmox VE tag: letters, digits, _ then letters, digits, _, -, + or ."))},
			},
			"status": schema.StringAttribute{
				MarkdownDescription: "Only list VMs with this status: `running` or `stopped`.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.OneOf("running", "stopped")},
			},
			"template": schema.BoolAttribute{
				MarkdownDescription: "`true` lists only templates, `false` or omitted only VMs that are not " +
					"templates: `proxmoxsafe_vm` does not import templates, so the default keeps them out of " +
					"generated configuration.",
				Optional: true,
			},
			"duplicates_only": schema.BoolAttribute{
				MarkdownDescription: "Only list VMs whose name another VM or template in the cluster also " +
					"carries, compared case-insensitively as the duplicate guard does, wherever that other VM is " +
					"and whatever the other filters select.",
				Optional: true,
			},
		},
	}
}

func (l *vmListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (l *vmListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var diags diag.Diagnostics
	if l.data == nil {
		diags.AddError("Provider not configured", "The provider must be configured to list VMs.")
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	var model vmListModel
	diags.Append(req.Config.Get(ctx, &model)...)
	filter := model.filter(ctx, &diags)
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	view, err := l.data.inventory.fresh(ctx)
	if err != nil {
		addAPIError(&diags, "read the cluster inventory", err)
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	inv := view.guardInventory(nil)
	vms := filter.selectVMs(inv)
	warnings := inventoryWarnings(filter.uncheckedVMIDs(inv), view.complete)

	stream.Results = func(push func(list.ListResult) bool) {
		var pushed int64
		for _, vm := range vms {
			if req.Limit > 0 && pushed >= req.Limit {
				break
			}
			result, ok := l.result(ctx, req, vm, view)
			if !ok {
				continue // deleted since the inventory was read
			}
			pushed++
			if !push(result) || result.Diagnostics.HasError() {
				return
			}
		}
		if len(warnings) > 0 {
			push(list.ListResult{Diagnostics: warnings})
		}
	}
}

// filter parses the list configuration.
func (m vmListModel) filter(ctx context.Context, diags *diag.Diagnostics) vmListFilter {
	var f vmListFilter
	if !m.Tags.IsNull() && !m.Tags.IsUnknown() {
		diags.Append(m.Tags.ElementsAs(ctx, &f.tags, false)...)
		f.tags = pve.NormalizeTags(f.tags)
	}
	f.node = m.Node.ValueString()
	f.namePattern = m.Name.ValueString()
	f.status = m.Status.ValueString()
	template := m.Template.ValueBool()
	f.template = &template
	f.duplicatesOnly = m.DuplicatesOnly.ValueBool()
	return f
}

// result reads one VM's configuration (for the identity's UUID and, when
// asked, the resource object) and builds its list result. ok is false when
// the VM no longer exists.
func (l *vmListResource) result(ctx context.Context, req list.ListRequest, entry guard.VM, view *clusterView) (list.ListResult, bool) {
	result := req.NewListResult(ctx)
	result.DisplayName = fmt.Sprintf("%s (%d on %s)", entry.Name, entry.VMID, entry.Node)
	vm, err := l.data.client.GetVMConfig(ctx, entry.Node, entry.VMID)
	if errors.Is(err, pve.ErrNotFound) {
		return result, false
	}
	if err != nil {
		addAPIError(&result.Diagnostics, fmt.Sprintf("read the configuration of %s", vmLine(entry)), err)
		return result, true
	}
	vm.Status = entry.Status
	writeVMIdentity(ctx, result.Identity, vm.VMID, vm.UUID, &result.Diagnostics)
	if req.IncludeResource {
		model := recoveredVMModel(ctx, vm, &result.Diagnostics)
		if listed, ok := view.find(vm.VMID); ok {
			model.Pool = types.StringValue(listed.Pool) // as Read takes it from the inventory
		}
		result.Diagnostics.Append(result.Resource.Set(ctx, &model)...)
	}
	return result, true
}

// recoveredVMModel is the proxmoxsafe_vm state of an existing VM, filled the
// way Read fills it (applyVM), with the Terraform-only settings a recovered
// VM gets: adopt on a future state loss, no clone source, default timeouts.
func recoveredVMModel(ctx context.Context, vm *pve.VM, diags *diag.Diagnostics) vmResourceModel {
	m := vmResourceModel{
		Name:       types.StringNull(),
		Tags:       types.SetNull(types.StringType),
		OnExisting: types.StringValue(string(recoveredOnExisting)),
		Clone:      types.ObjectNull(cloneAttrTypes),
		Timeouts: timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{
			"create": types.StringType, "update": types.StringType, "delete": types.StringType,
		})},
	}
	m.applyVM(ctx, vm, diags)
	return m
}
