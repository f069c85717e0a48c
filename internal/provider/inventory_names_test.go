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
		{"looked-up name within a stats cycle", func(b *nameBook) {
			b.learn([]pve.InventoryVM{{VMID: 200, Node: "pve", Type: "qemu", Name: "db", NameKnown: true}}, map[int]bool{200: true}, t0)
		}, statsCycle, entry(200, "pve", "qemu"), "db", true},
		{"looked-up name after a stats cycle", func(b *nameBook) {
			b.learn([]pve.InventoryVM{{VMID: 200, Node: "pve", Type: "qemu", Name: "db", NameKnown: true}}, map[int]bool{200: true}, t0)
		}, statsCycle + time.Second, entry(200, "pve", "qemu"), "", false},
		{"an empty name (still being created) is not remembered", func(b *nameBook) {
			b.learn([]pve.InventoryVM{{VMID: 200, Node: "pve", Type: "qemu", NameKnown: true}}, map[int]bool{200: true}, t0)
		}, 0, entry(200, "pve", "qemu"), "", false},
		{"looked-up VMID listed with other tags (another VM's create marker)", func(b *nameBook) {
			b.learn([]pve.InventoryVM{{VMID: 200, Node: "pve", Type: "qemu", Name: "db", NameKnown: true,
				Tags: []string{"proxmoxsafe-creating.1900000000.7.host-a"}}}, map[int]bool{200: true}, t0)
		}, 0, pve.InventoryVM{VMID: 200, Node: "pve", Type: "qemu", Tags: []string{"proxmoxsafe-creating.1900000000.8.host-b"}}, "", false},
		{"looked-up VMID listed with another lock", func(b *nameBook) {
			b.learn([]pve.InventoryVM{{VMID: 200, Node: "pve", Type: "qemu", Name: "db", NameKnown: true}}, map[int]bool{200: true}, t0)
		}, 0, pve.InventoryVM{VMID: 200, Node: "pve", Type: "qemu", Lock: "create"}, "", false},
		{"looked-up VMID missing from a later read", func(b *nameBook) {
			b.learn([]pve.InventoryVM{{VMID: 200, Node: "pve", Type: "qemu", Name: "db", NameKnown: true}}, map[int]bool{200: true}, t0)
			b.learn([]pve.InventoryVM{{VMID: 300, Node: "pve", Type: "qemu", Name: "x", NameKnown: true}}, map[int]bool{}, t0)
		}, 0, entry(200, "pve", "qemu"), "", false},
		{"names the list had are not remembered", func(b *nameBook) {
			b.learn([]pve.InventoryVM{{VMID: 200, Node: "pve", Type: "qemu", Name: "db", NameKnown: true}}, map[int]bool{}, t0)
		}, 0, entry(200, "pve", "qemu"), "", false},
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

// TestInventoryCacheNeverLooksUpOwnVMs: a VM this process created is not
// looked up while the list has no name for it; a stranger's VM is looked up
// once per stats cycle, not once per read.
func TestInventoryCacheNeverLooksUpOwnVMs(t *testing.T) {
	sim, client := testCluster(t, pvesim.Options{StatsLag: time.Hour})
	ctx := context.Background()
	now := time.Now()
	for _, vm := range []pvesim.VM{
		{VMID: 100, Node: "pve", Name: "ours", CreatedAt: now},
		{VMID: 101, Node: "pve", Name: "stranger", CreatedAt: now},
	} {
		if err := sim.AddVM(vm); err != nil {
			t.Fatal(err)
		}
	}
	cache := newInventoryCache(client)
	startCreate(cache.names, "ours")
	cache.names.createEnded(100)
	sim.ResetRequestCounts()
	for i := 0; i < 3; i++ {
		cache.invalidate()
		view, err := cache.fresh(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []int{100, 101} {
			if vm, _ := view.find(id); !vm.NameKnown || vm.Name == "" {
				t.Errorf("read %d: VM %d has no name: %+v", i, id, vm)
			}
		}
	}
	if n := sim.RequestCounts()["GET /nodes/{node}/qemu/{vmid}/config"]; n != 1 {
		t.Errorf("3 cluster reads looked up %d configs, want 1 (the stranger's, once)", n)
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
