package provider

// This file holds what proxmoxsafe_vm's network devices carry besides the
// bridge: model and firewall with Proxmox VE's defaults, mtu and rate.
// What the configuration leaves out keeps what the device has.

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/float64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// newNetworkModel is the model a device gets when the configuration adds
// it without one. Proxmox VE has no default (its net format requires the
// model), so this is the provider's choice: the model its documentation
// recommends ("The 'virtio' model provides the best performance").
const newNetworkModel = "virtio"

// networkLimitsModel is embedded in networkModel.
type networkLimitsModel struct {
	MTU  types.Int64   `tfsdk:"mtu"`
	Rate types.Float64 `tfsdk:"rate"`
}

// withNetworkLimitTypes adds mtu and rate to a device's attribute types.
func withNetworkLimitTypes(t map[string]attr.Type) map[string]attr.Type {
	t["mtu"] = types.Int64Type
	t["rate"] = types.Float64Type
	return t
}

// networkModelAttribute and networkFirewallAttribute keep what the device
// has when omitted; a device added later gets virtio and no firewall.
func networkModelAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "Network Card Model. The 'virtio' model provides the best performance with very " +
			"low CPU overhead. If your guest does not support this driver, it is usually best to use 'e1000'. " +
			"Left as the device has it when omitted; a new device gets `virtio`.",
		Optional: true, Computed: true,
		PlanModifiers: []planmodifier.String{stringplanmodifier.UseNonNullStateForUnknown()},
		Validators:    []validator.String{stringvalidator.OneOf("virtio", "e1000", "e1000e", "rtl8139", "vmxnet3")},
	}
}

func networkFirewallAttribute() schema.BoolAttribute {
	return schema.BoolAttribute{
		MarkdownDescription: "Whether this interface should be protected by the firewall. Left as the device " +
			"has it when omitted; Proxmox VE's default for a new device is `false`.",
		Optional: true, Computed: true,
		PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseNonNullStateForUnknown()},
	}
}

// withNetworkLimitAttributes adds mtu and rate to a device's schema, with
// qemu-server's descriptions (src/PVE/QemuServer/Network.pm $net_fmt).
func withNetworkLimitAttributes(attrs map[string]schema.Attribute) map[string]schema.Attribute {
	attrs["mtu"] = schema.Int64Attribute{
		MarkdownDescription: "Force MTU of network device (VirtIO only). Setting to '1' will use the bridge MTU; " +
			"null (the default) does the same. Otherwise at least 576, the IP minimum, which Proxmox VE " +
			"enforces when the VM starts. Left as the device has it when omitted.",
		Optional: true, Computed: true,
		PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
		Validators: []validator.Int64{int64validator.Any(
			int64validator.OneOf(pve.MTUOfBridge), int64validator.Between(576, 65520))},
	}
	attrs["rate"] = schema.Float64Attribute{
		MarkdownDescription: "Rate limit in mbps (megabytes per second) as floating point number. Null (the " +
			"default) for no limit. Left as the device has it when omitted.",
		Optional: true, Computed: true,
		PlanModifiers: []planmodifier.Float64{float64planmodifier.UseStateForUnknown()},
		Validators:    []validator.Float64{float64validator.AtLeast(0)},
	}
	return attrs
}

func networkLimitValues(n pve.Network, values map[string]attr.Value) map[string]attr.Value {
	values["mtu"] = types.Int64Null()
	if n.MTU != 0 {
		values["mtu"] = types.Int64Value(n.MTU)
	}
	values["rate"] = types.Float64Null()
	if n.Rate != 0 {
		values["rate"] = types.Float64Value(n.Rate)
	}
	return values
}

// wantNetwork is the device the configuration asks for. What it leaves out
// (null or unknown) is taken from have, the device as it exists, or for a
// new device (have nil) from Proxmox VE's defaults.
func wantNetwork(iface string, m networkModel, have *pve.Network) pve.Network {
	n := pve.Network{Interface: iface, Model: newNetworkModel}
	if have != nil {
		n = *have
	}
	n.Bridge = m.Bridge.ValueString()
	n.VLAN = m.VLAN.ValueInt64()
	if known(m.Model) {
		n.Model = m.Model.ValueString()
	}
	if known(m.Firewall) {
		n.Firewall = m.Firewall.ValueBool()
	}
	if mac := pve.NormalizeMAC(m.MAC.ValueString()); known(m.MAC) && mac != "" {
		n.MAC = mac
	}
	if known(m.MTU) {
		n.MTU = m.MTU.ValueInt64()
	}
	if known(m.Rate) {
		n.Rate = m.Rate.ValueFloat64()
	}
	return n
}

// virtioMTUValidator refuses mtu on a device that is not VirtIO: Proxmox VE
// accepts it and then ignores it (QemuServer.pm print_netdevice_full sets
// host_mtu for virtio only), so the setting would silently do nothing.
type virtioMTUValidator struct{}

var _ validator.Object = virtioMTUValidator{}

func (virtioMTUValidator) Description(context.Context) string {
	return "mtu only on virtio devices"
}

func (v virtioMTUValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (virtioMTUValidator) ValidateObject(ctx context.Context, req validator.ObjectRequest, resp *validator.ObjectResponse) {
	if !known(req.ConfigValue) {
		return
	}
	var n networkModel
	if d := req.ConfigValue.As(ctx, &n, basetypes.ObjectAsOptions{UnhandledNullAsEmpty: true, UnhandledUnknownAsEmpty: true}); d.HasError() {
		return
	}
	if !known(n.MTU) || !known(n.Model) || n.Model.ValueString() == "virtio" {
		return
	}
	resp.Diagnostics.AddAttributeError(req.Path.AtName("mtu"), "MTU needs a VirtIO device",
		fmt.Sprintf("mtu = %d is set on a %s device. Proxmox VE applies mtu to VirtIO devices only and ignores it "+
			"for %s. Remove mtu, or set model = \"virtio\".", n.MTU.ValueInt64(), n.Model.ValueString(), n.Model.ValueString()))
}
