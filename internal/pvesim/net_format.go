package pvesim

import (
	"regexp"
	"strings"
)

// netFormat is qemu-server src/PVE/QemuServer/Network.pm $net_fmt: model is
// the default key, "<model>=<mac>" is an alias pair (keyAlias model, alias
// macaddr), macaddr is the mac-addr format (pve-common JSONSchema.pm
// pve_verify_mac_addr: unicast only).
var netFormat = func() map[string]propFormat {
	f := map[string]propFormat{
		"model":       {defaultKey: true, enum: netModels, required: true},
		"macaddr":     {check: checkUnicastMAC},
		"bridge":      {},
		"queues":      {isInt: true, min: 0, max: 64},
		"rate":        {isNumber: true, min: 0},
		"tag":         {isInt: true, min: 1, max: 4094},
		"trunks":      {pattern: regexp.MustCompile(`^\d+(?:-\d+)?(?:;\d+(?:-\d+)?)*$`)},
		"firewall":    {isBool: true},
		"link_down":   {isBool: true},
		"mtu":         {isInt: true, min: 1, max: 65520},
		"host-tunnel": {isBool: true},
	}
	for _, m := range netModels {
		f[m] = propFormat{alias: "macaddr", keyAlias: "model"}
	}
	return f
}()

var unicastMACRE = regexp.MustCompile(`^(?i)[a-f0-9][02468ace](?::[a-f0-9]{2}){5}$`)

func checkUnicastMAC(v string) string {
	if !unicastMACRE.MatchString(v) {
		return "value does not look like a valid unicast MAC address\n"
	}
	return ""
}

// normalizeNet is what $update_vm_api does to a netN value (parse_net,
// which fills in a MAC, then print_net): "<model>=<MAC>" first, the other
// keys sorted, booleans as 0/1. A given MAC is kept as written, in its case
// (pve_verify_mac_addr matches case-insensitively and returns the value
// unchanged; print_property_string prints it as is); a missing one is
// generated in upper case (pve-common Tools.pm random_ether_addr: "%02X"
// digits, uc($prefix)) with the datacenter's mac_prefix, by default PVE's
// OUI BC:24:11 (pve-cluster DataCenterConfig.pm $PROXMOX_OUI). An mtu on a
// device that is not VirtIO is accepted: print_netdevice_full ignores it.
func normalizeNet(key, val string) (string, string) {
	res, msg := parsePropertyString(key, val, netFormat)
	if msg != "" {
		return "", msg
	}
	mac := res["macaddr"]
	if mac == "" {
		mac = newMAC()
	}
	out := []string{res["model"] + "=" + mac}
	for _, k := range sortedKeys(res) {
		if k != "model" && k != "macaddr" {
			out = append(out, k+"="+res[k])
		}
	}
	return strings.Join(out, ","), ""
}
