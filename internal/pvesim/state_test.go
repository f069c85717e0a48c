package pvesim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStateRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s, err := New(Options{Scenario: "incident", StatePath: path, PlainHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	node, _ := c.Node(ctx, "pve")
	task, err := node.NewVirtualMachine(ctx, 777)
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if err := s.SetVMConfig(777, "name", "persisted"); err != nil {
		t.Fatal(err)
	}
	want, _ := s.VM(777)
	// Saved on change, not only on Close.
	b, err := os.ReadFile(path)
	if err != nil || !json.Valid(b) {
		t.Fatalf("state file: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("leftover temp files: %v", entries)
	}

	// Reload: the state wins over the scenario seed.
	s2 := startSim(t, Options{Scenario: "incident", StatePath: path, PlainHTTP: true})
	got, found := s2.VM(777)
	if !found || got.Name != "persisted" || got.UUID != want.UUID || got.CTime != want.CTime {
		t.Fatalf("reloaded = %+v, want %+v", got, want)
	}
	if len(s2.VMs()) != 16 {
		t.Fatalf("%d VMs after reload", len(s2.VMs()))
	}
	// The task history survives too.
	st, _ := call(t, s2, "GET", "/nodes/pve/tasks/"+string(task.UPID)+"/status", s2.Token(), nil)
	if st != "200 OK" {
		t.Fatal(st)
	}
	// The broken storage too.
	_, body := call(t, s2, "GET", "/nodes/pve/storage", s2.Token(), nil)
	if !json.Valid([]byte(body)) || !strings.Contains(body, `"storage":"downloads"`) {
		t.Fatal(body)
	}
}
