package provider

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

func TestNameBookLookup(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	entry := func(vmid int, node, typ string) pve.InventoryVM {
		return pve.InventoryVM{VMID: vmid, Node: node, Type: typ}
	}
	tests := []struct {
		name     string
		setup    func(b *nameBook)
		at       time.Duration // after t0
		vm       pve.InventoryVM
		wantName string
		wantOK   bool
	}{
		{"unknown VMID", func(*nameBook) {}, 0, entry(100, "pve", "qemu"), "", false},
		{"own VM while its create task runs", func(b *nameBook) { startCreate(b, "web") },
			time.Hour, entry(100, "pve", "qemu"), "web", true},
		{"own VM within a stats cycle of its create's end", func(b *nameBook) {
			startCreate(b, "web")
			b.createEnded(100)
		}, statsCycle, entry(100, "pve", "qemu"), "web", true},
		{"own VM a stats cycle after its create's end", func(b *nameBook) {
			startCreate(b, "web")
			b.createEnded(100)
		}, statsCycle + time.Second, entry(100, "pve", "qemu"), "", false},
		{"own VM now on another node", func(b *nameBook) { startCreate(b, "web") },
			0, entry(100, "pve2", "qemu"), "", false},
		{"own VMID now a container", func(b *nameBook) { startCreate(b, "web") },
			0, entry(100, "pve", "lxc"), "", false},
		{"refused create request", func(b *nameBook) {
			b.createRequested(100, "pve", "web")
			b.createAnswered(100, false)
		}, 0, entry(100, "pve", "qemu"), "", false},
		{"forgotten after a failed create", func(b *nameBook) {
			startCreate(b, "web")
			b.forget(100)
		}, 0, entry(100, "pve", "qemu"), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0
			b := newNameBook()
			b.now = func() time.Time { return now }
			tt.setup(b)
			now = t0.Add(tt.at)
			name, ok := b.lookup(tt.vm)
			if name != tt.wantName || ok != tt.wantOK {
				t.Errorf("lookup = %q, %v; want %q, %v", name, ok, tt.wantName, tt.wantOK)
			}
		})
	}
}

// TestInventoryCacheSharesReads: callers that ask while a read is under way
// share the next one instead of starting one each, and every caller gets a
// read that started after it asked.
func TestInventoryCacheSharesReads(t *testing.T) {
	// The injected latency keeps the first read under way while the other
	// callers ask.
	sim, client := testCluster(t, pvesim.Options{Latency: time.Second})
	cache := newInventoryCache(client)
	ctx := context.Background()

	const callers = 10
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			asked := time.Now()
			view, err := cache.fresh(ctx)
			switch {
			case err != nil:
				errs <- err
			case view.readAt.Before(asked):
				errs <- fmt.Errorf("got a read started at %s for a call at %s", view.readAt, asked)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := sim.RequestCounts()["GET /cluster/resources"]; n > 2 {
		t.Errorf("%d callers made %d cluster reads, want at most 2", callers, n)
	}
}

// TestInventoryCacheReadsLiveNames: a cluster read names every VM from its
// node's list, whatever the statistics show (none for a fresh VM, the
// predecessor's for a recycled VMID), at one request per node and read, and
// never reads a VM's config; our own VM is named by the book while PVE
// still creates it.
func TestInventoryCacheReadsLiveNames(t *testing.T) {
	sim, client := testCluster(t, pvesim.Options{StatsLag: time.Hour})
	ctx := context.Background()
	if err := sim.AddVM(pvesim.VM{VMID: 102, Node: "pve", Name: "old-tenant", CreatedAt: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, ok := sim.VMStats(102); !ok {
		t.Fatal("the predecessor has no statistics")
	}
	sim.RemoveVM(102)
	now := time.Now()
	for _, vm := range []pvesim.VM{
		{VMID: 100, Node: "pve", Lock: "create", CreatedAt: now},
		{VMID: 101, Node: "pve", Name: "stranger", CreatedAt: now},
		{VMID: 102, Node: "pve", Name: "new-tenant", CreatedAt: now},
	} {
		if err := sim.AddVM(vm); err != nil {
			t.Fatal(err)
		}
	}
	cache := newInventoryCache(client)
	startCreate(cache.names, "ours")
	sim.ResetRequestCounts()
	const reads = 3
	for i := 0; i < reads; i++ {
		cache.invalidate()
		view, err := cache.fresh(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for id, want := range map[int]string{100: "ours", 101: "stranger", 102: "new-tenant"} {
			if vm, _ := view.find(id); !vm.NameKnown || vm.Name != want {
				t.Errorf("read %d: VM %d is %+v, want the name %q", i, id, vm, want)
			}
		}
		if len(view.unresolved) != 0 || len(view.pendingCreations(0)) != 0 {
			t.Errorf("read %d: unresolved %v, pending %v", i, view.unresolved, view.pendingCreations(0))
		}
	}
	counts := sim.RequestCounts()
	if counts["GET /nodes/{node}/qemu"] != reads || counts["GET /nodes/{node}/qemu/{vmid}/config"] != 0 {
		t.Errorf("%d cluster reads: %v, want one node list each and no config read", reads, counts)
	}
}

func testCluster(t *testing.T, opts pvesim.Options) (*pvesim.Server, *pve.Client) {
	t.Helper()
	opts.PlainHTTP = true
	sim, err := pvesim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	client, err := pve.NewClient(context.Background(), pve.Config{
		Endpoint: sim.URL(), APIToken: sim.Token(), RequestTimeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	return sim, client
}

// startCreate records an accepted create request of VM 100 on node pve.
func startCreate(b *nameBook, name string) {
	b.createRequested(100, "pve", name)
	b.createAnswered(100, true)
}

// A read that meets our VM before PVE answered our create request waits for
// the answer instead of looking the VM up.
func TestNameBookWaitsForTheAnswer(t *testing.T) {
	b := newNameBook()
	b.createRequested(100, "pve", "web")
	go func() {
		time.Sleep(50 * time.Millisecond)
		b.createAnswered(100, true)
	}()
	if name, ok := b.lookup(pve.InventoryVM{VMID: 100, Node: "pve", Type: "qemu"}); name != "web" || !ok {
		t.Errorf("lookup = %q, %v; want web, true", name, ok)
	}
}
