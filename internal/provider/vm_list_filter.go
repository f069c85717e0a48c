package provider

import (
	"context"
	"fmt"
	"path"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
)

// vmListFilter chooses the VMs the proxmoxsafe_vm list resource returns. It
// adds to the data sources' filter a name glob and the duplicates filter.
type vmListFilter struct {
	vmFilter
	// namePattern is a path.Match pattern; names compare as guard.SameName
	// compares them (see nameMatches).
	namePattern    string
	duplicatesOnly bool
}

// selectVMs returns the VMs of inv that pass every filter, sorted by VMID.
// A VM counts as a duplicate when any other VM in the cluster (template or
// not, whatever the other filters say) carries its name.
func (f vmListFilter) selectVMs(inv guard.Inventory) []guard.VM {
	duplicate := map[int]bool{}
	if f.duplicatesOnly {
		for _, g := range guard.DuplicateGroups(inv.VMs, guard.DefaultKeepPolicy) {
			for _, m := range g.Members {
				duplicate[m.VMID] = true
			}
		}
	}
	out := make([]guard.VM, 0, len(inv.VMs))
	for _, vm := range inv.VMs {
		// A VM whose name cannot be read is reported as unchecked instead.
		if !vm.NameKnown || !f.matches(vm) || (f.duplicatesOnly && !duplicate[vm.VMID]) {
			continue
		}
		if f.namePattern != "" && !nameMatches(f.namePattern, vm.Name) {
			continue
		}
		out = append(out, vm)
	}
	slices.SortFunc(out, func(a, b guard.VM) int { return a.VMID - b.VMID })
	return slices.CompactFunc(out, func(a, b guard.VM) bool { return a.VMID == b.VMID })
}

// nameMatches reports whether name matches the glob pattern, both compared
// as guard.NameKey folds them: a pattern without glob characters matches
// exactly the names guard.SameName calls equal.
func nameMatches(pattern, name string) bool {
	ok, err := path.Match(guard.NameKey(pattern), guard.NameKey(name))
	return err == nil && ok
}

// globValidator rejects a name pattern path.Match cannot parse, at validate
// time rather than when the list runs.
type globValidator struct{}

var _ validator.String = globValidator{}

func (globValidator) Description(context.Context) string {
	return "value must be a VM name or a glob pattern (*, ?, [a-z])"
}

func (v globValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (globValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := path.Match(req.ConfigValue.ValueString(), ""); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid name pattern",
			fmt.Sprintf("%q is not a valid glob pattern: %s. Use * for any characters, ? for one, and [a-z] "+
				"for a range; write a name without these characters to match it exactly.", req.ConfigValue.ValueString(), err))
	}
}
