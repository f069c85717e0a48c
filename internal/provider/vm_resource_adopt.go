package provider

// This file holds adoption: taking an existing VM that carries the
// configured name into state, refusing anything that would lose data.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

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
	r.data.adopted.add(vm.VMID, vm.UUID)
	if !r.adoptPool(ctx, plan, vm, diags) || !r.applyChange(ctx, plan, vm, diags) || !r.applyPower(ctx, plan, vm, diags) {
		return
	}
	if creationOfVM(vm, time.Now()) == guard.Unfinished {
		// Taking back an interrupted create finishes it, and like a create
		// leaves the created marker for the first refresh to remove. (An
		// unconfirmed VM keeps its marker: it already says the same.)
		if err := r.markCreated(ctx, vm.Node, vm.VMID, nil); err != nil {
			addAPIError(diags, fmt.Sprintf("finish taking back VM %d (mark it created)", vm.VMID), err)
			return
		}
	}
	r.refreshState(ctx, plan, vm.Node, vm.VMID, state, diags)
}

// adoptionProblems lists what adopting vm for plan would destroy or cannot do,
// with the configuration change adoption would make.
func adoptionProblems(ctx context.Context, plan *vmResourceModel, vm *pve.VM, diags *diag.Diagnostics) ([]string, vmChange) {
	var problems []string
	if vm.Template {
		problems = append(problems, "it is a template; templates are never adopted")
	}
	if node := plan.Node.ValueString(); !plan.Node.IsUnknown() && node != "" && node != vm.Node {
		problems = append(problems, fmt.Sprintf("node: the VM is on %s, the configuration says %s (set node = %q to adopt it where it is)",
			vm.Node, node, vm.Node))
	}
	change := diffConfig(ctx, plan, vm, diags)
	return append(append(problems, change.destructive...), change.firmware...), change
}

func addAdoptionRefusal(diags *diag.Diagnostics, vm *pve.VM, problems []string) {
	diags.AddAttributeError(pathName, "Refusing to adopt the existing VM",
		fmt.Sprintf("%s exists, but adopting it would need changes that lose data or that Proxmox VE cannot make:\n"+
			"  - %s\n\nChange the configuration to match the VM, or import it and decide yourself:\n\n%s",
			vmLineOf(vm), strings.Join(problems, "\n  - "), importAdvice(vm.Name)))
}
