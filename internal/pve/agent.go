package pve

import (
	"context"
	"errors"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Agent is a VM's QEMU guest agent setting, the config key "agent"
// (qemu-server src/PVE/QemuServer/Agent.pm $agent_fmt): enabled is the
// default key (default 0), fstrim_cloned_disks defaults to 0, type to
// virtio. The other properties (freeze-fs and its aliases) are kept as
// the VM has them.
type Agent struct {
	Enabled           bool
	FstrimClonedDisks bool
	Type              string // virtio (PVE's default) or isa
	// other holds the properties this provider does not manage, as written.
	other []string
}

// AgentTypeVirtio and AgentTypeISA are the values of the agent's type.
const (
	AgentTypeVirtio = "virtio"
	AgentTypeISA    = "isa"
)

// ParseAgent reads an "agent" value such as "1" or
// "enabled=1,fstrim_cloned_disks=1,type=isa". Booleans take PVE's
// spellings (pve-common JSONSchema.pm parse_boolean: 1|on|yes|true and
// 0|off|no|false). An absent value is PVE's default: disabled, virtio.
func ParseAgent(v string) Agent {
	a := Agent{Type: AgentTypeVirtio}
	for i, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, val, has := strings.Cut(part, "=")
		if !has {
			if i == 0 {
				a.Enabled = parseBoolean(k)
			}
			continue
		}
		switch k {
		case "enabled":
			a.Enabled = parseBoolean(val)
		case "fstrim_cloned_disks":
			a.FstrimClonedDisks = parseBoolean(val)
		case "type":
			a.Type = val
		default:
			a.other = append(a.other, part)
		}
	}
	return a
}

func parseBoolean(s string) bool {
	switch strings.ToLower(s) {
	case "1", "on", "yes", "true":
		return true
	}
	return false
}

// formatAgent writes an agent value: enabled always, the rest only when it
// differs from PVE's default, then the properties the VM had that this
// provider does not manage.
func formatAgent(a Agent) string {
	parts := []string{"enabled=" + pveBool(a.Enabled)}
	if a.FstrimClonedDisks {
		parts = append(parts, "fstrim_cloned_disks=1")
	}
	if a.Type != "" && a.Type != AgentTypeVirtio {
		parts = append(parts, "type="+a.Type)
	}
	return strings.Join(append(parts, a.other...), ",")
}

// SameAgent reports whether two agent settings are the same for the
// properties this provider manages.
func SameAgent(a, b Agent) bool {
	norm := func(t string) string {
		if t == "" {
			return AgentTypeVirtio
		}
		return t
	}
	return a.Enabled == b.Enabled && a.FstrimClonedDisks == b.FstrimClonedDisks && norm(a.Type) == norm(b.Type)
}

// WithManaged returns have with the managed properties of want, keeping
// the properties of have this provider does not manage.
func (a Agent) WithManaged(want Agent) Agent {
	want.other = a.other
	return want
}

// GuestInterface is one network interface the guest agent reports
// (QEMU's guest-network-get-interfaces).
type GuestInterface struct {
	Name string
	MAC  string // lowercase, as the guest reports it
	// Addresses in CIDR notation ("10.0.0.20/24"), as reported.
	Addresses []string
}

type qgaInterface struct {
	Name            string `json:"name"`
	HardwareAddress string `json:"hardware-address"`
	IPAddresses     []struct {
		Type    string  `json:"ip-address-type"`
		Address string  `json:"ip-address"`
		Prefix  flexInt `json:"prefix"`
	} `json:"ip-addresses"`
}

// ErrAgentNotRunning: the VM runs, but its guest agent does not answer
// (not installed, not started yet, or not enabled in the running VM).
// qemu-server src/PVE/QemuServer/Agent.pm assert_agent_available dies with
// "QEMU guest agent is not running" when guest-ping gets no answer within
// 3 s, "VM <vmid> is not running" and "No QEMU guest agent configured".
var ErrAgentNotRunning = errors.New("QEMU guest agent is not running")

var reAgentUnavailable = regexp.MustCompile(`(?i)(guest agent is not running|VM \d+ is not running|No QEMU guest agent configured)`)

// agentReadTimeout bounds one guest agent request. PVE itself gives up
// after its guest-ping (3 s, Agent.pm qga_check_running) and the QMP
// default of 5 s for the command (QMPClient.pm cmd): an answer never takes
// longer than 8 s, so a 10 s bound cuts off no answer PVE would give.
const agentReadTimeout = 10 * time.Second

// GuestInterfaces asks the guest agent for the VM's network interfaces with
// GET .../agent/network-get-interfaces (qemu-server
// src/PVE/API2/Qemu/Agent.pm, answered as {"result": [...]}), bounded by
// agentReadTimeout. An agent that does not answer is ErrAgentNotRunning.
func (c *Client) GuestInterfaces(ctx context.Context, node string, vmid int) ([]GuestInterface, error) {
	ctx = c.logCtx(ctx)
	ctx, cancel := context.WithTimeout(ctx, agentReadTimeout)
	defer cancel()
	var out struct {
		Result []qgaInterface `json:"result"`
	}
	err := c.get(ctx, vmPath(node, vmid)+"/agent/network-get-interfaces", nil, &out)
	var apiErr *APIError
	if errors.As(err, &apiErr) && reAgentUnavailable.MatchString(apiErr.Message) {
		return nil, errors.Join(ErrAgentNotRunning, err)
	}
	if err != nil && ctx.Err() != nil {
		return nil, errors.Join(ErrAgentNotRunning, err)
	}
	if err != nil {
		return nil, err
	}
	ifaces := make([]GuestInterface, 0, len(out.Result))
	for _, r := range out.Result {
		gi := GuestInterface{Name: r.Name, MAC: strings.ToLower(r.HardwareAddress), Addresses: []string{}}
		for _, a := range r.IPAddresses {
			gi.Addresses = append(gi.Addresses, a.Address+"/"+strconv.FormatInt(int64(a.Prefix), 10))
		}
		ifaces = append(ifaces, gi)
	}
	return ifaces, nil
}

// RoutableAddresses returns the IPv4 and IPv6 addresses of the interfaces
// without their prefix, leaving out loopback and link-local addresses
// (what wait_for_ip waits for and what a user connects to), sorted.
func RoutableAddresses(ifaces []GuestInterface) (ipv4, ipv6 []string) {
	ipv4, ipv6 = []string{}, []string{}
	for _, gi := range ifaces {
		for _, a := range gi.Addresses {
			ip, _, err := net.ParseCIDR(a)
			if err != nil {
				ip = net.ParseIP(a)
			}
			if ip == nil || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() {
				continue
			}
			if ip.To4() != nil {
				ipv4 = append(ipv4, ip.String())
			} else {
				ipv6 = append(ipv6, ip.String())
			}
		}
	}
	sort.Strings(ipv4)
	sort.Strings(ipv6)
	return ipv4, ipv6
}
