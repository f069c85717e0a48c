package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

var (
	_ resource.Resource                = (*vmResource)(nil)
	_ resource.ResourceWithConfigure   = (*vmResource)(nil)
	_ resource.ResourceWithImportState = (*vmResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*vmResource)(nil)
)

const (
	defaultCreateTimeout = 30 * time.Minute
	defaultUpdateTimeout = 30 * time.Minute
	defaultDeleteTimeout = 20 * time.Minute
	shutdownTimeout      = 2 * time.Minute
	lockPollInterval     = 500 * time.Millisecond
	// VMID allocation can race with other clients; PVE reserves nothing.
	maxAllocationAttempts = 5
)

// NewVMResource returns the proxmoxsafe_vm resource.
func NewVMResource() resource.Resource {
	return &vmResource{}
}

type vmResource struct {
	data *providerData
}

func (r *vmResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_vm"
}

func (r *vmResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = vmResourceSchema(ctx)
}

func (r *vmResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *vmResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan vmResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := plan.Timeouts.Create(ctx, defaultCreateTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	name := plan.Name.ValueString()
	policy := guard.Policy(plan.OnExisting.ValueString())
	view, err := r.data.inventory.fresh(ctx)
	if err != nil {
		addAPIError(&resp.Diagnostics, "read the cluster inventory before creating "+strconv.Quote(name), err)
		return
	}
	// No VM is ignored here: whatever plan time assumed, a VM with the name
	// that still exists at apply time blocks the create.
	decision := r.decide(ctx, view, name, policy, nil, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	switch decision.Action {
	case guard.ActionRefuse:
		addGuardRefusal(&resp.Diagnostics, name, decision)
	case guard.ActionAdopt:
		r.adopt(ctx, &plan, decision.Target, &resp.State, &resp.Diagnostics)
	case guard.ActionCreate:
		r.create(ctx, &plan, view, &resp.State, &resp.Diagnostics)
	}
}

// create makes a new VM, records it in state the moment it exists, and then
// makes sure no concurrent apply won the name.
func (r *vmResource) create(ctx context.Context, plan *vmResourceModel, view *clusterView, state *tfsdk.State, diags *diag.Diagnostics) {
	client := r.data.client
	node := plan.Node.ValueString()
	name := plan.Name.ValueString()
	spec := plan.createSpec(ctx, node, 0, diags)
	source := plan.clone(ctx, diags)
	if diags.HasError() {
		return
	}
	var sourceVM *guard.VM
	if source != nil {
		vm, problem := resolveCloneSource(view, source.Source.ValueString())
		if problem != "" {
			diags.AddAttributeError(path.Root("clone").AtName("source"), "Invalid clone source", problem)
			return
		}
		sourceVM = vm
	}

	autoID := plan.VMID.IsNull() || plan.VMID.IsUnknown()
	var err error
	for attempt := 1; ; attempt++ {
		spec.VMID, err = r.allocateVMID(ctx, plan, autoID)
		if err != nil {
			addAPIError(diags, "allocate a VMID for "+strconv.Quote(name), err)
			return
		}
		tflog.Info(ctx, "creating VM", map[string]any{"name": name, "vmid": spec.VMID, "node": node})
		if sourceVM != nil {
			err = client.CloneVM(ctx, pve.CloneSpec{
				SourceNode: sourceVM.Node, SourceVMID: sourceVM.VMID, NewID: spec.VMID, TargetNode: node,
				Name: name, Description: spec.Description, Full: source.Full.ValueBool(), Storage: source.Storage.ValueString(),
			})
		} else {
			err = client.CreateVM(ctx, spec)
		}
		if !errors.Is(err, pve.ErrAlreadyExists) || !autoID || attempt == maxAllocationAttempts {
			break
		}
		tflog.Debug(ctx, "VMID taken meanwhile, allocating another", map[string]any{"vmid": spec.VMID})
	}
	r.data.inventory.invalidate()
	if err != nil && answerLost(ctx, err) && r.createdDespiteLostAnswer(ctx, node, spec.VMID, name) {
		tflog.Warn(ctx, "the answer to the create request was lost, but the VM exists", map[string]any{"vmid": spec.VMID})
		err = nil
	}
	if err != nil {
		// The VM can exist although the call failed: a task that timed out,
		// or an answer lost on the way back. Keep it in state then.
		if r.saveIfExists(ctx, plan, node, spec.VMID, state) {
			addAPIError(diags, fmt.Sprintf("finish creating VM %d (%q); it exists and is kept in state as tainted", spec.VMID, name), err)
			return
		}
		if errors.Is(err, pve.ErrAlreadyExists) && !autoID {
			diags.AddAttributeError(pathVMID, "VMID already in use",
				fmt.Sprintf("VMID %d is already used by another VM or container in the cluster: %s\n\nRemove vmid "+
					"to let the provider allocate a free one, or choose another.", spec.VMID, err))
			return
		}
		addAPIError(diags, "create VM "+strconv.Quote(name), err)
		return
	}

	vm, err := client.GetVM(ctx, node, spec.VMID)
	if err != nil {
		addAPIError(diags, fmt.Sprintf("read VM %d after creating it", spec.VMID), err)
		r.saveIfExists(ctx, plan, node, spec.VMID, state)
		return
	}
	r.saveVM(ctx, plan, vm, state, diags)

	winner, err := r.verifyUnique(ctx, vm)
	if err != nil {
		addAPIError(diags, fmt.Sprintf("verify that VM %d is the only VM named %q", vm.VMID, name), err)
		return
	}
	if winner.VMID != vm.VMID {
		r.yieldToWinner(ctx, plan, vm, winner, state, diags)
		return
	}

	if source != nil {
		// A clone starts as a copy of its source; converge it to the plan.
		if !r.applyChange(ctx, plan, vm, diags) {
			return
		}
	}
	if plan.Protection.ValueBool() {
		if err := client.UpdateConfig(ctx, node, vm.VMID, map[string]string{"protection": "1"}, nil, ""); err != nil {
			addAPIError(diags, fmt.Sprintf("protect VM %d", vm.VMID), err)
			return
		}
	}
	if !r.applyPower(ctx, plan, vm, diags) {
		return
	}
	r.refreshState(ctx, plan, node, vm.VMID, state, diags)
}

// allocateVMID returns the configured VMID or a free one.
func (r *vmResource) allocateVMID(ctx context.Context, plan *vmResourceModel, auto bool) (int, error) {
	if !auto {
		return plan.vmid(), nil
	}
	return r.data.client.NextID(ctx)
}

// verifyUnique waits until every VM created in the same second as ours is
// visible, then returns the VM that owns the name: the earliest created,
// then the lowest VMID. Every racer computes the same winner.
func (r *vmResource) verifyUnique(ctx context.Context, ours *pve.VM) (guard.VM, error) {
	if ours.CreatedAt > 0 {
		// A VM with the same ctime existed before that second ended; the
		// extra second absorbs clock skew between us and the cluster.
		if err := sleepUntil(ctx, time.Unix(ours.CreatedAt+2, 0)); err != nil {
			return guard.VM{}, err
		}
	}
	// PVE publishes a new VM's name only when its create task ends; a VM
	// still being created could turn out to carry our name, so wait for it.
	var view *clusterView
	for {
		r.data.inventory.invalidate()
		var err error
		if view, err = r.data.inventory.fresh(ctx); err != nil {
			return guard.VM{}, err
		}
		pending := view.pendingCreations(ours.VMID)
		if len(pending) == 0 {
			break
		}
		tflog.Debug(ctx, "waiting for VMs still being created", map[string]any{"vmids": pending})
		if err := sleepUntil(ctx, time.Now().Add(lockPollInterval)); err != nil {
			return guard.VM{}, fmt.Errorf("VMs %s are still being created: %w", joinInts(pending), err)
		}
	}
	inv, err := r.withCreationTimes(ctx, view, ours.Name, map[int]int64{ours.VMID: ours.CreatedAt})
	if err != nil {
		return guard.VM{}, err
	}
	matches := guard.Matches(inv, ours.Name)
	for _, m := range matches {
		if m.VMID == ours.VMID {
			return guard.Winner(matches), nil
		}
	}
	// Our VM is not listed yet: it is still the one we just made.
	return guard.Winner(append(matches, guard.VM{VMID: ours.VMID, Node: ours.Node, Name: ours.Name, CreatedAt: ours.CreatedAt})), nil
}

// yieldToWinner removes the VM we just created because a concurrent apply
// created the name first, then adopts or fails.
func (r *vmResource) yieldToWinner(ctx context.Context, plan *vmResourceModel, ours *pve.VM, winner guard.VM, state *tfsdk.State, diags *diag.Diagnostics) {
	tflog.Warn(ctx, "a concurrent apply created the same VM name first; removing ours", map[string]any{
		"ours": ours.VMID, "winner": winner.VMID,
	})
	if err := r.data.client.DestroyVM(ctx, ours.Node, ours.VMID); err != nil {
		addAPIError(diags, fmt.Sprintf("remove VM %d, which lost the name %q to VM %d; it stays in state as tainted",
			ours.VMID, ours.Name, winner.VMID), err)
		return
	}
	r.data.inventory.invalidate()
	state.RemoveResource(ctx)
	if guard.Policy(plan.OnExisting.ValueString()) == guard.PolicyAdopt {
		diags.AddWarning("Adopting the VM a concurrent apply created",
			fmt.Sprintf("Another apply created %s first. This apply removed its own VM %d and adopts the winner.",
				vmLine(winner), ours.VMID))
		r.adopt(ctx, plan, &winner, state, diags)
		return
	}
	diags.AddAttributeError(pathName, "A concurrent apply created this VM name first",
		fmt.Sprintf("While this apply created VM %d, another one created %s, which came first. To keep the name "+
			"unique, this apply removed its own VM %d; nothing of it is left.\n\n%s",
			ours.VMID, vmLine(winner), ours.VMID, importAdvice(ours.Name)))
}

// adopt takes an existing VM into state and converges it to the plan,
// refusing anything that could lose data.
func (r *vmResource) adopt(ctx context.Context, plan *vmResourceModel, target *guard.VM, state *tfsdk.State, diags *diag.Diagnostics) {
	if !plan.VMID.IsNull() && !plan.VMID.IsUnknown() && plan.vmid() != target.VMID {
		diags.AddAttributeError(pathVMID, "The VM to adopt changed since the plan",
			fmt.Sprintf("The plan adopts VMID %d, but the VM named %q is now %s. Run terraform plan again.",
				plan.vmid(), plan.Name.ValueString(), vmLine(*target)))
		return
	}
	// Another apply may still be creating or changing it.
	if err := r.waitUnlocked(ctx, target.Node, target.VMID); err != nil {
		addAPIError(diags, fmt.Sprintf("wait for the lock on VM %d before adopting it", target.VMID), err)
		return
	}
	vm, err := r.data.client.GetVM(ctx, target.Node, target.VMID)
	if err != nil {
		addAPIError(diags, fmt.Sprintf("read VM %d to adopt it", target.VMID), err)
		return
	}
	if problems, _ := adoptionProblems(ctx, plan, vm, diags); len(problems) > 0 {
		addAdoptionRefusal(diags, vm, problems)
		return
	}
	tflog.Info(ctx, "adopting existing VM", map[string]any{"vmid": vm.VMID, "node": vm.Node, "name": vm.Name})
	plan.Node = types.StringValue(vm.Node)
	r.saveVM(ctx, plan, vm, state, diags)
	if !r.applyChange(ctx, plan, vm, diags) || !r.applyPower(ctx, plan, vm, diags) {
		return
	}
	r.refreshState(ctx, plan, vm.Node, vm.VMID, state, diags)
}

// adoptionProblems lists what adopting vm for plan would destroy or cannot do,
// with the configuration change adoption would make.
func adoptionProblems(ctx context.Context, plan *vmResourceModel, vm *pve.VM, diags *diag.Diagnostics) ([]string, configChange) {
	var problems []string
	if vm.Template {
		problems = append(problems, "it is a template; templates are never adopted")
	}
	if node := plan.Node.ValueString(); !plan.Node.IsUnknown() && node != "" && node != vm.Node {
		problems = append(problems, fmt.Sprintf("node: the VM is on %s, the configuration says %s (set node = %q to adopt it where it is)",
			vm.Node, node, vm.Node))
	}
	change := diffConfig(ctx, plan, vm, diags)
	return append(problems, change.destructive...), change
}

func addAdoptionRefusal(diags *diag.Diagnostics, vm *pve.VM, problems []string) {
	diags.AddAttributeError(pathName, "Refusing to adopt the existing VM",
		fmt.Sprintf("%s exists, but adopting it would need changes that lose data or that Proxmox VE cannot make:\n"+
			"  - %s\n\nChange the configuration to match the VM, or import it and decide yourself:\n\n%s",
			vmLineOf(vm), strings.Join(problems, "\n  - "), importAdvice(vm.Name)))
}

// applyChange sends the configuration differences and disk growth.
func (r *vmResource) applyChange(ctx context.Context, plan *vmResourceModel, vm *pve.VM, diags *diag.Diagnostics) bool {
	change := diffConfig(ctx, plan, vm, diags)
	if diags.HasError() {
		return false
	}
	if len(change.destructive) > 0 {
		diags.AddError("Refusing a destructive change",
			fmt.Sprintf("VM %d (%q) cannot be changed in place without losing data:\n  - %s",
				vm.VMID, vm.Name, strings.Join(change.destructive, "\n  - ")))
		return false
	}
	if len(change.set) > 0 || len(change.remove) > 0 {
		if err := r.data.client.UpdateConfig(ctx, vm.Node, vm.VMID, change.set, change.remove, vm.Digest); err != nil {
			addAPIError(diags, fmt.Sprintf("update the configuration of VM %d (%q)", vm.VMID, vm.Name), err)
			return false
		}
	}
	for _, rs := range change.resizes {
		if err := r.data.client.ResizeDisk(ctx, vm.Node, vm.VMID, rs.iface, rs.sizeGB); err != nil {
			addAPIError(diags, fmt.Sprintf("grow disk %s of VM %d to %d GiB", rs.iface, vm.VMID, rs.sizeGB), err)
			return false
		}
	}
	return true
}

// applyPower starts or shuts down the VM as `started` says.
func (r *vmResource) applyPower(ctx context.Context, plan *vmResourceModel, vm *pve.VM, diags *diag.Diagnostics) bool {
	running := vm.Status == "running"
	switch want := plan.Started.ValueBool(); {
	case want && !running:
		if err := r.data.client.StartVM(ctx, vm.Node, vm.VMID); err != nil {
			addAPIError(diags, fmt.Sprintf("start VM %d (%q)", vm.VMID, vm.Name), err)
			return false
		}
	case !want && running:
		if err := r.data.client.ShutdownVM(ctx, vm.Node, vm.VMID, shutdownTimeout); err != nil {
			addAPIError(diags, fmt.Sprintf("shut down VM %d (%q)", vm.VMID, vm.Name), err)
			return false
		}
	}
	return true
}

// saveVM writes the VM into state, keeping the plan's Terraform-only settings.
func (r *vmResource) saveVM(ctx context.Context, plan *vmResourceModel, vm *pve.VM, state *tfsdk.State, diags *diag.Diagnostics) {
	saved := *plan
	saved.applyVM(ctx, vm, diags)
	r.data.owned.add(vm.VMID, vm.Name)
	diags.Append(state.Set(ctx, &saved)...)
}

// refreshState reads the VM back after a change and stores what PVE says.
func (r *vmResource) refreshState(ctx context.Context, plan *vmResourceModel, node string, vmid int, state *tfsdk.State, diags *diag.Diagnostics) {
	vm, err := r.data.client.GetVM(ctx, node, vmid)
	if err != nil {
		addAPIError(diags, fmt.Sprintf("read VM %d after changing it", vmid), err)
		return
	}
	r.saveVM(ctx, plan, vm, state, diags)
}

// saveIfExists stores the VM in state when it exists despite an error, so it
// is never orphaned. It reports whether it did.
func (r *vmResource) saveIfExists(ctx context.Context, plan *vmResourceModel, node string, vmid int, state *tfsdk.State) bool {
	if vmid == 0 {
		return false
	}
	// The caller's context may be what expired; the probe gets its own.
	probeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	vm, err := r.data.client.GetVMConfig(probeCtx, node, vmid)
	if err != nil || !isOurNewVM(vm, plan.Name.ValueString()) {
		return false
	}
	vm.Node = node
	var ignored diag.Diagnostics
	r.saveVM(probeCtx, plan, vm, state, &ignored)
	return !ignored.HasError()
}

func (r *vmResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state vmResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	vm, gone := r.locate(ctx, &state, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if gone != "" {
		resp.Diagnostics.AddWarning("VM no longer exists", gone)
		resp.State.RemoveResource(ctx)
		return
	}
	r.data.owned.add(vm.VMID, vm.Name)
	state.applyVM(ctx, vm, &resp.Diagnostics)
	if state.OnExisting.IsNull() {
		// Imported: the policy it would have been created with.
		state.OnExisting = types.StringValue(string(r.data.onExisting))
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// locate finds the VM of a state: where state says it is (two requests),
// else by VMID anywhere in the cluster, and checks it is still the same VM.
// A non-empty reason means the VM is gone and why.
func (r *vmResource) locate(ctx context.Context, state *vmResourceModel, diags *diag.Diagnostics) (*pve.VM, string) {
	vmid := state.vmid()
	vm, err := r.data.client.GetVM(ctx, state.Node.ValueString(), vmid)
	if errors.Is(err, pve.ErrNotFound) {
		vm, err = r.findMoved(ctx, vmid)
	}
	if errors.Is(err, pve.ErrNotFound) {
		return nil, fmt.Sprintf("VM %d (%q) was deleted outside Terraform; it is removed from state.",
			vmid, state.Name.ValueString())
	}
	if err != nil {
		addAPIError(diags, fmt.Sprintf("read VM %d (%q)", vmid, state.Name.ValueString()), err)
		return nil, ""
	}
	if reason := identityMismatch(state, vm); reason != "" {
		return nil, fmt.Sprintf("VMID %d now belongs to a different VM (%s): %s. The VM this resource managed is "+
			"gone; it is removed from state, and VM %d is left alone.", vmid, vmLineOf(vm), reason, vmid)
	}
	return vm, ""
}

// findMoved looks a VMID up cluster-wide, for a VM migrated outside Terraform.
func (r *vmResource) findMoved(ctx context.Context, vmid int) (*pve.VM, error) {
	view, err := r.data.inventory.recent(ctx)
	if err != nil {
		return nil, err
	}
	entry, ok := view.find(vmid)
	if !ok {
		// Never conclude "gone" from a view another resource read earlier.
		if view, err = r.data.inventory.fresh(ctx); err != nil {
			return nil, err
		}
		if entry, ok = view.find(vmid); !ok {
			return nil, pve.ErrNotFound
		}
	}
	if entry.Type != "" && entry.Type != "qemu" {
		return nil, pve.ErrNotFound
	}
	tflog.Info(ctx, "VM found on another node", map[string]any{"vmid": vmid, "node": entry.Node})
	return r.data.client.GetVM(ctx, entry.Node, vmid)
}

// identityMismatch tells why vm is not the VM recorded in state, if it is not.
func identityMismatch(state *vmResourceModel, vm *pve.VM) string {
	if uuid := state.UUID.ValueString(); uuid != "" && vm.UUID != "" && !strings.EqualFold(uuid, vm.UUID) {
		return fmt.Sprintf("its SMBIOS UUID is %s, not %s", vm.UUID, uuid)
	}
	if created := parseCreatedAt(state.CreatedAt); created > 0 && vm.CreatedAt > 0 && created != vm.CreatedAt {
		return fmt.Sprintf("it was created %s, not %s", formatCreatedAt(vm.CreatedAt), formatCreatedAt(created))
	}
	return ""
}

func vmLineOf(vm *pve.VM) string {
	return vmLine(guard.VM{VMID: vm.VMID, Node: vm.Node, Name: vm.Name, Status: vm.Status, Template: vm.Template, CreatedAt: vm.CreatedAt})
}

func (r *vmResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state vmResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := plan.Timeouts.Update(ctx, defaultUpdateTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	vm, gone := r.locate(ctx, &state, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if gone != "" {
		resp.Diagnostics.AddError("VM no longer exists", gone+" Run terraform apply again to create it.")
		return
	}

	if newName := plan.Name.ValueString(); !strings.EqualFold(newName, vm.Name) {
		if !r.checkRename(ctx, vm, newName, r.data.inventory.fresh, &resp.Diagnostics) {
			return
		}
	}
	if target := plan.Node.ValueString(); target != "" && target != vm.Node {
		if vm = r.migrate(ctx, vm, target, &resp.Diagnostics); vm == nil {
			return
		}
	}
	if r.applyChange(ctx, &plan, vm, &resp.Diagnostics) {
		r.applyPower(ctx, &plan, vm, &resp.Diagnostics)
	}
	r.data.inventory.invalidate()
	// Always record what the VM looks like now, even after a failed step.
	var readDiags diag.Diagnostics
	r.refreshState(ctx, &plan, vm.Node, vm.VMID, &resp.State, &readDiags)
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(readDiags...)
	}
}

// checkRename refuses a new name that another VM already carries.
func (r *vmResource) checkRename(ctx context.Context, vm *pve.VM, newName string, read func(context.Context) (*clusterView, error), diags *diag.Diagnostics) bool {
	view, err := read(ctx)
	if err != nil {
		addAPIError(diags, "read the cluster inventory before renaming VM "+strconv.Itoa(vm.VMID), err)
		return false
	}
	decision := r.decide(ctx, view, newName, guard.PolicyFail, map[int]bool{vm.VMID: true}, diags)
	if decision.Action == guard.ActionCreate {
		return true
	}
	if decision.Reason == guard.ReasonExists || decision.Reason == guard.ReasonDuplicates {
		diags.AddAttributeError(pathName, "Another VM already has the new name",
			fmt.Sprintf("Renaming VM %d from %q to %q would give two VMs one name. VMs named %q:\n%s\n\n"+
				"Choose another name, or remove the other VM first.",
				vm.VMID, vm.Name, newName, newName, vmList(decision.Matches)))
		return false
	}
	addGuardRefusal(diags, newName, decision)
	return false
}

// migrate moves a VM offline, shutting it down for the move when it runs.
func (r *vmResource) migrate(ctx context.Context, vm *pve.VM, target string, diags *diag.Diagnostics) *pve.VM {
	client := r.data.client
	if vm.Status == "running" {
		if err := client.ShutdownVM(ctx, vm.Node, vm.VMID, shutdownTimeout); err != nil {
			addAPIError(diags, fmt.Sprintf("shut down VM %d for its migration to %s", vm.VMID, target), err)
			return nil
		}
	}
	if err := client.MigrateVM(ctx, vm.Node, vm.VMID, target); err != nil {
		addAPIError(diags, fmt.Sprintf("migrate VM %d from %s to %s", vm.VMID, vm.Node, target), err)
		return nil
	}
	moved, err := client.GetVM(ctx, target, vm.VMID)
	if err != nil {
		addAPIError(diags, fmt.Sprintf("read VM %d after migrating it to %s", vm.VMID, target), err)
		return nil
	}
	return moved
}

func (r *vmResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state vmResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := state.Timeouts.Delete(ctx, defaultDeleteTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	vm, gone := r.locate(ctx, &state, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if gone != "" {
		// Nothing of ours is left to delete; a stranger's VM is not touched.
		resp.Diagnostics.AddWarning("VM already gone", gone)
		return
	}
	if vm.Protection {
		addProtectedError(&resp.Diagnostics, vm.VMID, vm.Name)
		return
	}
	client := r.data.client
	if vm.Status == "running" {
		if err := client.ShutdownVM(ctx, vm.Node, vm.VMID, shutdownTimeout); err != nil {
			addAPIError(&resp.Diagnostics, fmt.Sprintf("shut down VM %d (%q) before destroying it", vm.VMID, vm.Name), err)
			return
		}
	}
	if err := client.DestroyVM(ctx, vm.Node, vm.VMID); err != nil {
		addAPIError(&resp.Diagnostics, fmt.Sprintf("destroy VM %d (%q) on node %s; it stays in state", vm.VMID, vm.Name, vm.Node), err)
		return
	}
	r.data.inventory.invalidate()
}

func addProtectedError(diags *diag.Diagnostics, vmid int, name string) {
	diags.AddAttributeError(pathProtection, "The VM is protected",
		fmt.Sprintf("VM %d (%q) has protection enabled, so Proxmox VE refuses to destroy it. To destroy it on "+
			"purpose, set protection = false, run terraform apply, then destroy. To stop managing it without "+
			"deleting it, remove it from state instead: terraform state rm <resource address>.", vmid, name))
}

var nodeVMIDRegexp = regexp.MustCompile(`^([^/\s]+)/([0-9]+)$`)

func (r *vmResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if r.data == nil {
		resp.Diagnostics.AddError("Provider not configured", "The provider must be configured to import a VM.")
		return
	}
	vm, problem := r.resolveImportID(ctx, req.ID, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if problem != "" {
		resp.Diagnostics.AddError("Cannot import VM "+strconv.Quote(req.ID), problem)
		return
	}
	if vm.Template {
		resp.Diagnostics.AddError("Cannot import a template",
			fmt.Sprintf("%s is a template. proxmoxsafe_vm manages VMs; use the template as clone.source instead.", vmLineOf(vm)))
		return
	}
	// Read fills in the rest.
	for attr, value := range map[string]any{
		"id": strconv.Itoa(vm.VMID), "vmid": int64(vm.VMID), "node": vm.Node, "name": vm.Name,
	} {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(attr), value)...)
	}
}

// resolveImportID accepts a VM name, a VMID or node/VMID.
func (r *vmResource) resolveImportID(ctx context.Context, id string, diags *diag.Diagnostics) (*pve.VM, string) {
	client := r.data.client
	if m := nodeVMIDRegexp.FindStringSubmatch(id); m != nil {
		vmid, _ := strconv.Atoi(m[2])
		vm, err := client.GetVM(ctx, m[1], vmid)
		if errors.Is(err, pve.ErrNotFound) {
			return nil, fmt.Sprintf("There is no VM %d on node %s.", vmid, m[1])
		}
		if err != nil {
			addAPIError(diags, "read VM "+id, err)
		}
		return vm, ""
	}
	view, err := r.data.inventory.fresh(ctx)
	if err != nil {
		addAPIError(diags, "read the cluster inventory", err)
		return nil, ""
	}
	if vmid, err := strconv.Atoi(id); err == nil {
		entry, ok := view.find(vmid)
		if !ok || (entry.Type != "" && entry.Type != "qemu") {
			return nil, fmt.Sprintf("There is no VM with VMID %d in the cluster.", vmid)
		}
		vm, err := client.GetVM(ctx, entry.Node, vmid)
		if err != nil {
			addAPIError(diags, "read VM "+id, err)
		}
		return vm, ""
	}
	inv, err := r.withCreationTimes(ctx, view, id, nil)
	if err != nil {
		addAPIError(diags, "read the VMs named "+strconv.Quote(id), err)
		return nil, ""
	}
	matches := guard.Matches(inv, id)
	switch len(matches) {
	case 0:
		if len(view.unresolved) > 0 {
			return nil, fmt.Sprintf("No VM named %q was found, but the names of VMIDs %s could not be read. Retry "+
				"when every node is online, or import by node/VMID.", id, joinInts(view.unresolved))
		}
		return nil, fmt.Sprintf("No VM named %q exists in the cluster. Import IDs are a VM name, a VMID or node/VMID.", id)
	case 1:
		vm, err := client.GetVM(ctx, matches[0].Node, matches[0].VMID)
		if err != nil {
			addAPIError(diags, "read VM "+id, err)
		}
		return vm, ""
	}
	ids := make([]string, 0, len(matches))
	for _, m := range matches {
		ids = append(ids, fmt.Sprintf("%s/%d", m.Node, m.VMID))
	}
	return nil, fmt.Sprintf("The name %q is ambiguous: %d VMs carry it:\n%s\n\nImport one of them by node/VMID "+
		"instead: %s.\n\n%s", id, len(matches), vmList(matches), strings.Join(ids, ", "), duplicatesHint)
}

// decide runs the guard for a name, reading the creation time of each VM
// that carries it (the inventory does not list creation times).
func (r *vmResource) decide(ctx context.Context, view *clusterView, name string, policy guard.Policy, ignore map[int]bool, diags *diag.Diagnostics) guard.Decision {
	inv, err := r.withCreationTimes(ctx, view, name, nil)
	if err != nil {
		addAPIError(diags, "read the VMs named "+strconv.Quote(name), err)
		return guard.Decision{Action: guard.ActionRefuse}
	}
	return guard.Decide(inv, name, policy, ignore)
}

// withCreationTimes returns the guard's inventory with creation times for
// the VMs named name: one config read per such VM, and usually there is none.
func (r *vmResource) withCreationTimes(ctx context.Context, view *clusterView, name string, known map[int]int64) (guard.Inventory, error) {
	return inventoryWithCreationTimes(ctx, r.data.client, view, known, func(vm pve.InventoryVM) bool {
		return vm.NameKnown && guard.SameName(vm.Name, name)
	})
}

// inventoryWithCreationTimes reads the creation time of the VMs selected.
func inventoryWithCreationTimes(ctx context.Context, client *pve.Client, view *clusterView, known map[int]int64, selected func(pve.InventoryVM) bool) (guard.Inventory, error) {
	created := map[int]int64{}
	for id, ct := range known {
		created[id] = ct
	}
	for _, vm := range view.vms {
		if _, ok := created[vm.VMID]; ok || !selected(vm) {
			continue
		}
		cfg, err := client.GetVMConfig(ctx, vm.Node, vm.VMID)
		if errors.Is(err, pve.ErrNotFound) {
			continue // deleted since the inventory was read
		}
		if err != nil {
			return guard.Inventory{}, err
		}
		created[vm.VMID] = cfg.CreatedAt
	}
	return view.guardInventory(created), nil
}

// resolveCloneSource finds the one VM a clone source names, by VMID or name.
func resolveCloneSource(view *clusterView, source string) (*guard.VM, string) {
	inv := view.guardInventory(nil)
	if vmid, err := strconv.Atoi(source); err == nil {
		for _, vm := range inv.VMs {
			if vm.VMID == vmid {
				return &vm, ""
			}
		}
		return nil, fmt.Sprintf("There is no VM or template with VMID %d to clone.", vmid)
	}
	matches := guard.Matches(inv, source)
	switch len(matches) {
	case 0:
		return nil, fmt.Sprintf("There is no VM or template named %q to clone.", source)
	case 1:
		return &matches[0], ""
	}
	return nil, fmt.Sprintf("The clone source %q is ambiguous; %d VMs carry that name:\n%s\n\nSet clone.source to "+
		"the VMID of the one to clone.", source, len(matches), vmList(matches))
}

// isOurNewVM tells whether the VM at a VMID we just asked to create is ours:
// it carries our name, or PVE is still creating it and has not written the
// name yet (a VMID taken by someone else fails the request at once).
func isOurNewVM(vm *pve.VM, name string) bool {
	if vm.Name == "" {
		return vm.Lock == "create" || vm.Lock == "clone"
	}
	return strings.EqualFold(vm.Name, name)
}

// answerLost reports whether a request failed on the way back rather than
// being refused by Proxmox VE: PVE may have done the work.
func answerLost(ctx context.Context, err error) bool {
	var apiErr *pve.APIError
	var taskErr *pve.TaskError
	return ctx.Err() == nil && !errors.As(err, &apiErr) && !errors.As(err, &taskErr)
}

// createdDespiteLostAnswer waits for the create task behind a lost answer
// and reports whether it made our VM.
func (r *vmResource) createdDespiteLostAnswer(ctx context.Context, node string, vmid int, name string) bool {
	if vmid == 0 || r.waitUnlocked(ctx, node, vmid) != nil {
		return false
	}
	vm, err := r.data.client.GetVMConfig(ctx, node, vmid)
	return err == nil && strings.EqualFold(vm.Name, name)
}

// waitUnlocked polls until no task holds the VM's lock.
func (r *vmResource) waitUnlocked(ctx context.Context, node string, vmid int) error {
	for {
		vm, err := r.data.client.GetVMConfig(ctx, node, vmid)
		if err != nil {
			return err
		}
		if vm.Lock == "" {
			return nil
		}
		tflog.Debug(ctx, "VM is locked, waiting", map[string]any{"vmid": vmid, "lock": vm.Lock})
		if err := sleepUntil(ctx, time.Now().Add(lockPollInterval)); err != nil {
			return fmt.Errorf("VM %d is still locked (%s): %w", vmid, vm.Lock, err)
		}
	}
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
