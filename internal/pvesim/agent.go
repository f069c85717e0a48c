package pvesim

import (
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The QEMU guest agent, as qemu-server 9.2.6 serves it:
//
//   - src/PVE/API2/Qemu/Agent.pm registers one endpoint per command under
//     /nodes/{node}/qemu/{vmid}/agent/<command> (network-get-interfaces and
//     info are GET, ping is POST), checks VM.GuestAgent.Audit, loads the
//     config and answers {"result": <the agent's answer>}.
//   - src/PVE/QemuServer/Agent.pm assert_agent_available dies, in this
//     order, "No QEMU guest agent configured" (no agent key in the current
//     config), "VM <vmid> is not running", and "QEMU guest agent is not
//     running" when guest-ping gets no answer within 3 s
//     (qga_check_running): HTTP 500 with that text.
//
// The simulated guest runs an agent when the VM was started with it
// enabled (the current config: an agent change on a running VM waits for
// the next start, vmconfig_update_agent), BootDelay has passed since the
// start and BootQueries agent requests since the start went unanswered;
// before that, PVE's ping waits PingTimeout and fails.

// AgentOptions are the simulator's guest agent knobs.
type AgentOptions struct {
	// BootDelay is how long after a start (or reboot) the guest's agent
	// first answers. Zero: at once.
	BootDelay time.Duration
	// BootQueries is how many agent requests after a start (or reboot)
	// find the agent not yet running: a test that must see a client wait
	// for the agent counts questions, not time, and holds on a busy
	// machine. Zero: none.
	BootQueries int
	// PingTimeout is how long an agent request waits before PVE reports
	// that the agent does not answer; PVE waits 3 s (Agent.pm
	// qga_check_running). Zero: at once.
	PingTimeout time.Duration
}

func init() {
	qemuConfigSpec["agent"] = paramSpec{check: checkAgentProperty}
	base := "/nodes/{node}/qemu/{vmid}/agent"
	addRoute(base, map[string]handlerFunc{"GET": (*Server).agentIndex})
	addRoute(base+"/network-get-interfaces", map[string]handlerFunc{"GET": agentCommand((*Server).agentInterfaces)})
	addRoute(base+"/info", map[string]handlerFunc{"GET": agentCommand(agentInfo)})
	addRoute(base+"/ping", map[string]handlerFunc{"POST": agentCommand(func(*Server, *vmState) any { return map[string]any{} })})
}

// agentIndex is the command index (permissions: user => 'all').
func (s *Server) agentIndex(r *request) *resp {
	if _, res := pathVMID(r); res != nil {
		return res
	}
	cmds := []string{"exec", "exec-status", "file-read", "file-write", "fsfreeze-freeze", "fsfreeze-status",
		"fsfreeze-thaw", "fstrim", "get-fsinfo", "get-host-name", "get-memory-block-info", "get-memory-blocks",
		"get-osinfo", "get-time", "get-timezone", "get-users", "get-vcpus", "info", "network-get-interfaces",
		"ping", "set-user-password", "shutdown", "suspend-disk", "suspend-hybrid", "suspend-ram"}
	return dirIndex("name", cmds...)
}

// agentCommand is register_command's handler: parameters, permission,
// config, assert_agent_available, then the agent's answer.
func agentCommand(answer func(s *Server, v *vmState) any) handlerFunc {
	return func(s *Server, r *request) *resp {
		vmid, res := pathVMID(r)
		if res != nil {
			return res
		}
		if _, errs := checkParams(r.params, nil, false); len(errs) > 0 {
			return paramErr(errs)
		}
		s.mu.Lock()
		v, res := s.guestLocked(r, vmid, "qemu", "VM.GuestAgent.Audit")
		if res != nil {
			s.mu.Unlock()
			return res
		}
		agent, configured := v.Conf["agent"]
		running := v.Running
		answers := running && configured && agentEnabled(agent) && s.agentBootedLocked(v)
		var out any
		if answers {
			out = answer(s, v)
		}
		s.mu.Unlock()
		switch {
		case !configured:
			return err500("No QEMU guest agent configured")
		case !running:
			return err500("VM %d is not running", vmid)
		case !answers:
			sleepOrClose(s.opts.Agent.PingTimeout, s.closing) // guest-ping's timeout
			return err500("QEMU guest agent is not running")
		}
		return ok(map[string]any{"result": out})
	}
}

// agentBootedLocked reports whether the guest of a running VM with the
// agent enabled has booted far enough for its agent to answer (BootDelay,
// BootQueries); a request that finds it not booted counts towards
// BootQueries. Callers hold s.mu.
func (s *Server) agentBootedLocked(v *vmState) bool {
	if time.Since(v.StartedAt) < s.opts.Agent.BootDelay {
		return false
	}
	if !v.agentAskedSince.Equal(v.StartedAt) {
		v.agentAskedSince, v.agentUnanswered = v.StartedAt, 0
	}
	if v.agentUnanswered < s.opts.Agent.BootQueries {
		v.agentUnanswered++
		return false
	}
	return true
}

// agentEnabled is parse_guest_agent's "enabled" (the default key).
func agentEnabled(val string) bool {
	parsed, msg := parseAgentProperty(val)
	return msg == "" && parsed["enabled"] == "1"
}

func agentInfo(*Server, *vmState) any {
	cmds := []string{"guest-exec", "guest-exec-status", "guest-file-close", "guest-file-open", "guest-file-read",
		"guest-file-write", "guest-fsfreeze-freeze", "guest-fsfreeze-status", "guest-fsfreeze-thaw",
		"guest-fstrim", "guest-get-fsinfo", "guest-get-host-name", "guest-get-osinfo", "guest-get-time",
		"guest-get-timezone", "guest-get-users", "guest-get-vcpus", "guest-info", "guest-network-get-interfaces",
		"guest-ping", "guest-set-user-password", "guest-shutdown", "guest-sync", "guest-sync-delimited"}
	list := make([]map[string]any, 0, len(cmds))
	for _, c := range cmds {
		list = append(list, map[string]any{"name": c, "enabled": true, "success-response": c != "guest-shutdown"})
	}
	return map[string]any{"version": "8.2.2", "supported_commands": list}
}

// agentInterfaces is guest-network-get-interfaces of a Linux guest: lo,
// then one interface per NIC of the running config in netN order, named
// as systemd names the PCI slot PVE gives it (net0 is slot 18: ens18),
// with deterministic addresses: 10.<vmid/256%256>.<vmid%256>.<10+N>/24,
// fd00:<vmid>>16>:<vmid&ffff>:<N>::a/64 and the EUI-64 link-local
// address of its MAC, in the canonical form (RFC 5952) a Linux guest
// reports.
func (s *Server) agentInterfaces(v *vmState) any {
	stats := map[string]any{"rx-bytes": 0, "rx-dropped": 0, "rx-errs": 0, "rx-packets": 0,
		"tx-bytes": 0, "tx-dropped": 0, "tx-errs": 0, "tx-packets": 0}
	addr := func(typ, ip string, prefix int) map[string]any {
		return map[string]any{"ip-address-type": typ, "ip-address": ip, "prefix": prefix}
	}
	out := []map[string]any{{
		"name": "lo", "hardware-address": "00:00:00:00:00:00", "statistics": stats,
		"ip-addresses": []map[string]any{addr("ipv4", "127.0.0.1", 8), addr("ipv6", "::1", 128)},
	}}
	var idx []int
	for k := range v.Conf {
		if netKeyRE.MatchString(k) {
			n, _ := strconv.Atoi(strings.TrimPrefix(k, "net"))
			idx = append(idx, n)
		}
	}
	sort.Ints(idx)
	for _, n := range idx {
		mac := strings.ToLower(netMAC(v.Conf["net"+strconv.Itoa(n)]))
		ips := []map[string]any{
			addr("ipv4", fmt.Sprintf("10.%d.%d.%d", (v.VMID>>8)&255, v.VMID&255, 10+n), 24),
			addr("ipv6", net.ParseIP(fmt.Sprintf("fd00:%x:%x:%x::a", v.VMID>>16, v.VMID&0xffff, n)).String(), 64),
		}
		if ll := linkLocal(mac); ll != "" {
			ips = append(ips, addr("ipv6", ll, 64))
		}
		out = append(out, map[string]any{"name": fmt.Sprintf("ens%d", 18+n), "hardware-address": mac,
			"statistics": stats, "ip-addresses": ips})
	}
	return out
}

// netMAC is the MAC of a net value ("virtio=BC:24:11:..,bridge=vmbr0").
func netMAC(val string) string {
	for _, p := range strings.Split(val, ",") {
		k, v, has := strings.Cut(p, "=")
		if has && (k == "macaddr" || slices.Contains(netModels, k)) {
			return v
		}
	}
	return ""
}

// linkLocal is the EUI-64 fe80:: address of a MAC.
func linkLocal(mac string) string {
	hw, err := net.ParseMAC(mac)
	if err != nil || len(hw) != 6 {
		return ""
	}
	ip := net.IP{0xfe, 0x80, 0, 0, 0, 0, 0, 0, hw[0] ^ 2, hw[1], hw[2], 0xff, 0xfe, hw[3], hw[4], hw[5]}
	return ip.String()
}

// agentFormat is the agent property ($agent_fmt in
// src/PVE/QemuServer/Agent.pm): enabled is the default key, freeze-fs has
// the aliases freeze-fs-on-backup and guest-fsfreeze, type is an enum.
var agentFormat = map[string]propFormat{
	"enabled":             {defaultKey: true, isBool: true},
	"fstrim_cloned_disks": {isBool: true},
	"freeze-fs":           {isBool: true},
	"freeze-fs-on-backup": {alias: "freeze-fs"},
	"guest-fsfreeze":      {alias: "freeze-fs"},
	"type":                {enum: []string{"virtio", "isa"}},
}

func parseAgentProperty(val string) (map[string]string, string) {
	return parsePropertyString("agent", val, agentFormat)
}

// checkAgentProperty validates an agent value as PVE's parameter check
// does; the value is stored as given.
func checkAgentProperty(val string) (string, string) {
	if _, msg := parseAgentProperty(val); msg != "" {
		return "", msg
	}
	return val, ""
}
