package pvesim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The lab API lives under /_sim/, a path pveproxy does not serve, so tools
// outside this process can script faults and read counters. It takes the
// same API token or ticket as /api2/json; its calls are not counted.
//
//	GET    /_sim/counters  {"data":{"total":N,"requests":{"GET /cluster/resources":N,...}}}
//	DELETE /_sim/counters  zero them
//	GET    /_sim/faults    what is queued, offline and broken
//	POST   /_sim/faults    apply a LabFaults document (JSON body, as for -faults)
//	DELETE /_sim/faults    clear queued faults and task failures, bring nodes
//	                       online, repair storages broken through the lab
//	GET    /_sim/version   {"data":{"version":"9.2","known":["8.2","9.2"]}}
//	PUT    /_sim/version   pose as another release: {"version":"8.2"}
const adminPrefix = "/_sim/"

// LabFaults is the document POST /_sim/faults and the -faults flag take.
type LabFaults struct {
	Requests []RequestFault `json:"requests,omitempty"`
	Tasks    []TaskFault    `json:"tasks,omitempty"`
	// OfflineNodes answer 595 No route to host (SetNodeOffline).
	OfflineNodes []string `json:"offline_nodes,omitempty"`
	OnlineNodes  []string `json:"online_nodes,omitempty"`
	// BrokenStorages become unusable like the incident's missing pool.
	BrokenStorages   []string `json:"broken_storages,omitempty"`
	RepairedStorages []string `json:"repaired_storages,omitempty"`
}

// RequestFault is a Fault in JSON: delay as a Go duration ("2s").
type RequestFault struct {
	Method            string `json:"method,omitempty"`
	Path              string `json:"path,omitempty"` // route pattern or exact path below /api2/json
	Count             int    `json:"count,omitempty"`
	Status            int    `json:"status,omitempty"`
	Message           string `json:"message,omitempty"`
	Delay             string `json:"delay,omitempty"`
	DropAfterHandling bool   `json:"drop_after_handling,omitempty"`
}

// TaskFault fails the next Count tasks of Type (FailTasks).
type TaskFault struct {
	Type    string `json:"type"`
	Count   int    `json:"count,omitempty"` // 0 = 1
	Message string `json:"message"`
}

// ParseLabFaults reads a LabFaults document, refusing unknown fields.
func ParseLabFaults(b []byte) (LabFaults, error) {
	var f LabFaults
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return LabFaults{}, fmt.Errorf("pvesim: faults document: %w", err)
	}
	return f, nil
}

// ApplyLabFaults checks the whole document, then applies it.
func (s *Server) ApplyLabFaults(f LabFaults) error {
	faults := make([]Fault, 0, len(f.Requests))
	for i, rf := range f.Requests {
		var d time.Duration
		if rf.Delay != "" {
			var err error
			if d, err = time.ParseDuration(rf.Delay); err != nil || d < 0 {
				return fmt.Errorf("pvesim: requests[%d].delay %q: not a duration like \"2s\"", i, rf.Delay)
			}
		}
		if rf.Status != 0 && (rf.Status < 100 || rf.Status > 999) {
			return fmt.Errorf("pvesim: requests[%d].status %d is not an HTTP status", i, rf.Status)
		}
		if rf.Status == 0 && d == 0 && !rf.DropAfterHandling {
			return fmt.Errorf("pvesim: requests[%d] does nothing: set status, delay or drop_after_handling", i)
		}
		faults = append(faults, Fault{Method: rf.Method, Path: rf.Path, Count: rf.Count, Status: rf.Status,
			Message: rf.Message, Delay: d, DropAfterHandling: rf.DropAfterHandling})
	}
	for i, tf := range f.Tasks {
		if tf.Type == "" || tf.Message == "" {
			return fmt.Errorf("pvesim: tasks[%d] needs type (e.g. qmstart) and message", i)
		}
	}
	s.mu.Lock()
	for _, n := range append(slices.Clone(f.OfflineNodes), f.OnlineNodes...) {
		if !s.nodeKnown(n) {
			s.mu.Unlock()
			return fmt.Errorf("pvesim: no node %q", n)
		}
	}
	for _, id := range append(slices.Clone(f.BrokenStorages), f.RepairedStorages...) {
		if s.storageLocked(id) == nil {
			s.mu.Unlock()
			return fmt.Errorf("pvesim: no storage %q", id)
		}
	}
	s.mu.Unlock()

	for _, fault := range faults {
		s.InjectFault(fault)
	}
	for _, tf := range f.Tasks {
		n := tf.Count
		if n <= 0 {
			n = 1
		}
		s.FailTasks(tf.Type, n, tf.Message)
	}
	for _, n := range f.OfflineNodes {
		s.SetNodeOffline(n, true)
	}
	for _, n := range f.OnlineNodes {
		s.SetNodeOffline(n, false)
	}
	for _, id := range f.BrokenStorages {
		_ = s.SetStorageBroken(id, true) // checked above
	}
	for _, id := range f.RepairedStorages {
		_ = s.SetStorageBroken(id, false)
	}
	return nil
}

// SetStorageBroken makes a storage unusable (listed inactive, every volume
// operation fails as on the incident's missing pool) or usable again.
func (s *Server) SetStorageBroken(id string, broken bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sd := s.storageLocked(id)
	if sd == nil {
		return fmt.Errorf("pvesim: no storage %q", id)
	}
	sd.Missing = broken
	if s.labBroken == nil {
		s.labBroken = map[string]bool{}
	}
	if broken {
		s.labBroken[id] = true
	} else {
		delete(s.labBroken, id)
	}
	s.persistLocked()
	return nil
}

func (s *Server) labState() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	reqs := []RequestFault{}
	for _, f := range s.faults {
		rf := RequestFault{Method: f.Method, Path: f.Path, Count: f.left, Status: f.Status, Message: f.Message,
			DropAfterHandling: f.DropAfterHandling}
		if f.Delay > 0 {
			rf.Delay = f.Delay.String()
		}
		reqs = append(reqs, rf)
	}
	tasks := []TaskFault{}
	for _, typ := range sortedKeys(s.failTask) {
		for _, msg := range s.failTask[typ] {
			tasks = append(tasks, TaskFault{Type: typ, Count: 1, Message: msg})
		}
	}
	offline := []string{}
	for _, n := range s.nodes {
		if s.offline[n] {
			offline = append(offline, n)
		}
	}
	broken := []string{}
	for _, sd := range s.storages {
		if sd.Missing {
			broken = append(broken, sd.ID)
		}
	}
	slices.Sort(broken)
	return map[string]any{"requests": reqs, "tasks": tasks, "offline_nodes": offline, "broken_storages": broken}
}

// serveAdmin answers /_sim/ with PVE's envelope and error style.
func (s *Server) serveAdmin(w http.ResponseWriter, hr *http.Request) {
	if _, res := s.authenticate(hr); res != nil {
		s.write(w, res, false)
		return
	}
	path := strings.TrimRight(strings.TrimPrefix(hr.URL.Path, adminPrefix), "/")
	var res *resp
	switch hr.Method + " " + path {
	case "GET counters":
		res = ok(map[string]any{"total": s.TotalRequests(), "requests": s.RequestCounts()})
	case "DELETE counters":
		s.ResetRequestCounts()
		res = ok(nil)
	case "GET faults":
		res = ok(s.labState())
	case "POST faults":
		body, err := io.ReadAll(io.LimitReader(hr.Body, 1<<20))
		if err != nil {
			res = errResp(400, "unable to read request body: %v", err)
			break
		}
		f, err := ParseLabFaults(body)
		if err == nil {
			err = s.ApplyLabFaults(f)
		}
		if err != nil {
			res = errResp(400, "%s", err.Error())
			break
		}
		res = ok(s.labState())
	case "DELETE faults":
		s.ClearFaults()
		s.mu.Lock()
		repair := sortedKeys(s.labBroken)
		s.mu.Unlock()
		for _, id := range repair {
			_ = s.SetStorageBroken(id, false) // it exists: it was broken through the lab
		}
		res = ok(nil)
	case "GET version":
		res = ok(map[string]any{"version": s.PVEVersion(), "known": PVEVersions()})
	case "PUT version":
		var doc struct {
			Version string `json:"version"`
		}
		dec := json.NewDecoder(io.LimitReader(hr.Body, 1<<16))
		dec.DisallowUnknownFields()
		err := dec.Decode(&doc)
		if err == nil {
			err = s.SetPVEVersion(doc.Version)
		}
		if err != nil {
			res = errResp(400, "%s", err.Error())
			break
		}
		res = ok(map[string]any{"version": s.PVEVersion(), "known": PVEVersions()})
	default:
		res = errResp(501, "Method '%s %s' not implemented", hr.Method, hr.URL.Path)
	}
	s.write(w, res, false)
}
