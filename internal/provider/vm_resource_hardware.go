package provider

// This file holds the VM's firmware, controllers and devices: os_type,
// bios, machine, scsi_hardware, efi_disk, boot_order, serial_devices, vga
// and startup (cpu.numa sits in cpu). Each keeps what the VM has when the
// configuration leaves it out; descriptions use qemu-server's wording
// (src/PVE/QemuServer.pm $confdesc).

import (
	"context"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
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
	// machineRegexp is the machine type's pattern (qemu-server
	// src/PVE/QemuServer/Machine.pm $machine_fmt).
	machineRegexp = regexp.MustCompile(`^(pc|pc(-i440fx)?-\d+(\.\d+)+(\+pve\d+)?(\.pxe)?|q35|pc-q35-\d+(\.\d+)+(\+pve\d+)?(\.pxe)?|virt(?:-\d+(\.\d+)+)?(\+pve\d+)?)$`)
	// serialRegexp is $serialdesc's pattern.
	serialRegexp = regexp.MustCompile(`^(/dev/[^,]+|socket)$`)
)

var vgaAttrTypes = map[string]attr.Type{
	"type":   types.StringType,
	"memory": types.Int64Type,
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

type vgaModel struct {
	Type   types.String `tfsdk:"type"`
	Memory types.Int64  `tfsdk:"memory"`
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
		"efi_disk":   efiDiskAttribute(),
		"boot_order": bootOrderAttribute(),
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
		"startup": startupAttribute(),
	}
}

func (h *hardwareModel) vga(ctx context.Context, diags *diag.Diagnostics) *vgaModel {
	if !known(h.VGA) {
		return nil
	}
	var v vgaModel
	diags.Append(h.VGA.As(ctx, &v, basetypes.ObjectAsOptions{})...)
	return &v
}

func listOf(ctx context.Context, l types.List, diags *diag.Diagnostics) ([]string, bool) {
	if !known(l) {
		return nil, false
	}
	out := []string{}
	diags.Append(l.ElementsAs(ctx, &out, false)...)
	return out, true
}
