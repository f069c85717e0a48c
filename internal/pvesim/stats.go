package pvesim

import "time"

// vmStats is one guest's entry in the statistics /cluster/resources reads
// (pve-manager API2/Cluster.pm resources -> API2Tools.pm extract_vm_stats
// over PVE::Cluster::rrd_dump): pvestatd writes uptime, name, status,
// template and the usage figures about every 10 s, so at any moment they
// may be that old. Only id, vmid, node and type (the vmlist), lock and tags
// (get_guest_config_properties), pool and hastate are live.
type vmStats struct {
	taken    time.Time
	name     string
	status   string
	template int
	usage    guestUsage // maxcpu (cpus), cpu, maxmem, mem, maxdisk, disk, net*, disk*, uptime; no pid
	// goneAt is when the guest was removed: pvestatd stops updating the
	// entry, which pmxcfs keeps until it is 5 minutes old.
	goneAt time.Time
}

// rrdExpire is pve-cluster src/pmxcfs/status.c rrd_entry_is_old: cfs_rrd_dump
// drops entries not updated for 5 minutes.
const rrdExpire = 5 * time.Minute

// statsForLocked is the statistics entry of v as a reader sees it now, or
// nil while there is none (extract_vm_stats then gives status "unknown" and
// no name, template or usage):
//   - a guest created less than StatsLag ago has none of its own yet; if
//     its VMID was used before, the removed guest's entry (name, status,
//     template, usage) is still there until it is 5 minutes old: the RRD
//     is keyed by VMID alone (API2Tools.pm extract_vm_stats,
//     "pve2.3-vm/<vmid>"; status.c rrd_entry_is_old);
//   - a guest on an offline node has none the reader can use;
//   - otherwise the entry is retaken once it is StatsRefresh old, so a
//     start, stop, rename, clone or template conversion shows in
//     /cluster/resources up to StatsRefresh late (0: at once).
//
// Callers hold s.mu.
func (s *Server) statsForLocked(v *vmState, now time.Time) *vmStats {
	if s.offline[v.Node] {
		return nil
	}
	if now.Sub(v.CreatedAt) < s.opts.StatsLag {
		if old := s.stats[v.VMID]; old != nil && old.taken.Before(v.CreatedAt) && !old.goneAt.IsZero() && now.Sub(old.goneAt) <= rrdExpire {
			return old // the predecessor's statistics
		}
		return nil
	}
	if st := s.stats[v.VMID]; st != nil && now.Sub(st.taken) < s.opts.StatsRefresh {
		return st
	}
	st := &vmStats{taken: now, name: v.name(), status: v.status(), template: boolInt(v.Conf["template"] == "1"), usage: s.vmStatsLocked(v, now)}
	if s.stats == nil {
		s.stats = map[int]*vmStats{}
	}
	s.stats[v.VMID] = st
	return st
}

// statsGoneLocked is called as guest v is removed: pvestatd's last update
// (taken now if nobody read one since the guest's first) stays behind.
// Callers hold s.mu, before deleting v.
func (s *Server) statsGoneLocked(v *vmState) {
	now := time.Now()
	if st := s.statsForLocked(v, now); st != nil && st.taken.After(v.CreatedAt) {
		st.goneAt = now
	}
}

// pruneStatsLocked drops the entries that cfs_rrd_dump would: those of
// guests gone for more than 5 minutes.
func (s *Server) pruneStatsLocked() {
	now := time.Now()
	for id, st := range s.stats {
		if s.vms[id] == nil && st.goneAt.IsZero() {
			st.goneAt = now // removed without statsGoneLocked
		}
		if !st.goneAt.IsZero() && now.Sub(st.goneAt) > rrdExpire {
			delete(s.stats, id)
		}
	}
}

// VMStats is what /cluster/resources shows from the statistics for one
// guest right now: ok is false while it has none (fresh guest, offline
// node). Reading it counts as a read: a stale entry is retaken.
func (s *Server) VMStats(vmid int) (name, status string, template bool, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vms[vmid]
	if v == nil {
		return "", "", false, false
	}
	st := s.statsForLocked(v, time.Now())
	if st == nil {
		return "", "", false, false
	}
	return st.name, st.status, st.template == 1, true
}
