package pvesim

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestRecycledVMIDShowsPredecessorStats: the statistics are keyed by VMID
// alone (pve-manager API2Tools.pm extract_vm_stats reads
// "pve2.3-vm/<vmid>" from rrd_dump) and pmxcfs keeps an entry until it
// is 5 minutes old (pve-cluster src/pmxcfs/status.c rrd_entry_is_old), so a
// VM created on a destroyed VM's id shows the destroyed VM's name, status
// and template in /cluster/resources until pvestatd writes its own.
func TestRecycledVMIDShowsPredecessorStats(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true, StatsLag: time.Hour})
	if err := s.AddVM(VM{VMID: 100, Name: "old-web", Status: "running",
		CreatedAt: time.Now().Add(-2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	tok := s.Token()
	for _, step := range []struct{ method, path string }{
		{"POST", "/nodes/pve/qemu/100/status/stop"}, {"DELETE", "/nodes/pve/qemu/100"},
	} {
		st, b := call(t, s, step.method, step.path, tok, nil)
		if st != "200 OK" || waitUPID(t, s, b) != "OK" {
			t.Fatal(step, st, b)
		}
	}
	st, b := call(t, s, "POST", "/nodes/pve/qemu", tok, url.Values{"vmid": {"100"}, "name": {"new-db"}, "memory": {"1024"}})
	if st != "200 OK" || waitUPID(t, s, b) != "OK" {
		t.Fatal(st, b)
	}
	st, b = call(t, s, "GET", "/cluster/resources?type=vm", tok, nil)
	if st != "200 OK" || !strings.Contains(b, `"name":"old-web"`) || !strings.Contains(b, `"id":"qemu/100"`) || strings.Contains(b, "new-db") {
		t.Fatalf("resources after the VMID was reused: %s %s", st, b)
	}
	// The node's list reads the config: the new VM's name.
	if _, b := call(t, s, "GET", "/nodes/pve/qemu", tok, nil); !strings.Contains(b, `"name":"new-db"`) {
		t.Fatalf("node list: %s", b)
	}
	if name, _, _, ok := s.VMStats(100); !ok || name != "old-web" {
		t.Fatalf("VMStats = %q %v", name, ok)
	}
}
