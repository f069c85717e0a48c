package provider

// This file holds the disk options of proxmoxsafe_vm (discard, iothread,
// ssd, cache, backup, replicate): schema, model, conversion and the diff.
// What the configuration leaves out keeps what the disk has; a new disk
// gets Proxmox VE's defaults.

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// diskOptionsModel is embedded in diskModel.
type diskOptionsModel struct {
	Discard   types.Bool   `tfsdk:"discard"`
	IOThread  types.Bool   `tfsdk:"iothread"`
	SSD       types.Bool   `tfsdk:"ssd"`
	Cache     types.String `tfsdk:"cache"`
	Backup    types.Bool   `tfsdk:"backup"`
	Replicate types.Bool   `tfsdk:"replicate"`
}

var diskOptionAttrTypes = map[string]attr.Type{
	"discard": types.BoolType, "iothread": types.BoolType, "ssd": types.BoolType,
	"cache": types.StringType, "backup": types.BoolType, "replicate": types.BoolType,
}

// withDiskOptionTypes adds the option attributes to a disk's attribute types.
func withDiskOptionTypes(types map[string]attr.Type) map[string]attr.Type {
	for k, v := range diskOptionAttrTypes {
		types[k] = v
	}
	return types
}

// optionalBool is an option that keeps what the disk has when left out.
// A disk added later has no state yet: unknown, then what PVE reports.
func optionalBool(description string) schema.BoolAttribute {
	return schema.BoolAttribute{
		MarkdownDescription: description,
		Optional:            true, Computed: true,
		PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseNonNullStateForUnknown()},
	}
}

// withDiskOptionAttributes adds the option attributes to a disk's schema.
// The descriptions are qemu-server's (src/PVE/QemuServer/Drive.pm).
func withDiskOptionAttributes(attrs map[string]schema.Attribute) map[string]schema.Attribute {
	const kept = " Left as the disk has it when omitted."
	attrs["discard"] = optionalBool("Controls whether to pass discard/trim requests to the underlying storage " +
		"(Proxmox VE's `discard=on`; `false` is its default, `ignore`)." + kept + " Changing it on a running VM " +
		"takes effect at its next start.")
	attrs["iothread"] = optionalBool("Whether to use iothreads for this drive. Proxmox VE's default is `false`; " +
		"scsi and virtio disks only." + kept + " Changing it on a running VM takes effect at its next start.")
	attrs["ssd"] = optionalBool("Whether to expose this drive as an SSD, rather than a rotational hard disk. " +
		"Proxmox VE's default is `false`; not for virtio disks." + kept + " Changing it on a running VM takes " +
		"effect at its next start.")
	attrs["backup"] = optionalBool("Whether the drive should be included when making backups. Proxmox VE's " +
		"default is `true`." + kept)
	attrs["replicate"] = optionalBool("Whether the drive should considered for replication jobs. Proxmox VE's " +
		"default is `true`." + kept)
	attrs["cache"] = schema.StringAttribute{
		MarkdownDescription: "The drive's cache mode: `none`, `writethrough`, `writeback`, `unsafe` or " +
			"`directsync`. Null when the disk has no cache option (Proxmox VE's default)." + kept +
			" Changing it on a running VM takes effect at its next start.",
		Optional: true, Computed: true,
		// Null in state (no cache option) is a value to keep, not a gap.
		PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		Validators:    []validator.String{stringvalidator.OneOf(pve.DiskCacheModes...)},
	}
	return attrs
}

// diskOptionValues are the option attributes of a disk as PVE reports it.
func diskOptionValues(o pve.DiskOptions, values map[string]attr.Value) map[string]attr.Value {
	values["discard"] = types.BoolValue(o.Discard)
	values["iothread"] = types.BoolValue(o.IOThread)
	values["ssd"] = types.BoolValue(o.SSD)
	values["cache"] = stringOrNull(o.Cache)
	values["backup"] = types.BoolValue(!o.NoBackup)
	values["replicate"] = types.BoolValue(!o.NoReplicate)
	return values
}

// want is the options the configuration asks for; what it leaves out (null
// or unknown) stays as in have.
func (m diskOptionsModel) want(have pve.DiskOptions) pve.DiskOptions {
	o := have
	if known(m.Discard) {
		o.Discard = m.Discard.ValueBool()
	}
	if known(m.IOThread) {
		o.IOThread = m.IOThread.ValueBool()
	}
	if known(m.SSD) {
		o.SSD = m.SSD.ValueBool()
	}
	if known(m.Cache) {
		o.Cache = m.Cache.ValueString()
	}
	if known(m.Backup) {
		o.NoBackup = !m.Backup.ValueBool()
	}
	if known(m.Replicate) {
		o.NoReplicate = !m.Replicate.ValueBool()
	}
	return o
}

// diffDiskOptions writes an existing disk back when its options differ.
func (c *vmChange) diffDiskOptions(want diskModel, have pve.Disk) {
	current := have.ManagedOptions()
	if o := want.want(current); o != current {
		c.config.DiskOptions = append(c.config.DiskOptions, have.WithOptions(o))
	}
}

// diskBusOptionsValidator refuses options the disk's bus does not have in
// PVE's drive formats (Drive.pm: iothread in $scsi_fmt and $virtio_fmt
// only, ssd in $ide_fmt, $sata_fmt and $scsi_fmt only), which PVE would
// refuse at apply.
type diskBusOptionsValidator struct{}

var _ validator.Map = diskBusOptionsValidator{}

func (diskBusOptionsValidator) Description(context.Context) string {
	return "iothread only on scsi and virtio disks, ssd not on virtio disks"
}

func (v diskBusOptionsValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (diskBusOptionsValidator) ValidateMap(ctx context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if !known(req.ConfigValue) {
		return
	}
	var disks map[string]diskModel
	if d := req.ConfigValue.ElementsAs(ctx, &disks, true); d.HasError() {
		return // unknown parts: checked once known
	}
	for _, iface := range sortedKeys(disks) {
		iothreadOK, ssdOK := pve.DiskOptionsAllowed(iface)
		disk := disks[iface]
		if !iothreadOK && disk.IOThread.ValueBool() {
			resp.Diagnostics.AddAttributeError(req.Path.AtMapKey(iface).AtName("iothread"), "No iothread on this bus",
				fmt.Sprintf("Disk %s cannot use an iothread: Proxmox VE has the iothread option for scsi and virtio "+
					"disks only. Remove iothread, or put the disk on a scsi or virtio interface.", iface))
		}
		if !ssdOK && disk.SSD.ValueBool() {
			resp.Diagnostics.AddAttributeError(req.Path.AtMapKey(iface).AtName("ssd"), "No SSD emulation on virtio",
				fmt.Sprintf("Disk %s cannot be exposed as an SSD: Proxmox VE has the ssd option for ide, sata and "+
					"scsi disks only. Remove ssd, or put the disk on a scsi, sata or ide interface.", iface))
		}
	}
}
