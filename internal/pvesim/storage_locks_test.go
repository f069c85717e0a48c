package pvesim

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	proxmox "github.com/luthermonson/go-proxmox"
)

// TestStorageLocksOnConfigUpdateAndDestroy: a new disk in a config update
// takes the storage lock (create_disks -> vdisk_alloc ->
// cluster_lock_storage) and fails with its timeout; destroy_vm's
// vdisk_free takes it too, but in an eval: the timeout only makes that
// volume a warning and a leftover, and the VM is still removed.
func TestStorageLocksOnConfigUpdateAndDestroy(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true, Locks: LockOptions{StorageTimeout: 300 * time.Millisecond}})
	if err := s.AddVM(VM{VMID: 100, Name: "web", Config: map[string]string{"scsi0": "local-lvm:vm-100-disk-0,size=8G"}}); err != nil {
		t.Fatal(err)
	}
	// Another worker on this node holds local-lvm's lock, longer than the timeout.
	release, err := s.locks.acquire("node/pve/pve-storage-local-lvm", false, time.Second, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	const timeout = "can't lock file '/var/lock/pve-manager/pve-storage-local-lvm' - got timeout"

	st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", s.Token(), url.Values{"scsi1": {"local-lvm:4"}})
	expect(t, st, b, "500 "+timeout, `{"message":"`+timeout+`\n","data":null}`)
	ctx := ctxT(t)
	node, err := tokenClient(t, s, s.Token()).Node(ctx, "pve")
	if err != nil {
		t.Fatal(err)
	}
	vm, err := node.VirtualMachine(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	task, err := vm.Config(ctx, proxmox.VirtualMachineOption{Name: "scsi1", Value: "local-lvm:4"})
	if err != nil {
		t.Fatal(err)
	}
	if msg := waitFailed(t, ctx, task); msg != timeout {
		t.Fatalf("POST config: %q", msg)
	}
	if v, _ := s.VM(100); v.Config["scsi1"] != "" {
		t.Fatalf("disk added despite the lock: %v", v.Config)
	}

	task, err = vm.Delete(ctx, &proxmox.VirtualMachineDeleteOptions{Purge: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Wait(ctx, 20*time.Millisecond, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if task.ExitStatus != "WARNINGS: 1" {
		t.Fatalf("destroy exit status %q", task.ExitStatus)
	}
	log := taskLogText(t, s, string(task.UPID))
	if !strings.Contains(log, `"t":"WARN: Could not remove disk 'local-lvm:vm-100-disk-0', check manually: `+timeout+`"`) {
		t.Fatalf("destroy log %s", log)
	}
	if _, found := s.VM(100); found {
		t.Fatal("VM 100 kept")
	}
	if got := s.LeftoverVolumes(); !slices.Equal(got, []string{"local-lvm:vm-100-disk-0"}) {
		t.Fatalf("leftovers %v", got)
	}
}
