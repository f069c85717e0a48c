package pvesim

import "time"

func init() {
	addRoute("/nodes/{node}/lxc", map[string]handlerFunc{"GET": (*Server).listLXC})
	addRoute("/nodes/{node}/lxc/{vmid}/config", map[string]handlerFunc{"GET": (*Server).getLXCConfig})
	addRoute("/nodes/{node}/lxc/{vmid}/status/current", map[string]handlerFunc{"GET": (*Server).lxcStatusCurrent})
}

// Containers are inventory only: enough for name resolution and id clashes.

func (s *Server) listLXC(r *request) *resp {
	return s.listGuests(r, "lxc", guestListFields{typ: "lxc"})
}

func (s *Server) getLXCConfig(r *request) *resp {
	return s.withGuest(r, "lxc", "VM.Audit", func(v *vmState) *resp {
		return ok(typedConfig("lxc", v.Conf))
	})
}

func (s *Server) lxcStatusCurrent(r *request) *resp {
	return s.withGuest(r, "lxc", "VM.Audit", func(v *vmState) *resp {
		e := s.vmEntryLocked(v, time.Now())
		e["type"] = "lxc"
		e["ha"] = map[string]any{"managed": 0}
		return ok(e)
	})
}
