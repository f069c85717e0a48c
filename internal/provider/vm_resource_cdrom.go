package provider

// This file holds proxmoxsafe_vm's CD-ROM drives: schema, model,
// conversion and the diff. Left out, the drives stay as the VM has them.

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

var (
	// CD-ROM drives sit on ide, sata or scsi; virtio has none.
	cdromIfaceRegexp = regexp.MustCompile(`^(scsi([0-9]|[12][0-9]|30)|sata[0-5]|ide[0-3])$`)
	// An ISO volume "<storage>:iso/<file>", or PVE's "none" and "cdrom".
	cdromFileRegexp = regexp.MustCompile(`^(none|cdrom|[a-zA-Z][a-zA-Z0-9\-_.]*:iso/[^,]+)$`)
)

type cdromModel struct {
	File types.String `tfsdk:"file"`
}

var cdromAttrTypes = map[string]attr.Type{"file": types.StringType}

func cdromAttribute() schema.MapNestedAttribute {
	return schema.MapNestedAttribute{
		MarkdownDescription: "CD-ROM drives by interface (`ide3`, `sata0`, `scsi5`, ...): Proxmox VE's drives " +
			"with `media=cdrom`. Changing the medium of a running VM takes effect at once; adding or removing an " +
			"ide or sata drive waits for the next start. Left as the VM has them when omitted.",
		Optional:      true,
		Computed:      true,
		PlanModifiers: []planmodifier.Map{mapplanmodifier.UseStateForUnknown()},
		Validators: []validator.Map{
			mapvalidator.KeysAre(stringvalidator.RegexMatches(cdromIfaceRegexp,
				"must be an ide, sata or scsi interface such as ide3 (virtio has no CD-ROM)")),
			cdromDiskClashValidator{},
		},
		NestedObject: schema.NestedAttributeObject{
			Attributes: map[string]schema.Attribute{
				"file": schema.StringAttribute{
					MarkdownDescription: "The medium: an ISO image volume such as `local:iso/debian-12.iso`, " +
						"`none` for an empty drive, or `cdrom` for the host's physical drive.",
					Required: true,
					Validators: []validator.String{stringvalidator.RegexMatches(cdromFileRegexp,
						"must be an ISO volume such as local:iso/debian-12.iso, none or cdrom")},
				},
			},
		},
	}
}

func (m *vmResourceModel) cdroms(ctx context.Context, diags *diag.Diagnostics) map[string]cdromModel {
	out := map[string]cdromModel{}
	if known(m.CDROM) {
		diags.Append(m.CDROM.ElementsAs(ctx, &out, false)...)
	}
	return out
}

// cdromSpecs are the drives of a new VM.
func (m *vmResourceModel) cdromSpecs(ctx context.Context, diags *diag.Diagnostics) []pve.CDROM {
	want := m.cdroms(ctx, diags)
	var out []pve.CDROM
	for _, iface := range sortedKeys(want) {
		out = append(out, pve.CDROM{Interface: iface, File: want[iface].File.ValueString()})
	}
	return out
}

func cdromValue(have []pve.CDROM) types.Map {
	values := map[string]attr.Value{}
	for _, cd := range have {
		values[cd.Interface] = types.ObjectValueMust(cdromAttrTypes, map[string]attr.Value{"file": types.StringValue(cd.File)})
	}
	return types.MapValueMust(types.ObjectType{AttrTypes: cdromAttrTypes}, values)
}

// diffCDROMs loads other media and adds and removes drives.
func (c *vmChange) diffCDROMs(want map[string]cdromModel, have []pve.CDROM) {
	haveFiles := map[string]string{}
	for _, cd := range have {
		haveFiles[cd.Interface] = cd.File
	}
	for _, iface := range sortedKeys(want) {
		file := want[iface].File.ValueString()
		if cur, ok := haveFiles[iface]; !ok || cur != file {
			c.config.CDROMs = append(c.config.CDROMs, pve.CDROM{Interface: iface, File: file})
		}
	}
	for _, cd := range have {
		if _, ok := want[cd.Interface]; !ok {
			c.config.Delete = append(c.config.Delete, cd.Interface)
		}
	}
}

// cdromDiskClashValidator refuses an interface that is both a disk and a
// CD-ROM drive: one config key cannot be both.
type cdromDiskClashValidator struct{}

var _ validator.Map = cdromDiskClashValidator{}

func (cdromDiskClashValidator) Description(context.Context) string {
	return "no interface is both a disk and a CD-ROM drive"
}

func (v cdromDiskClashValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (cdromDiskClashValidator) ValidateMap(ctx context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	var disks types.Map
	if d := req.Config.GetAttribute(ctx, pathDisks, &disks); d.HasError() || !known(disks) || !known(req.ConfigValue) {
		return
	}
	for iface := range req.ConfigValue.Elements() {
		if _, clash := disks.Elements()[iface]; clash {
			resp.Diagnostics.AddAttributeError(req.Path.AtMapKey(iface), "Interface used twice",
				fmt.Sprintf("%s is configured both as a disk and as a CD-ROM drive. Proxmox VE has one drive per "+
					"interface: move the CD-ROM drive to a free interface such as ide3.", iface))
		}
	}
}

// checkCDROMMedia refuses at plan time an ISO image that is not on its
// storage, with one content read per storage, and only for media the plan
// changes. When the storage cannot be listed, apply passes on PVE's error.
func (r *vmResource) checkCDROMMedia(ctx context.Context, state, plan *vmResourceModel, diags *diag.Diagnostics) {
	if !known(plan.CDROM) || !known(plan.Node) {
		return
	}
	current := map[string]cdromModel{}
	if state != nil {
		current = state.cdroms(ctx, diags)
	}
	want := plan.cdroms(ctx, diags)
	listed := map[string][]string{}
	for _, iface := range sortedKeys(want) {
		file := want[iface].File
		storage := pve.ISOStorage(file.ValueString())
		if !known(file) || storage == "" || current[iface].File.Equal(file) {
			continue
		}
		images, seen := listed[storage]
		if !seen {
			var err error
			if images, err = r.data.client.ISOImages(ctx, plan.Node.ValueString(), storage); err != nil {
				tflog.Debug(ctx, "cannot list the ISO images; apply will tell", map[string]any{"storage": storage, "error": err.Error()})
				images = nil
			}
			listed[storage] = images
		}
		if images == nil || slices.Contains(images, file.ValueString()) {
			continue
		}
		diags.AddAttributeError(pathCDROMFile(iface), "ISO image not found",
			fmt.Sprintf("CD-ROM %s names %s, which storage %s on node %s does not have. ISO images there: %s. "+
				"Upload the image to the storage first, or correct the name.",
				iface, file.ValueString(), storage, plan.Node.ValueString(), listOrNone(images)))
	}
}

func pathCDROMFile(iface string) path.Path { return path.Root("cdrom").AtMapKey(iface).AtName("file") }

func listOrNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ", ")
}
