package pvesim

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// /cluster/resources (pve-manager PVE/API2/Cluster.pm resources): guests
// from the vmlist with lock and tags from their configs and the rest from
// the statistics, then nodes, then storages per node.

// resourcesView is what one /cluster/resources answer needs, copied under
// s.mu so that sorting and encoding it (10,000 guests in a large cluster)
// runs without the lock while other requests and tasks go on.
type resourcesView struct {
	now      time.Time // when the copy was taken: node uptime
	nodes    []string
	offline  map[string]bool
	storages []storageDef
	volumes  []guestVolume // for the storages' usage, summed outside the lock
	guests   []guestResource
}

// guestResource is one guest's entry: what the vmlist, the config (lock,
// tags) and user.cfg (pool) say now, and the statistics up to
// StatsRefresh old (stats.go).
type guestResource struct {
	vmid                        int
	typ, node, lock, tags, pool string
	stats                       *vmStats // nil: none yet, status "unknown"
}

// readView copies what a /cluster/resources?type=typ answer needs: the
// guests only for a guest list, and of them only those the caller may see.
func (s *Server) readView(a *authInfo, typ string) *resourcesView {
	s.mu.Lock()
	defer s.mu.Unlock()
	view := &resourcesView{now: time.Now(), nodes: slices.Clone(s.nodes), offline: maps.Clone(s.offline)}
	s.pruneStatsLocked()
	if typ == "" || typ == "storage" {
		view.storages = slices.Clone(s.storages)
		for _, v := range s.vms {
			for k, val := range v.Conf {
				if isVolumeKey(k) {
					view.volumes = append(view.volumes, guestVolume{k, val, v.Node})
				}
			}
		}
	}
	if typ == "" || typ == "vm" {
		view.guests = make([]guestResource, 0, len(s.vms))
		for id, v := range s.vms {
			if !a.canSee(id) {
				continue
			}
			view.guests = append(view.guests, guestResource{
				vmid: id, typ: v.Type, node: v.Node, lock: v.Conf["lock"], tags: v.Conf["tags"], pool: v.Pool,
				stats: s.statsForLocked(v, view.now), // read-only once taken
			})
		}
	}
	return view
}

// answer is the list: guests by VMID, nodes, then each node's storages.
// The guests are written by appendJSON, the few nodes and storages as
// maps (nodeResource is GET /nodes' entry too).
func (v *resourcesView) answer(typ string) *resp {
	slices.SortFunc(v.guests, func(a, b guestResource) int { return cmp.Compare(a.vmid, b.vmid) })
	b := make([]byte, 0, 1024+256*len(v.guests))
	b = append(b, '[')
	next := func() {
		if len(b) > 1 {
			b = append(b, ',')
		}
	}
	for i := range v.guests {
		next()
		b = v.guests[i].appendJSON(b)
	}
	for _, e := range v.nodeAndStorageEntries(typ) {
		enc, err := marshalPVE(e)
		if err != nil {
			return err500("internal error: %v", err)
		}
		next()
		b = append(b, enc...)
	}
	return ok(encodedJSON(append(b, ']')))
}

// nodeAndStorageEntries are the answer's node and storage entries, after
// its guests, for typ "" (all), "node" or "storage".
func (v *resourcesView) nodeAndStorageEntries(typ string) []map[string]any {
	var entries []map[string]any
	if typ == "" || typ == "node" {
		for i, n := range v.nodes {
			entries = append(entries, nodeResource(i, n, v.offline[n], v.now))
		}
	}
	if typ == "" || typ == "storage" {
		used := sumVolumes(v.volumes)
		for _, n := range v.nodes {
			for i := range v.storages {
				if sd := &v.storages[i]; sd.onNode(n) {
					entries = append(entries, storageResource(sd, n, v.offline[n], used.on(sd, n)))
				}
			}
		}
	}
	return entries
}

// appendJSON writes the entry as encoding/json writes the map PVE's Perl
// hash would be: keys sorted, the statistics' fields only when there are
// statistics.
func (g *guestResource) appendJSON(b []byte) []byte {
	o := beginObject(b)
	st := g.stats
	var u *guestUsage
	if st != nil {
		u = &st.usage
		o.float("cpu", u.cpu)
		o.int("disk", u.disk)
		o.int("diskread", u.diskread)
		o.int("diskwrite", u.diskwr)
	}
	o.key("id") // "<type>/<vmid>"; the type is qemu or lxc, nothing to escape
	o.b = append(append(append(o.b, '"'), g.typ...), '/')
	o.b = append(strconv.AppendInt(o.b, int64(g.vmid), 10), '"')
	if g.lock != "" {
		o.str("lock", g.lock)
	}
	if st != nil {
		o.int("maxcpu", int64(u.cpus))
		o.int("maxdisk", u.maxdisk)
		o.int("maxmem", u.maxmem)
		o.int("mem", u.mem)
		o.str("name", st.name)
		o.int("netin", u.netin)
		o.int("netout", u.netout)
	}
	o.str("node", g.node)
	if g.pool != "" {
		o.str("pool", g.pool)
	}
	if st != nil {
		o.str("status", st.status)
	} else {
		o.str("status", "unknown")
	}
	if g.tags != "" {
		o.str("tags", g.tags)
	}
	if st != nil {
		o.int("template", int64(st.template))
	}
	o.str("type", g.typ)
	if st != nil {
		o.int("uptime", u.uptime)
	}
	o.int("vmid", int64(g.vmid))
	return o.end()
}

// nodeResource is a node's entry, in /cluster/resources and GET /nodes.
func nodeResource(i int, n string, offline bool, now time.Time) map[string]any {
	e := map[string]any{"id": "node/" + n, "type": "node", "node": n}
	if offline {
		e["status"] = "offline"
		return e
	}
	e["status"] = "online"
	e["level"] = ""
	e["maxcpu"] = 16
	e["maxmem"] = int64(64) << 30
	e["mem"] = int64(12) << 30
	e["maxdisk"] = int64(100) << 30
	e["disk"] = int64(9) << 30
	e["cpu"] = 0.031
	e["uptime"] = int64(now.Sub(bootTime).Seconds())
	e["ssl_fingerprint"] = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:" + fmt.Sprintf("%02X", i)
	return e
}

// storageResource is a storage's entry for one node that has it.
func storageResource(sd *storageDef, node string, offline bool, used int64) map[string]any {
	e := map[string]any{
		"id": "storage/" + node + "/" + sd.ID, "type": "storage", "storage": sd.ID, "node": node,
		"plugintype": sd.Type, "content": sd.Content, "shared": boolInt(sd.Shared),
	}
	if offline || sd.Missing {
		e["status"] = "unknown"
	} else {
		e["status"] = "available"
		e["maxdisk"] = sd.Total
		e["disk"] = used
	}
	return e
}
