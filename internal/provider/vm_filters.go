package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// The filters proxmoxsafe_vms and proxmoxsafe_vm_duplicates share. They
// choose which VMs a data source considers; everything else is ignored.

var pathNameRegex = path.Root("name_regex")

func nameRegexAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "Only consider VMs whose name matches this regular expression " +
			"([RE2 syntax](https://github.com/google/re2/wiki/Syntax)), e.g. `^monitoring-`. Matching is " +
			"case-sensitive unless the expression starts with `(?i)`; Proxmox VE keeps names as written.",
		Optional:   true,
		Validators: []validator.String{regexpValidator{}},
	}
}

func nodeFilterAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "Only consider VMs on this node.",
		Optional:            true,
		Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
	}
}

func tagsFilterAttribute() schema.SetAttribute {
	return schema.SetAttribute{
		MarkdownDescription: "Only consider VMs that carry every one of these tags. Tags are compared " +
			"case-insensitively, as Proxmox VE stores them lowercased.",
		ElementType: types.StringType,
		Optional:    true,
		Validators: []validator.Set{setvalidator.ValueStringsAre(stringvalidator.RegexMatches(tagRegexp,
			"must be a Proxmox VE tag: letters, digits, _ then letters, digits, _, -, + or ."))},
	}
}

// regexpValidator rejects a name_regex that does not compile, at validate
// and plan time rather than when the data source is read.
type regexpValidator struct{}

var _ validator.String = regexpValidator{}

func (regexpValidator) Description(context.Context) string {
	return "value must be a valid RE2 regular expression"
}

func (v regexpValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (regexpValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := regexp.Compile(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid regular expression",
			fmt.Sprintf("%q is not a valid RE2 regular expression: %s.", req.ConfigValue.ValueString(), err))
	}
}

// vmFilter is the parsed form of the filter attributes. Zero values match
// every VM.
type vmFilter struct {
	nameRegex *regexp.Regexp
	node      string
	tags      []string // lowercased
	status    string
	template  *bool
}

// newVMFilter parses the filter attributes common to the VM data sources.
func newVMFilter(ctx context.Context, nameRegex, node types.String, tags types.Set, diags *diag.Diagnostics) vmFilter {
	var f vmFilter
	if !nameRegex.IsNull() && !nameRegex.IsUnknown() {
		re, err := regexp.Compile(nameRegex.ValueString())
		if err != nil {
			// The validator reports this earlier; a value that was unknown
			// during validation ends up here.
			diags.AddAttributeError(pathNameRegex, "Invalid regular expression",
				fmt.Sprintf("%q is not a valid RE2 regular expression: %s.", nameRegex.ValueString(), err))
			return f
		}
		f.nameRegex = re
	}
	f.node = node.ValueString()
	if !tags.IsNull() && !tags.IsUnknown() {
		var raw []string
		diags.Append(tags.ElementsAs(ctx, &raw, false)...)
		// PVE's tag rule, as vm.Tags were read with it.
		f.tags = pve.NormalizeTags(raw)
	}
	return f
}

// matches reports whether vm passes every filter. A VM whose name is not
// known never matches a name_regex.
func (f vmFilter) matches(vm guard.VM) bool {
	if f.node != "" && vm.Node != f.node {
		return false
	}
	if f.nameRegex != nil && (!vm.NameKnown || !f.nameRegex.MatchString(vm.Name)) {
		return false
	}
	if f.status != "" && vm.Status != f.status {
		return false
	}
	if f.template != nil && vm.Template != *f.template {
		return false
	}
	for _, want := range f.tags {
		if !slices.Contains(vm.Tags, want) {
			return false
		}
	}
	return true
}

func (f vmFilter) apply(vms []guard.VM) []guard.VM {
	out := make([]guard.VM, 0, len(vms))
	for _, vm := range vms {
		if f.matches(vm) {
			out = append(out, vm)
		}
	}
	return out
}

// uncheckedVMIDs lists, ascending, the VMs of inv whose names could not be
// read and that the node filter does not rule out: the filters cannot be
// applied to a VM without a name, so any of them may belong in the result.
func (f vmFilter) uncheckedVMIDs(inv guard.Inventory) []int {
	nodeOf := make(map[int]string, len(inv.VMs))
	var ids []int
	for _, vm := range inv.VMs {
		nodeOf[vm.VMID] = vm.Node
		if !vm.NameKnown {
			ids = append(ids, vm.VMID)
		}
	}
	ids = append(ids, inv.Unresolved...)
	out := make([]int, 0, len(ids))
	for _, id := range ids {
		if node, ok := nodeOf[id]; ok && f.node != "" && node != f.node {
			continue
		}
		out = append(out, id)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// inventoryWarnings says what a listing of VMs may have missed: VMs whose
// names could not be read (their node is offline, or they are seconds old),
// and VMs the credentials cannot see at all.
func inventoryWarnings(unchecked []int, complete bool) diag.Diagnostics {
	var diags diag.Diagnostics
	if len(unchecked) > 0 {
		diags.AddWarning("Some VMs could not be checked",
			fmt.Sprintf("The names of these VMs could not be read, so the filters could not be applied to them and "+
				"the result may be incomplete: VMIDs %s. Their node may be offline, or they were created seconds ago and Proxmox VE cannot "+
				"read their configuration yet. Read the data source again when every node is online.",
				joinInts(unchecked)))
	}
	if !complete {
		diags.AddWarning("The provider's credentials cannot see every VM",
			"The token or user lacks VM.Audit on /vms (or /), so Proxmox VE lists only the VMs it may "+
				"audit, and the result may be incomplete: duplicate groups may have more members than "+
				"shown, or be missing altogether. Grant VM.Audit on /vms (for example the PVEAuditor role) "+
				"to the token or user to see every VM.")
	}
	return diags
}

// importID is the ID proxmoxsafe_vm imports a VM by without ambiguity.
func importID(node string, vmid int) string { return fmt.Sprintf("%s/%d", node, vmid) }

// tagsValue is a set of tags that is never null, so configurations can use
// contains() without a null check.
func tagsValue(ctx context.Context, tags []string, diags *diag.Diagnostics) types.Set {
	// The create marker is the provider's bookkeeping, not a user's tag.
	v, d := types.SetValueFrom(ctx, types.StringType, nonNil(userTags(tags)))
	diags.Append(d...)
	return v
}

// vmSummaryAttributes are the computed attributes every VM listing shares
// (proxmoxsafe_vms entries, proxmoxsafe_vm_duplicates members), plus extra.
func vmSummaryAttributes(nameDescription string, extra map[string]schema.Attribute) map[string]schema.Attribute {
	attrs := map[string]schema.Attribute{
		"vmid": schema.Int64Attribute{Computed: true, MarkdownDescription: "VMID."},
		"name": schema.StringAttribute{Computed: true, MarkdownDescription: nameDescription},
		"node": schema.StringAttribute{Computed: true, MarkdownDescription: "Node the VM is on."},
		"status": schema.StringAttribute{
			Computed:            true,
			MarkdownDescription: "Status: `running`, `stopped`, or `unknown` for a VM created seconds ago.",
		},
		"template": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the VM is a template."},
		"tags": schema.SetAttribute{
			Computed: true, ElementType: types.StringType,
			MarkdownDescription: "Tags, lowercased.",
		},
		"import_id": schema.StringAttribute{
			Computed: true, MarkdownDescription: "Import ID (`node/vmid`) for `proxmoxsafe_vm`.",
		},
	}
	for k, v := range extra {
		attrs[k] = v
	}
	return attrs
}
