package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

var (
	_ resource.Resource                = (*vmResource)(nil)
	_ resource.ResourceWithConfigure   = (*vmResource)(nil)
	_ resource.ResourceWithImportState = (*vmResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*vmResource)(nil)
	_ resource.ResourceWithMoveState   = (*vmResource)(nil)
)

const (
	defaultCreateTimeout = 30 * time.Minute
	defaultUpdateTimeout = 30 * time.Minute
	defaultDeleteTimeout = 20 * time.Minute
	shutdownTimeout      = 2 * time.Minute
	lockPollInterval     = 500 * time.Millisecond
	// raceSettleTimeout bounds how long a decision waits for a racing apply
	// of this provider that is creating a VM with the same name.
	raceSettleTimeout = 5 * time.Minute
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

// saveVM writes the VM into state, keeping the plan's Terraform-only settings.
func (r *vmResource) saveVM(ctx context.Context, plan *vmResourceModel, vm *pve.VM, state *tfsdk.State, diags *diag.Diagnostics) {
	saved := *plan
	saved.applyVM(ctx, vm, diags)
	r.data.owned.add(vm.VMID)
	diags.Append(state.Set(ctx, &saved)...)
}

// refreshState reads the VM back after a change and stores what PVE says.
func (r *vmResource) refreshState(ctx context.Context, plan *vmResourceModel, node string, vmid int, state *tfsdk.State, diags *diag.Diagnostics) {
	vm, err := r.data.client.GetVM(ctx, node, vmid)
	if err != nil {
		addAPIError(diags, fmt.Sprintf("read VM %d after changing it", vmid), err)
		return
	}
	r.readGuest(ctx, vm)
	r.saveVM(ctx, plan, vm, state, diags)
}

func (r *vmResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state vmResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// What the VM runs, not what waits for its next start (vm_resource_pending.go).
	vm, gone := r.locateRunningOrReport(ctx, &state, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if gone != nil {
		resp.Diagnostics.AddWarning("VM no longer exists", gone.Error())
		// The framework wants an identity even for a removed resource.
		setVMIdentity(ctx, resp.State, resp.Identity, &resp.Diagnostics)
		r.data.vanished.add(state.Name.ValueString())
		resp.State.RemoveResource(ctx)
		return
	}
	r.data.owned.add(vm.VMID)
	// In state, so Terraform saved it: a create or import is confirmed.
	r.confirmCreated(ctx, vm)
	r.readGuest(ctx, vm)
	state.applyVM(ctx, vm, &resp.Diagnostics)
	writePendingPrivate(ctx, resp.Private, vm.Pending, &resp.Diagnostics)
	r.readPool(ctx, &state, &resp.Diagnostics)
	if state.OnExisting.IsNull() {
		// Imported: the policy it would have been created with.
		state.OnExisting = types.StringValue(string(r.data.onExisting))
		state.CloudInit = cloudInitState(ctx, state.CloudInit, vm, true, &resp.Diagnostics)
	}
	if state.RebootAfterUpdate.IsNull() {
		state.RebootAfterUpdate = types.BoolValue(true) // imported: the default
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	setVMIdentity(ctx, resp.State, resp.Identity, &resp.Diagnostics)
}

func (r *vmResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state vmResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	withPassword(ctx, req.Config, &state, &plan, &resp.Diagnostics)
	timeout, d := plan.Timeouts.Update(ctx, defaultUpdateTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	vm, gone := r.locateOrReport(ctx, &state, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if gone != nil {
		resp.Diagnostics.AddError("VM no longer exists", gone.Error()+" Run terraform apply again to create it.")
		return
	}

	if newName := plan.Name.ValueString(); !guard.SameName(newName, vm.Name) {
		if !r.checkRename(ctx, vm, newName, r.data.inventory.fresh, &resp.Diagnostics) {
			return
		}
	}
	if target := plan.Node.ValueString(); target != "" && target != vm.Node {
		if vm = r.migrate(ctx, vm, target, &resp.Diagnostics); vm == nil {
			return
		}
	}
	if r.applyPool(ctx, &plan, vm, state.Pool.ValueString(), &resp.Diagnostics) && r.applyChange(ctx, &plan, vm, &resp.Diagnostics) {
		r.applyPower(ctx, &plan, vm, &resp.Diagnostics)
	}
	if plan.Applied != nil {
		writePendingPrivate(ctx, resp.Private, plan.Applied.pending, &resp.Diagnostics)
	} else if plan.Started.ValueBool() {
		// Started now, or left running with nothing to wait for.
		writePendingPrivate(ctx, resp.Private, nil, &resp.Diagnostics)
	}
	r.data.inventory.invalidate()
	// Always record what the VM looks like now, even after a failed step.
	var readDiags diag.Diagnostics
	r.refreshState(ctx, &plan, vm.Node, vm.VMID, &resp.State, &readDiags)
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(readDiags...)
	}
	if vm.Status != "running" || plan.Applied.restartedVM() {
		r.waitForIPAfterStart(ctx, &plan, vm.Node, vm.VMID, &resp.State, &resp.Diagnostics)
	}
	recordStartupConfigured(ctx, req.Config, resp.Private, &resp.Diagnostics)
	setVMIdentity(ctx, resp.State, resp.Identity, &resp.Diagnostics)
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

	// The config proves the VM is still ours (UUID, creation time) and
	// tells its protection; its status is not read: PVE refuses at once to
	// destroy a running VM (qemu-server PVE/API2/Qemu.pm destroy_vm: "VM
	// is running - destroy failed", before the worker starts), so a VM
	// that runs is shut down when the state says it runs or PVE says so.
	vm, gone := r.locateConfigOrReport(ctx, &state, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if gone != nil {
		// Nothing of ours is left to delete; a stranger's VM is not touched.
		resp.Diagnostics.AddWarning("VM already gone", gone.Error())
		return
	}
	if r.data.adopted.has(vm.VMID, vm.UUID) {
		addAdoptedNotDestroyedWarning(&resp.Diagnostics, vm)
		return
	}
	if vm.Protection {
		addProtectedError(&resp.Diagnostics, vm.VMID, vm.Name)
		return
	}
	client := r.data.client
	shutDown := func() bool {
		if err := client.ShutdownVM(ctx, vm.Node, vm.VMID, shutdownTimeout); err != nil {
			addAPIError(&resp.Diagnostics, fmt.Sprintf("shut down VM %d (%q) before destroying it", vm.VMID, vm.Name), err)
			return false
		}
		return true
	}
	if state.Status.ValueString() == "running" && !shutDown() {
		return
	}
	expectDestroyLength(ctx, client, vm.Node, req.Private)
	leftovers, err := client.DestroyVM(ctx, vm.Node, vm.VMID)
	if errors.Is(err, pve.ErrRunning) {
		if !shutDown() {
			return
		}
		leftovers, err = client.DestroyVM(ctx, vm.Node, vm.VMID)
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, fmt.Sprintf("destroy VM %d (%q) on node %s; it stays in state", vm.VMID, vm.Name, vm.Node), err)
		return
	}
	addLeftoverVolumesWarning(&resp.Diagnostics, guard.VM{VMID: vm.VMID, Node: vm.Node, Name: vm.Name}, leftovers)
	r.data.inventory.names.forget(vm.VMID)
	r.data.inventory.invalidate()
}

// addAdoptedNotDestroyedWarning says why a destroy left a VM that another
// resource adopted in the same apply.
func addAdoptedNotDestroyedWarning(diags *diag.Diagnostics, vm *pve.VM) {
	diags.AddWarning("VM kept: another resource adopted it in this apply",
		fmt.Sprintf("VM %d (%q) on node %s was adopted earlier in this apply by a resource with on_existing = "+
			"\"adopt\", so destroying this object would leave that resource's state pointing at nothing. The VM "+
			"was not destroyed and now belongs to that resource.\n\nThis happens when a resource with "+
			"create_before_destroy is replaced (its new object adopts the old VM, the only one with its name): "+
			"to get a new VM instead, remove create_before_destroy, since VM names are unique and the old VM "+
			"must be destroyed before its replacement is created.", vm.VMID, vm.Name, vm.Node))
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
	if req.ID == "" && req.Identity != nil {
		r.importByIdentity(ctx, req, resp)
		return
	}
	vm, err := r.resolveImportID(ctx, req.ID)
	if err != nil {
		addImportError(&resp.Diagnostics, req.ID, err)
		return
	}
	setImportedState(ctx, vm, &resp.State, &resp.Diagnostics)
	writeVMIdentity(ctx, resp.Identity, vm.VMID, vm.UUID, &resp.Diagnostics)
}
