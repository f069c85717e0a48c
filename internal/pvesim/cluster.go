package pvesim

import (
	"fmt"
	"strconv"
	"time"
)

func init() {
	addRoute("/cluster/status", map[string]handlerFunc{"GET": (*Server).clusterStatus})
	addRoute("/cluster/resources", map[string]handlerFunc{"GET": (*Server).clusterResources})
	addRoute("/cluster/nextid", map[string]handlerFunc{"GET": (*Server).nextID})
	addRoute("/nodes", map[string]handlerFunc{"GET": (*Server).listNodes})
	addRoute("/nodes/{node}", map[string]handlerFunc{"GET": (*Server).nodeIndex})
	addRoute("/nodes/{node}/status", map[string]handlerFunc{"GET": (*Server).nodeStatus})
}

var bootTime = time.Now().Add(-72 * time.Hour)

func nodeIP(i int) string { return fmt.Sprintf("192.0.2.%d", 10+i) }

func (s *Server) clusterStatus(r *request) *resp {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	if len(s.nodes) > 1 {
		out = append(out, map[string]any{
			"type": "cluster", "id": "cluster", "name": "pvesim", "nodes": len(s.nodes),
			"quorate": 1, "version": len(s.nodes) + 2,
		})
	}
	for i, n := range s.nodes {
		out = append(out, map[string]any{
			"type": "node", "id": "node/" + n, "name": n, "nodeid": i + 1, "ip": nodeIP(i),
			"online": boolInt(!s.offline[n]), "local": boolInt(i == 0), "level": "",
		})
	}
	return ok(out)
}

func (s *Server) listNodes(r *request) *resp {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for i, n := range s.nodes {
		out = append(out, nodeResource(i, n, s.offline[n], time.Now()))
	}
	return ok(out)
}

func (s *Server) nodeIndex(r *request) *resp {
	return dirIndex("name", "apt", "capabilities", "ceph", "certificates", "config", "disks", "dns", "firewall", "hardware", "hosts", "journal", "lxc", "netstat", "network", "qemu", "query-url-metadata", "replication", "report", "rrd", "rrddata", "scan", "sdn", "services", "spiceshell", "status", "storage", "subscription", "syslog", "tasks", "termproxy", "time", "version", "vncshell", "vzdump", "wakeonlan")
}

func (s *Server) nodeStatus(r *request) *resp {
	up := int64(time.Since(bootTime).Seconds())
	return ok(map[string]any{
		"uptime":         up,
		"kversion":       "Linux 6.8.8-2-pve #1 SMP PREEMPT_DYNAMIC PMX 6.8.8-2 (2024-06-24T09:00Z)",
		"pveversion":     s.currentVersion().pveversionText(),
		"cpu":            0.031,
		"wait":           0.0004,
		"idle":           0,
		"loadavg":        []string{"0.21", "0.18", "0.12"},
		"cpuinfo":        map[string]any{"cpus": 16, "cores": 8, "sockets": 1, "model": "AMD EPYC 7302P 16-Core Processor", "mhz": "3000.000", "hvm": "1", "user_hz": 100, "flags": "fpu vme de pse"},
		"memory":         map[string]any{"total": int64(64) << 30, "used": int64(12) << 30, "free": int64(52) << 30},
		"swap":           map[string]any{"total": int64(8) << 30, "used": 0, "free": int64(8) << 30},
		"rootfs":         map[string]any{"total": int64(100) << 30, "used": int64(9) << 30, "free": int64(91) << 30, "avail": int64(86) << 30},
		"ksm":            map[string]any{"shared": 0},
		"boot-info":      map[string]any{"mode": "efi", "secureboot": 0},
		"current-kernel": map[string]any{"sysname": "Linux", "release": "6.8.8-2-pve", "machine": "x86_64", "version": "#1 SMP PREEMPT_DYNAMIC PMX 6.8.8-2 (2024-06-24T09:00Z)"},
	})
}

// clusterResources is /cluster/resources: names, status and usage come from
// the stats (pvestatd, ~10 s), lock and tags from the config.
func (s *Server) clusterResources(r *request) *resp {
	typ := r.params["type"]
	switch typ { // the parameter's enum (API2/Cluster.pm resources); "pool" is not in it
	case "", "vm", "storage", "node", "sdn":
	default:
		return paramErr1("type", fmt.Sprintf("value '%s' does not have a value in the enumeration 'vm, storage, node, sdn'", typ))
	}
	// Built from a copy, without s.mu (cluster_resources.go); the view only
	// holds what the caller may see.
	return s.readView(r.auth, typ).answer(typ)
}

func (s *Server) nextID(r *request) *resp {
	_, errs := checkParams(r.params, map[string]paramSpec{"vmid": {}}, false)
	vmid := vmidParam(r, "vmid", false, errs)
	if len(errs) > 0 {
		return paramErr(errs)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if vmid != 0 {
		if s.vms[vmid] != nil {
			return paramErr1("vmid", fmt.Sprintf("VM %d already exists", vmid))
		}
		return ok(strconv.Itoa(vmid))
	}
	// pve-manager API2/Cluster.pm nextid: datacenter.cfg next-id, by default
	// lower 100 and upper 1000000 ("lower than the schema-maximum"), upper
	// excluded from the search but printed in the error.
	const lower, upper = 100, 1000 * 1000
	for id := lower; id < upper; id++ {
		if s.vms[id] == nil {
			return ok(strconv.Itoa(id))
		}
	}
	return err500("unable to get any free VMID in range [%d, %d]", lower, upper)
}
