package provider

// This file holds boot_order: boot's "order=" list (qemu-server
// src/PVE/QemuServer.pm $boot_fmt).

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
)

var pathBootOrder = path.Root("boot_order")

// bootDeviceRegexp is verify_bootdev (QemuServer.pm): a drive other
// than efidisk/tpmstate, or a netN, usbN or hostpciN device.
var bootDeviceRegexp = regexp.MustCompile(`^(scsi([0-9]|[12][0-9]|30)|virtio([0-9]|1[0-5])|sata[0-5]|ide[0-3]|net([0-9]|[12][0-9]|3[01])|usb([0-9]|1[0-3])|hostpci([0-9]|1[0-5]))$`)

func bootOrderAttribute() schema.Attribute {
	return schema.ListAttribute{
		MarkdownDescription: "The guest will attempt to boot from devices in the order they appear here " +
			"(Proxmox VE's `boot: order=...`), e.g. `[\"scsi0\", \"net0\"]`. Only devices in this list are " +
			"marked bootable. Empty when the VM uses the legacy default order. A new VM gets Proxmox VE's " +
			"default: its first disk, CD-ROMs, then its first network device. An entry naming a disk, CD-ROM, " +
			"cloud-init drive or network device the VM does not have is refused at plan time." + keepsWhatTheVMHas,
		ElementType:   types.StringType,
		Optional:      true,
		Computed:      true,
		PlanModifiers: []planmodifier.List{listplanmodifier.UseStateForUnknown()},
		Validators: []validator.List{
			listvalidator.UniqueValues(),
			listvalidator.ValueStringsAre(stringvalidator.RegexMatches(bootDeviceRegexp,
				"must be a boot device: a disk (scsiN, virtioN, sataN, ideN), netN, usbN or hostpciN")),
		},
	}
}

// checkBootOrder refuses at plan time a configured boot_order entry naming
// a disk, CD-ROM or network device the VM will not have. Proxmox VE refuses it
// when the config is written (qemu-server src/PVE/API2/Qemu.pm
// $update_vm_api, for "boot": "invalid bootorder: device '<dev>' does not
// exist" unless the device is in the config, its pending section or the
// same request, and not deleted by it). usbN and hostpciN devices are not
// managed by this provider and are left to that check; so is a clone's
// boot order while the devices it brings are unknown.
func checkBootOrder(ctx context.Context, config tfsdk.Config, state, plan *vmResourceModel, diags *diag.Diagnostics) {
	// Only a boot order the configuration sets: PVE itself drops a
	// device it deletes from the VM's boot order ($update_vm_api, "remove
	// from bootorder if necessary").
	var configured types.List
	diags.Append(config.GetAttribute(ctx, pathBootOrder, &configured)...)
	order, ok := listOf(ctx, configured, diags)
	if !ok || len(order) == 0 {
		return
	}
	devices, ok := bootableDevices(ctx, config, state, plan, diags)
	if !ok {
		return
	}
	for i, dev := range order {
		if devices[dev] != "" || strings.HasPrefix(dev, "usb") || strings.HasPrefix(dev, "hostpci") {
			continue
		}
		have := make([]string, 0, len(devices))
		for _, d := range sortedKeys(devices) {
			have = append(have, d+" ("+devices[d]+")")
		}
		if len(have) == 0 {
			have = append(have, "none")
		}
		diags.AddAttributeError(pathBootOrder.AtListIndex(i), "boot_order names a device the VM does not have",
			fmt.Sprintf("boot_order entry %q names no device of this VM. The devices it can boot from: %s. Proxmox VE "+
				"refuses a boot order with a device that does not exist (\"invalid bootorder: device '%s' does not "+
				"exist\"). Add %s to disks, cdrom or networks, or remove it from boot_order.",
				dev, strings.Join(have, ", "), dev, dev))
	}
}

// bootableDevices maps the VM's disk, CD-ROM, cloud-init and network
// devices to the attribute that holds them; false when they are not known
// yet. A create without clone has only the devices its configuration sets.
func bootableDevices(ctx context.Context, config tfsdk.Config, state, plan *vmResourceModel, diags *diag.Diagnostics) (map[string]string, bool) {
	fresh := false
	if state == nil {
		var clone types.Object
		diags.Append(config.GetAttribute(ctx, pathClone, &clone)...)
		fresh = clone.IsNull()
	}
	devices := map[string]string{}
	for attr, m := range map[string]types.Map{"disks": plan.Disks, "cdrom": plan.CDROM, "networks": plan.Networks} {
		if m.IsUnknown() && !fresh {
			return nil, false
		}
		for dev := range m.Elements() {
			devices[dev] = attr
		}
	}
	// The cloud-init drive stays when cloud_init leaves the configuration.
	ci := plan.cloudInitOrNil(ctx, diags)
	if ci == nil {
		ci = state.cloudInitOrNil(ctx, diags)
	}
	if ci != nil && known(ci.Drive) {
		var d cloudInitDriveModel
		diags.Append(ci.Drive.As(ctx, &d, basetypes.ObjectAsOptions{})...)
		if !known(d.Interface) {
			return nil, false
		}
		devices[d.Interface.ValueString()] = "cloud_init drive"
	}
	return devices, true
}
