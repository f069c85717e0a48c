package provider

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

var (
	_ datasource.DataSource                     = (*vmDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*vmDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*vmDataSource)(nil)
)

// NewVMDataSource returns the proxmoxsafe_vm data source.
func NewVMDataSource() datasource.DataSource {
	return &vmDataSource{}
}

// vmDataSource reads one VM by VMID or by a name that must be unambiguous.
type vmDataSource struct {
	data *providerData
}

type vmDataSourceModel struct {
	Name        types.String `tfsdk:"name"`
	VMID        types.Int64  `tfsdk:"vmid"`
	Node        types.String `tfsdk:"node"`
	Status      types.String `tfsdk:"status"`
	Template    types.Bool   `tfsdk:"template"`
	Tags        types.Set    `tfsdk:"tags"`
	Description types.String `tfsdk:"description"`
	CPU         types.Object `tfsdk:"cpu"`
	Memory      types.Int64  `tfsdk:"memory"`
	CreatedAt   types.String `tfsdk:"created_at"`
	UUID        types.String `tfsdk:"uuid"`
	ImportID    types.String `tfsdk:"import_id"`
}

func (d *vmDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_vm"
}

func (d *vmDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "One QEMU VM or template, looked up by `vmid` or by `name`. A name that several " +
			"VMs carry is an error that lists them, never a guess; a VMID is always unambiguous.",
		Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{
				MarkdownDescription: "Name of the VM (compared case-insensitively). Exactly one of `name` and " +
					"`vmid` must be set.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"vmid": schema.Int64Attribute{
				MarkdownDescription: "VMID of the VM. Exactly one of `name` and `vmid` must be set.",
				Optional:            true,
				Computed:            true,
				Validators:          []validator.Int64{int64validator.Between(100, 999999999)},
			},
			"node": schema.StringAttribute{
				MarkdownDescription: "Node the VM is on.",
				Computed:            true,
			},
			"status": schema.StringAttribute{
				MarkdownDescription: "Current status: `running` or `stopped`.",
				Computed:            true,
			},
			"template": schema.BoolAttribute{
				MarkdownDescription: "Whether the VM is a template.",
				Computed:            true,
			},
			"tags": schema.SetAttribute{
				MarkdownDescription: "Tags, lowercased.",
				ElementType:         types.StringType,
				Computed:            true,
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "Description (notes); empty when there is none.",
				Computed:            true,
			},
			"cpu": schema.SingleNestedAttribute{
				MarkdownDescription: "CPU configuration.",
				Computed:            true,
				Attributes: map[string]schema.Attribute{
					"cores":   schema.Int64Attribute{Computed: true, MarkdownDescription: "Cores per socket."},
					"sockets": schema.Int64Attribute{Computed: true, MarkdownDescription: "Sockets."},
					"type": schema.StringAttribute{
						Computed:            true,
						MarkdownDescription: "CPU type; null when the VM uses Proxmox VE's default.",
					},
				},
			},
			"memory": schema.Int64Attribute{
				MarkdownDescription: "Memory in MiB.",
				Computed:            true,
			},
			"created_at": schema.StringAttribute{
				MarkdownDescription: "When Proxmox VE created the VM (RFC 3339); null when it has no recorded " +
					"creation time.",
				Computed: true,
			},
			"uuid": schema.StringAttribute{
				MarkdownDescription: "SMBIOS UUID of the VM.",
				Computed:            true,
			},
			"import_id": schema.StringAttribute{
				MarkdownDescription: "Import ID (`node/vmid`) for `proxmoxsafe_vm`.",
				Computed:            true,
			},
		},
	}
}

func (d *vmDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("name"), path.MatchRoot("vmid")),
	}
}

func (d *vmDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *vmDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if d.data == nil {
		resp.Diagnostics.AddError("Provider not configured", "The provider must be configured to read a VM.")
		return
	}
	var model vmDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var vm *pve.VM
	if !model.VMID.IsNull() {
		vm = d.byVMID(ctx, int(model.VMID.ValueInt64()), &resp.Diagnostics)
	} else {
		vm = d.byName(ctx, model.Name.ValueString(), &resp.Diagnostics)
	}
	if vm == nil || resp.Diagnostics.HasError() {
		return
	}
	model.fill(ctx, vm, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}

// byVMID finds the node in the inventory, then reads the VM there.
func (d *vmDataSource) byVMID(ctx context.Context, vmid int, diags *diag.Diagnostics) *pve.VM {
	view, err := d.data.inventory.recent(ctx)
	if err != nil {
		addAPIError(diags, "read the cluster inventory", err)
		return nil
	}
	entry, ok := view.find(vmid)
	if !ok {
		// A shared view may predate a VM created earlier in this run.
		if view, err = d.data.inventory.fresh(ctx); err != nil {
			addAPIError(diags, "read the cluster inventory", err)
			return nil
		}
		entry, ok = view.find(vmid)
	}
	switch {
	case !ok && !view.complete:
		diags.AddAttributeError(pathVMID, "VM not found",
			fmt.Sprintf("No VM with VMID %d is visible to the provider's credentials. The token or user lacks "+
				"VM.Audit on /vms, so Proxmox VE may hide it: grant VM.Audit on the VM or on /vms.", vmid))
		return nil
	case !ok:
		diags.AddAttributeError(pathVMID, "VM not found", fmt.Sprintf("There is no VM with VMID %d in the cluster.", vmid))
		return nil
	case entry.Type != "" && entry.Type != "qemu":
		diags.AddAttributeError(pathVMID, "Not a QEMU VM",
			fmt.Sprintf("VMID %d on node %s is a container (%s), not a QEMU VM.", vmid, entry.Node, entry.Type))
		return nil
	}
	vm, err := d.data.client.GetVM(ctx, entry.Node, vmid)
	if errors.Is(err, pve.ErrNotFound) {
		diags.AddAttributeError(pathVMID, "VM not found",
			fmt.Sprintf("VM %d was listed on node %s but is gone; it was deleted or migrated meanwhile. Retry.", vmid, entry.Node))
		return nil
	}
	if err != nil {
		addAPIError(diags, fmt.Sprintf("read VM %d on node %s", vmid, entry.Node), err)
		return nil
	}
	return vm
}

// byName resolves a name that exactly one VM must carry. Creation times are
// read only to explain an ambiguous name.
func (d *vmDataSource) byName(ctx context.Context, name string, diags *diag.Diagnostics) *pve.VM {
	view, err := d.data.inventory.recent(ctx)
	if err != nil {
		addAPIError(diags, "read the cluster inventory", err)
		return nil
	}
	inv := view.guardInventory(nil)
	matches := guard.Matches(inv, name)
	unchecked := vmFilter{}.uncheckedVMIDs(inv)
	switch len(matches) {
	case 0:
		detail := fmt.Sprintf("No VM named %q exists in the cluster.", name)
		if len(unchecked) > 0 {
			detail = fmt.Sprintf("No VM named %q was found, but the names of VMIDs %s could not be read: their "+
				"node may be offline. Retry when every node is online, or look the VM up by vmid.", name, joinInts(unchecked))
		} else if !view.complete {
			detail += " The provider's credentials lack VM.Audit on /vms, so Proxmox VE may hide it."
		}
		diags.AddAttributeError(pathName, "VM not found", detail)
		return nil
	case 1:
	default:
		inv, err = inventoryWithCreationTimes(ctx, d.data.client, view, nil, func(vm pve.InventoryVM) bool {
			return vm.NameKnown && guard.SameName(vm.Name, name)
		})
		if err != nil {
			addAPIError(diags, "read the VMs named "+strconv.Quote(name), err)
			return nil
		}
		matches = guard.Matches(inv, name)
		ids := make([]string, 0, len(matches))
		for _, m := range matches {
			ids = append(ids, strconv.Itoa(m.VMID))
		}
		diags.AddAttributeError(pathName, "Several VMs carry this name",
			fmt.Sprintf("%d VMs are named %q, oldest first:\n%s\n\nLook the one you mean up by vmid (one of %s) "+
				"instead.\n\n%s", len(matches), name, vmList(matches), strings.Join(ids, ", "), duplicatesHint))
		return nil
	}

	if len(unchecked) > 0 {
		diags.AddAttributeWarning(pathName, "The name may be ambiguous",
			fmt.Sprintf("The names of VMIDs %s could not be read, so another VM named %q may exist. Their node "+
				"may be offline.", joinInts(unchecked), name))
	}
	if !view.complete {
		diags.AddAttributeWarning(pathName, "The name may be ambiguous",
			fmt.Sprintf("The provider's credentials lack VM.Audit on /vms, so Proxmox VE may hide another VM "+
				"named %q. Grant VM.Audit on /vms (for example the PVEAuditor role) to be sure.", name))
	}
	m := matches[0]
	vm, err := d.data.client.GetVM(ctx, m.Node, m.VMID)
	if errors.Is(err, pve.ErrNotFound) {
		diags.AddAttributeError(pathName, "VM not found",
			fmt.Sprintf("VM %d (%q) was listed on node %s but is gone; it was deleted or migrated meanwhile. Retry.",
				m.VMID, name, m.Node))
		return nil
	}
	if err != nil {
		addAPIError(diags, fmt.Sprintf("read VM %d (%q) on node %s", m.VMID, name, m.Node), err)
		return nil
	}
	return vm
}

func (m *vmDataSourceModel) fill(ctx context.Context, vm *pve.VM, diags *diag.Diagnostics) {
	// The attribute looked up keeps its configured value: Terraform expects
	// configured values back unchanged, and a name matches case-insensitively.
	if m.Name.IsNull() {
		m.Name = types.StringValue(vm.Name)
	}
	if m.VMID.IsNull() {
		m.VMID = types.Int64Value(int64(vm.VMID))
	}
	m.Node = types.StringValue(vm.Node)
	m.Status = types.StringValue(vm.Status)
	m.Template = types.BoolValue(vm.Template)
	m.Tags = tagsValue(ctx, vm.Tags, diags)
	m.Description = types.StringValue(vm.Description)
	cpu, d := types.ObjectValue(cpuAttrTypes, map[string]attr.Value{
		"cores":   types.Int64Value(atLeastOne(vm.Cores)),
		"sockets": types.Int64Value(atLeastOne(vm.Sockets)),
		"type":    stringOrNull(vm.CPUType),
	})
	diags.Append(d...)
	m.CPU = cpu
	m.Memory = types.Int64Value(vm.MemoryMB)
	m.CreatedAt = types.StringNull()
	if vm.CreatedAt > 0 {
		m.CreatedAt = types.StringValue(formatCreatedAt(vm.CreatedAt))
	}
	m.UUID = stringOrNull(vm.UUID)
	m.ImportID = types.StringValue(importID(vm.Node, vm.VMID))
}
