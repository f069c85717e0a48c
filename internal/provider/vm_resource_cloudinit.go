package provider

// This file holds the cloud_init attribute group of proxmoxsafe_vm: the
// conversion from and to pve.CloudInit, the diff, the write-only password
// and the plan-time checks (schema and models: vm_resource_cloudinit_schema.go).

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

func (m *vmResourceModel) cloudInit(ctx context.Context, diags *diag.Diagnostics) *cloudInitModel {
	if m.CloudInit.IsNull() || m.CloudInit.IsUnknown() {
		return nil
	}
	var c cloudInitModel
	diags.Append(m.CloudInit.As(ctx, &c, basetypes.ObjectAsOptions{})...)
	return &c
}

// cloudInitState is cloud_init as the VM has it. prior keeps the user's
// spelling of equal SSH keys and the password version. It is filled from
// the VM when fill is set (import) or prior is unknown (a create whose
// configuration leaves cloud_init out: what the VM got, e.g. from its
// template), null then if the VM has no cloud-init settings; a null prior
// (a state written before cloud_init was Computed) stays null.
func cloudInitState(ctx context.Context, prior types.Object, vm *pve.VM, fill bool, diags *diag.Diagnostics) types.Object {
	null := types.ObjectNull(cloudInitAttrTypes)
	fill = fill || prior.IsUnknown()
	if (prior.IsNull() && !fill) || (fill && !vm.CloudInit.Configured()) {
		return null
	}
	var p cloudInitModel
	if !prior.IsNull() && !prior.IsUnknown() {
		diags.Append(prior.As(ctx, &p, basetypes.ObjectAsOptions{UnhandledUnknownAsEmpty: true})...)
	}
	ci := vm.CloudInit
	obj := func(types map[string]attr.Type, values map[string]attr.Value) types.Object {
		o, d := basetypes.NewObjectValue(types, values)
		diags.Append(d...)
		return o
	}
	drive := types.ObjectNull(cloudInitDriveAttrTypes)
	if ci.Drive != nil {
		drive = obj(cloudInitDriveAttrTypes, map[string]attr.Value{
			"interface": types.StringValue(ci.Drive.Interface), "storage": types.StringValue(ci.Drive.Storage),
		})
	}
	// Without a prior spelling (import), each key as stored, with its
	// newline: the spelling of file("key.pub") and of this provider's writes.
	var keys []string
	for _, line := range strings.SplitAfter(ci.SSHKeysText, "\n") {
		if strings.TrimSpace(line) != "" {
			keys = append(keys, line)
		}
	}
	if prev := stringList(ctx, p.SSHKeys, diags); equalStrings(pve.SSHKeyLines(prev...), keys) && !p.SSHKeys.IsNull() {
		keys = prev
	}
	ipc := map[string]attr.Value{}
	for iface, c := range ci.IPConfig {
		addr := func(a, gw string) types.Object {
			if a == "" {
				return types.ObjectNull(cloudInitAddrAttrTypes)
			}
			return obj(cloudInitAddrAttrTypes, map[string]attr.Value{"address": types.StringValue(a), "gateway": stringOrNull(gw)})
		}
		ipc[iface] = obj(cloudInitIPAttrTypes, map[string]attr.Value{
			"ipv4": addr(c.IPv4Address, c.IPv4Gateway), "ipv6": addr(c.IPv6Address, c.IPv6Gateway),
		})
	}
	ipcMap, d := types.MapValue(types.ObjectType{AttrTypes: cloudInitIPAttrTypes}, ipc)
	diags.Append(d...)
	return obj(cloudInitAttrTypes, map[string]attr.Value{
		"drive":               drive,
		"user":                stringOrNull(ci.User),
		"ssh_keys":            sshKeyListValue(keys),
		"password_wo":         types.StringNull(),
		"password_wo_version": p.PasswordWOVersion,
		"dns": obj(cloudInitDNSAttrTypes, map[string]attr.Value{
			"servers": stringListValue(ci.Nameservers), "domain": stringOrNull(ci.SearchDomain),
		}),
		"ip_config": ipcMap,
		"custom": obj(cloudInitCustomAttrTypes, map[string]attr.Value{
			"user": types.StringValue(ci.Custom.User), "network": types.StringValue(ci.Custom.Network),
			"vendor": types.StringValue(ci.Custom.Vendor), "meta": types.StringValue(ci.Custom.Meta),
		}),
		"upgrade": types.BoolValue(ci.Upgrade),
	})
}

func stringList(ctx context.Context, l types.List, diags *diag.Diagnostics) []string {
	var out []string
	if known(l) {
		diags.Append(l.ElementsAs(ctx, &out, false)...)
	}
	return out
}

func sshKeyListValue(keys []string) types.List {
	vals := make([]attr.Value, 0, len(keys))
	for _, k := range keys {
		vals = append(vals, sshKeyValue{StringValue: types.StringValue(k)})
	}
	return types.ListValueMust(sshKeyType{}, vals)
}

func stringListValue(s []string) types.List {
	vals := make([]attr.Value, 0, len(s))
	for _, v := range s {
		vals = append(vals, types.StringValue(v))
	}
	return types.ListValueMust(types.StringType, vals)
}

// diffCloudInit is the cloud-init part of diffConfig: what differs between
// the configured cloud_init and the VM. Unknown or null parts are left as
// they are; the password goes only when withPassword put it into want.
func (c *vmChange) diffCloudInit(ctx context.Context, want *vmResourceModel, have pve.CloudInit, diags *diag.Diagnostics) {
	w := want.cloudInit(ctx, diags)
	if w == nil {
		return
	}
	ch := &pve.CloudInitChange{}
	if known(w.Drive) {
		var d cloudInitDriveModel
		diags.Append(w.Drive.As(ctx, &d, basetypes.ObjectAsOptions{})...)
		wd := pve.CloudInitDrive{Interface: d.Interface.ValueString(), Storage: d.Storage.ValueString()}
		switch {
		case have.Drive == nil:
			ch.Drive = &wd
		case *have.Drive != wd:
			ch.Drive, c.cloudInitMovedFrom = &wd, have.Drive // a move: see vm_resource_cloudinit_move.go
		}
	}
	if known(w.User) && w.User.ValueString() != have.User {
		ch.User = w.User.ValueStringPointer()
	}
	if known(w.SSHKeys) {
		if keys := pve.SSHKeyLines(stringList(ctx, w.SSHKeys, diags)...); !equalStrings(keys, have.SSHKeys) {
			ch.SSHKeys = &keys
		}
	}
	if known(w.PasswordWO) {
		ch.Password = w.PasswordWO.ValueStringPointer()
	}
	if known(w.DNS) {
		var dns cloudInitDNSModel
		diags.Append(w.DNS.As(ctx, &dns, basetypes.ObjectAsOptions{UnhandledUnknownAsEmpty: true})...)
		if servers := stringList(ctx, dns.Servers, diags); known(dns.Servers) && !equalStrings(servers, have.Nameservers) {
			ch.Nameservers = &servers
		}
		if known(dns.Domain) && dns.Domain.ValueString() != have.SearchDomain {
			ch.SearchDomain = dns.Domain.ValueStringPointer()
		}
	}
	if known(w.IPConfig) {
		wantIPs := cloudInitIPConfigs(ctx, w.IPConfig, diags)
		for _, iface := range sortedKeys(wantIPs) {
			if h, ok := have.IPConfig[iface]; !ok || h != wantIPs[iface] {
				cfg := wantIPs[iface]
				setIPConfig(ch, iface, &cfg)
			}
		}
		for iface := range have.IPConfig {
			if _, ok := wantIPs[iface]; !ok {
				setIPConfig(ch, iface, nil)
			}
		}
	}
	if known(w.Custom) {
		var cm cloudInitCustomModel
		diags.Append(w.Custom.As(ctx, &cm, basetypes.ObjectAsOptions{UnhandledUnknownAsEmpty: true})...)
		custom := have.Custom
		for _, f := range []struct {
			v   types.String
			dst *string
		}{{cm.User, &custom.User}, {cm.Network, &custom.Network}, {cm.Vendor, &custom.Vendor}, {cm.Meta, &custom.Meta}} {
			if known(f.v) {
				*f.dst = f.v.ValueString()
			}
		}
		if custom != have.Custom {
			ch.Custom = &custom
		}
	}
	if known(w.Upgrade) && w.Upgrade.ValueBool() != have.Upgrade {
		ch.Upgrade = w.Upgrade.ValueBoolPointer()
	}
	if !ch.Empty() {
		c.config.CloudInit = ch
	}
}

func setIPConfig(ch *pve.CloudInitChange, iface string, cfg *pve.IPConfig) {
	if ch.IPConfig == nil {
		ch.IPConfig = map[string]*pve.IPConfig{}
	}
	ch.IPConfig[iface] = cfg
}

func cloudInitIPConfigs(ctx context.Context, m types.Map, diags *diag.Diagnostics) map[string]pve.IPConfig {
	var models map[string]cloudInitIPModel
	diags.Append(m.ElementsAs(ctx, &models, false)...)
	out := map[string]pve.IPConfig{}
	for iface, ipm := range models {
		var cfg pve.IPConfig
		cfg.IPv4Address, cfg.IPv4Gateway = cloudInitAddress(ctx, ipm.IPv4, diags)
		cfg.IPv6Address, cfg.IPv6Gateway = cloudInitAddress(ctx, ipm.IPv6, diags)
		out[iface] = cfg
	}
	return out
}

func cloudInitAddress(ctx context.Context, o types.Object, diags *diag.Diagnostics) (string, string) {
	if !known(o) {
		return "", ""
	}
	var a cloudInitAddrModel
	diags.Append(o.As(ctx, &a, basetypes.ObjectAsOptions{UnhandledUnknownAsEmpty: true})...)
	return a.Address.ValueString(), a.Gateway.ValueString()
}

// withPassword puts the write-only password of config into plan when it
// is to be sent: on create and adoption, and when password_wo_version
// changed. It never reaches state: cloudInitState always writes null.
func withPassword(ctx context.Context, config tfsdk.Config, state, plan *vmResourceModel, diags *diag.Diagnostics) {
	var password types.String
	diags.Append(config.GetAttribute(ctx, pathCloudInitPassword, &password)...)
	w := plan.cloudInit(ctx, diags)
	if !known(password) || w == nil {
		return
	}
	if s := state.cloudInitOrNil(ctx, diags); s != nil && s.PasswordWOVersion.Equal(w.PasswordWOVersion) {
		return
	}
	attrs := plan.CloudInit.Attributes()
	attrs["password_wo"] = password
	obj, d := types.ObjectValue(cloudInitAttrTypes, attrs)
	diags.Append(d...)
	plan.CloudInit = obj
}

func (m *vmResourceModel) cloudInitOrNil(ctx context.Context, diags *diag.Diagnostics) *cloudInitModel {
	if m == nil {
		return nil
	}
	return m.cloudInit(ctx, diags)
}

// checkCloudInit is the plan-time check of cloud_init: ip_config names
// networks of the configuration, and addresses follow Proxmox VE's
// ipconfig format (QemuServer/Network.pm $ipconfig_fmt and parse_ipconfig:
// a gateway needs a static address of its family).
func checkCloudInit(ctx context.Context, plan *vmResourceModel, diags *diag.Diagnostics) {
	w := plan.cloudInit(ctx, diags)
	if w == nil || !known(w.IPConfig) {
		return
	}
	var models map[string]cloudInitIPModel
	diags.Append(w.IPConfig.ElementsAs(ctx, &models, false)...)
	nets := map[string]bool{}
	netsKnown := known(plan.Networks)
	for iface := range plan.networks(ctx, diags) {
		nets[iface] = true
	}
	for _, iface := range sortedKeys(models) {
		at := pathCloudInit.AtName("ip_config").AtMapKey(iface)
		if netsKnown && !nets[iface] {
			diags.AddAttributeError(at, "ip_config names no network of this VM",
				fmt.Sprintf("cloud_init.ip_config.%s configures %s, but networks has no %s (it has: %s). Use the "+
					"interface name of one of the VM's networks, or add %s to networks.",
					iface, iface, iface, strings.Join(sortedKeys(nets), ", "), iface))
		}
		checkIPAddress(ctx, at.AtName("ipv4"), models[iface].IPv4, false, diags)
		checkIPAddress(ctx, at.AtName("ipv6"), models[iface].IPv6, true, diags)
	}
}

func checkIPAddress(ctx context.Context, at path.Path, o types.Object, v6 bool, diags *diag.Diagnostics) {
	if !known(o) {
		return
	}
	var a cloudInitAddrModel
	diags.Append(o.As(ctx, &a, basetypes.ObjectAsOptions{UnhandledUnknownAsEmpty: true})...)
	if !known(a.Address) {
		return
	}
	addr, family, special := a.Address.ValueString(), "IPv4", "\"dhcp\""
	if v6 {
		family, special = "IPv6", "\"dhcp\" or \"auto\""
	}
	isSpecial := addr == "dhcp" || (v6 && addr == "auto")
	if prefix, err := netip.ParsePrefix(addr); !isSpecial && (err != nil || prefix.Addr().Is6() != v6 || prefix.Bits() < 8) {
		diags.AddAttributeError(at.AtName("address"), "Invalid "+family+" address",
			fmt.Sprintf("%q is not an %s address in CIDR format (such as %s) nor %s.", addr, family,
				map[bool]string{false: "10.0.0.20/24", true: "2001:db8::20/64"}[v6], special))
	}
	if !known(a.Gateway) {
		return
	}
	if isSpecial {
		diags.AddAttributeError(at.AtName("gateway"), "Gateway with a dynamic address",
			fmt.Sprintf("A gateway needs a static %s address; with %q the gateway comes from the network "+
				"(Proxmox VE ignores the whole ipconfig otherwise). Remove gateway or set a static address.", family, addr))
		return
	}
	if ip, err := netip.ParseAddr(a.Gateway.ValueString()); err != nil || ip.Is6() != v6 {
		diags.AddAttributeError(at.AtName("gateway"), "Invalid "+family+" gateway",
			fmt.Sprintf("%q is not an %s address.", a.Gateway.ValueString(), family))
	}
}
