package pvesim

func init() {
	addRoute("/nodes/{node}/lxc", map[string]handlerFunc{"GET": (*Server).listLXC})
	addRoute("/nodes/{node}/lxc/{vmid}/config", map[string]handlerFunc{"GET": (*Server).getLXCConfig})
	addRoute("/nodes/{node}/lxc/{vmid}/status/current", map[string]handlerFunc{"GET": (*Server).lxcStatusCurrent})
}

// Containers are inventory only: enough for name resolution and id clashes.

func (s *Server) listLXC(r *request) *resp {
	node := r.vars["node"]
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, id := range s.sortedVMIDs() {
		v := s.vms[id]
		if v.Node != node || v.Type != "lxc" || !r.auth.canSee(id) {
			continue
		}
		e := s.vmEntryLocked(v)
		e["type"] = "lxc"
		out = append(out, e)
	}
	return ok(out)
}

func (s *Server) getLXCConfig(r *request) *resp {
	vmid, res := pathVMID(r)
	if res != nil {
		return res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, res := s.guestLocked(r, vmid, "lxc", "VM.Audit")
	if res != nil {
		return res
	}
	return ok(typedConfig("lxc", v.Conf))
}

func (s *Server) lxcStatusCurrent(r *request) *resp {
	vmid, res := pathVMID(r)
	if res != nil {
		return res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, res := s.guestLocked(r, vmid, "lxc", "VM.Audit")
	if res != nil {
		return res
	}
	e := s.vmEntryLocked(v)
	e["type"] = "lxc"
	e["ha"] = map[string]any{"managed": 0}
	return ok(e)
}
