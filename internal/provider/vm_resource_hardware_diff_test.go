package provider

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// hardwareVM is testVM with PVE's defaults read for every hardware key.
func hardwareVM() *pve.VM {
	vm := testVM()
	vm.Hardware = pve.Hardware{
		OSType: pve.DefaultOSType, BIOS: pve.DefaultBIOS, Machine: pve.Machine{Type: pve.DefaultMachine, Options: "viommu=intel"},
		SCSIHardware: pve.DefaultSCSIHardware, VGA: pve.VGA{Type: pve.DefaultVGAType, Options: "clipboard=vnc"},
		BootOrder: []string{"scsi0", "net0"}, Serial: [pve.MaxSerialPorts]string{"socket", "", "/dev/ttyS1"},
	}
	return vm
}

func efiValue(storage, typ string, keys bool) types.Object {
	return types.ObjectValueMust(efiDiskAttrTypes, map[string]attr.Value{
		"storage": types.StringValue(storage), "type": types.StringValue(typ), "pre_enrolled_keys": types.BoolValue(keys),
	})
}

func TestDiffHardware(t *testing.T) {
	str := func(s string) *string { return &s }
	n := func(v int64) *int64 { return &v }
	for _, tt := range []struct {
		name        string
		plan        func(m *vmResourceModel)
		vm          func(h *pve.Hardware)
		want        *pve.HardwareChange
		firmware    []string // substrings, in order: refuse an adoption
		destructive []string
	}{
		{name: "left out: nothing to send"},
		{
			name: "PVE's defaults spelled out match a VM without the keys",
			plan: func(m *vmResourceModel) {
				m.OSType, m.BIOS, m.Machine, m.SCSIHardware = types.StringValue("other"), types.StringValue("seabios"), types.StringValue("pc"), types.StringValue("lsi")
				m.VGA = types.ObjectValueMust(vgaAttrTypes, map[string]attr.Value{"type": types.StringValue("std"), "memory": types.Int64Null()})
			},
		},
		{
			name: "in-place changes keep the options the provider does not manage",
			plan: func(m *vmResourceModel) {
				m.OSType = types.StringValue("l26")
				m.VGA = types.ObjectValueMust(vgaAttrTypes, map[string]attr.Value{"type": types.StringUnknown(), "memory": types.Int64Value(32)})
				m.Startup = types.ObjectValueMust(startupAttrTypes, map[string]attr.Value{"order": types.Int64Value(1), "up": types.Int64Null(), "down": types.Int64Value(60)})
				m.BootOrder = types.ListValueMust(types.StringType, []attr.Value{types.StringValue("net0"), types.StringValue("scsi0")})
				m.SerialDevices = types.ListValueMust(types.StringType, []attr.Value{types.StringValue("socket")})
			},
			want: &pve.HardwareChange{
				OSType: str("l26"), VGA: &pve.VGA{Type: "std", Memory: 32, Options: "clipboard=vnc"},
				Startup: &pve.Startup{Order: n(1), Down: n(60)}, BootOrder: &[]string{"net0", "scsi0"},
				Serial: map[int]string{2: ""},
			},
		},
		{
			name: "bios, machine and a new EFI disk change in place but refuse an adoption",
			plan: func(m *vmResourceModel) {
				m.BIOS, m.Machine = types.StringValue("ovmf"), types.StringValue("q35")
				m.EFIDisk = efiValue("local-lvm", "4m", false)
			},
			want: &pve.HardwareChange{
				BIOS: str("ovmf"), Machine: &pve.Machine{Type: "q35", Options: "viommu=intel"},
				EFIDisk: &pve.EFIDisk{Storage: "local-lvm", Type: "4m"},
			},
			firmware: []string{"bios: the VM uses seabios, the configuration says ovmf", "machine: the VM is pc, the configuration says q35", "efi_disk: the VM has none"},
		},
		{
			name: "an existing EFI disk of another type cannot change",
			plan: func(m *vmResourceModel) { m.EFIDisk = efiValue("local-lvm", "4m", true) },
			vm: func(h *pve.Hardware) {
				h.EFIDisk = &pve.EFIDisk{Storage: "local-lvm", Volume: "vm-100-disk-1", Type: "2m", Options: "size=4M"}
			},
			destructive: []string{"efi_disk: on local-lvm, type 2m, pre-enrolled keys false, the configuration says on local-lvm, type 4m, pre-enrolled keys true"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			plan, vm := testPlan(), hardwareVM()
			if tt.plan != nil {
				tt.plan(plan)
			}
			if tt.vm != nil {
				tt.vm(&vm.Hardware)
			}
			var diags diag.Diagnostics
			got := diffConfig(context.Background(), plan, vm, &diags)
			if diags.HasError() {
				t.Fatal(diags)
			}
			if !reflect.DeepEqual(got.config.Hardware, tt.want) {
				t.Errorf("hardware change = %+v\nwant %+v", got.config.Hardware, tt.want)
			}
			for _, c := range []struct {
				what      string
				got, want []string
			}{{"firmware", got.firmware, tt.firmware}, {"destructive", got.destructive, tt.destructive}} {
				if len(c.got) != len(c.want) {
					t.Fatalf("%s = %q, want %d", c.what, c.got, len(c.want))
				}
				for i, part := range c.want {
					if !strings.Contains(c.got[i], part) {
						t.Errorf("%s[%d] = %q, want it to mention %q", c.what, i, c.got[i], part)
					}
				}
			}
		})
	}
}
