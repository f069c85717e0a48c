package provider

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
)

func TestInventoryWarnings(t *testing.T) {
	cases := []struct {
		name      string
		unchecked []int
		complete  bool
		want      []string // one substring per expected warning, in order
	}{
		{"everything checked", nil, true, nil},
		{"names not read", []int{105, 130}, true, []string{"VMIDs 105, 130"}},
		{"partial visibility", nil, false, []string{"VM.Audit on /vms"}},
		{"both", []int{7}, false, []string{"VMIDs 7.", "VM.Audit on /vms"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			diags := inventoryWarnings(tc.unchecked, tc.complete)
			if diags.HasError() {
				t.Fatalf("errors: %v", diags)
			}
			if len(diags) != len(tc.want) {
				t.Fatalf("%d diagnostics, want %d: %v", len(diags), len(tc.want), diags)
			}
			for i, d := range diags {
				if d.Severity() != diag.SeverityWarning {
					t.Errorf("diagnostic %d is not a warning: %v", i, d)
				}
				if !strings.Contains(d.Detail(), tc.want[i]) {
					t.Errorf("diagnostic %d = %q, want it to mention %q", i, d.Detail(), tc.want[i])
				}
			}
		})
	}
}

func TestVMFilter(t *testing.T) {
	vms := []guard.VM{
		{VMID: 100, Node: "pve", Name: "web", NameKnown: true, Status: "running", Tags: []string{"prod", "web"}},
		{VMID: 101, Node: "pve2", Name: "Web", NameKnown: true, Status: "stopped", Tags: []string{"web"}},
		{VMID: 102, Node: "pve", Name: "db", NameKnown: true, Status: "stopped", Template: true},
		{VMID: 103, Node: "pve2", Status: "unknown"}, // name not read
	}
	yes, no := true, false
	cases := []struct {
		name   string
		filter vmFilter
		want   []int
	}{
		{"no filter", vmFilter{}, []int{100, 101, 102, 103}},
		{"regex, case-sensitive", vmFilter{nameRegex: regexp.MustCompile("^web$")}, []int{100}},
		{"regex (?i)", vmFilter{nameRegex: regexp.MustCompile("(?i)^web$")}, []int{100, 101}},
		{"regex never matches an unread name", vmFilter{nameRegex: regexp.MustCompile(".*")}, []int{100, 101, 102}},
		{"node", vmFilter{node: "pve2"}, []int{101, 103}},
		{"tags: all of them", vmFilter{tags: []string{"web", "prod"}}, []int{100}},
		{"tags: case-insensitive", vmFilter{tags: []string{"web"}}, []int{100, 101}},
		{"status", vmFilter{status: "stopped"}, []int{101, 102}},
		{"templates only", vmFilter{template: &yes}, []int{102}},
		{"no templates", vmFilter{template: &no}, []int{100, 101, 103}},
		{"combined", vmFilter{node: "pve", template: &no, tags: []string{"prod"}}, []int{100}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			for _, vm := range tc.filter.apply(vms) {
				got = append(got, vm.VMID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestVMFilterUncheckedVMIDs(t *testing.T) {
	inv := guard.Inventory{
		VMs: []guard.VM{
			{VMID: 100, Node: "pve", Name: "web", NameKnown: true},
			{VMID: 130, Node: "pve2"},
			{VMID: 105, Node: "pve2"},
			{VMID: 111, Node: "pve"},
		},
		Unresolved: []int{130, 105, 111, 140 /* not listed: node unknown */},
	}
	if got, want := (vmFilter{}).uncheckedVMIDs(inv), []int{105, 111, 130, 140}; !slices.Equal(got, want) {
		t.Errorf("no filter: %v, want %v", got, want)
	}
	if got, want := (vmFilter{node: "pve"}).uncheckedVMIDs(inv), []int{111, 140}; !slices.Equal(got, want) {
		t.Errorf("node pve: %v, want %v", got, want)
	}
}

func TestNewVMFilterParsesTags(t *testing.T) {
	var diags diag.Diagnostics
	tags, d := types.SetValueFrom(context.Background(), types.StringType, []string{"Prod", "web"})
	diags.Append(d...)
	f := newVMFilter(context.Background(), types.StringValue("^a"), types.StringValue("pve"), tags, &diags)
	if diags.HasError() {
		t.Fatal(diags)
	}
	slices.Sort(f.tags)
	if !slices.Equal(f.tags, []string{"prod", "web"}) || f.node != "pve" || f.nameRegex.String() != "^a" {
		t.Errorf("filter = %+v", f)
	}
}

func TestRegexpValidator(t *testing.T) {
	for value, wantErr := range map[string]bool{"^monitoring-": false, "(?i)web": false, "monitoring-(": true, "[a-": true} {
		resp := &validator.StringResponse{}
		regexpValidator{}.ValidateString(context.Background(), validator.StringRequest{
			Path: path.Root("name_regex"), ConfigValue: types.StringValue(value),
		}, resp)
		if resp.Diagnostics.HasError() != wantErr {
			t.Errorf("%q: error = %v, want %v (%v)", value, resp.Diagnostics.HasError(), wantErr, resp.Diagnostics)
		}
	}
	resp := &validator.StringResponse{}
	regexpValidator{}.ValidateString(context.Background(), validator.StringRequest{
		Path: path.Root("name_regex"), ConfigValue: types.StringUnknown(),
	}, resp)
	if resp.Diagnostics.HasError() {
		t.Error("unknown value rejected")
	}
}
