package pvesim

import (
	"net/url"
	"strings"
	"testing"
	"time"

	proxmox "github.com/luthermonson/go-proxmox"
)

func TestPowerActions(t *testing.T) {
	s := startSim(t, Options{Scenario: "incident", PlainHTTP: true})
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	node, _ := c.Node(ctx, "pve")

	vm, _ := node.VirtualMachine(ctx, 110)
	if _, err := vm.Reboot(ctx); err == nil || err.Error() != "500 VM 110 not running" {
		t.Fatalf("reboot stopped: %v", err)
	}
	task, err := vm.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	task, _ = vm.Start(ctx)
	if msg := waitFailed(t, ctx, task); msg != "VM 110 already running" {
		t.Fatal(msg)
	}
	task, err = vm.Reboot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if err := vm.Ping(ctx); err != nil || vm.Status != "running" || vm.PID == 0 || vm.CPUs != 2 || vm.MaxMem != 2048<<20 {
		t.Fatalf("running: %v %+v", err, vm)
	}
	task, err = vm.Shutdown(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if v, _ := s.VM(110); v.Status != "stopped" {
		t.Fatal(v.Status)
	}

	tmpl, _ := node.VirtualMachine(ctx, 9000)
	if !bool(tmpl.Template) || !bool(tmpl.VirtualMachineConfig.Template) {
		t.Fatalf("template flags: %+v", tmpl)
	}
	task, _ = tmpl.Start(ctx)
	if msg := waitFailed(t, ctx, task); msg != "you can't start a vm if it's a template" {
		t.Fatal(msg)
	}
}

// TestCloneLockAndAsyncConfigChecks follows clone_vm (qemu-server
// src/PVE/API2/Qemu.pm): the request only forks the worker; the worker
// writes the temporary config "# qmclone temporary file\nlock: clone\n"
// (file_set_contents in $clonefn; parse_vm_config reads the comment as the
// description) and the name, description and disks only with write_config
// after clone_disk, then drops the lock.
func TestCloneLockAndAsyncConfigChecks(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	if err := s.AddVM(VM{VMID: 100, Name: "src", Config: map[string]string{
		"scsi0": "local-lvm:vm-100-disk-0,size=8G", "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0",
	}}); err != nil {
		t.Fatal(err)
	}
	release := s.HoldTasks("qmclone")
	defer release()
	node, _ := c.Node(ctx, "pve")
	vm, _ := node.VirtualMachine(ctx, 100)
	_, task, err := vm.Clone(ctx, &proxmox.VirtualMachineCloneOptions{NewID: 101, Full: true, Description: "d"})
	if err != nil {
		t.Fatal(err)
	}
	var during VM
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var has bool
		if during, has = s.VM(101); has || time.Now().After(deadline) {
			break
		}
	}
	// parse_vm_config reads the temporary file's "#" line as description.
	if during.Lock != "clone" || during.Name != "" || len(during.Config) != 2 || during.Config["description"] != " qmclone temporary file" {
		t.Fatalf("during clone: %+v", during)
	}
	st, b := call(t, s, "GET", "/nodes/pve/qemu/101/config", s.Token(), nil)
	if st != "200 OK" || !strings.HasPrefix(b, `{"data":{"description":" qmclone temporary file","digest":"`) || !strings.HasSuffix(b, `","lock":"clone"}}`) {
		t.Fatalf("config during clone: %s %s", st, b)
	}
	if st, b := call(t, s, "GET", "/nodes/pve/qemu", s.Token(), nil); !strings.Contains(b, `"name":"VM 101"`) {
		t.Fatalf("list during clone: %s %s", st, b)
	}
	st, _ = call(t, s, "PUT", "/nodes/pve/qemu/101/config", s.Token(), url.Values{"cores": {"2"}})
	if st != "500 VM is locked (clone)" {
		t.Fatal(st)
	}
	release()
	waitOK(t, ctx, task)
	after, _ := s.VM(101)
	if after.Lock != "" || after.Name != "Copy-of-VM-src" || after.Config["description"] != "d" || after.Config["scsi0"] != "local-lvm:vm-101-disk-0,size=8G" || strings.Contains(after.Config["net0"], "BC:24:11:00:00:01") {
		t.Fatalf("after clone: %+v", after.Config)
	}

	// POST config checks the digest before forking: a synchronous 500,
	// no task (qemu_config_test.go has the rest).
	task, err = vm.Config(ctx, proxmox.VirtualMachineOption{Name: "digest", Value: strings.Repeat("a", 40)},
		proxmox.VirtualMachineOption{Name: "cores", Value: 8})
	if err == nil || err.Error() != "500 checksum mismatch (file change by other user?)" || task != nil {
		t.Fatalf("stale digest POST: task %v, err %v", task, err)
	}
	if v, _ := s.VM(100); v.Config["cores"] != "" {
		t.Fatal("failed update applied")
	}
}

func TestLatency(t *testing.T) {
	s := startSim(t, Options{Latency: 120 * time.Millisecond, PlainHTTP: true})
	t0 := time.Now()
	if st, _ := call(t, s, "GET", "/version", s.Token(), nil); st != "200 OK" {
		t.Fatal(st)
	}
	if d := time.Since(t0); d < 120*time.Millisecond {
		t.Fatalf("took %v", d)
	}
}
