package provider

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// Fast table tests of the pure rules of proxmoxsafe_vm: what an update or
// adoption sends, what replaces the VM, and the disk rule. The acceptance
// tests cover the wiring.

func diskValue(storage string, size int64) attr.Value {
	return types.ObjectValueMust(diskAttrTypes, leftOutDiskOptions(map[string]attr.Value{
		"storage": types.StringValue(storage), "size": types.Int64Value(size), "volume": types.StringUnknown(),
	}))
}

func netValue(bridge, mac string, vlan int64) attr.Value {
	v := types.Int64Null()
	if vlan > 0 {
		v = types.Int64Value(vlan)
	}
	m := types.StringUnknown()
	if mac != "" {
		m = types.StringValue(mac)
	}
	return types.ObjectValueMust(networkAttrTypes, map[string]attr.Value{
		"model": types.StringValue("virtio"), "bridge": types.StringValue(bridge), "vlan": v,
		"firewall": types.BoolValue(false), "mac": m, "mtu": types.Int64Null(), "rate": types.Float64Null(),
	})
}

// testPlan is a configuration that matches testVM exactly.
func testPlan() *vmResourceModel {
	return &vmResourceModel{
		Name:        types.StringValue("web"),
		VMID:        types.Int64Value(100),
		Node:        types.StringValue("pve"),
		Description: types.StringValue("notes"),
		Tags:        types.SetValueMust(types.StringType, []attr.Value{types.StringValue("Prod")}),
		CPU: types.ObjectValueMust(cpuAttrTypes, map[string]attr.Value{
			"cores": types.Int64Value(2), "sockets": types.Int64Value(1), "type": types.StringValue("host"), "numa": types.BoolNull(),
		}),
		Memory:     types.Int64Value(2048),
		Disks:      types.MapValueMust(types.ObjectType{AttrTypes: diskAttrTypes}, map[string]attr.Value{"scsi0": diskValue("local-lvm", 32)}),
		Networks:   types.MapValueMust(types.ObjectType{AttrTypes: networkAttrTypes}, map[string]attr.Value{"net0": netValue("vmbr0", "", 0)}),
		Clone:      types.ObjectNull(cloneAttrTypes),
		OnBoot:     types.BoolValue(false),
		Protection: types.BoolValue(false),
	}
}

func testVM() *pve.VM {
	return &pve.VM{
		VMID: 100, Node: "pve", Name: "web", Description: "notes", Tags: []string{"prod"},
		Cores: 2, Sockets: 1, CPUType: "host", MemoryMB: 2048,
		Disks:    []pve.Disk{{Interface: "scsi0", Storage: "local-lvm", SizeGB: 32, Volume: "vm-100-disk-0"}},
		Networks: []pve.Network{{Interface: "net0", Model: "virtio", Bridge: "vmbr0", MAC: "BC:24:11:00:00:01"}},
	}
}

func TestDiffConfig(t *testing.T) {
	str := func(s string) *string { return &s }
	num := func(n int64) *int64 { return &n }
	yes := true
	for _, tt := range []struct {
		name        string
		plan        func(m *vmResourceModel)
		vm          func(vm *pve.VM)
		want        pve.ConfigChange
		destructive []string // substrings, in order
	}{
		{name: "matches: nothing to send"},
		{
			name: "null and unknown attributes are left alone",
			plan: func(m *vmResourceModel) {
				m.Description, m.Tags, m.Memory = types.StringNull(), types.SetUnknown(types.StringType), types.Int64Unknown()
				m.Disks, m.Networks = types.MapNull(m.Disks.ElementType(context.Background())), types.MapUnknown(m.Networks.ElementType(context.Background()))
			},
			vm: func(vm *pve.VM) { vm.Description, vm.MemoryMB, vm.Disks, vm.Networks = "other", 4096, nil, nil },
		},
		{
			name: "scalars",
			plan: func(m *vmResourceModel) {
				m.Name, m.Memory, m.Protection = types.StringValue("Web"), types.Int64Value(4096), types.BoolValue(true)
			},
			want: pve.ConfigChange{Name: str("Web"), MemoryMB: num(4096), Protection: &yes},
		},
		{
			name: "empty description, tags compared as PVE stores them",
			plan: func(m *vmResourceModel) { m.Description = types.StringValue("") },
			vm:   func(vm *pve.VM) { vm.Tags = []string{"prod"} },
			want: pve.ConfigChange{Description: str("")},
		},
		{
			name: "PVE's implicit cpu defaults",
			plan: func(m *vmResourceModel) {
				m.CPU = types.ObjectValueMust(cpuAttrTypes, map[string]attr.Value{
					"cores": types.Int64Value(1), "sockets": types.Int64Value(1), "type": types.StringValue(pveDefaultCPUType),
					"numa": types.BoolValue(false),
				})
			},
			vm: func(vm *pve.VM) { vm.Cores, vm.Sockets, vm.CPUType = 0, 0, "" },
		},
		{
			name: "a new disk, a grown disk, a network changed keeps its MAC, a removed network",
			plan: func(m *vmResourceModel) {
				m.Disks = types.MapValueMust(types.ObjectType{AttrTypes: diskAttrTypes}, map[string]attr.Value{
					"scsi0": diskValue("local-lvm", 40), "scsi1": diskValue("ceph", 8),
				})
				m.Networks = types.MapValueMust(types.ObjectType{AttrTypes: networkAttrTypes}, map[string]attr.Value{"net0": netValue("vmbr1", "", 0)})
			},
			vm: func(vm *pve.VM) {
				vm.Networks = append(vm.Networks, pve.Network{Interface: "net1", Model: "e1000", Bridge: "vmbr0"})
			},
			want: pve.ConfigChange{
				Disks:    []pve.Disk{{Interface: "scsi1", Storage: "ceph", SizeGB: 8}},
				Networks: []pve.Network{{Interface: "net0", Model: "virtio", Bridge: "vmbr1", MAC: "BC:24:11:00:00:01"}},
				Delete:   []string{"net1"},
				Resizes:  []pve.DiskResize{{Interface: "scsi0", SizeGB: 40}},
			},
		},
		{
			name: "shrink, move and detach are destructive",
			plan: func(m *vmResourceModel) {
				m.Disks = types.MapValueMust(types.ObjectType{AttrTypes: diskAttrTypes}, map[string]attr.Value{
					"scsi0": diskValue("local-lvm", 16), "scsi1": diskValue("ceph", 8),
				})
			},
			vm: func(vm *pve.VM) {
				vm.Disks = append(vm.Disks,
					pve.Disk{Interface: "scsi1", Storage: "local-lvm", SizeGB: 8, Volume: "vm-100-disk-1"},
					pve.Disk{Interface: "virtio0", Storage: "local-lvm", SizeGB: 4, Volume: "vm-100-disk-2"})
			},
			want:        pve.ConfigChange{Delete: []string{"virtio0"}},
			destructive: []string{"disk scsi0: 32 GiB, configuration says 16 GiB", "disk scsi1: on storage local-lvm, configuration says ceph", "disk virtio0 (vm-100-disk-2, 4 GiB)"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			plan, vm := testPlan(), testVM()
			if tt.plan != nil {
				tt.plan(plan)
			}
			if tt.vm != nil {
				tt.vm(vm)
			}
			var diags diag.Diagnostics
			got := diffConfig(context.Background(), plan, vm, &diags)
			if diags.HasError() {
				t.Fatal(diags)
			}
			if !reflect.DeepEqual(got.config, tt.want) {
				t.Errorf("config change = %+v\nwant %+v", got.config, tt.want)
			}
			if len(got.destructive) != len(tt.destructive) {
				t.Fatalf("destructive = %q, want %d", got.destructive, len(tt.destructive))
			}
			for i, part := range tt.destructive {
				if !strings.Contains(got.destructive[i], part) {
					t.Errorf("destructive[%d] = %q, want it to mention %q", i, got.destructive[i], part)
				}
			}
		})
	}
}

func TestCompareDisk(t *testing.T) {
	for _, tt := range []struct {
		haveStorage string
		haveGB      int64
		wantStorage string
		wantGB      int64
		want        diskDelta
	}{
		{"local-lvm", 32, "local-lvm", 32, diskSame},
		{"local-lvm", 32, "local-lvm", 40, diskGrow},
		{"local-lvm", 32, "local-lvm", 16, diskShrink},
		{"local-lvm", 32, "ceph", 32, diskMove},
		{"local-lvm", 32, "ceph", 16, diskMove}, // a moved disk is a new disk: no shrink
	} {
		if got := compareDisk(tt.haveStorage, tt.haveGB, tt.wantStorage, tt.wantGB); got != tt.want {
			t.Errorf("compareDisk(%s %d -> %s %d) = %d, want %d", tt.haveStorage, tt.haveGB, tt.wantStorage, tt.wantGB, got, tt.want)
		}
	}
}

func TestReplacements(t *testing.T) {
	cloned := types.ObjectValueMust(cloneAttrTypes, map[string]attr.Value{
		"source": types.StringValue("base"), "full": types.BoolValue(true), "storage": types.StringNull(),
	})
	other := types.ObjectValueMust(cloneAttrTypes, map[string]attr.Value{
		"source": types.StringValue("base-2"), "full": types.BoolValue(true), "storage": types.StringNull(),
	})
	for _, tt := range []struct {
		name  string
		state func(m *vmResourceModel)
		plan  func(m *vmResourceModel)
		want  []path.Path
	}{
		{name: "no change"},
		{name: "in-place changes", plan: func(m *vmResourceModel) { m.Memory, m.Name = types.Int64Value(1), types.StringValue("x") }},
		{name: "vmid", plan: func(m *vmResourceModel) { m.VMID = types.Int64Value(101) }, want: []path.Path{pathVMID}},
		{name: "vmid unknown", plan: func(m *vmResourceModel) { m.VMID = types.Int64Unknown() }},
		{
			name: "disk storage",
			plan: func(m *vmResourceModel) {
				m.Disks = types.MapValueMust(types.ObjectType{AttrTypes: diskAttrTypes}, map[string]attr.Value{
					"scsi0": diskValue("ceph", 32), "scsi1": diskValue("ceph", 8),
				})
			},
			want: []path.Path{pathDisks.AtMapKey("scsi0").AtName("storage")},
		},
		{name: "disk grown", plan: func(m *vmResourceModel) {
			m.Disks = types.MapValueMust(types.ObjectType{AttrTypes: diskAttrTypes}, map[string]attr.Value{"scsi0": diskValue("local-lvm", 64)})
		}},
		{name: "clone source recorded for an imported VM", plan: func(m *vmResourceModel) { m.Clone = cloned }},
		{name: "clone source changed", state: func(m *vmResourceModel) { m.Clone = cloned }, plan: func(m *vmResourceModel) { m.Clone = other }, want: []path.Path{pathClone}},
		{name: "clone source removed", state: func(m *vmResourceModel) { m.Clone = cloned }, want: []path.Path{pathClone}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			state, plan := testPlan(), testPlan()
			if tt.state != nil {
				tt.state(state)
			}
			if tt.plan != nil {
				tt.plan(plan)
			}
			var diags diag.Diagnostics
			var got []path.Path
			for _, rep := range replacements(context.Background(), state, plan, &diags) {
				got = append(got, rep.path)
				if rep.reason == "" {
					t.Errorf("replacement of %s has no reason", rep.path)
				}
			}
			if diags.HasError() {
				t.Fatal(diags)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("replacements = %v, want %v", got, tt.want)
			}
		})
	}
}
