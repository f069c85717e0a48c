package provider

import (
	"context"
	"maps"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
)

// PVE's own formats: a DNS name for VMs, its tag syntax, and the bus names of
// disks and network devices.
var (
	dnsNameRegexp   = regexp.MustCompile(`^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$`)
	tagRegexp       = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9_+.-]*$`)
	diskIfaceRegexp = regexp.MustCompile(`^(scsi([0-9]|[12][0-9]|30)|virtio([0-9]|1[0-5])|sata[0-5]|ide[0-3])$`)
	netIfaceRegexp  = regexp.MustCompile(`^net([0-9]|[12][0-9]|3[01])$`)
)

var (
	pathName       = path.Root("name")
	pathNode       = path.Root("node")
	pathVMID       = path.Root("vmid")
	pathProtection = path.Root("protection")
	pathDisks      = path.Root("disks")
	pathClone      = path.Root("clone")
)

func nameValidators() []validator.String {
	return []validator.String{
		stringvalidator.LengthBetween(1, 128),
		stringvalidator.RegexMatches(dnsNameRegexp,
			"must be a valid DNS name as Proxmox VE requires: letters, digits and hyphens, "+
				"dot-separated labels that neither start nor end with a hyphen"),
	}
}

var cpuAttrTypes = map[string]attr.Type{
	"cores":   types.Int64Type,
	"sockets": types.Int64Type,
	"type":    types.StringType,
	"numa":    types.BoolType,
}

var diskAttrTypes = withDiskOptionTypes(map[string]attr.Type{
	"storage": types.StringType,
	"size":    types.Int64Type,
	"volume":  types.StringType,
})

var networkAttrTypes = withNetworkLimitTypes(map[string]attr.Type{
	"model":    types.StringType,
	"bridge":   types.StringType,
	"vlan":     types.Int64Type,
	"firewall": types.BoolType,
	"mac":      types.StringType,
})

var cloneAttrTypes = map[string]attr.Type{
	"source":  types.StringType,
	"full":    types.BoolType,
	"storage": types.StringType,
}

func vmResourceSchema(ctx context.Context) schema.Schema {
	s := schema.Schema{
		MarkdownDescription: "A Proxmox VE QEMU virtual machine whose name is unique in the cluster.\n\n" +
			"Before it creates a VM, the resource looks the name up on every node (templates included). " +
			"If a VM with the name exists and is not in this state, `terraform plan` already fails with " +
			"the import command to use, or, with `on_existing = \"adopt\"`, shows that the existing VM " +
			"will be taken over. The same check runs again at apply time, and after creating, the " +
			"resource verifies that no concurrent apply created the same name.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The VMID, as a string.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Name of the VM, unique in the cluster (compared case-insensitively). " +
					"Renaming happens in place and is refused when another VM has the new name.",
				Required:   true,
				Validators: nameValidators(),
			},
			"node": schema.StringAttribute{
				MarkdownDescription: "Node the VM runs on. Required unless the provider sets `default_node`. " +
					"Changing it migrates the VM offline: a running VM is shut down, moved and started again. " +
					"Refresh follows a VM that was migrated outside Terraform.",
				Optional:      true,
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"vmid": schema.Int64Attribute{
				MarkdownDescription: "VMID. Allocated from the cluster's next free ID when omitted. " +
					"Changing it forces a new VM.",
				Optional: true,
				Computed: true,
				PlanModifiers: []planmodifier.Int64{
					int64planmodifier.UseStateForUnknown(),
				},
				Validators: []validator.Int64{int64validator.Between(100, 999999999)},
			},
			"on_existing": schema.StringAttribute{
				MarkdownDescription: "What to do when a VM with `name` already exists and is not in this " +
					"state: `fail` stops with an error that says how to import it; `adopt` takes that VM " +
					"over and converges it to this configuration, refusing when that would lose data. " +
					"Several existing VMs with the name are always an error. Defaults to the provider's " +
					"`on_existing`, which defaults to `fail`.",
				Optional:      true,
				Computed:      true,
				Validators:    []validator.String{stringvalidator.OneOf(guard.Policies()...)},
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "Description (notes) of the VM. Left as it is when omitted.",
				Optional:            true,
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"tags": schema.SetAttribute{
				MarkdownDescription: "Tags. Proxmox VE stores tags lowercased; they are compared the same " +
					"way, so `Monitoring` and `monitoring` do not cause drift. Left as they are when omitted.",
				ElementType:   types.StringType,
				Optional:      true,
				Computed:      true,
				PlanModifiers: []planmodifier.Set{setplanmodifier.UseStateForUnknown()},
				Validators: []validator.Set{setvalidator.ValueStringsAre(stringvalidator.RegexMatches(tagRegexp,
					"must be a Proxmox VE tag: letters, digits, _ then letters, digits, _, -, + or ."))},
			},
			"cpu": schema.SingleNestedAttribute{
				MarkdownDescription: "CPU: cores per socket, sockets and CPU type. Changed in place. What the " +
					"configuration leaves out keeps what the VM has; a new VM gets Proxmox VE's defaults.",
				Optional:      true,
				Computed:      true,
				PlanModifiers: []planmodifier.Object{objectplanmodifier.UseStateForUnknown()},
				Attributes: map[string]schema.Attribute{
					"numa": numaAttribute(),
					"cores": schema.Int64Attribute{
						MarkdownDescription: "The number of cores per socket. Proxmox VE's default is `1`.",
						Optional:            true, Computed: true,
						PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
						Validators:    []validator.Int64{int64validator.Between(1, 1024)},
					},
					"sockets": schema.Int64Attribute{
						MarkdownDescription: "The number of CPU sockets. Proxmox VE's default is `1`.",
						Optional:            true, Computed: true,
						PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
						Validators:    []validator.Int64{int64validator.Between(1, 16)},
					},
					"type": schema.StringAttribute{
						MarkdownDescription: "Emulated CPU type, e.g. `host` or `x86-64-v2-AES`. Proxmox VE's default " +
							"is `" + pveDefaultCPUType + "`, which is what a VM without a CPU type runs.",
						Optional: true, Computed: true,
						PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
					},
				},
			},
			"memory": schema.Int64Attribute{
				MarkdownDescription: "Current amount of online RAM for the VM in MiB. Changed in place. Left as " +
					"the VM has it when omitted; Proxmox VE's default for a new VM is `512`.",
				Optional:      true,
				Computed:      true,
				PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
				Validators:    []validator.Int64{int64validator.AtLeast(16)},
			},
			"disks": schema.MapNestedAttribute{
				MarkdownDescription: "Disks by interface (`scsi0`, `virtio0`, `sata0`, `ide0`, ...). Growing " +
					"`size` resizes in place; shrinking is refused, because Proxmox VE cannot shrink a disk. " +
					"Changing `storage` replaces the VM. A disk removed from the configuration is detached and " +
					"kept as an unused disk. Omit to keep the disks a clone brought.",
				Optional:      true,
				Computed:      true,
				PlanModifiers: []planmodifier.Map{mapplanmodifier.UseStateForUnknown()},
				Validators: []validator.Map{mapvalidator.KeysAre(stringvalidator.RegexMatches(diskIfaceRegexp,
					"must be a disk interface such as scsi0, virtio0, sata0 or ide0")), diskBusOptionsValidator{}},
				NestedObject: schema.NestedAttributeObject{
					Attributes: withDiskOptionAttributes(map[string]schema.Attribute{
						"storage": schema.StringAttribute{
							MarkdownDescription: "Storage to allocate the disk on, e.g. `local-lvm`.",
							Required:            true,
						},
						"size": schema.Int64Attribute{
							MarkdownDescription: "Size in GiB.",
							Required:            true,
							Validators:          []validator.Int64{int64validator.AtLeast(1)},
						},
						"volume": schema.StringAttribute{
							MarkdownDescription: "Volume name Proxmox VE allocated, e.g. `vm-100-disk-0`.",
							Computed:            true,
							// A disk added to an existing VM has no volume in state yet: unknown, not null.
							PlanModifiers: []planmodifier.String{stringplanmodifier.UseNonNullStateForUnknown()},
						},
					}),
				},
			},
			"networks": schema.MapNestedAttribute{
				MarkdownDescription: "Network devices by interface (`net0`, `net1`, ...). Changed in place; the " +
					"MAC address is generated once and kept.",
				Optional:      true,
				Computed:      true,
				PlanModifiers: []planmodifier.Map{mapplanmodifier.UseStateForUnknown()},
				Validators: []validator.Map{mapvalidator.KeysAre(stringvalidator.RegexMatches(netIfaceRegexp,
					"must be a network interface such as net0"))},
				NestedObject: schema.NestedAttributeObject{
					Validators: []validator.Object{virtioMTUValidator{}},
					Attributes: withNetworkLimitAttributes(map[string]schema.Attribute{
						"bridge": schema.StringAttribute{
							MarkdownDescription: "Bridge, e.g. `vmbr0`.",
							Required:            true,
						},
						"model": networkModelAttribute(),
						"vlan": schema.Int64Attribute{
							MarkdownDescription: "VLAN tag.",
							Optional:            true,
							Validators:          []validator.Int64{int64validator.Between(1, 4094)},
						},
						"firewall": networkFirewallAttribute(),
						"mac": schema.StringAttribute{
							MarkdownDescription: "MAC address. Generated by Proxmox VE when omitted, then kept.",
							Optional:            true, Computed: true,
							// A card added to an existing VM has no MAC in state yet: unknown, not null.
							PlanModifiers: []planmodifier.String{stringplanmodifier.UseNonNullStateForUnknown()},
							Validators: []validator.String{stringvalidator.RegexMatches(
								regexp.MustCompile(`^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$`), "must be a MAC address like BC:24:11:00:00:01")},
						},
					}),
				},
			},
			"cdrom":      cdromAttribute(),
			"pool":       poolAttribute(),
			"clone":      cloneSchema(),
			"cloud_init": cloudInitSchema(),
			"started": schema.BoolAttribute{
				MarkdownDescription: "Whether the VM should be running. Defaults to `true`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(true),
			},
			"on_boot": schema.BoolAttribute{
				MarkdownDescription: "Specifies whether a VM will be started during system bootup. Left as the " +
					"VM has it when omitted; Proxmox VE's default for a new VM is `false`.",
				Optional:      true,
				Computed:      true,
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
			},
			"protection": schema.BoolAttribute{
				MarkdownDescription: "Sets the protection flag of the VM. This will disable the remove VM and remove " +
					"disk operations; `terraform destroy` is refused at plan time. Left as the VM has it when " +
					"omitted; Proxmox VE's default for a new VM is `false`.",
				Optional:      true,
				Computed:      true,
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
			},
			"status": schema.StringAttribute{
				MarkdownDescription: "Current status: `running` or `stopped`.",
				Computed:            true,
			},
			"created_at": schema.StringAttribute{
				MarkdownDescription: "When Proxmox VE created the VM (RFC 3339), from its `meta` ctime. A clone " +
					"carries its source's creation time, as Proxmox VE copies it.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"uuid": schema.StringAttribute{
				MarkdownDescription: "The VM's SMBIOS UUID. Together with `created_at` it identifies the VM, so " +
					"a VMID reused by another VM is never mistaken for this one.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
	maps.Copy(s.Attributes, hardwareAttributes())
	return s
}

// vmResourceModel is the state and plan of proxmoxsafe_vm.
type vmResourceModel struct {
	ID          types.String   `tfsdk:"id"`
	Name        types.String   `tfsdk:"name"`
	Node        types.String   `tfsdk:"node"`
	VMID        types.Int64    `tfsdk:"vmid"`
	OnExisting  types.String   `tfsdk:"on_existing"`
	Description types.String   `tfsdk:"description"`
	Tags        types.Set      `tfsdk:"tags"`
	CPU         types.Object   `tfsdk:"cpu"`
	Memory      types.Int64    `tfsdk:"memory"`
	Disks       types.Map      `tfsdk:"disks"`
	Networks    types.Map      `tfsdk:"networks"`
	CDROM       types.Map      `tfsdk:"cdrom"`
	Pool        types.String   `tfsdk:"pool"`
	Clone       types.Object   `tfsdk:"clone"`
	CloudInit   types.Object   `tfsdk:"cloud_init"`
	Started     types.Bool     `tfsdk:"started"`
	OnBoot      types.Bool     `tfsdk:"on_boot"`
	Protection  types.Bool     `tfsdk:"protection"`
	Status      types.String   `tfsdk:"status"`
	CreatedAt   types.String   `tfsdk:"created_at"`
	UUID        types.String   `tfsdk:"uuid"`
	Timeouts    timeouts.Value `tfsdk:"timeouts"`
	hardwareModel
}

type cpuModel struct {
	Cores   types.Int64  `tfsdk:"cores"`
	Sockets types.Int64  `tfsdk:"sockets"`
	Type    types.String `tfsdk:"type"`
	Numa    types.Bool   `tfsdk:"numa"`
}

type diskModel struct {
	Storage types.String `tfsdk:"storage"`
	Size    types.Int64  `tfsdk:"size"`
	Volume  types.String `tfsdk:"volume"`
	diskOptionsModel
}

type networkModel struct {
	Model    types.String `tfsdk:"model"`
	Bridge   types.String `tfsdk:"bridge"`
	VLAN     types.Int64  `tfsdk:"vlan"`
	Firewall types.Bool   `tfsdk:"firewall"`
	MAC      types.String `tfsdk:"mac"`
	networkLimitsModel
}

type cloneModel struct {
	Source  types.String `tfsdk:"source"`
	Full    types.Bool   `tfsdk:"full"`
	Storage types.String `tfsdk:"storage"`
}
