package pve

import (
	"strconv"
)

// MTUOfBridge is the mtu value that makes a VirtIO device use its bridge's
// MTU (qemu-server src/PVE/QemuServer/Network.pm $net_fmt mtu: "Setting to
// '1' or empty will use the bridge MTU"; QemuServer.pm print_netdevice_full).
const MTUOfBridge = 1

// formatNetworkLimits spells mtu and rate as PVE stores them: integers and
// a number without trailing zeros ("12.5", "100").
func formatNetworkLimits(n Network) string {
	var s string
	if n.MTU != 0 {
		s += ",mtu=" + strconv.FormatInt(n.MTU, 10)
	}
	if n.Rate != 0 {
		s += ",rate=" + strconv.FormatFloat(n.Rate, 'f', -1, 64)
	}
	return s
}

// parseNetworkLimit reads mtu or rate into n; it reports false for a value
// it cannot read, which then stays in Options.
func parseNetworkLimit(n *Network, key, value string) bool {
	switch key {
	case "mtu":
		v, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return false
		}
		n.MTU = v
	case "rate":
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return false
		}
		n.Rate = v
	default:
		return false
	}
	return true
}
