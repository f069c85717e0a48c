package pvesim

import (
	"fmt"
	"sort"
	"strings"
)

// GET /nodes/{node}/network (pve-manager PVE/API2/Network.pm, "index"):
// the node's interfaces from /etc/network/interfaces, loopback left out,
// as an array of objects keyed by "iface". type=any_bridge keeps Linux
// bridges and OVS bridges and adds the SDN vnets of the node's zones
// (type=vnet and include_sdn list them too): pve-network
// src/PVE/Network/SDN.pm get_local_vnets gives each as {type => 'vnet',
// active => '1', ipam, vlanaware, comments}. Each node has an uplink eno1
// and the bridge vmbr0 unless SetNodeBridges says otherwise, and vnets only
// from SetNodeVnets.

func init() {
	addRoute("/nodes/{node}/network", map[string]handlerFunc{"GET": (*Server).nodeNetwork})
}

var networkTypes = []string{"bridge", "bond", "eth", "alias", "vlan", "fabric", "OVSBridge", "OVSBond", "OVSPort",
	"OVSIntPort", "vnet", "any_bridge", "any_local_bridge", "include_sdn"}

func (s *Server) nodeNetwork(r *request) *resp {
	filter := r.params["type"]
	if filter != "" && !contains(networkTypes, filter) {
		return paramErr1("type", fmt.Sprintf("value '%s' does not have a value in the enumeration '%s'", filter, strings.Join(networkTypes, ", ")))
	}
	node := r.vars["node"]
	s.mu.Lock()
	bridges, set := s.bridges[node]
	s.mu.Unlock()
	if !set {
		bridges = []string{"vmbr0"}
	}
	out := []map[string]any{}
	if filter == "" || filter == "eth" {
		out = append(out, map[string]any{"iface": "eno1", "type": "eth", "active": 1, "autostart": 1, "families": []string{"inet"}, "method": "manual"})
	}
	if filter == "" || filter == "bridge" || filter == "any_bridge" || filter == "any_local_bridge" {
		for _, b := range bridges {
			out = append(out, map[string]any{"iface": b, "type": "bridge", "active": 1, "autostart": 1,
				"bridge_ports": "eno1", "bridge_stp": "off", "bridge_fd": "0", "families": []string{"inet"}, "method": "static"})
		}
	}
	if filter == "any_bridge" || filter == "include_sdn" || filter == "vnet" {
		s.mu.Lock()
		vnets := s.vnets[node]
		s.mu.Unlock()
		for _, v := range vnets {
			out = append(out, map[string]any{"iface": v, "type": "vnet", "active": "1", "ipam": 0, "vlanaware": 0})
		}
	}
	iface := func(m map[string]any) string { s, _ := m["iface"].(string); return s }
	sort.Slice(out, func(i, j int) bool { return iface(out[i]) < iface(out[j]) })
	return ok(out)
}

// SetNodeBridges replaces the Linux bridges of node (default: vmbr0).
func (s *Server) SetNodeBridges(node string, bridges ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bridges == nil {
		s.bridges = map[string][]string{}
	}
	s.bridges[node] = append([]string(nil), bridges...)
}

// SetNodeVnets replaces the SDN vnets whose zone includes node (default:
// none).
func (s *Server) SetNodeVnets(node string, vnets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.vnets == nil {
		s.vnets = map[string][]string{}
	}
	s.vnets[node] = append([]string(nil), vnets...)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
