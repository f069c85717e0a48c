package provider

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
)

var (
	_ resource.Resource                = (*nameGuardResource)(nil)
	_ resource.ResourceWithConfigure   = (*nameGuardResource)(nil)
	_ resource.ResourceWithImportState = (*nameGuardResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*nameGuardResource)(nil)
)

// NewNameGuardResource returns the proxmoxsafe_name_guard resource.
func NewNameGuardResource() resource.Resource {
	return &nameGuardResource{}
}

// nameGuardResource claims a VM name for a VM that another provider creates.
// It never creates, changes or deletes a VM.
type nameGuardResource struct {
	data *providerData
}

type nameGuardModel struct {
	ID     types.String `tfsdk:"id"`
	Name   types.String `tfsdk:"name"`
	Node   types.String `tfsdk:"node"`
	VMID   types.Int64  `tfsdk:"vmid"`
	VMNode types.String `tfsdk:"vm_node"`
}

func (r *nameGuardResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_name_guard"
}

func (r *nameGuardResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Claims a VM name for a VM that another provider creates (for example " +
			"`proxmox_virtual_environment_vm` of bpg/proxmox or `proxmox_vm_qemu` of Telmate/proxmox). " +
			"Give that VM `name = proxmoxsafe_name_guard.<name>.name`: the guard is created first, and its " +
			"creation fails, already at plan time, when any VM in the cluster carries the name, with the same " +
			"rules as `proxmoxsafe_vm` (every node, templates included, case-insensitive, failing closed when " +
			"some VM cannot be checked). After a lost or reset state the plan therefore stops before the other " +
			"provider creates a second VM, and says how to import both resources. The guard never creates, " +
			"changes or deletes a VM.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The name.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "The VM name to claim, unique in the cluster (compared case-insensitively). " +
					"Changing it (other than its case) replaces the guard, which checks that the new name is free.",
				Required:   true,
				Validators: nameValidators(),
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIf(
					func(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
						resp.RequiresReplace = !guard.SameName(req.StateValue.ValueString(), req.PlanValue.ValueString())
					}, "Another name is another claim.", "Another name is another claim.")},
			},
			"node": schema.StringAttribute{
				MarkdownDescription: "Node the VM is meant to run on, to pass on to the other provider's VM " +
					"(e.g. `node_name = proxmoxsafe_name_guard.<name>.node`). The name is checked on every node " +
					"whatever this says.",
				Optional: true,
			},
			"vmid": schema.Int64Attribute{
				MarkdownDescription: "VMID of the VM that carries the name, once it exists; recorded when " +
					"Terraform refreshes the guard. Null while no VM carries the name.",
				Computed:      true,
				PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"vm_node": schema.StringAttribute{
				MarkdownDescription: "Node the VM that carries the name is on, once it exists; recorded when " +
					"Terraform refreshes the guard.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
		},
	}
}

func (r *nameGuardResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// ModifyPlan checks a new name at plan time, so a taken name stops the plan
// before the other provider's VM is planned for creation. Apply checks again.
func (r *nameGuardResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroying a guard touches no VM; unconfigured: apply checks
	}
	var plan nameGuardModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || plan.Name.IsUnknown() {
		return
	}
	name := plan.Name.ValueString()
	if !req.State.Raw.IsNull() {
		var state nameGuardModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if resp.Diagnostics.HasError() || guard.SameName(state.Name.ValueString(), name) {
			return // the guard holds this name already
		}
	}
	if clashes := r.data.planned.add(plannedName{name: name}); len(clashes) > 0 {
		resp.Diagnostics.AddAttributeError(pathName, "Two resources claim the same VM name",
			fmt.Sprintf("More than one resource in this configuration claims the VM name %q (names are compared "+
				"case-insensitively); the other one plans %s. VM names must be unique; give each its own name.",
				name, clashes[0].describe()))
		return
	}
	view, err := r.data.inventory.recent(ctx)
	if err != nil {
		addAPIError(&resp.Diagnostics, "read the cluster inventory to check that "+strconv.Quote(name)+" is free", err)
		return
	}
	if !r.nameIsFree(ctx, view, name, &resp.Diagnostics) {
		return
	}
	// A new guard records the VM only once another provider created it.
	plan.ID = types.StringValue(name)
	plan.VMID = types.Int64Null()
	plan.VMNode = types.StringNull()
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

func (r *nameGuardResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan nameGuardModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := plan.Name.ValueString()
	// Whatever plan time saw, a VM that carries the name now blocks the claim.
	view, err := r.data.inventory.fresh(ctx)
	if err != nil {
		addAPIError(&resp.Diagnostics, "read the cluster inventory before claiming "+strconv.Quote(name), err)
		return
	}
	if !r.nameIsFree(ctx, view, name, &resp.Diagnostics) {
		return
	}
	tflog.Info(ctx, "claimed VM name", map[string]any{"name": name})
	plan.ID = types.StringValue(name)
	plan.VMID = types.Int64Null()
	plan.VMNode = types.StringNull()
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// nameIsFree runs the guard of proxmoxsafe_vm for name and explains a refusal.
func (r *nameGuardResource) nameIsFree(ctx context.Context, view *clusterView, name string, diags *diag.Diagnostics) bool {
	decision := r.data.decide(ctx, view, name, guard.PolicyFail, nil, diags)
	if diags.HasError() {
		return false
	}
	switch {
	case decision.Action == guard.ActionCreate:
		return true
	case decision.Reason == guard.ReasonExists || takesBack(decision.Reason):
		// A VM an interrupted apply of proxmoxsafe_vm left is a VM like
		// any other to a guard: only that resource takes it back.
		addNameClaimedError(diags, name, *decision.Target)
	case decision.Reason == guard.ReasonDuplicates:
		diags.AddAttributeError(pathName, "Several VMs already carry this name",
			fmt.Sprintf("Proxmox VE has %d VMs named %q:\n%s\n\nA guard cannot claim a name that is already "+
				"duplicated. Decide which VM keeps it and delete or rename the others; then import the guard and "+
				"the kept VM as the existing VM's error would say.\n\n%s",
				len(decision.Matches), name, vmList(decision.Matches), duplicatesHint))
	default:
		addGuardRefusal(diags, name, decision)
	}
	return false
}

// addNameClaimedError names the VM that carries the name and how to take
// it into state with both the guard and the other provider's VM.
func addNameClaimedError(diags *diag.Diagnostics, name string, vm guard.VM) {
	var peers strings.Builder
	for _, source := range movedSources {
		fmt.Fprintf(&peers, "  terraform import <%s address> %s    # %s\n",
			source.typeName, source.importID(vm.Node, vm.VMID), source.label)
	}
	diags.AddAttributeError(pathName, "A VM with this name already exists",
		fmt.Sprintf("Proxmox VE already has a VM named %q, and this guard is not in the Terraform state:\n%s\n\n"+
			"Either the state was lost or reset, or the VM was created outside this configuration. Claiming the "+
			"name now would let the other provider create a second VM with it, so the plan stops here.\n\n"+
			"If this is the VM your configuration manages, import the guard by name and the VM into the other "+
			"provider's resource, in that provider's import ID format:\n\n"+
			"  terraform import <proxmoxsafe_name_guard address> %s\n%s\n"+
			"or with import blocks (id = %q for the guard). Otherwise choose another name.",
			name, vmList([]guard.VM{vm}), name, peers.String(), name))
}

// Read records the VM that carries the name, once another provider made it.
func (r *nameGuardResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state nameGuardModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := state.Name.ValueString()
	view, err := r.data.inventory.recent(ctx)
	if err != nil {
		addAPIError(&resp.Diagnostics, "read the cluster inventory to find the VM named "+strconv.Quote(name), err)
		return
	}
	inv, err := r.data.withCreationTimes(ctx, view, name, nil)
	if err != nil {
		addAPIError(&resp.Diagnostics, "read the VMs named "+strconv.Quote(name), err)
		return
	}
	recorded := int(state.VMID.ValueInt64())
	var found *guard.VM
	matches := guard.Matches(inv, name)
	for i := range matches {
		if len(matches) == 1 || matches[i].VMID == recorded {
			found = &matches[i]
		}
	}
	if len(matches) > 1 {
		resp.Diagnostics.AddAttributeWarning(pathName, "Several VMs carry the guarded name",
			fmt.Sprintf("The name %q is duplicated:\n%s\n\n%s", name, vmList(matches), duplicatesHint))
	}
	switch {
	case found != nil:
		state.VMID = types.Int64Value(int64(found.VMID))
		state.VMNode = types.StringValue(found.Node)
	case recorded != 0 && nameUnread(view, recorded):
		// Its node is offline or its name not yet published: keep what we know.
	default:
		state.VMID = types.Int64Null()
		state.VMNode = types.StringNull()
	}
	if state.ID.IsNull() || state.ID.IsUnknown() {
		state.ID = types.StringValue(name)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// nameUnread reports whether the inventory could not read the VM's name.
func nameUnread(view *clusterView, vmid int) bool {
	for _, id := range view.unresolved {
		if id == vmid {
			return true
		}
	}
	entry, ok := view.find(vmid)
	return ok && !entry.NameKnown
}

// Update only records a new node: the name is replaced, never updated.
func (r *nameGuardResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan nameGuardModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Delete releases the claim; the VM, if any, belongs to the other provider.
func (r *nameGuardResource) Delete(ctx context.Context, _ resource.DeleteRequest, _ *resource.DeleteResponse) {
	tflog.Info(ctx, "released VM name; no VM was touched")
}

// ImportState takes the name as ID; Read records the VM that carries it.
func (r *nameGuardResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if !dnsNameRegexp.MatchString(req.ID) {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("%q is not a VM name. Import a proxmoxsafe_name_guard by the VM name it guards.", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), req.ID)...)
}
