package pvesim

import "time"

// readView copies what a large read needs under s.mu and returns a Server
// that only holds those copies, so that building and encoding the answer
// (a 10,000-VM /cluster/resources) runs without s.mu and other requests
// and tasks go on meanwhile. Only guests the caller may see are copied.
// The view must only be read: it has no tasks, tokens or listener.
func (s *Server) readView(a *authInfo, withVMs bool) *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	view := &Server{
		opts:     s.opts,
		version:  s.version,
		nodes:    append([]string(nil), s.nodes...),
		offline:  make(map[string]bool, len(s.offline)),
		vms:      make(map[int]*vmState, len(s.vms)),
		storages: append([]storageDef(nil), s.storages...),
	}
	for n, off := range s.offline {
		view.offline[n] = off
	}
	now := time.Now()
	s.pruneStatsLocked()
	view.stats = make(map[int]*vmStats, len(s.vms))
	for id, v := range s.vms {
		if !withVMs {
			break // a node or storage list: no guest to copy while s.mu is held
		}
		if !a.canSee(id) {
			continue
		}
		view.stats[id] = s.statsForLocked(v, now) // read-only once taken
		c := *v
		// The list reads only these of the config; copying each whole
		// config held s.mu for most of a 10,000-VM read.
		c.Conf = map[string]string{}
		for _, k := range []string{"lock", "tags"} {
			if val, has := v.Conf[k]; has {
				c.Conf[k] = val
			}
		}
		c.Pending, c.PendingDelete = nil, nil // not read by list views
		view.vms[id] = &c
	}
	return view
}
