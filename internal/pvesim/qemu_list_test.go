package pvesim

import (
	"encoding/json"
	"testing"
	"time"
)

// TestNodeListIsVMStatus: GET /nodes/{node}/qemu answers what qemu-server
// PVE/QemuServer.pm vmstatus builds from each config, live: the name or
// the stand-in "VM <vmid>", status from the QEMU pid, template only for a
// template, lock only when set, tags whenever the key is defined, and
// qmpstatus only when full=1 asks QMP (then for every VM).
func TestNodeListIsVMStatus(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true, Nodes: []string{"pve", "pve2"}, StatsLag: time.Hour})
	for _, vm := range []VM{
		{VMID: 100, Name: "web", Status: "running", Config: map[string]string{"tags": "a;b"}},
		{VMID: 101, Lock: "create"},
		{VMID: 102, Name: "tmpl", Template: true},
		{VMID: 103, Name: "elsewhere", Node: "pve2"},
		{VMID: 104, Name: "ct", Type: "lxc"},
	} {
		if err := s.AddVM(vm); err != nil {
			t.Fatal(err)
		}
	}
	list := func(path string) map[int]map[string]any {
		t.Helper()
		st, b := call(t, s, "GET", path, s.Token(), nil)
		if st != "200 OK" {
			t.Fatal(path, st, b)
		}
		var env struct{ Data []map[string]any }
		if err := json.Unmarshal([]byte(b), &env); err != nil {
			t.Fatal(err)
		}
		out := map[int]map[string]any{}
		for _, e := range env.Data {
			out[int(e["vmid"].(float64))] = e
		}
		return out
	}
	got := list("/nodes/pve/qemu")
	if len(got) != 3 {
		t.Fatalf("pve lists %d VMs, want its 3 QEMU VMs: %v", len(got), got)
	}
	for vmid, want := range map[int]map[string]any{
		100: {"name": "web", "status": "running", "tags": "a;b", "template": nil, "lock": nil, "qmpstatus": nil},
		101: {"name": "VM 101", "status": "stopped", "lock": "create", "tags": nil, "template": nil},
		102: {"name": "tmpl", "status": "stopped", "template": float64(1), "lock": nil},
	} {
		for key, value := range want {
			if got[vmid][key] != value {
				t.Errorf("VM %d: %s = %v, want %v", vmid, key, got[vmid][key], value)
			}
		}
	}
	full := list("/nodes/pve/qemu?full=1")
	if full[100]["qmpstatus"] != "running" || full[102]["qmpstatus"] != "stopped" {
		t.Errorf("full=1: qmpstatus %v and %v, want running and stopped", full[100]["qmpstatus"], full[102]["qmpstatus"])
	}
}
