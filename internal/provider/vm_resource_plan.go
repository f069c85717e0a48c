package provider

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// ModifyPlan runs the duplicate guard at plan time, so `terraform plan`
// already shows a refusal or an adoption. Apply checks again.
func (r *vmResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var state *vmResourceModel
	if !req.State.Raw.IsNull() {
		state = &vmResourceModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if state != nil && r.data != nil {
		r.data.owned.add(state.vmid())
	}
	if req.Plan.Raw.IsNull() {
		if state != nil && state.Protection.ValueBool() {
			addProtectedError(&resp.Diagnostics, state.vmid(), state.Name.ValueString())
		}
		return
	}
	var plan vmResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	var reps []replacement
	if state != nil {
		reps = replacements(ctx, state, &plan, &resp.Diagnostics)
		for _, rep := range reps {
			resp.RequiresReplace = append(resp.RequiresReplace, rep.path)
		}
	}
	if resp.Diagnostics.HasError() || r.data == nil {
		// Without a configured provider (e.g. its settings are unknown) there
		// is nothing to check against; apply will check.
		return
	}

	if plan.OnExisting.IsUnknown() {
		plan.OnExisting = types.StringValue(string(r.data.onExisting))
		if state != nil {
			plan.OnExisting = state.OnExisting
		}
	}
	switch {
	case plan.Started.IsUnknown():
		plan.Status = types.StringUnknown()
	case plan.Started.ValueBool():
		plan.Status = types.StringValue("running")
	default:
		plan.Status = types.StringValue("stopped")
	}

	if state == nil {
		var configNode types.String
		resp.Diagnostics.Append(req.Config.GetAttribute(ctx, pathNode, &configNode)...)
		if configNode.IsNull() {
			if r.data.defaultNode == "" {
				resp.Diagnostics.AddAttributeError(pathNode, "Missing node",
					"Set node on this resource, or default_node (PROXMOX_VE_DEFAULT_NODE) on the provider.")
				return
			}
			plan.Node = types.StringValue(r.data.defaultNode)
		}
	}
	if checkCloudInit(ctx, &plan, &resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	if checkBootOrder(ctx, req.Config, state, &plan, &resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	if state == nil && !plan.Name.IsUnknown() {
		r.data.inventory.prefetch(ctx, planInventoryMaxAge) // for planCreate, during the placement checks
	}
	if r.checkPlacement(ctx, state, &plan, &resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	if r.checkCDROMMedia(ctx, state, &plan, &resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	if state == nil {
		plan.cloneFromConfig(ctx, req.Config, &resp.Diagnostics)
		r.planCreate(ctx, &plan, &resp.Diagnostics)
		plan.Clone = types.ObjectNull(cloneAttrTypes) // write-only: planned as null
	} else {
		r.planUpdate(ctx, state, &plan, reps, &resp.Diagnostics)
		if len(reps) == 0 {
			r.planPending(ctx, req.Private, state, &plan, !req.Plan.Raw.Equal(req.State.Raw), &resp.Diagnostics)
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	keepGuestDataWithoutChange(req.State, &resp.Plan)
}

func (r *vmResource) planCreate(ctx context.Context, plan *vmResourceModel, diags *diag.Diagnostics) {
	if plan.Name.IsUnknown() {
		return
	}
	name := plan.Name.ValueString()
	if clashes := r.data.planned.add(plannedName{name: name}); len(clashes) > 0 {
		addPlannedClash(diags, name, append(clashes, plannedName{name: name}))
		return
	}

	// At apply time Terraform plans each resource again right before
	// creating it; the views of the name checks serve here too.
	view, err := r.data.inventory.forNameCheck(ctx, planInventoryMaxAge)
	if err != nil {
		addAPIError(diags, "read the cluster inventory to check that "+strconv.Quote(name)+" is free", err)
		return
	}
	if !plan.VMID.IsNull() && !plan.VMID.IsUnknown() {
		// A VM with this name on the VMID is the name guard's to judge
		// below: the lost VM of a state reset (refused with the import
		// advice, or adopted), or the VM a replacement destroys first
		// (Terraform plans a replacement's create with no prior state:
		// hashicorp/terraform internal/terraform/
		// node_resource_abstract_instance.go plan, nullPriorVal).
		if taken, ok := view.find(plan.vmid()); ok && !guard.SameName(taken.Name, name) {
			diags.AddAttributeError(pathVMID, "VMID already in use",
				fmt.Sprintf("VMID %d is used by %s %q on node %s. Remove vmid to let the provider allocate a "+
					"free one, or choose another.", taken.VMID, taken.Type, taken.Name, taken.Node))
			return
		}
	}
	policy := guard.Policy(plan.OnExisting.ValueString())
	// VMs that instances of this run hold in state are being replaced:
	// Terraform destroys them before it creates their successor.
	decision := r.data.decide(ctx, view, name, policy, r.data.owned.set(), diags)
	if diags.HasError() {
		return
	}
	for _, vm := range decision.Remove {
		if decision.Action != guard.ActionRefuse {
			diags.AddAttributeWarning(pathName, "A VM an interrupted apply left behind will be removed",
				fmt.Sprintf("%s was created by an apply of this provider that was interrupted, and lost its name "+
					"to an older VM. It is in no Terraform state; apply destroys it.", vmLine(vm)))
		}
	}
	switch decision.Action {
	case guard.ActionRefuse:
		if r.data.vanished.has(name) && (decision.Reason == guard.ReasonExists || decision.Reason == guard.ReasonDuplicates) {
			// Maybe a destroy: it must not fail for a create it will not do.
			var refusal diag.Diagnostics
			addGuardRefusal(&refusal, name, decision)
			diags.AddAttributeWarning(pathName, "The VM was deleted and its name is taken",
				fmt.Sprintf("This resource's VM was deleted outside Terraform, and another VM now carries the name "+
					"%q. terraform destroy has nothing to do for it. terraform apply will refuse to create it:\n\n%s",
					name, refusal[0].Detail()))
			return
		}
		addGuardRefusal(diags, name, decision)
	case guard.ActionAdopt:
		r.planAdoption(ctx, plan, decision.Target, takesBack(decision.Reason), diags)
	case guard.ActionCreate, guard.ActionWait:
		// A create needs no plan change; decide has settled any wait. Only
		// a create clones: an adopted VM was cloned long ago, maybe from
		// a source that is gone.
		r.planClone(ctx, plan, view, diags)
	}
}

// planAdoption shows which VM apply will adopt, or why it cannot.
func (r *vmResource) planAdoption(ctx context.Context, plan *vmResourceModel, target *guard.VM, takeBack bool, diags *diag.Diagnostics) {
	vm, err := r.data.client.GetVM(ctx, target.Node, target.VMID)
	if err != nil {
		addAPIError(diags, fmt.Sprintf("read VM %d to plan its adoption", target.VMID), err)
		return
	}
	problems, change := adoptionProblems(ctx, plan, vm, diags)
	if len(problems) > 0 {
		addAdoptionRefusal(diags, vm, problems)
		return
	}
	plan.ID = types.StringValue(strconv.Itoa(vm.VMID))
	plan.VMID = types.Int64Value(int64(vm.VMID))
	plan.Node = types.StringValue(vm.Node)
	plan.UUID = stringOrNull(vm.UUID)
	plan.CreatedAt = types.StringNull()
	if vm.CreatedAt > 0 {
		plan.CreatedAt = types.StringValue(formatCreatedAt(vm.CreatedAt))
	}
	what := "It already matches this configuration."
	if !change.config.Empty() {
		what = "Apply will change: " + change.config.Describe() + "."
	}
	if takeBack {
		diags.AddAttributeWarning(pathName, "A VM an interrupted apply created will be taken back",
			whyTakenBack(*target)+" Apply takes it into state instead of creating another. "+what)
		return
	}
	diags.AddAttributeWarning(pathName, "Existing VM will be adopted",
		fmt.Sprintf("on_existing = \"adopt\": apply takes %s into state instead of creating a VM. %s",
			vmLineOf(vm), what))
}

// planUpdate checks an in-place change; reps are the changes that replace
// the VM instead.
func (r *vmResource) planUpdate(ctx context.Context, state, plan *vmResourceModel, reps []replacement, diags *diag.Diagnostics) {
	if len(reps) > 0 {
		if state.Protection.ValueBool() {
			reasons := make([]string, 0, len(reps))
			for _, rep := range reps {
				reasons = append(reasons, rep.reason)
			}
			diags.AddAttributeError(pathProtection, "The VM is protected and would be replaced",
				fmt.Sprintf("This change replaces VM %d (%q), which has protection enabled; Proxmox VE refuses to "+
					"destroy it. Replacement is caused by: %s. Revert that, or set protection = false and apply first.",
					state.vmid(), state.Name.ValueString(), strings.Join(reasons, "; ")))
		}
		// The new half of the replacement registers its name itself.
		return
	}
	if plan.Name.IsUnknown() {
		return
	}
	name := plan.Name.ValueString()
	checkDiskShrink(ctx, state, plan, diags)
	if !guard.SameName(name, state.Name.ValueString()) {
		entry := plannedName{name: name, vmid: state.vmid()}
		if clashes := r.data.planned.add(entry); len(clashes) > 0 {
			addPlannedClash(diags, name, append(clashes, entry))
			return
		}
		current := &pve.VM{VMID: state.vmid(), Node: state.Node.ValueString(), Name: state.Name.ValueString()}
		r.checkRename(ctx, current, name, r.data.inventory.recent, diags)
	}
}

func addPlannedClash(diags *diag.Diagnostics, name string, clashes []plannedName) {
	lines := make([]string, 0, len(clashes))
	for _, c := range clashes {
		lines = append(lines, "  - "+c.describe())
	}
	diags.AddAttributeError(pathName, "Two proxmoxsafe_vm resources have the same name",
		fmt.Sprintf("More than one proxmoxsafe_vm in this configuration plans the VM name %q "+
			"(names are compared case-insensitively):\n%s\n\nVM names must be unique; give each resource its own name.",
			name, strings.Join(lines, "\n")))
}
