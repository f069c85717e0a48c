package pvesim

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestStatsStaleAtAnyTime: /cluster/resources takes name, status and
// template from statistics that may be StatsRefresh old at any moment, not
// only after a create (pve-manager API2/Cluster.pm resources,
// API2Tools.pm extract_vm_stats); lock and tags are read live, and so is
// the node's own list.
func TestStatsStaleAtAnyTime(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true, StatsRefresh: time.Hour})
	if err := s.AddVM(VM{VMID: 100, Name: "web", Config: map[string]string{"tags": "a"}}); err != nil {
		t.Fatal(err)
	}
	tok := s.Token()
	const before = `{"data":[{"cpu":0,"disk":0,"diskread":0,"diskwrite":0,"id":"qemu/100","maxcpu":1,"maxdisk":0,"maxmem":536870912,"mem":0,"name":"web","netin":0,"netout":0,"node":"pve","status":"stopped","tags":"a","template":0,"type":"qemu","uptime":0,"vmid":100}]}`
	st, b := call(t, s, "GET", "/cluster/resources?type=vm", tok, nil)
	expect(t, st, b, "200 OK", before)

	ctx := ctxT(t)
	c := tokenClient(t, s, tok)
	node, err := c.Node(ctx, "pve")
	if err != nil {
		t.Fatal(err)
	}
	vm, err := node.VirtualMachine(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	task, err := vm.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	st, b = call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{"name": {"web-renamed"}, "tags": {"b"}})
	expect(t, st, b, "200 OK", `{"data":null}`)

	// Status and name are the old statistics; the tags are live.
	st, b = call(t, s, "GET", "/cluster/resources?type=vm", tok, nil)
	expect(t, st, b, "200 OK", strings.Replace(before, `"tags":"a"`, `"tags":"b"`, 1))
	cl, err := c.Cluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := cl.Resources(ctx, "vm")
	if err != nil || len(rs) != 1 || rs[0].Name != "web" || rs[0].Status != "stopped" || rs[0].Tags != "b" {
		t.Fatalf("typed resources = %+v, %v", rs, err)
	}
	// The node's list reads the config and the process: live.
	vms, err := node.VirtualMachines(ctx)
	if err != nil || len(vms) != 1 || vms[0].Name != "web-renamed" || vms[0].Status != "running" {
		t.Fatalf("node list = %+v, %v", vms, err)
	}
	if name, status, template, ok := s.VMStats(100); !ok || name != "web" || status != "stopped" || template {
		t.Fatalf("VMStats = %q %q %v %v", name, status, template, ok)
	}
}

// TestStatsRefreshCatchesUp: once StatsRefresh has passed, the statistics
// are retaken and show the change, a template conversion included (polled
// with a generous bound, never a tight sleep).
func TestStatsRefreshCatchesUp(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true, StatsRefresh: 200 * time.Millisecond})
	if err := s.AddVM(VM{VMID: 100, Name: "web"}); err != nil {
		t.Fatal(err)
	}
	if _, _, template, ok := s.VMStats(100); !ok || template {
		t.Fatal("first statistics")
	}
	if err := s.SetVMConfig(100, "template", "1"); err != nil {
		t.Fatal(err)
	}
	if _, _, template, _ := s.VMStats(100); template {
		t.Fatal("template conversion visible before the statistics were retaken")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx := ctxT(t)
		rs, err := tokenClient(t, s, s.Token()).Cluster(ctx)
		if err != nil {
			t.Fatal(err)
		}
		res, err := rs.Resources(ctx, "vm")
		if err != nil {
			t.Fatal(err)
		}
		if len(res) == 1 && res[0].Template == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("template never showed: %+v", res)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
