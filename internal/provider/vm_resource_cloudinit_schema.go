package provider

// The cloud_init attribute group of proxmoxsafe_vm: schema and models
// (conversion, diff and checks are in vm_resource_cloudinit.go).

import (
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	pathCloudInit         = path.Root("cloud_init")
	pathCloudInitPassword = pathCloudInit.AtName("password_wo")
	// The cloud-init drive is a CD-ROM: IDE, SATA or SCSI (qemu-server
	// create_disks allocates it on any drive key; the web UI offers these).
	cloudInitDriveRegexp = regexp.MustCompile(`^(ide[0-3]|sata[0-5]|scsi([0-9]|[12][0-9]|30))$`)
)

var (
	cloudInitDriveAttrTypes = map[string]attr.Type{"interface": types.StringType, "storage": types.StringType}
	cloudInitDNSAttrTypes   = map[string]attr.Type{"servers": types.ListType{ElemType: types.StringType}, "domain": types.StringType}
	cloudInitAddrAttrTypes  = map[string]attr.Type{"address": types.StringType, "gateway": types.StringType}
	cloudInitIPAttrTypes    = map[string]attr.Type{
		"ipv4": types.ObjectType{AttrTypes: cloudInitAddrAttrTypes},
		"ipv6": types.ObjectType{AttrTypes: cloudInitAddrAttrTypes},
	}
	cloudInitCustomAttrTypes = map[string]attr.Type{
		"user": types.StringType, "network": types.StringType, "vendor": types.StringType, "meta": types.StringType,
	}
	cloudInitAttrTypes = map[string]attr.Type{
		"drive":               types.ObjectType{AttrTypes: cloudInitDriveAttrTypes},
		"user":                types.StringType,
		"ssh_keys":            types.ListType{ElemType: sshKeyType{}},
		"password_wo":         types.StringType,
		"password_wo_version": types.Int64Type,
		"dns":                 types.ObjectType{AttrTypes: cloudInitDNSAttrTypes},
		"ip_config":           types.MapType{ElemType: types.ObjectType{AttrTypes: cloudInitIPAttrTypes}},
		"custom":              types.ObjectType{AttrTypes: cloudInitCustomAttrTypes},
		"upgrade":             types.BoolType,
	}
)

type cloudInitModel struct {
	Drive             types.Object `tfsdk:"drive"`
	User              types.String `tfsdk:"user"`
	SSHKeys           types.List   `tfsdk:"ssh_keys"`
	PasswordWO        types.String `tfsdk:"password_wo"`
	PasswordWOVersion types.Int64  `tfsdk:"password_wo_version"`
	DNS               types.Object `tfsdk:"dns"`
	IPConfig          types.Map    `tfsdk:"ip_config"`
	Custom            types.Object `tfsdk:"custom"`
	Upgrade           types.Bool   `tfsdk:"upgrade"`
}

type cloudInitDriveModel struct {
	Interface types.String `tfsdk:"interface"`
	Storage   types.String `tfsdk:"storage"`
}

type cloudInitDNSModel struct {
	Servers types.List   `tfsdk:"servers"`
	Domain  types.String `tfsdk:"domain"`
}

type cloudInitIPModel struct {
	IPv4 types.Object `tfsdk:"ipv4"`
	IPv6 types.Object `tfsdk:"ipv6"`
}

type cloudInitAddrModel struct {
	Address types.String `tfsdk:"address"`
	Gateway types.String `tfsdk:"gateway"`
}

type cloudInitCustomModel struct {
	User    types.String `tfsdk:"user"`
	Network types.String `tfsdk:"network"`
	Vendor  types.String `tfsdk:"vendor"`
	Meta    types.String `tfsdk:"meta"`
}

func addressAttribute(family string, special []string) schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: family + " address and gateway.",
		Optional:            true,
		Attributes: map[string]schema.Attribute{
			"address": schema.StringAttribute{
				MarkdownDescription: family + " address in CIDR format, or `" + strings.Join(special, "`, `") + "`.",
				Required:            true,
			},
			"gateway": schema.StringAttribute{
				MarkdownDescription: "Default gateway for " + family + " traffic. Needs a static address.",
				Optional:            true,
			},
		},
	}
}

// computedWithWriteOnly is a single nested attribute that is Computed
// although it holds a write-only attribute. The framework's implementation
// check refuses that (terraform-plugin-framework v1.19.0
// resource/schema/single_nested_attribute.go ValidateImplementation;
// issue #1113) while Terraform allows it: core checks write-only values
// only under a known parent and wants them null there (v1.11.4
// internal/configs/configschema/write_only.go WriteOnlyPaths,
// internal/lang/ephemeral/validate.go), and the framework nulls every
// write-only value of each plan and state it returns
// (internal/fwserver/write_only_nullification.go, called from
// PlanResourceChange, ReadResource, Create, Update, ImportResourceState,
// MoveResourceState and UpgradeResourceState).
//
// The embedded attribute is not Computed, so its own ValidateImplementation
// runs every other check; IsComputed, which the framework asks everywhere
// else (schema to protocol, plan marking, plan modifiers), says true.
type computedWithWriteOnly struct{ schema.SingleNestedAttribute }

func (computedWithWriteOnly) IsComputed() bool { return true }

// cloudInitSchema is the cloud_init attribute: Optional and Computed, so a
// configuration that leaves it out keeps what the VM has, imports and
// adoptions included.
func cloudInitSchema() schema.Attribute {
	return computedWithWriteOnly{schema.SingleNestedAttribute{
		MarkdownDescription: "Cloud-init settings (Proxmox VE's `ciuser`, `cipassword`, `sshkeys`, `nameserver`, " +
			"`searchdomain`, `ipconfigN`, `cicustom`, `ciupgrade` and the cloud-init drive). Changes are written " +
			"at once, also to a running VM, and the cloud-init drive is regenerated; the guest reads it at its next " +
			"boot. Leave it out to leave the VM's cloud-init settings alone (the state then shows what the VM has). " +
			"Inside it, what the configuration leaves out keeps what the VM has.",
		Optional:      true, // and Computed (computedWithWriteOnly)
		PlanModifiers: []planmodifier.Object{objectplanmodifier.UseStateForUnknown()},
		Attributes: map[string]schema.Attribute{
			"drive": schema.SingleNestedAttribute{
				MarkdownDescription: "The cloud-init drive. Added when the VM has none; a clone keeps its template's. Another interface or " +
					"storage moves it in place: Proxmox VE regenerates the drive from the configuration, so nothing is lost. " +
					"A running VM is stopped for the move and started again (one restart; `reboot_after_update = false` " +
					"refuses it).",
				Optional: true, Computed: true,
				PlanModifiers: []planmodifier.Object{objectplanmodifier.UseStateForUnknown()},
				Attributes: map[string]schema.Attribute{
					"interface": schema.StringAttribute{
						MarkdownDescription: "Drive slot, e.g. `ide2`.", Required: true,
						Validators: []validator.String{stringvalidator.RegexMatches(cloudInitDriveRegexp,
							"must be an IDE, SATA or SCSI slot such as ide2")},
					},
					"storage": schema.StringAttribute{MarkdownDescription: "Storage of the drive, e.g. `local-lvm`.", Required: true},
				},
			},
			"user": keepString("cloud-init: User name to change ssh keys and password for instead of the image's " +
				"configured default user."),
			"ssh_keys": schema.ListAttribute{
				MarkdownDescription: "cloud-init: Setup public SSH keys (one key per line, OpenSSH format). Compared " +
					"without surrounding whitespace and blank lines, so `file(\"~/.ssh/id.pub\")` with its trailing " +
					"newline causes no drift.",
				ElementType: sshKeyType{}, Optional: true, Computed: true,
				PlanModifiers: []planmodifier.List{listplanmodifier.UseStateForUnknown()},
			},
			"password_wo": schema.StringAttribute{
				MarkdownDescription: "cloud-init: Password to assign the user. Using this is generally not recommended. " +
					"Use ssh keys instead. Write-only (Terraform 1.11 or later): never stored in state or plan; sent " +
					"only when `password_wo_version` changes. Proxmox VE stores it hashed.",
				Optional: true, Sensitive: true, WriteOnly: true,
			},
			"password_wo_version": schema.Int64Attribute{
				MarkdownDescription: "Change this number to send `password_wo` again.",
				Optional:            true,
				Validators:          []validator.Int64{int64validator.AlsoRequires(path.MatchRelative().AtParent().AtName("password_wo"))},
			},
			"dns": schema.SingleNestedAttribute{
				MarkdownDescription: "DNS settings. Create will automatically use the setting from the host if neither " +
					"searchdomain nor nameserver are set.",
				Optional: true, Computed: true,
				PlanModifiers: []planmodifier.Object{objectplanmodifier.UseStateForUnknown()},
				Attributes: map[string]schema.Attribute{
					"servers": schema.ListAttribute{
						MarkdownDescription: "cloud-init: Sets DNS server IP address for a container.",
						ElementType:         types.StringType, Optional: true, Computed: true,
						PlanModifiers: []planmodifier.List{listplanmodifier.UseStateForUnknown()},
					},
					"domain": keepString("cloud-init: Sets DNS search domains for a container."),
				},
			},
			"ip_config": schema.MapNestedAttribute{
				MarkdownDescription: "cloud-init: Specify IP addresses and gateways for the corresponding interface, by " +
					"network interface (`net0`, ...), which must be one of `networks`. If cloud-init is enabled and " +
					"neither an IPv4 nor an IPv6 address is specified, it defaults to using dhcp on IPv4.",
				Optional: true, Computed: true,
				PlanModifiers: []planmodifier.Map{mapplanmodifier.UseStateForUnknown()},
				Validators: []validator.Map{mapvalidator.KeysAre(stringvalidator.RegexMatches(netIfaceRegexp,
					"must be a network interface such as net0"))},
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"ipv4": addressAttribute("IPv4", []string{"dhcp"}),
					"ipv6": addressAttribute("IPv6", []string{"dhcp", "auto"}),
				}},
			},
			"custom": schema.SingleNestedAttribute{
				MarkdownDescription: "cloud-init: Specify custom files to replace the automatically generated ones at " +
					"start. Each is a snippet volume such as `local:snippets/user.yaml`; `\"\"` for none.",
				Optional: true, Computed: true,
				PlanModifiers: []planmodifier.Object{objectplanmodifier.UseStateForUnknown()},
				Attributes: map[string]schema.Attribute{
					"user":    keepString("To pass a custom file containing all user data to the VM via cloud-init."),
					"network": keepString("To pass a custom file containing all network data to the VM via cloud-init."),
					"vendor":  keepString("To pass a custom file containing all vendor data to the VM via cloud-init."),
					"meta": keepString("Specify a custom file containing all meta data passed to the VM via cloud-init. " +
						"This is provider specific meaning configdrive2 and nocloud differ."),
				},
			},
			"upgrade": schema.BoolAttribute{
				MarkdownDescription: "cloud-init: do an automatic package upgrade after the first boot. Proxmox VE's " +
					"default is `true`.",
				Optional: true, Computed: true,
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
			},
		},
	}}
}
