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
					"numa":    schema.BoolAttribute{Computed: true, MarkdownDescription: "Enable/disable NUMA."},
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
	ref := vmRef{name: model.Name.ValueString()}
	if !model.VMID.IsNull() {
		ref = vmRef{vmid: int(model.VMID.ValueInt64())}
	}
	vm := d.lookup(ctx, ref, &resp.Diagnostics)
	if vm == nil || resp.Diagnostics.HasError() {
		return
	}
	model.fill(ctx, vm, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}

// lookup finds the VM that ref names, exactly one, and explains why not.
func (d *vmDataSource) lookup(ctx context.Context, ref vmRef, diags *diag.Diagnostics) *pve.VM {
	at := pathName
	if ref.vmid != 0 {
		at = pathVMID
	}
	vm, view, err := d.data.findVM(ctx, ref, lookupOptions{templates: true})
	var (
		notFound  *vmNotFoundError
		ambiguous *vmAmbiguousError
		notQEMU   *notQEMUError
		readErr   *vmReadError
	)
	switch {
	case err == nil:
	case errors.As(err, &notFound):
		diags.AddAttributeError(at, "VM not found", notFoundDetail(notFound))
	case errors.As(err, &notQEMU):
		diags.AddAttributeError(at, "Not a QEMU VM", notQEMU.Error()+".")
	case errors.As(err, &ambiguous):
		ids := make([]string, 0, len(ambiguous.matches))
		for _, m := range ambiguous.matches {
			ids = append(ids, strconv.Itoa(m.VMID))
		}
		diags.AddAttributeError(at, "Several VMs carry this name",
			fmt.Sprintf("%d VMs are named %q, oldest first:\n%s\n\nLook the one you mean up by vmid (one of %s) "+
				"instead.\n\n%s", len(ambiguous.matches), ref.name, vmList(ambiguous.matches), strings.Join(ids, ", "), duplicatesHint))
	case errors.As(err, &readErr) && errors.Is(err, pve.ErrNotFound):
		diags.AddAttributeError(at, "VM not found",
			fmt.Sprintf("VM %d%s was listed on node %s but is gone; it was deleted or migrated meanwhile. Retry.",
				readErr.listed.VMID, quotedName(ref), readErr.listed.Node))
	case errors.As(err, &readErr):
		addAPIError(diags, fmt.Sprintf("read VM %d%s on node %s", readErr.listed.VMID, quotedName(ref), readErr.listed.Node), readErr.err)
	default:
		addAPIError(diags, "read the cluster inventory", err)
	}
	if err != nil || ref.vmid != 0 {
		return vm
	}
	if unchecked := (vmFilter{}).uncheckedVMIDs(view.guardInventory(nil)); len(unchecked) > 0 {
		diags.AddAttributeWarning(pathName, "The name may be ambiguous",
			fmt.Sprintf("The names of VMIDs %s could not be read, so another VM named %q may exist. Their node "+
				"may be offline.", joinInts(unchecked), ref.name))
	}
	if !view.complete {
		diags.AddAttributeWarning(pathName, "The name may be ambiguous",
			fmt.Sprintf("The provider's credentials lack VM.Audit on /vms, so Proxmox VE may hide another VM "+
				"named %q. Grant VM.Audit on /vms (for example the PVEAuditor role) to be sure.", ref.name))
	}
	return vm
}

// quotedName is ` ("name")` for a lookup by name, else empty.
func quotedName(ref vmRef) string {
	if ref.vmid != 0 {
		return ""
	}
	return fmt.Sprintf(" (%q)", ref.name)
}

// notFoundDetail explains a failed lookup for the data source.
func notFoundDetail(e *vmNotFoundError) string {
	if e.ref.vmid != 0 {
		if !e.complete {
			return fmt.Sprintf("No VM with VMID %d is visible to the provider's credentials. The token or user lacks "+
				"VM.Audit on /vms, so Proxmox VE may hide it: grant VM.Audit on the VM or on /vms.", e.ref.vmid)
		}
		return fmt.Sprintf("There is no VM with VMID %d in the cluster.", e.ref.vmid)
	}
	if len(e.unchecked) > 0 {
		return fmt.Sprintf("No VM named %q was found, but the names of VMIDs %s could not be read: their "+
			"node may be offline. Retry when every node is online, or look the VM up by vmid.", e.ref.name, joinInts(e.unchecked))
	}
	detail := fmt.Sprintf("No VM named %q exists in the cluster.", e.ref.name)
	if !e.complete {
		detail += " The provider's credentials lack VM.Audit on /vms, so Proxmox VE may hide it."
	}
	return detail
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
		"numa":    types.BoolValue(vm.Hardware.NUMA),
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
