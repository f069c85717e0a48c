package provider

// This file holds boot_order: boot's "order=" list (qemu-server
// src/PVE/QemuServer.pm $boot_fmt).

import (
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// bootDeviceRegexp is verify_bootdev (QemuServer.pm): a drive other
// than efidisk/tpmstate, or a netN, usbN or hostpciN device.
var bootDeviceRegexp = regexp.MustCompile(`^(scsi([0-9]|[12][0-9]|30)|virtio([0-9]|1[0-5])|sata[0-5]|ide[0-3]|net([0-9]|[12][0-9]|3[01])|usb([0-9]|1[0-3])|hostpci([0-9]|1[0-5]))$`)

func bootOrderAttribute() schema.Attribute {
	return schema.ListAttribute{
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
	}
}
