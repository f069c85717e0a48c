package pvesim

import (
	"maps"
	"slices"
	"strconv"
)

// requestLogLimit bounds the request log; the oldest entries go first.
const requestLogLimit = 20000

// LoggedRequest is one API request as it arrived, for tests that assert
// the order of a provider's requests.
type LoggedRequest struct {
	Method  string // GET, POST, PUT, DELETE
	Pattern string // the route, e.g. /nodes/{node}/qemu/{vmid}/config
	Path    string // the path below /api2/json, e.g. /nodes/pve/qemu/100/status/start
	Node    string // the path's node, "" when it has none
	VMID    int    // the path's vmid, 0 when it has none
	// Params are the names of the request's parameters, sorted (never
	// their values: a password must not reach a test log), with the keys
	// a config update deletes as "delete=<keys>".
	Params []string
}

// requestLog keeps API requests in arrival order (under Server.mu).
type requestLog struct {
	entries []LoggedRequest
}

func (l *requestLog) add(method, pattern, path string, vars, params map[string]string) {
	vmid, _ := strconv.Atoi(vars["vmid"])
	if len(l.entries) >= requestLogLimit {
		l.entries = append(l.entries[:0], l.entries[len(l.entries)-requestLogLimit/2:]...)
	}
	names := slices.Sorted(maps.Keys(params))
	for i, name := range names {
		if name == "delete" {
			names[i] = "delete=" + params[name]
		}
	}
	l.entries = append(l.entries, LoggedRequest{Method: method, Pattern: pattern, Path: path, Node: vars["node"], VMID: vmid, Params: names})
}

// RequestLog returns the API requests since start or the last
// ResetRequestCounts, in arrival order (the last 20,000 at most).
func (s *Server) RequestLog() []LoggedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]LoggedRequest(nil), s.reqLog.entries...)
}

// countRequest counts a request and logs it.
func (s *Server) countRequest(method, pattern, path string, vars, params map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[method+" "+pattern]++
	s.total++
	s.reqLog.add(method, pattern, path, vars, params)
}
