package pve

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// Parallel resources of one process used to get the same VMID from
// /cluster/nextid and collide on create.
func TestAllocateVMIDParallelNeverCollides(t *testing.T) {
	srv := startSim(t, pvesim.Options{PlainHTTP: true})
	c := simClient(t, srv)
	ctx := context.Background()
	// 102 is taken by another guest: above the lowest free VMID the
	// allocator must check before handing an ID out.
	if err := srv.AddVM(pvesim.VM{VMID: 102, Node: "pve", Name: "someone-else"}); err != nil {
		t.Fatal(err)
	}
	const n = 20
	ids := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i], errs[i] = c.AllocateVMID(ctx)
		}()
	}
	wg.Wait()
	seen := map[int]bool{}
	for i, id := range ids {
		if errs[i] != nil {
			t.Fatalf("AllocateVMID: %v", errs[i])
		}
		if seen[id] || id == 102 || id < 100 {
			t.Fatalf("VMID %d handed out twice or taken: %v", id, ids)
		}
		seen[id] = true
	}
	// Each ID is free in PVE: creating all of them at once succeeds.
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = createVM(ctx, c, CreateSpec{VMID: id, Node: "pve", Name: "par"})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("create %d: %v", ids[i], err)
		}
	}
	// A second client (another terraform run) does not know these IDs,
	// but PVE does now.
	other := simClient(t, srv)
	if id, err := other.AllocateVMID(ctx); err != nil || seen[id] || id == 102 {
		t.Fatalf("other client got %d, %v", id, err)
	}
}

// An ID that lost a race to another process is skipped next time, even
// while nextid still offers it (the other create has not been sent yet).
func TestAllocateVMIDSkipsHandedOut(t *testing.T) {
	srv := startSim(t, pvesim.Options{PlainHTTP: true})
	c := simClient(t, srv)
	ctx := context.Background()
	first, err := c.AllocateVMID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.AllocateVMID(ctx)
	if err != nil || second == first {
		t.Fatalf("second allocation %d, %v (first %d)", second, err, first)
	}
}

// A lock another task holds: a config update is retried here until the
// lock frees or the deadline passes; a create or clone is sent once and
// reported as IsTransientLock, for the provider's create loop to send
// again. Other failures are neither.
func TestLockTimeoutsRetriedOrReported(t *testing.T) {
	const lockMsg = "can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout"
	srv := startSim(t, pvesim.Options{PlainHTTP: true})
	c := simClient(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Creates and clones are sent once: a lock timeout, refused at once or
	// inside the task, is IsTransientLock for the provider's create loop to
	// send again (vm_resource_create.go), as is a clone whose source
	// another clone holds.
	sentOnce := func(what, route string, err error) {
		t.Helper()
		if !IsTransientLock(err) {
			t.Fatalf("%s: %v, want a transient lock", what, err)
		}
		if n := srv.RequestCounts()[route]; n != 1 {
			t.Fatalf("%s: sent %d times, want once", what, n)
		}
	}
	srv.ResetRequestCounts()
	srv.InjectFault(pvesim.Fault{Method: "POST", Path: "/nodes/{node}/qemu", Count: 1, Status: 500,
		Message: "unable to create VM 100 - " + lockMsg})
	sentOnce("create refused for a lock timeout", "POST /nodes/{node}/qemu",
		createVM(ctx, c, CreateSpec{VMID: 100, Node: "pve", Name: "a"}))
	if err := createVM(ctx, c, CreateSpec{VMID: 100, Node: "pve", Name: "a"}); err != nil {
		t.Fatalf("create once the lock is free: %v", err)
	}
	// Inside the task (storage lock in the worker): the task removes the
	// config.
	srv.ResetRequestCounts()
	srv.FailTasks("qmcreate", 1, "unable to create VM 101 - can't lock file '/var/lock/pve-manager/pve-storage-local-lvm' - got timeout")
	sentOnce("create whose task hit a lock timeout", "POST /nodes/{node}/qemu",
		createVM(ctx, c, CreateSpec{VMID: 101, Node: "pve", Name: "b"}))
	if err := createVM(ctx, c, CreateSpec{VMID: 101, Node: "pve", Name: "b"}); err != nil {
		t.Fatalf("create again after a lock timeout in its task: %v", err)
	}
	srv.InjectFault(pvesim.Fault{Method: "PUT", Path: "/nodes/{node}/qemu/{vmid}/config", Status: 500, Message: lockMsg})
	srv.InjectFault(pvesim.Fault{Method: "PUT", Path: "/nodes/{node}/qemu/{vmid}/config", Status: 500,
		Message: "cfs-lock 'storage-ceph' error: got lock request timeout"})
	if err := c.updateConfig(ctx, "pve", 100, map[string]string{"cores": "2"}, nil, ""); err != nil {
		t.Fatalf("update after a lock timeout: %v", err)
	}
	// A clone whose source another clone holds.
	if err := srv.AddVM(pvesim.VM{VMID: 9000, Node: "pve", Name: "tmpl", Template: true}); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequestCounts()
	srv.InjectFault(pvesim.Fault{Method: "POST", Path: "/nodes/{node}/qemu/{vmid}/clone", Count: 1, Status: 500,
		Message: "VM 9000 is locked (clone)"})
	sentOnce("clone of a source another clone holds", "POST /nodes/{node}/qemu/{vmid}/clone",
		cloneVM(ctx, c, CloneSpec{SourceNode: "pve", SourceVMID: 9000, NewID: 300, Name: "c"}))
	if err := cloneVM(ctx, c, CloneSpec{SourceNode: "pve", SourceVMID: 9000, NewID: 300, Name: "c"}); err != nil {
		t.Fatalf("clone once the source is free: %v", err)
	}

	// Other failures are not retried.
	srv.ResetRequestCounts()
	srv.InjectFault(pvesim.Fault{Method: "POST", Path: "/nodes/{node}/qemu", Status: 500, Message: "unable to create VM 102 - out of memory"})
	if err := createVM(ctx, c, CreateSpec{VMID: 102, Node: "pve", Name: "d"}); err == nil || errors.Is(err, errTransientLock) {
		t.Fatalf("a plain failure: %v", err)
	}
	if n := srv.RequestCounts()["POST /nodes/{node}/qemu"]; n != 1 {
		t.Fatalf("a plain failure was sent %d times", n)
	}
	// "locked (clone)" is transient for a clone's source only.
	srv.InjectFault(pvesim.Fault{Method: "PUT", Path: "/nodes/{node}/qemu/{vmid}/config", Status: 500, Message: "VM 100 is locked (clone)"})
	if err := c.updateConfig(ctx, "pve", 100, map[string]string{"cores": "3"}, nil, ""); !errors.Is(err, ErrLocked) {
		t.Fatalf("update of a VM being cloned: %v", err)
	}

	// A lock that never goes away ends with the operation's deadline. The
	// time runs out once the lock refused the update at least once (the
	// second attempt arrived), wherever the client is then: in a request or
	// between two, on a loaded machine too.
	srv.ResetRequestCounts()
	short, cancelShort := context.WithCancel(ctx)
	defer cancelShort()
	go func() {
		defer cancelShort()
		for short.Err() == nil && srv.RequestCounts()["PUT /nodes/{node}/qemu/{vmid}/config"] < 2 {
			time.Sleep(2 * time.Millisecond)
		}
	}()
	srv.InjectFault(pvesim.Fault{Method: "PUT", Path: "/nodes/{node}/qemu/{vmid}/config", Count: 1 << 20, Status: 500, Message: lockMsg})
	err := c.updateConfig(short, "pve", 100, map[string]string{"cores": "4"}, nil, "")
	if !errors.Is(err, errTransientLock) {
		t.Fatalf("lock held past the deadline: %v", err)
	}
	srv.ClearFaults()
}
