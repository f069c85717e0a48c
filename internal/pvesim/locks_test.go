package pvesim

import (
	"fmt"
	"net/url"
	"sort"
	"sync"
	"testing"
	"time"

	proxmox "github.com/luthermonson/go-proxmox"
)

// The hold is far longer than the wait, so every clone that asks while the
// first one allocates must time out: the outcome does not depend on timing
// as long as ten local requests reach the simulator within the hold.
var forcedContention = LockOptions{
	StorageTimeout: 100 * time.Millisecond, ConfigTimeout: 100 * time.Millisecond,
	CloneTimeout: 100 * time.Millisecond, StorageHold: 5 * time.Second,
}

func addTemplate(t *testing.T, s *Server, store string) {
	t.Helper()
	if err := s.AddVM(VM{VMID: 9000, Name: "debian-12-template", Template: true, Config: map[string]string{
		"memory": "2048", "cores": "2", "scsihw": "virtio-scsi-single",
		"scsi0": store + ":base-9000-disk-0,size=8G", "net0": "virtio=BC:24:11:00:00:90,bridge=vmbr0",
	}}); err != nil {
		t.Fatal(err)
	}
}

// cloneTen clones the template ten times at once through go-proxmox and
// returns the exit statuses of the failed tasks and the new ids that exist.
func cloneTen(t *testing.T, s *Server) (failures []string, created []int) {
	t.Helper()
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	node, _ := c.Node(ctx, "pve")
	tmpl, err := node.VirtualMachine(ctx, 9000)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			newid := 200 + i
			_, task, err := tmpl.Clone(ctx, &proxmox.VirtualMachineCloneOptions{NewID: newid, Name: fmt.Sprintf("web-%d", i), Full: true})
			if err != nil {
				t.Errorf("clone %d: %v", newid, err)
				return
			}
			if err := task.Wait(ctx, 50*time.Millisecond, 20*time.Second); err != nil {
				t.Errorf("wait %d: %v", newid, err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if task.IsFailed {
				failures = append(failures, task.ExitStatus)
			}
		}()
	}
	wg.Wait()
	for _, vm := range s.VMs() {
		if vm.VMID >= 200 && vm.VMID < 210 {
			created = append(created, vm.VMID)
		}
	}
	sort.Strings(failures)
	return failures, created
}

// TestParallelClonesMeetStorageLock: ten clones of one template on a local
// LVM-thin storage: each allocation takes the node's storage flock
// (pve-storage Storage.pm vdisk_alloc/vdisk_clone -> Plugin.pm
// cluster_lock_storage -> PVE::Tools::lock_file), the first holds it, the
// rest time out with lock_file_full's text inside clone_vm's "clone failed: ".
// The source's config lock is shared for a stopped template (clone_vm
// lock_config_shared), so it does not make them fail, but it does keep a
// config update out (lock_config, exclusive).
func TestParallelClonesMeetStorageLock(t *testing.T) {
	t.Parallel() // each waits out a 5 s hold
	s := startSim(t, Options{PlainHTTP: true, Locks: forcedContention})
	addTemplate(t, s, "local-lvm")

	// A config update while a clone copies waits for the template's lock.
	updateDone := make(chan string, 1)
	go func() {
		for !s.lockHeld("config/9000") { // a clone holds it for the whole hold
			time.Sleep(5 * time.Millisecond)
		}
		st, _ := call(t, s, "PUT", "/nodes/pve/qemu/9000/config", s.Token(), url.Values{"description": {"x"}})
		updateDone <- st
	}()
	failures, created := cloneTen(t, s)
	if len(created) != 1 || len(failures) != 9 {
		t.Fatalf("created %v, failures %q", created, failures)
	}
	for _, f := range failures {
		if f != "clone failed: can't lock file '/var/lock/pve-manager/pve-storage-local-lvm' - got timeout" {
			t.Errorf("failure = %q", f)
		}
	}
	if st := <-updateDone; st != "500 can't lock file '/var/lock/qemu-server/lock-9000.conf' - got timeout" {
		t.Errorf("update during clone = %q", st)
	}
	// Transient: with the lock free again a retry succeeds.
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	node, _ := c.Node(ctx, "pve")
	tmpl, _ := node.VirtualMachine(ctx, 9000)
	_, task, err := tmpl.Clone(ctx, &proxmox.VirtualMachineCloneOptions{NewID: 300, Full: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Wait(ctx, 50*time.Millisecond, 20*time.Second); err != nil || !task.IsSuccessful {
		t.Fatalf("retry: %v %q", err, task.ExitStatus)
	}
}

// TestParallelClonesMeetClusterStorageLock: on shared storage the lock is
// pve-cluster's cfs_lock_storage, cluster-wide, with its own text.
func TestParallelClonesMeetClusterStorageLock(t *testing.T) {
	t.Parallel() // each waits out a 5 s hold
	s := startSim(t, Options{PlainHTTP: true, Nodes: []string{"pve", "pve2"}, Locks: forcedContention})
	s.mu.Lock()
	s.storages = append(s.storages, storageDef{ID: "nfs-images", Type: "nfs", Content: "images", Shared: true, Total: 1 << 40})
	s.mu.Unlock()
	addTemplate(t, s, "nfs-images")
	failures, created := cloneTen(t, s)
	if len(created) != 1 || len(failures) != 9 {
		t.Fatalf("created %v, failures %q", created, failures)
	}
	for _, f := range failures {
		if f != "clone failed: cfs-lock 'storage-nfs-images' error: got lock request timeout" {
			t.Errorf("failure = %q", f)
		}
	}
}

// TestCloneOfRunningVMLocksSource: a running source is locked exclusively
// for the whole clone (clone_vm lock_config_full($vmid, 1)), so a second
// clone gives up after 1 s (scaled here) with the config lock's text.
func TestCloneOfRunningVMLocksSource(t *testing.T) {
	t.Parallel() // each waits out a 5 s hold
	s := startSim(t, Options{PlainHTTP: true, Locks: forcedContention})
	runningWeb(t, s, nil)
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	node, _ := c.Node(ctx, "pve")
	vm, _ := node.VirtualMachine(ctx, 100)
	_, first, err := vm.Clone(ctx, &proxmox.VirtualMachineCloneOptions{NewID: 201, Full: true})
	if err != nil {
		t.Fatal(err)
	}
	// Wait until the first clone holds the source's lock.
	deadline := time.Now().Add(10 * time.Second)
	for !s.lockHeld("config/100") {
		if time.Now().After(deadline) {
			t.Fatal("first clone never took the source lock")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, second, err := vm.Clone(ctx, &proxmox.VirtualMachineCloneOptions{NewID: 202, Full: true})
	if err != nil {
		t.Fatal(err)
	}
	if msg := waitFailed(t, ctx, second); msg != "can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout" {
		t.Fatalf("second clone = %q", msg)
	}
	if _, has := s.VM(202); has {
		t.Fatal("failed clone left VM 202")
	}
	if err := first.Wait(ctx, 50*time.Millisecond, 20*time.Second); err != nil || !first.IsSuccessful {
		t.Fatalf("first clone: %v %q", err, first.ExitStatus)
	}
}
