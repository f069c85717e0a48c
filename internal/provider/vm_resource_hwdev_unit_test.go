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

// leftOutDiskOptions adds disk options a configuration leaves out.
func leftOutDiskOptions(values map[string]attr.Value) map[string]attr.Value {
	for k, t := range diskOptionAttrTypes {
		if t == types.StringType {
			values[k] = types.StringNull()
		} else {
			values[k] = types.BoolNull()
		}
	}
	return values
}

// Fast table tests of the disk option, network and CD-ROM diff.
func TestDiffHardwareOptions(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name  string
		plan  func(*vmResourceModel)
		vm    func(*pve.VM)
		check func(*testing.T, pve.ConfigChange)
	}{
		{
			name: "options left out keep what the disk has",
			vm: func(vm *pve.VM) {
				vm.Disks[0].Options = "cache=writeback,discard=on,iothread=1,backup=0"
			},
			check: func(t *testing.T, c pve.ConfigChange) {
				if !c.Empty() {
					t.Errorf("change %s, want none", c.Describe())
				}
			},
		},
		{
			name: "a set option rewrites the disk, keeping its volume and other options",
			plan: func(m *vmResourceModel) {
				values := leftOutDiskOptions(map[string]attr.Value{
					"storage": types.StringValue("local-lvm"), "size": types.Int64Value(32), "volume": types.StringUnknown(),
				})
				values["ssd"] = types.BoolValue(true)
				values["backup"] = types.BoolValue(true)
				m.Disks = types.MapValueMust(types.ObjectType{AttrTypes: diskAttrTypes},
					map[string]attr.Value{"scsi0": types.ObjectValueMust(diskAttrTypes, values)})
			},
			vm: func(vm *pve.VM) { vm.Disks[0].Options = "aio=native,backup=0,iothread=1" },
			check: func(t *testing.T, c pve.ConfigChange) {
				want := []pve.Disk{{Interface: "scsi0", Storage: "local-lvm", SizeGB: 32, Volume: "vm-100-disk-0",
					Options: "aio=native,iothread=1,ssd=1"}}
				if !reflect.DeepEqual(c.DiskOptions, want) || len(c.Disks) != 0 {
					t.Errorf("DiskOptions = %+v, Disks = %+v", c.DiskOptions, c.Disks)
				}
			},
		},
		{
			name: "model, firewall, mtu and rate left out keep the device's, other options stay",
			plan: func(m *vmResourceModel) {
				m.Networks = types.MapValueMust(types.ObjectType{AttrTypes: networkAttrTypes}, map[string]attr.Value{
					"net0": types.ObjectValueMust(networkAttrTypes, map[string]attr.Value{
						"model": types.StringUnknown(), "bridge": types.StringValue("vmbr0"), "vlan": types.Int64Null(),
						"firewall": types.BoolUnknown(), "mac": types.StringUnknown(), "mtu": types.Int64Unknown(), "rate": types.Float64Unknown(),
					}),
				})
			},
			vm: func(vm *pve.VM) {
				vm.Networks[0] = pve.Network{Interface: "net0", Model: "e1000", Bridge: "vmbr0", MAC: "BC:24:11:00:00:01",
					Firewall: true, MTU: 9000, Rate: 12.5, Options: "queues=2"}
			},
			check: func(t *testing.T, c pve.ConfigChange) {
				if !c.Empty() {
					t.Errorf("change %s, want none", c.Describe())
				}
			},
		},
		{
			name: "a new rate rewrites the device with its queues",
			plan: func(m *vmResourceModel) {
				m.Networks = types.MapValueMust(types.ObjectType{AttrTypes: networkAttrTypes}, map[string]attr.Value{
					"net0": types.ObjectValueMust(networkAttrTypes, map[string]attr.Value{
						"model": types.StringValue("virtio"), "bridge": types.StringValue("vmbr0"), "vlan": types.Int64Null(),
						"firewall": types.BoolValue(false), "mac": types.StringUnknown(), "mtu": types.Int64Null(), "rate": types.Float64Value(100),
					}),
				})
			},
			vm: func(vm *pve.VM) { vm.Networks[0].Options = "queues=2" },
			check: func(t *testing.T, c pve.ConfigChange) {
				want := []pve.Network{{Interface: "net0", Model: "virtio", Bridge: "vmbr0", MAC: "BC:24:11:00:00:01", Rate: 100, Options: "queues=2"}}
				if !reflect.DeepEqual(c.Networks, want) {
					t.Errorf("Networks = %+v", c.Networks)
				}
			},
		},
		{
			name: "a CD-ROM gets another medium, one is added, one removed; a cloud-init drive is not touched",
			plan: func(m *vmResourceModel) {
				m.CDROM = types.MapValueMust(types.ObjectType{AttrTypes: cdromAttrTypes}, map[string]attr.Value{
					"ide3":  types.ObjectValueMust(cdromAttrTypes, map[string]attr.Value{"file": types.StringValue("none")}),
					"sata0": types.ObjectValueMust(cdromAttrTypes, map[string]attr.Value{"file": types.StringValue("local:iso/a.iso")}),
				})
			},
			vm: func(vm *pve.VM) {
				vm.CDROMs = []pve.CDROM{{Interface: "ide0", File: "cdrom"}, {Interface: "ide3", File: "local:iso/debian-12.iso"}}
			},
			check: func(t *testing.T, c pve.ConfigChange) {
				want := []pve.CDROM{{Interface: "ide3", File: "none"}, {Interface: "sata0", File: "local:iso/a.iso"}}
				if !reflect.DeepEqual(c.CDROMs, want) || !reflect.DeepEqual(c.Delete, []string{"ide0"}) {
					t.Errorf("CDROMs = %+v, Delete = %v", c.CDROMs, c.Delete)
				}
			},
		},
		{
			name: "protection left out keeps the VM's",
			plan: func(m *vmResourceModel) { m.Protection = types.BoolUnknown() },
			vm:   func(vm *pve.VM) { vm.Protection = true },
			check: func(t *testing.T, c pve.ConfigChange) {
				if c.Protection != nil {
					t.Errorf("protection changed to %v", *c.Protection)
				}
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, vm := testPlan(), testVM()
			if tt.plan != nil {
				tt.plan(m)
			}
			if tt.vm != nil {
				tt.vm(vm)
			}
			var diags diag.Diagnostics
			c := diffConfig(ctx, m, vm, &diags)
			if diags.HasError() {
				t.Fatal(diags)
			}
			tt.check(t, c.config)
		})
	}
}

// A new VM gets PVE's defaults for what the configuration leaves out.
func TestCreateSpecHardwareDefaults(t *testing.T) {
	ctx := context.Background()
	m := testPlan()
	m.Networks = types.MapValueMust(types.ObjectType{AttrTypes: networkAttrTypes}, map[string]attr.Value{
		"net0": types.ObjectValueMust(networkAttrTypes, map[string]attr.Value{
			"model": types.StringUnknown(), "bridge": types.StringValue("vmbr0"), "vlan": types.Int64Null(),
			"firewall": types.BoolUnknown(), "mac": types.StringUnknown(), "mtu": types.Int64Unknown(), "rate": types.Float64Unknown(),
		}),
	})
	m.CDROM = types.MapUnknown(types.ObjectType{AttrTypes: cdromAttrTypes})
	m.Pool = types.StringUnknown()
	var diags diag.Diagnostics
	spec := m.createSpec(ctx, "pve", 100, &diags)
	if diags.HasError() {
		t.Fatal(diags)
	}
	if got := spec.Networks[0]; got.Model != "virtio" || got.Firewall || got.MTU != 0 || got.Rate != 0 {
		t.Errorf("network = %+v, want virtio without firewall, mtu or rate", got)
	}
	if got := spec.Disks[0].Options; got != "" {
		t.Errorf("disk options = %q, want none", got)
	}
	if spec.Pool != "" || len(spec.CDROMs) != 0 {
		t.Errorf("pool %q, CD-ROMs %v", spec.Pool, spec.CDROMs)
	}
}
