package provider

// This file holds the VM's firmware, controllers and devices: os_type,
// bios, machine, scsi_hardware, efi_disk, boot_order, serial_devices, vga
// and startup (cpu.numa sits in cpu). Each keeps what the VM has when the
// configuration leaves it out; descriptions use qemu-server's wording
// (src/PVE/QemuServer.pm $confdesc).

import (
	"context"
	"fmt"
	"regexp"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

var (
	pathEFIDisk = path.Root("efi_disk")
	// machineRegexp is the machine type's pattern (qemu-server
	// src/PVE/QemuServer/Machine.pm $machine_fmt).
	machineRegexp = regexp.MustCompile(`^(pc|pc(-i440fx)?-\d+(\.\d+)+(\+pve\d+)?(\.pxe)?|q35|pc-q35-\d+(\.\d+)+(\+pve\d+)?(\.pxe)?|virt(?:-\d+(\.\d+)+)?(\+pve\d+)?)$`)
	// bootDeviceRegexp is verify_bootdev (QemuServer.pm): a drive other
	// than efidisk/tpmstate, or a netN, usbN or hostpciN device.
	bootDeviceRegexp = regexp.MustCompile(`^(scsi([0-9]|[12][0-9]|30)|virtio([0-9]|1[0-5])|sata[0-5]|ide[0-3]|net([0-9]|[12][0-9]|3[01])|usb([0-9]|1[0-3])|hostpci([0-9]|1[0-5]))$`)
	// serialRegexp is $serialdesc's pattern.
	serialRegexp = regexp.MustCompile(`^(/dev/[^,]+|socket)$`)
)

var efiDiskAttrTypes = map[string]attr.Type{
	"storage":           types.StringType,
	"type":              types.StringType,
	"pre_enrolled_keys": types.BoolType,
}

var vgaAttrTypes = map[string]attr.Type{
	"type":   types.StringType,
	"memory": types.Int64Type,
}

var startupAttrTypes = map[string]attr.Type{
	"order": types.Int64Type,
	"up":    types.Int64Type,
	"down":  types.Int64Type,
}

// hardwareModel is the part of vmResourceModel this file owns.
type hardwareModel struct {
	OSType        types.String `tfsdk:"os_type"`
	BIOS          types.String `tfsdk:"bios"`
	Machine       types.String `tfsdk:"machine"`
	SCSIHardware  types.String `tfsdk:"scsi_hardware"`
	EFIDisk       types.Object `tfsdk:"efi_disk"`
	BootOrder     types.List   `tfsdk:"boot_order"`
	SerialDevices types.List   `tfsdk:"serial_devices"`
	VGA           types.Object `tfsdk:"vga"`
	Startup       types.Object `tfsdk:"startup"`
}

type efiDiskModel struct {
	Storage         types.String `tfsdk:"storage"`
	Type            types.String `tfsdk:"type"`
	PreEnrolledKeys types.Bool   `tfsdk:"pre_enrolled_keys"`
}

type vgaModel struct {
	Type   types.String `tfsdk:"type"`
	Memory types.Int64  `tfsdk:"memory"`
}

type startupModel struct {
	Order types.Int64 `tfsdk:"order"`
	Up    types.Int64 `tfsdk:"up"`
	Down  types.Int64 `tfsdk:"down"`
}

const keepsWhatTheVMHas = " Left as the VM has it when omitted."

// numaAttribute is cpu.numa.
func numaAttribute() schema.Attribute {
	return schema.BoolAttribute{
		MarkdownDescription: "Enable/disable NUMA. Proxmox VE's default is `false`." + keepsWhatTheVMHas,
		Optional:            true, Computed: true,
		PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
	}
}

func keepString(desc string, validators ...validator.String) schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: desc + keepsWhatTheVMHas,
		Optional:            true, Computed: true,
		PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		Validators:    validators,
	}
}

// hardwareAttributes are this file's attributes of the schema.
func hardwareAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"os_type": keepString("Specify guest operating system: `other` (unspecified OS), `wxp`, `w2k`, `w2k3`, "+
			"`w2k8`, `wvista`, `win7`, `win8`, `win10`, `win11` (Microsoft Windows), `l24` (Linux 2.4 Kernel), "+
			"`l26` (Linux 2.6 - 7.X Kernel), `solaris`. Proxmox VE's default is `other`. Changed in place; a "+
			"running VM applies it at its next restart.",
			stringvalidator.OneOf("other", "wxp", "w2k", "w2k3", "w2k8", "wvista", "win7", "win8", "win10", "win11", "l24", "l26", "solaris")),
		"bios": keepString("Select BIOS implementation: `seabios` or `ovmf` (UEFI). Proxmox VE's default is "+
			"`seabios`. Changed in place (a running VM restarts); adopting a VM with another BIOS is refused.",
			stringvalidator.OneOf(pve.DefaultBIOS, "ovmf")),
		"machine": keepString("Specifies the QEMU machine type: `pc` (i440fx), `q35`, or a versioned type "+
			"such as `pc-q35-9.0`. Proxmox VE's default is `pc`. Changed in place (a running VM restarts); "+
			"adopting a VM with another machine type is refused.",
			stringvalidator.LengthAtMost(40),
			stringvalidator.RegexMatches(machineRegexp, "must be a QEMU machine type: pc, q35, pc-i440fx-<version>, pc-q35-<version> or virt")),
		"scsi_hardware": keepString("SCSI controller model: `lsi`, `lsi53c810`, `virtio-scsi-pci`, "+
			"`virtio-scsi-single`, `megasas` or `pvscsi`. Proxmox VE's default is `lsi`. Changed in place; a "+
			"running VM applies it at its next restart.",
			stringvalidator.OneOf("lsi", "lsi53c810", "virtio-scsi-pci", "virtio-scsi-single", "megasas", "pvscsi")),
		"efi_disk": schema.SingleNestedAttribute{
			MarkdownDescription: "Configure a disk for storing EFI vars (used with `bios = \"ovmf\"`). Adding one " +
				"to a VM allocates it in place; changing the storage, type or keys of an existing one replaces " +
				"the VM, because Proxmox VE cannot convert EFI vars. Removing it from the configuration keeps " +
				"the VM's. Adopting a VM whose EFI disk differs is refused.",
			Optional:      true,
			Computed:      true,
			PlanModifiers: []planmodifier.Object{objectplanmodifier.UseStateForUnknown()},
			Attributes: map[string]schema.Attribute{
				"storage": schema.StringAttribute{
					MarkdownDescription: "Storage to allocate the EFI disk on, e.g. `local-lvm`.",
					Required:            true,
				},
				"type": keepString("Size and type of the OVMF EFI vars. `4m` is newer and recommended, and "+
					"required for Secure Boot. For backwards compatibility, `2m` is used if not otherwise specified.",
					stringvalidator.OneOf(pve.DefaultEFIType, "4m")),
				"pre_enrolled_keys": schema.BoolAttribute{
					MarkdownDescription: "Use an EFI vars template with distribution-specific and Microsoft " +
						"Standard keys enrolled, if used with `type = \"4m\"`. Note that this will enable Secure " +
						"Boot by default, though it can still be turned off from within the VM. Defaults to `false`.",
					Optional: true, Computed: true,
					PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
				},
			},
		},
		"boot_order": schema.ListAttribute{
			MarkdownDescription: "The guest will attempt to boot from devices in the order they appear here " +
				"(Proxmox VE's `boot: order=...`), e.g. `[\"scsi0\", \"net0\"]`. Only devices in this list are " +
				"marked bootable. Empty when the VM uses the legacy default order. A new VM gets Proxmox VE's " +
				"default: its first disk, CD-ROMs, then its first network device." + keepsWhatTheVMHas,
			ElementType:   types.StringType,
			Optional:      true,
			Computed:      true,
			PlanModifiers: []planmodifier.List{listplanmodifier.UseStateForUnknown()},
			Validators: []validator.List{
				listvalidator.UniqueValues(),
				listvalidator.ValueStringsAre(stringvalidator.RegexMatches(bootDeviceRegexp,
					"must be a boot device: a disk (scsiN, virtioN, sataN, ideN), netN, usbN or hostpciN")),
			},
		},
		"serial_devices": schema.ListAttribute{
			MarkdownDescription: "Serial devices `serial0` to `serial3`, in order. Each is `socket` (a unix socket " +
				"on the host side, use `qm terminal` to open a terminal connection) or a host serial device " +
				"to pass through (i.e. `/dev/ttyS0`, which makes the VM impossible to migrate)." + keepsWhatTheVMHas,
			ElementType:   types.StringType,
			Optional:      true,
			Computed:      true,
			PlanModifiers: []planmodifier.List{listplanmodifier.UseStateForUnknown()},
			Validators: []validator.List{
				listvalidator.SizeAtMost(pve.MaxSerialPorts),
				listvalidator.ValueStringsAre(stringvalidator.RegexMatches(serialRegexp, "must be socket or a device path such as /dev/ttyS0")),
			},
		},
		"vga": schema.SingleNestedAttribute{
			MarkdownDescription: "Configure the VGA hardware. Changed in place; a running VM applies it at its " +
				"next restart." + keepsWhatTheVMHas,
			Optional:      true,
			Computed:      true,
			PlanModifiers: []planmodifier.Object{objectplanmodifier.UseStateForUnknown()},
			Attributes: map[string]schema.Attribute{
				"type": keepString("Select the VGA type: `cirrus`, `qxl`, `qxl2`, `qxl3`, `qxl4`, `none`, `serial0` "+
					"to `serial3` (a serial device as terminal), `std`, `virtio`, `virtio-gl` or `vmware`. Using "+
					"type `cirrus` is not recommended. Proxmox VE's default is `std`.",
					stringvalidator.OneOf("cirrus", "qxl", "qxl2", "qxl3", "qxl4", "none", "serial0", "serial1", "serial2",
						"serial3", pve.DefaultVGAType, "virtio", "virtio-gl", "vmware")),
				"memory": schema.Int64Attribute{
					MarkdownDescription: "Sets the VGA memory (in MiB), 4 to 512. Has no effect with serial display. " +
						"Unset leaves the choice to Proxmox VE.",
					Optional:   true,
					Validators: []validator.Int64{int64validator.Between(4, 512)},
				},
			},
		},
		"startup": schema.SingleNestedAttribute{
			MarkdownDescription: "Startup and shutdown behavior. Order is a non-negative number defining the " +
				"general startup order. Shutdown is done with reverse ordering. Additionally you can set the " +
				"`up` or `down` delay in seconds, which specifies a delay to wait before the next VM is started " +
				"or stopped. Set at least one of them. Changed in place, also on a running VM." + keepsWhatTheVMHas,
			Optional:      true,
			Computed:      true,
			PlanModifiers: []planmodifier.Object{objectplanmodifier.UseStateForUnknown()},
			Attributes: map[string]schema.Attribute{
				"order": schema.Int64Attribute{MarkdownDescription: "Startup order.", Optional: true,
					Validators: []validator.Int64{int64validator.AtLeast(0),
						// An empty startup would read back as none: omit startup instead.
						int64validator.AtLeastOneOf(path.MatchRelative().AtParent().AtName("up"), path.MatchRelative().AtParent().AtName("down"))}},
				"up": schema.Int64Attribute{MarkdownDescription: "Delay in seconds before the next VM is started.", Optional: true,
					Validators: []validator.Int64{int64validator.AtLeast(0)}},
				"down": schema.Int64Attribute{MarkdownDescription: "Delay in seconds before the next VM is stopped.", Optional: true,
					Validators: []validator.Int64{int64validator.AtLeast(0)}},
			},
		},
	}
}

func (h *hardwareModel) efiDisk(ctx context.Context, diags *diag.Diagnostics) *efiDiskModel {
	if !known(h.EFIDisk) {
		return nil
	}
	var e efiDiskModel
	diags.Append(h.EFIDisk.As(ctx, &e, basetypes.ObjectAsOptions{})...)
	return &e
}

func (h *hardwareModel) vga(ctx context.Context, diags *diag.Diagnostics) *vgaModel {
	if !known(h.VGA) {
		return nil
	}
	var v vgaModel
	diags.Append(h.VGA.As(ctx, &v, basetypes.ObjectAsOptions{})...)
	return &v
}

func (h *hardwareModel) startup(ctx context.Context, diags *diag.Diagnostics) *startupModel {
	if !known(h.Startup) {
		return nil
	}
	var s startupModel
	diags.Append(h.Startup.As(ctx, &s, basetypes.ObjectAsOptions{})...)
	return &s
}

func listOf(ctx context.Context, l types.List, diags *diag.Diagnostics) ([]string, bool) {
	if !known(l) {
		return nil, false
	}
	out := []string{}
	diags.Append(l.ElementsAs(ctx, &out, false)...)
	return out, true
}

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

func efiDiskFromModel(e *efiDiskModel) *pve.EFIDisk {
	return &pve.EFIDisk{Storage: e.Storage.ValueString(), Type: e.Type.ValueString(), PreEnrolledKeys: e.PreEnrolledKeys.ValueBool()}
}

func startupFromModel(s *startupModel) *pve.Startup {
	return &pve.Startup{Order: s.Order.ValueInt64Pointer(), Up: s.Up.ValueInt64Pointer(), Down: s.Down.ValueInt64Pointer()}
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
	if s := want.startup(ctx, diags); s != nil {
		if w := startupFromModel(s); pve.FormatStartup(*w) != pve.FormatStartup(hw.Startup) {
			h.Startup, changed = w, true
		}
	}
	if changed {
		c.config.Hardware = &h
	}
}

func efiDiskDiffers(want *efiDiskModel, have *pve.EFIDisk) bool {
	return want.Storage.ValueString() != have.Storage ||
		(known(want.Type) && want.Type.ValueString() != have.Type) ||
		(known(want.PreEnrolledKeys) && want.PreEnrolledKeys.ValueBool() != have.PreEnrolledKeys)
}

func describeEFIDisk(d pve.EFIDisk) string {
	return fmt.Sprintf("on %s, type %s, pre-enrolled keys %t", d.Storage, orDefault(d.Type, pve.DefaultEFIType), d.PreEnrolledKeys)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// efiReplacement is the planned change of an existing EFI disk, which
// replaces the VM; nil when there is none.
func efiReplacement(ctx context.Context, state, plan *vmResourceModel, diags *diag.Diagnostics) *replacement {
	have, want := state.efiDisk(ctx, diags), plan.efiDisk(ctx, diags)
	if have == nil || want == nil || want.Storage.IsUnknown() {
		return nil
	}
	cur := efiDiskFromModel(have)
	if !efiDiskDiffers(want, cur) {
		return nil
	}
	return &replacement{pathEFIDisk, "efi_disk " + describeEFIDisk(*cur) + " -> " + describeEFIDisk(*efiDiskFromModel(want))}
}

// newEFIStorage is the storage of an EFI disk the plan allocates, or "".
func newEFIStorage(ctx context.Context, state, plan *vmResourceModel, diags *diag.Diagnostics) string {
	want := plan.efiDisk(ctx, diags)
	if want == nil || !known(want.Storage) {
		return ""
	}
	if state != nil {
		if have := state.efiDisk(ctx, diags); have != nil && have.Storage.ValueString() == want.Storage.ValueString() {
			return ""
		}
	}
	return want.Storage.ValueString()
}
