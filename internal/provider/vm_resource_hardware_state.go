package provider

// This file converts the hardware group between the model and pve: what a
// new VM gets, what a VM has, and what a VM needs to match the plan.

import (
	"context"
	"fmt"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// hardwareSpec is what a new VM gets: only what the configuration sets.
func (m *vmResourceModel) hardwareSpec(ctx context.Context, diags *diag.Diagnostics) *pve.HardwareChange {
	h := pve.HardwareChange{
		OSType:       knownString(m.OSType),
		BIOS:         knownString(m.BIOS),
		SCSIHardware: knownString(m.SCSIHardware),
	}
	if numa := m.cpu(ctx, diags).Numa; known(numa) {
		h.NUMA = numa.ValueBoolPointer()
	}
	if known(m.Machine) {
		h.Machine = &pve.Machine{Type: m.Machine.ValueString()}
	}
	if e := m.efiDisk(ctx, diags); e != nil {
		h.EFIDisk = efiDiskFromModel(e)
	}
	if order, ok := listOf(ctx, m.BootOrder, diags); ok && len(order) > 0 {
		h.BootOrder = &order
	}
	if serial, ok := listOf(ctx, m.SerialDevices, diags); ok {
		h.Serial = map[int]string{}
		for port, dev := range serial {
			h.Serial[port] = dev
		}
	}
	if v := m.vga(ctx, diags); v != nil {
		h.VGA = &pve.VGA{Type: v.Type.ValueString(), Memory: v.Memory.ValueInt64()}
	}
	if s := m.startup(ctx, diags); s != nil {
		h.Startup = startupFromModel(s)
	}
	if (pve.ConfigChange{Hardware: &h}).Empty() {
		return nil
	}
	return &h
}

// knownString is nil for a null or unknown value.
func knownString(v types.String) *string {
	if !known(v) {
		return nil
	}
	return v.ValueStringPointer()
}

// unreadHardware is the hardware of a state not read from the VM yet: all
// null, filled by the next refresh.
func unreadHardware() hardwareModel {
	return hardwareModel{
		OSType: types.StringNull(), BIOS: types.StringNull(), Machine: types.StringNull(), SCSIHardware: types.StringNull(),
		EFIDisk: types.ObjectNull(efiDiskAttrTypes), BootOrder: types.ListNull(types.StringType),
		SerialDevices: types.ListNull(types.StringType), VGA: types.ObjectNull(vgaAttrTypes), Startup: types.ObjectNull(startupAttrTypes),
	}
}

// applyHardware copies the VM's firmware and devices into the model.
func (h *hardwareModel) applyHardware(vm *pve.VM, diags *diag.Diagnostics) {
	hw := vm.Hardware
	h.OSType = types.StringValue(hw.OSType)
	h.BIOS = types.StringValue(hw.BIOS)
	h.Machine = types.StringValue(hw.Machine.Type)
	h.SCSIHardware = types.StringValue(hw.SCSIHardware)
	h.EFIDisk = types.ObjectNull(efiDiskAttrTypes)
	if e := hw.EFIDisk; e != nil {
		v, d := types.ObjectValue(efiDiskAttrTypes, map[string]attr.Value{
			"storage":           types.StringValue(e.Storage),
			"type":              types.StringValue(e.Type),
			"pre_enrolled_keys": types.BoolValue(e.PreEnrolledKeys),
		})
		diags.Append(d...)
		h.EFIDisk = v
	}
	h.BootOrder = stringListValue(hw.BootOrder)
	h.SerialDevices = stringListValue(serialList(hw.Serial))
	memory := types.Int64Null()
	if hw.VGA.Memory > 0 {
		memory = types.Int64Value(hw.VGA.Memory)
	}
	vga, d := types.ObjectValue(vgaAttrTypes, map[string]attr.Value{"type": types.StringValue(hw.VGA.Type), "memory": memory})
	diags.Append(d...)
	h.VGA = vga
	h.Startup = types.ObjectNull(startupAttrTypes)
	if !hw.Startup.IsZero() {
		s, d := types.ObjectValue(startupAttrTypes, map[string]attr.Value{
			"order": types.Int64PointerValue(hw.Startup.Order),
			"up":    types.Int64PointerValue(hw.Startup.Up),
			"down":  types.Int64PointerValue(hw.Startup.Down),
		})
		diags.Append(d...)
		h.Startup = s
	}
}

// serialList lists the ports up to the last one in use; a gap is "".
func serialList(ports [pve.MaxSerialPorts]string) []string {
	last := -1
	for i, dev := range ports {
		if dev != "" {
			last = i
		}
	}
	return ports[:last+1]
}

// diffHardware adds to c what the VM needs to match want. bios, machine and
// the EFI disk are firmware: an adoption never changes them, and an EFI
// disk that exists is never changed in place (its vars cannot be
// converted).
func (c *vmChange) diffHardware(ctx context.Context, want *vmResourceModel, have *pve.VM, diags *diag.Diagnostics) {
	hw := have.Hardware
	var h pve.HardwareChange
	changed := false
	str := func(w types.String, cur string) *string {
		if !known(w) || w.ValueString() == cur {
			return nil
		}
		changed = true
		return w.ValueStringPointer()
	}
	if numa := want.cpu(ctx, diags).Numa; known(numa) && numa.ValueBool() != hw.NUMA {
		h.NUMA, changed = numa.ValueBoolPointer(), true
	}
	h.OSType = str(want.OSType, hw.OSType)
	h.SCSIHardware = str(want.SCSIHardware, hw.SCSIHardware)
	if h.BIOS = str(want.BIOS, hw.BIOS); h.BIOS != nil {
		c.firmware = append(c.firmware, fmt.Sprintf("bios: the VM uses %s, the configuration says %s (a guest installed "+
			"for one firmware does not boot with the other)", hw.BIOS, *h.BIOS))
	}
	if t := str(want.Machine, hw.Machine.Type); t != nil {
		h.Machine = &pve.Machine{Type: *t, Options: hw.Machine.Options}
		c.firmware = append(c.firmware, fmt.Sprintf("machine: the VM is %s, the configuration says %s (the guest's "+
			"chipset would change)", hw.Machine.Type, *t))
	}
	if e := want.efiDisk(ctx, diags); e != nil {
		wantDisk := efiDiskFromModel(e)
		switch {
		case hw.EFIDisk == nil:
			h.EFIDisk, changed = wantDisk, true
			c.firmware = append(c.firmware, "efi_disk: the VM has none, the configuration adds one on "+wantDisk.Storage)
		case efiDiskDiffers(e, hw.EFIDisk):
			c.destructive = append(c.destructive, fmt.Sprintf("efi_disk: %s, the configuration says %s (Proxmox VE "+
				"cannot convert EFI vars; replacing the disk loses them)", describeEFIDisk(*hw.EFIDisk), describeEFIDisk(*wantDisk)))
		}
	}
	if order, ok := listOf(ctx, want.BootOrder, diags); ok && !slices.Equal(order, hw.BootOrder) && (len(order) > 0 || len(hw.BootOrder) > 0) {
		h.BootOrder, changed = &order, true
	}
	if serial, ok := listOf(ctx, want.SerialDevices, diags); ok {
		for port := range pve.MaxSerialPorts {
			dev := ""
			if port < len(serial) {
				dev = serial[port]
			}
			if dev != hw.Serial[port] {
				if h.Serial == nil {
					h.Serial = map[int]string{}
				}
				h.Serial[port], changed = dev, true
			}
		}
	}
	if v := want.vga(ctx, diags); v != nil {
		typ := hw.VGA.Type
		if known(v.Type) {
			typ = v.Type.ValueString()
		}
		if typ != hw.VGA.Type || v.Memory.ValueInt64() != hw.VGA.Memory {
			h.VGA, changed = &pve.VGA{Type: typ, Memory: v.Memory.ValueInt64(), Options: hw.VGA.Options}, true
		}
	}
	if h.Startup = diffStartup(ctx, want, hw.Startup, diags); h.Startup != nil {
		changed = true
	}
	if changed {
		c.config.Hardware = &h
	}
}
