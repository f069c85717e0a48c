package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
)

func TestVMListFilterSelectVMs(t *testing.T) {
	inv := guard.Inventory{VMs: []guard.VM{
		{VMID: 300, Node: "b", Name: "Web-1", NameKnown: true, Status: "running"},
		{VMID: 100, Node: "a", Name: "web-1", NameKnown: true, Status: "stopped", Tags: []string{"prod"}},
		{VMID: 200, Node: "a", Name: "web-10", NameKnown: true, Status: "running"},
		{VMID: 150, Node: "a", Name: "db", NameKnown: true, Template: true},
		{VMID: 160, Node: "b", Name: "DB", NameKnown: true, Status: "stopped"},
		{VMID: 170, Node: "a", NameKnown: false, Status: "unknown"},
		{VMID: 100, Node: "a", Name: "web-1", NameKnown: true, Status: "stopped", Tags: []string{"prod"}},
	}}
	notTemplate, isTemplate := false, true
	cases := []struct {
		name   string
		filter vmListFilter
		want   string
	}{
		{"everything with a name, VMID order, no repeats", vmListFilter{}, "[100 150 160 200 300]"},
		{"exact name ignores case", vmListFilter{namePattern: "web-1"}, "[100 300]"},
		{"glob", vmListFilter{namePattern: "web-*"}, "[100 200 300]"},
		{"single character", vmListFilter{namePattern: "web-?"}, "[100 300]"},
		{"duplicates only", vmListFilter{duplicatesOnly: true}, "[100 150 160 300]"},
		{"a template makes its namesake a duplicate", vmListFilter{duplicatesOnly: true, vmFilter: vmFilter{template: &notTemplate}}, "[100 160 300]"},
		{"templates", vmListFilter{vmFilter: vmFilter{template: &isTemplate}}, "[150]"},
		{"duplicates on one node", vmListFilter{duplicatesOnly: true, vmFilter: vmFilter{node: "b"}}, "[160 300]"},
		{"tags", vmListFilter{vmFilter: vmFilter{tags: []string{"prod"}}}, "[100]"},
		{"status", vmListFilter{vmFilter: vmFilter{status: "running"}}, "[200 300]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ids []int
			for _, vm := range tc.filter.selectVMs(inv) {
				ids = append(ids, vm.VMID)
			}
			if got := fmt.Sprint(ids); got != tc.want {
				t.Errorf("VMIDs = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestGlobValidator(t *testing.T) {
	for pattern, valid := range map[string]bool{
		"web-1": true, "web-*": true, "[a-c]?": true, "monitoring-[": false, "[]": false, `web\`: false,
	} {
		resp := &validator.StringResponse{}
		globValidator{}.ValidateString(context.Background(), validator.StringRequest{
			Path: path.Root("name"), ConfigValue: types.StringValue(pattern),
		}, resp)
		if resp.Diagnostics.HasError() == valid {
			t.Errorf("%q: valid = %v, want %v (%v)", pattern, !resp.Diagnostics.HasError(), valid, resp.Diagnostics)
		}
	}
}
