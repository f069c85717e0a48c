package pvesim

import (
	"encoding/json"
	"testing"

	proxmox "github.com/luthermonson/go-proxmox"
)

// taskStatusJSON reads a task's status through raw HTTP.
func taskStatusJSON(t *testing.T, s *Server, upid string) map[string]any {
	t.Helper()
	st, b := call(t, s, "GET", "/nodes/pve/tasks/"+upid+"/status", s.Token(), nil)
	if st != "200 OK" {
		t.Fatalf("task status: %s %s", st, b)
	}
	var env struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal([]byte(b), &env); err != nil {
		t.Fatal(err)
	}
	return env.Data
}

// TestStartOnBrokenStorage: starting a VM whose disk is on the missing pool
// fails its task with the pool's activation error (qemu-server
// vm_start_nolock -> PVE::Storage::activate_volumes -> ZFSPoolPlugin.pm
// activate_storage); the VM stays stopped.
func TestStartOnBrokenStorage(t *testing.T) {
	s := startSim(t, Options{Scenario: "incident", PlainHTTP: true})
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	node, err := c.Node(ctx, "pve")
	if err != nil {
		t.Fatal(err)
	}
	var onPool int
	for _, v := range s.VMs() {
		if v.Node == "pve" && v.Status == "stopped" && v.Config["scsi1"] != "" && parseDisk(v.Config["scsi1"]).store == "downloads" {
			onPool = v.VMID
			break
		}
	}
	if onPool == 0 {
		t.Fatal("the incident has no stopped VM on pve with a disk on downloads")
	}
	vm, err := node.VirtualMachine(ctx, onPool)
	if err != nil {
		t.Fatal(err)
	}
	task, err := vm.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const want = "could not activate storage 'downloads', zfs error: cannot import 'downloads': no such pool available"
	if msg := waitFailed(t, ctx, task); msg != want {
		t.Fatalf("start: %q, want %q", msg, want)
	}
	if st := taskStatusJSON(t, s, string(task.UPID)); st["exitstatus"] != want || st["status"] != "stopped" {
		t.Fatalf("raw task status: %v", st)
	}
	if v, _ := s.VM(onPool); v.Status != "stopped" {
		t.Fatalf("VM %d is %s after a failed start", onPool, v.Status)
	}
}

// TestBrokenStorageTextByType: what a create on a broken storage dies with
// depends on the storage's plugin (storage_activation.go), always behind
// qemu-server's "unable to create VM <id> - ".
func TestBrokenStorageTextByType(t *testing.T) {
	for _, tc := range []struct{ store, want string }{
		{"local-lvm", "unable to create VM 300 - no such logical volume pve/data"},
		{"local", "unable to create VM 300 - unable to activate storage 'local' - directory '/var/lib/vz' does not exist or is unreachable"},
	} {
		t.Run(tc.store, func(t *testing.T) {
			s := startSim(t, Options{PlainHTTP: true})
			if err := s.SetStorageBroken(tc.store, true); err != nil {
				t.Fatal(err)
			}
			ctx := ctxT(t)
			node, err := tokenClient(t, s, s.Token()).Node(ctx, "pve")
			if err != nil {
				t.Fatal(err)
			}
			task, err := node.NewVirtualMachine(ctx, 300, proxmox.VirtualMachineOption{Name: "scsi0", Value: tc.store + ":4"})
			if err != nil {
				t.Fatal(err)
			}
			if msg := waitFailed(t, ctx, task); msg != tc.want {
				t.Fatalf("create: %q, want %q", msg, tc.want)
			}
			if _, found := s.VM(300); found {
				t.Fatal("the failed create left its config behind")
			}
		})
	}
}
