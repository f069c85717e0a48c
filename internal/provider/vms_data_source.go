package provider

import (
	"context"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
)

var (
	_ datasource.DataSource              = (*vmsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*vmsDataSource)(nil)
)

// NewVMsDataSource returns the proxmoxsafe_vms data source.
func NewVMsDataSource() datasource.DataSource {
	return &vmsDataSource{}
}

// vmsDataSource lists the cluster's VMs from the inventory alone, so its cost
// does not grow with the number of VMs.
type vmsDataSource struct {
	data *providerData
}

type vmsModel struct {
	NameRegex types.String   `tfsdk:"name_regex"`
	Node      types.String   `tfsdk:"node"`
	Tags      types.Set      `tfsdk:"tags"`
	Status    types.String   `tfsdk:"status"`
	Template  types.Bool     `tfsdk:"template"`
	VMs       []vmEntryModel `tfsdk:"vms"`
}

type vmEntryModel struct {
	VMID     types.Int64  `tfsdk:"vmid"`
	Name     types.String `tfsdk:"name"`
	Node     types.String `tfsdk:"node"`
	Status   types.String `tfsdk:"status"`
	Template types.Bool   `tfsdk:"template"`
	Tags     types.Set    `tfsdk:"tags"`
	ImportID types.String `tfsdk:"import_id"`
}

func (d *vmsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_vms"
}

func (d *vmsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The QEMU VMs of the cluster, sorted by VMID, optionally filtered. Each entry carries " +
			"the import ID `proxmoxsafe_vm` accepts, so the list can drive `import` blocks.\n\n" +
			"Reads the cluster inventory only: a constant number of API requests, plus one per VM created " +
			"seconds ago (whose name Proxmox VE does not list yet). Containers are not listed.",
		Attributes: map[string]schema.Attribute{
			"name_regex": nameRegexAttribute(),
			"node":       nodeFilterAttribute(),
			"tags":       tagsFilterAttribute(),
			"status": schema.StringAttribute{
				MarkdownDescription: "Only list VMs with this status: `running` or `stopped`.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.OneOf("running", "stopped")},
			},
			"template": schema.BoolAttribute{
				MarkdownDescription: "`true` lists only templates, `false` only VMs that are not templates; " +
					"omit to list both.",
				Optional: true,
			},
			"vms": schema.ListNestedAttribute{
				MarkdownDescription: "The VMs that pass every filter, sorted by VMID.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: vmSummaryAttributes("Name; null when it could not be read (see the warning).", nil),
				},
			},
		},
	}
}

func (d *vmsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *vmsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if d.data == nil {
		resp.Diagnostics.AddError("Provider not configured", "The provider must be configured to read VMs.")
		return
	}
	var model vmsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	filter := newVMFilter(ctx, model.NameRegex, model.Node, model.Tags, &resp.Diagnostics)
	filter.status = model.Status.ValueString()
	if !model.Template.IsNull() {
		filter.template = model.Template.ValueBoolPointer()
	}
	if resp.Diagnostics.HasError() {
		return
	}

	view, err := d.data.inventory.recent(ctx)
	if err != nil {
		addAPIError(&resp.Diagnostics, "read the cluster inventory", err)
		return
	}
	inv := view.guardInventory(nil)
	resp.Diagnostics.Append(inventoryWarnings(filter.uncheckedVMIDs(inv), view.complete)...)

	vms := filter.apply(inv.VMs)
	slices.SortFunc(vms, func(a, b guard.VM) int { return a.VMID - b.VMID })
	model.VMs = make([]vmEntryModel, 0, len(vms))
	for _, vm := range vms {
		name := types.StringNull()
		if vm.NameKnown {
			name = types.StringValue(vm.Name)
		}
		model.VMs = append(model.VMs, vmEntryModel{
			VMID:     types.Int64Value(int64(vm.VMID)),
			Name:     name,
			Node:     types.StringValue(vm.Node),
			Status:   types.StringValue(vm.Status),
			Template: types.BoolValue(vm.Template),
			Tags:     tagsValue(ctx, vm.Tags, &resp.Diagnostics),
			ImportID: types.StringValue(importID(vm.Node, vm.VMID)),
		})
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}
