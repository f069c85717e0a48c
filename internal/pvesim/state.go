package pvesim

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// stateFile is the persisted cluster: guests, storages and finished tasks.
type stateFile struct {
	Version  int                   `json:"version"`
	Nodes    []string              `json:"nodes"`
	Storages []storageDef          `json:"storages"`
	VMs      []*vmState            `json:"vms"`
	Tasks    []*task               `json:"tasks"`
	Pools    map[string]*poolState `json:"pools,omitempty"`
	NextPID  int                   `json:"next_pid"`
}

// persistLocked saves the state if a path is configured. Callers hold s.mu.
// Errors are ignored here and reported by Close.
func (s *Server) persistLocked() {
	if s.opts.StatePath == "" {
		return
	}
	_ = s.saveStateLocked()
}

func (s *Server) saveStateLocked() error {
	st := stateFile{Version: 1, Nodes: s.nodes, Storages: s.storages, NextPID: s.nextPID, Pools: s.pools}
	for _, id := range s.sortedVMIDs() {
		st.VMs = append(st.VMs, s.vms[id])
	}
	for _, t := range s.taskList {
		if t.Status == "stopped" {
			st.Tasks = append(st.Tasks, t)
		}
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.opts.StatePath)
	tmp, err := os.CreateTemp(dir, ".pvesim-state-*")
	if err != nil {
		return err
	}
	// Gone after a successful rename; otherwise the temporary file is
	// cleaned up and the error that matters is returned below.
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close() // the write error is the one to report
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.opts.StatePath)
}

// loadState reads the state file; false when it does not exist.
func (s *Server) loadState() (bool, error) {
	b, err := os.ReadFile(s.opts.StatePath)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var st stateFile
	if err := json.Unmarshal(b, &st); err != nil {
		return false, fmt.Errorf("pvesim: state file %s: %w", s.opts.StatePath, err)
	}
	if len(st.Nodes) > 0 {
		s.nodes = mergeNodes(st.Nodes, s.nodes)
	}
	if len(st.Storages) > 0 {
		s.storages = st.Storages
	}
	s.pools = st.Pools
	for _, v := range st.VMs {
		if v.Conf == nil {
			v.Conf = map[string]string{}
		}
		if v.Type == "" {
			v.Type = "qemu"
		}
		s.vms[v.VMID] = v
	}
	sort.SliceStable(st.Tasks, func(i, j int) bool { return st.Tasks[i].StartTime < st.Tasks[j].StartTime })
	for _, t := range st.Tasks {
		t.stop = make(chan struct{})
		s.tasks[t.UPID] = t
		s.taskList = append(s.taskList, t)
	}
	if st.NextPID > s.nextPID {
		s.nextPID = st.NextPID
	}
	return true, nil
}
