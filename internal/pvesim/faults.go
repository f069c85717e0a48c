package pvesim

import (
	"strings"
	"time"
)

// Fault changes how the next matching requests are answered.
type Fault struct {
	Method string // "" = any
	// Path is a route pattern like "/nodes/{node}/qemu/{vmid}/config" or an
	// exact path below /api2/json; "" = any.
	Path              string
	Count             int // how many matching requests; 0 = 1
	Status            int
	Message           string        // respond with this status line/message instead of handling
	Delay             time.Duration // sleep before handling
	DropAfterHandling bool          // handle the request fully, then close the connection without answering
	// HoldAnswer handles the request fully, then holds the answer back
	// this long, or until the client goes away: a client killed meanwhile
	// never learns that Proxmox VE did what it asked.
	HoldAnswer time.Duration
	// Gather holds each matching request until Gather of them have
	// arrived, then lets them all through at once: concurrent clients then
	// all get past their checks before any of them changes the cluster.
	// A request waits at most gatherTimeout, then goes on alone.
	Gather int
}

// gatherTimeout bounds how long a gathered request waits for the others.
const gatherTimeout = 2 * time.Minute

type faultState struct {
	Fault
	left int
	// gathered is closed when Gather requests have arrived.
	gathered chan struct{}
	arrived  int
}

// InjectFault queues f; earlier faults match first.
func (s *Server) InjectFault(f Fault) {
	n := f.Count
	if n <= 0 {
		n = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, &faultState{Fault: f, left: n, gathered: make(chan struct{})})
	s.mu.Unlock()
}

// takeFault returns the first fault matching the request, and a channel to
// wait on before handling it (closed at once unless the fault gathers).
func (s *Server) takeFault(method, pattern, rel string) (*Fault, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Method != "" && !strings.EqualFold(f.Method, method) {
			continue
		}
		if f.Path != "" && f.Path != pattern && f.Path != rel {
			continue
		}
		f.left--
		if f.left <= 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		f.arrived++
		if f.arrived == max(f.Gather, 1) {
			close(f.gathered)
		}
		out := f.Fault
		return &out, f.gathered
	}
	return nil, nil
}

// FailTasks makes the next count tasks of taskType (e.g. "qmstart",
// "qmcreate", "qmdestroy") fail with message, undoing their effect.
func (s *Server) FailTasks(taskType string, count int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < count; i++ {
		s.failTask[taskType] = append(s.failTask[taskType], message)
	}
}

// SetNodeOffline simulates a dead node: its guests stay listed in
// /cluster/resources with status "unknown" and no name, and every
// /nodes/<node>/... call answers "595 No route to host" (pveproxy failing to
// reach the node).
func (s *Server) SetNodeOffline(node string, offline bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if offline {
		s.offline[node] = true
	} else {
		delete(s.offline, node)
	}
}

// ClearFaults drops injected faults, queued task failures and offline nodes.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
	s.failTask = map[string][]string{}
	s.offline = map[string]bool{}
}

// RequestCounts returns request counts keyed by METHOD + " " + pattern,
// e.g. "GET /nodes/{node}/qemu/{vmid}/config".
func (s *Server) RequestCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// ResetRequestCounts zeroes all counters.
func (s *Server) ResetRequestCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
	s.total = 0
	s.reqLog = requestLog{}
}

// TotalRequests is the number of requests since start or the last reset.
func (s *Server) TotalRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}
