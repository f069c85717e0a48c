package provider

import (
	"context"
	"reflect"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

func TestCreateSpec(t *testing.T) {
	plan := testPlan()
	plan.Networks = types.MapValueMust(types.ObjectType{AttrTypes: networkAttrTypes}, map[string]attr.Value{
		"net1": netValue("vmbr1", "bc:24:11:00:00:02", 10), "net0": netValue("vmbr0", "", 0),
	})
	plan.Protection = types.BoolValue(true)
	var diags diag.Diagnostics
	got := plan.createSpec(context.Background(), "pve2", 123, &diags)
	if diags.HasError() {
		t.Fatal(diags)
	}
	want := pve.CreateSpec{
		VMID: 123, Node: "pve2", Name: "web", Description: "notes", Tags: []string{"Prod"},
		Cores: 2, Sockets: 1, CPUType: "host", MemoryMB: 2048,
		Disks: []pve.Disk{{Interface: "scsi0", Storage: "local-lvm", SizeGB: 32}},
		Networks: []pve.Network{
			{Interface: "net0", Model: "virtio", Bridge: "vmbr0"},
			{Interface: "net1", Model: "virtio", Bridge: "vmbr1", MAC: "BC:24:11:00:00:02", VLAN: 10},
		},
		// Protection is set after the duplicate check, never at create.
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("createSpec =\n%+v\nwant\n%+v", got, want)
	}
}

func TestApplyVM(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name  string
		prior func(m *vmResourceModel)
		vm    func(vm *pve.VM)
		check func(t *testing.T, m *vmResourceModel)
	}{
		{
			name: "tags keep the configured spelling when PVE's normal form matches",
			check: func(t *testing.T, m *vmResourceModel) {
				if want := types.SetValueMust(types.StringType, []attr.Value{types.StringValue("Prod")}); !m.Tags.Equal(want) {
					t.Errorf("tags = %s", m.Tags)
				}
			},
		},
		{
			name: "tags changed outside Terraform are read back",
			vm:   func(vm *pve.VM) { vm.Tags = []string{"db", "prod"} },
			check: func(t *testing.T, m *vmResourceModel) {
				want := types.SetValueMust(types.StringType, []attr.Value{types.StringValue("db"), types.StringValue("prod")})
				if !m.Tags.Equal(want) {
					t.Errorf("tags = %s", m.Tags)
				}
			},
		},
		{
			name: "PVE's implicit defaults, identity and status",
			vm: func(vm *pve.VM) {
				vm.Cores, vm.Sockets, vm.CPUType, vm.Status, vm.CreatedAt, vm.UUID = 0, 0, "", "running", 1_800_000_000, "u-1"
			},
			check: func(t *testing.T, m *vmResourceModel) {
				wantCPU := types.ObjectValueMust(cpuAttrTypes, map[string]attr.Value{
					"cores": types.Int64Value(1), "sockets": types.Int64Value(1), "type": types.StringValue(pveDefaultCPUType),
					"numa": types.BoolValue(false),
				})
				if !m.CPU.Equal(wantCPU) || !m.Started.ValueBool() || m.Status.ValueString() != "running" {
					t.Errorf("cpu %s, started %s, status %s", m.CPU, m.Started, m.Status)
				}
				if m.CreatedAt.ValueString() != "2027-01-15T08:00:00Z" || m.UUID.ValueString() != "u-1" || m.ID.ValueString() != "100" {
					t.Errorf("created_at %s, uuid %s, id %s", m.CreatedAt, m.UUID, m.ID)
				}
			},
		},
		{
			name: "a VM still being created keeps the planned name",
			prior: func(m *vmResourceModel) {
				m.OnExisting, m.Clone = types.StringUnknown(), types.ObjectUnknown(cloneAttrTypes)
			},
			vm: func(vm *pve.VM) { vm.Name = "" },
			check: func(t *testing.T, m *vmResourceModel) {
				if m.Name.ValueString() != "web" || !m.OnExisting.IsNull() || !m.Clone.IsNull() {
					t.Errorf("name %s, on_existing %s, clone %s", m.Name, m.OnExisting, m.Clone)
				}
			},
		},
		{
			name: "no VLAN and no MAC are null",
			vm: func(vm *pve.VM) {
				vm.Networks = []pve.Network{{Interface: "net0", Model: "e1000", Bridge: "vmbr0"}}
			},
			check: func(t *testing.T, m *vmResourceModel) {
				want := types.ObjectValueMust(networkAttrTypes, map[string]attr.Value{
					"model": types.StringValue("e1000"), "bridge": types.StringValue("vmbr0"), "vlan": types.Int64Null(),
					"firewall": types.BoolValue(false), "mac": types.StringNull(), "mtu": types.Int64Null(), "rate": types.Float64Null(),
				})
				if got := m.Networks.Elements()["net0"]; !got.Equal(want) {
					t.Errorf("net0 = %s", got)
				}
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, vm := testPlan(), testVM()
			if tt.prior != nil {
				tt.prior(m)
			}
			if tt.vm != nil {
				tt.vm(vm)
			}
			var diags diag.Diagnostics
			m.applyVM(ctx, vm, &diags)
			if diags.HasError() {
				t.Fatal(diags)
			}
			tt.check(t, m)
		})
	}
}
