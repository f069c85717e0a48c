package provider

import (
	"context"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

var (
	_ datasource.DataSource              = (*vmDuplicatesDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*vmDuplicatesDataSource)(nil)
)

// NewVMDuplicatesDataSource returns the proxmoxsafe_vm_duplicates data source.
func NewVMDuplicatesDataSource() datasource.DataSource {
	return &vmDuplicatesDataSource{}
}

// vmDuplicatesDataSource lists every VM name more than one VM carries, with
// the VM to keep and import IDs, so a lost state can be rebuilt with import
// blocks and the extra VMs removed with Terraform.
type vmDuplicatesDataSource struct {
	data *providerData
}

type vmDuplicatesModel struct {
	NameRegex        types.String          `tfsdk:"name_regex"`
	Node             types.String          `tfsdk:"node"`
	Tags             types.Set             `tfsdk:"tags"`
	IncludeTemplates types.Bool            `tfsdk:"include_templates"`
	Keep             types.String          `tfsdk:"keep"`
	Groups           []duplicateGroupModel `tfsdk:"groups"`
	VMsScanned       types.Int64           `tfsdk:"vms_scanned"`
	NamesDuplicated  types.Int64           `tfsdk:"names_duplicated"`
	VMsInExcess      types.Int64           `tfsdk:"vms_in_excess"`
}

type duplicateGroupModel struct {
	Name         types.String           `tfsdk:"name"`
	Count        types.Int64            `tfsdk:"count"`
	KeepVMID     types.Int64            `tfsdk:"keep_vmid"`
	KeepImportID types.String           `tfsdk:"keep_import_id"`
	RemoveVMIDs  []int64                `tfsdk:"remove_vmids"`
	ImportIDs    map[string]string      `tfsdk:"import_ids"`
	Members      []duplicateMemberModel `tfsdk:"members"`
}

type duplicateMemberModel struct {
	VMID      types.Int64  `tfsdk:"vmid"`
	Name      types.String `tfsdk:"name"`
	Node      types.String `tfsdk:"node"`
	Status    types.String `tfsdk:"status"`
	Template  types.Bool   `tfsdk:"template"`
	Tags      types.Set    `tfsdk:"tags"`
	CreatedAt types.String `tfsdk:"created_at"`
	Uptime    types.Int64  `tfsdk:"uptime"`
	ImportID  types.String `tfsdk:"import_id"`
	Keep      types.Bool   `tfsdk:"keep"`
}

func (d *vmDuplicatesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_vm_duplicates"
}

func (d *vmDuplicatesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Every VM name that more than one VM in the cluster carries (compared " +
			"case-insensitively), with the VM to keep under a chosen policy and ready-to-use import IDs.\n\n" +
			"Use it to recover after a lost or reset state: drive `import` blocks with `for_each` to take the " +
			"VM to keep of each name back under management, import the others into a second resource and " +
			"remove that resource to destroy them.\n\n" +
			"The filters choose which VMs are considered; a name is duplicated when more than one considered " +
			"VM carries it. Containers are never considered. VMs whose name cannot be read (node offline) " +
			"and VMs the credentials cannot see are reported in a warning.\n\n" +
			"Cost: a constant number of API requests for the whole cluster, plus one per VM created seconds " +
			"ago and one per member of a duplicate group (to read its creation time).",
		Attributes: map[string]schema.Attribute{
			"name_regex": nameRegexAttribute(),
			"node":       nodeFilterAttribute(),
			"tags":       tagsFilterAttribute(),
			"include_templates": schema.BoolAttribute{
				MarkdownDescription: "Also consider templates. Defaults to `false`. A template is only kept when " +
					"every member of its group is a template.",
				Optional: true,
				Computed: true,
			},
			"keep": schema.StringAttribute{
				MarkdownDescription: "Which member of each group keeps the name: `newest_running` (default: the " +
					"most recently created running VM, else the most recently created one), `newest`, `oldest` " +
					"or `lowest_vmid`. VMs without a recorded creation time count as newest.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{stringvalidator.OneOf(guard.KeepPolicies()...)},
			},
			"groups": schema.ListNestedAttribute{
				MarkdownDescription: "One entry per duplicated name, sorted by name.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"name": schema.StringAttribute{
							MarkdownDescription: "The name, spelled as its oldest member spells it.",
							Computed:            true,
						},
						"count": schema.Int64Attribute{
							MarkdownDescription: "How many VMs carry the name.",
							Computed:            true,
						},
						"keep_vmid": schema.Int64Attribute{
							MarkdownDescription: "VMID of the member to keep under `keep`.",
							Computed:            true,
						},
						"keep_import_id": schema.StringAttribute{
							MarkdownDescription: "Import ID (`node/vmid`) of the member to keep, for an `import` block " +
								"that targets a `proxmoxsafe_vm`.",
							Computed: true,
						},
						"remove_vmids": schema.ListAttribute{
							MarkdownDescription: "VMIDs of the other members, oldest first.",
							ElementType:         types.Int64Type,
							Computed:            true,
						},
						"import_ids": schema.MapAttribute{
							MarkdownDescription: "Import ID (`node/vmid`) of every member, by VMID.",
							ElementType:         types.StringType,
							Computed:            true,
						},
						"members": schema.ListNestedAttribute{
							MarkdownDescription: "Every VM carrying the name, oldest first.",
							Computed:            true,
							NestedObject: schema.NestedAttributeObject{
								Attributes: vmSummaryAttributes("Name as this VM spells it.", map[string]schema.Attribute{
									"created_at": schema.StringAttribute{
										Computed: true,
										MarkdownDescription: "When Proxmox VE created the VM (RFC 3339); null when the VM has no " +
											"recorded creation time.",
									},
									"uptime": schema.Int64Attribute{Computed: true, MarkdownDescription: "Uptime in seconds; 0 when stopped."},
									"keep": schema.BoolAttribute{
										Computed: true, MarkdownDescription: "Whether this is the member to keep.",
									},
								}),
							},
						},
					},
				},
			},
			"vms_scanned": schema.Int64Attribute{
				MarkdownDescription: "How many VMs with a readable name the filters considered.",
				Computed:            true,
			},
			"names_duplicated": schema.Int64Attribute{
				MarkdownDescription: "How many names more than one VM carries (the number of groups).",
				Computed:            true,
			},
			"vms_in_excess": schema.Int64Attribute{
				MarkdownDescription: "How many VMs would have to go for every name to be unique: the sum over the " +
					"groups of their count minus one.",
				Computed: true,
			},
		},
	}
}

func (d *vmDuplicatesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *vmDuplicatesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if d.data == nil {
		resp.Diagnostics.AddError("Provider not configured", "The provider must be configured to read VMs.")
		return
	}
	var model vmDuplicatesModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	policy, err := guard.ParseKeepPolicy(model.Keep.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("keep"), "Invalid keep policy", err.Error())
		return
	}
	filter := newVMFilter(ctx, model.NameRegex, model.Node, model.Tags, &resp.Diagnostics)
	includeTemplates := model.IncludeTemplates.ValueBool()
	if !includeTemplates {
		filter.template = new(bool)
	}
	if resp.Diagnostics.HasError() {
		return
	}

	view, err := d.data.inventory.recent(ctx)
	if err != nil {
		addAPIError(&resp.Diagnostics, "read the cluster inventory", err)
		return
	}
	groups, scanned, err := duplicateGroups(ctx, d.data.client, view, filter, policy)
	if err != nil {
		addAPIError(&resp.Diagnostics, "read the creation time of duplicated VMs", err)
		return
	}
	resp.Diagnostics.Append(inventoryWarnings(filter.uncheckedVMIDs(view.guardInventory(nil)), view.complete)...)

	model.Keep = types.StringValue(string(policy))
	model.IncludeTemplates = types.BoolValue(includeTemplates)
	model.Groups = make([]duplicateGroupModel, 0, len(groups))
	excess := 0
	for _, g := range groups {
		model.Groups = append(model.Groups, duplicateGroupFrom(ctx, g, &resp.Diagnostics))
		excess += len(g.Members) - 1
	}
	model.VMsScanned = types.Int64Value(int64(scanned))
	model.NamesDuplicated = types.Int64Value(int64(len(groups)))
	model.VMsInExcess = types.Int64Value(int64(excess))
	tflog.Debug(ctx, "listed duplicate VM names", map[string]any{
		"vms_scanned": scanned, "names_duplicated": len(groups), "vms_in_excess": excess,
	})
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}

// duplicateGroups groups the VMs of view that pass filter. Creation times
// decide the member order and most keep policies, and the inventory does not
// carry them: they are read for the members of duplicate groups only, one
// request each. It also returns how many VMs it considered.
func duplicateGroups(ctx context.Context, client *pve.Client, view *clusterView, filter vmFilter, policy guard.KeepPolicy) ([]guard.Group, int, error) {
	members := map[int]bool{}
	for _, g := range guard.DuplicateGroups(filter.apply(view.guardInventory(nil).VMs), policy) {
		for _, m := range g.Members {
			members[m.VMID] = true
		}
	}
	inv, err := inventoryWithCreationTimes(ctx, client, view, nil, func(vm pve.InventoryVM) bool {
		return members[vm.VMID]
	})
	if err != nil {
		return nil, 0, err
	}
	considered := filter.apply(inv.VMs)
	scanned := 0
	for _, vm := range considered {
		if vm.NameKnown && vm.Name != "" {
			scanned++
		}
	}
	// A member deleted between the inventory and its config read has no
	// creation time; it still counts, as the inventory listed it.
	return guard.DuplicateGroups(considered, policy), scanned, nil
}

func duplicateGroupFrom(ctx context.Context, g guard.Group, diags *diag.Diagnostics) duplicateGroupModel {
	out := duplicateGroupModel{
		Name:         types.StringValue(g.Name),
		Count:        types.Int64Value(int64(len(g.Members))),
		KeepVMID:     types.Int64Value(int64(g.Keep.VMID)),
		KeepImportID: types.StringValue(importID(g.Keep.Node, g.Keep.VMID)),
		RemoveVMIDs:  make([]int64, 0, len(g.Remove)),
		ImportIDs:    make(map[string]string, len(g.Members)),
		Members:      make([]duplicateMemberModel, 0, len(g.Members)),
	}
	for _, vm := range g.Remove {
		out.RemoveVMIDs = append(out.RemoveVMIDs, int64(vm.VMID))
	}
	for _, vm := range g.Members {
		id := importID(vm.Node, vm.VMID)
		out.ImportIDs[strconv.Itoa(vm.VMID)] = id
		created := types.StringNull()
		if vm.CreatedAt > 0 {
			created = types.StringValue(formatCreatedAt(vm.CreatedAt))
		}
		out.Members = append(out.Members, duplicateMemberModel{
			VMID:      types.Int64Value(int64(vm.VMID)),
			Name:      types.StringValue(vm.Name),
			Node:      types.StringValue(vm.Node),
			Status:    types.StringValue(vm.Status),
			Template:  types.BoolValue(vm.Template),
			Tags:      tagsValue(ctx, vm.Tags, diags),
			CreatedAt: created,
			Uptime:    types.Int64Value(vm.Uptime),
			ImportID:  types.StringValue(id),
			Keep:      types.BoolValue(vm.VMID == g.Keep.VMID),
		})
	}
	return out
}
