package pvesim

import (
	"fmt"
	"strings"
	"testing"

	proxmox "github.com/luthermonson/go-proxmox"
)

// TestLifecycleGoProxmox drives a whole VM life through go-proxmox.
func TestLifecycleGoProxmox(t *testing.T) {
	s := startSim(t, Options{Nodes: []string{"pve", "pve2"}})
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())

	v, err := c.Version(ctx)
	if err != nil || v.Release == "" {
		t.Fatalf("version: %v %+v", err, v)
	}
	cl, err := c.Cluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, err := cl.NextID(ctx)
	if err != nil || id != 100 {
		t.Fatalf("nextid = %d, %v", id, err)
	}
	node, err := c.Node(ctx, "pve")
	if err != nil {
		t.Fatal(err)
	}
	task, err := node.NewVirtualMachine(ctx, id,
		proxmox.VirtualMachineOption{Name: "name", Value: "web-1"},
		proxmox.VirtualMachineOption{Name: "cores", Value: 2},
		proxmox.VirtualMachineOption{Name: "memory", Value: 2048},
		proxmox.VirtualMachineOption{Name: "onboot", Value: true},
		proxmox.VirtualMachineOption{Name: "tags", Value: "Web,prod;web"},
		proxmox.VirtualMachineOption{Name: "scsi0", Value: "local-lvm:32,iothread=1"},
		proxmox.VirtualMachineOption{Name: "net0", Value: "virtio,bridge=vmbr0,firewall=1,tag=10"},
	)
	if err != nil {
		t.Fatal(err)
	}
	if task.Type != "qmcreate" || task.ID != "100" || task.Node != "pve" {
		t.Fatalf("task = %+v", task)
	}
	waitOK(t, ctx, task)

	vm, err := node.VirtualMachine(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	cfg := vm.VirtualMachineConfig
	if vm.Name != "web-1" || vm.Status != "stopped" || cfg.Name != "web-1" || *cfg.Cores != 2 || cfg.Memory != 2048 || !bool(cfg.OnBoot) {
		t.Fatalf("vm = %+v cfg = %+v", vm, cfg)
	}
	if cfg.Tags != "prod;web" {
		t.Fatalf("tags = %q", cfg.Tags)
	}
	if cfg.SCSIs["scsi0"] != "local-lvm:vm-100-disk-0,iothread=1,size=32G" {
		t.Fatalf("scsi0 = %q", cfg.SCSIs["scsi0"])
	}
	if !strings.HasPrefix(cfg.Nets["net0"], "virtio=BC:24:11:") || !strings.HasSuffix(cfg.Nets["net0"], ",bridge=vmbr0,firewall=1,tag=10") {
		t.Fatalf("net0 = %q", cfg.Nets["net0"])
	}
	if !strings.HasPrefix(cfg.Meta, "creation-qemu=9.0.2,ctime=") || !strings.HasPrefix(cfg.SMBios1, "uuid=") || cfg.Lock != "" || bool(cfg.Template) {
		t.Fatalf("cfg = %+v", cfg)
	}

	// Async update (POST) and sync update (PUT).
	task, err = vm.Config(ctx, proxmox.VirtualMachineOption{Name: "description", Value: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if err := vm.ConfigSync(ctx, proxmox.VirtualMachineOption{Name: "cores", Value: 4}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.VM(id)
	if got.Config["description"] != "hello" || got.Config["cores"] != "4" {
		t.Fatalf("config = %v", got.Config)
	}

	// Clone.
	newid, task, err := vm.Clone(ctx, &proxmox.VirtualMachineCloneOptions{NewID: 101, Name: "web-1", Full: true})
	if err != nil || newid != 101 {
		t.Fatalf("clone: %d %v", newid, err)
	}
	if task.Type != "qmclone" || task.ID != "100" {
		t.Fatalf("clone task %+v", task)
	}
	waitOK(t, ctx, task)
	clone, _ := s.VM(101)
	if clone.Name != "web-1" || clone.UUID == got.UUID || clone.CTime != got.CTime || clone.Config["net0"] == got.Config["net0"] {
		t.Fatalf("clone = %+v src = %+v", clone, got)
	}
	if clone.Config["scsi0"] != "local-lvm:vm-101-disk-0,iothread=1,size=32G" || clone.Lock != "" {
		t.Fatalf("clone scsi0 = %q lock %q", clone.Config["scsi0"], clone.Lock)
	}

	// Start, stop.
	task, err = vm.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if err := vm.Ping(ctx); err != nil || !vm.IsRunning() {
		t.Fatalf("running? %v %+v", err, vm)
	}

	// Migrate while running without online: refused at once.
	var upid proxmox.UPID
	err = c.Post(ctx, "/nodes/pve/qemu/100/migrate", map[string]any{"target": "pve2"}, &upid)
	if err == nil || err.Error() != "500 can't migrate running VM without --online" {
		t.Fatalf("migrate running: %v", err)
	}
	task, err = vm.Stop(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)

	// Offline migrate.
	if err := c.Post(ctx, "/nodes/pve/qemu/100/migrate", map[string]any{"target": "pve2"}, &upid); err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, proxmox.NewTask(upid, c))
	if got, _ := s.VM(id); got.Node != "pve2" {
		t.Fatalf("node after migrate = %s", got.Node)
	}
	node2, err := c.Node(ctx, "pve2")
	if err != nil {
		t.Fatal(err)
	}
	vm, err = node2.VirtualMachine(ctx, id)
	if err != nil {
		t.Fatal(err)
	}

	// Protect, refuse destroy, unprotect, destroy.
	if err := vm.ConfigSync(ctx, proxmox.VirtualMachineOption{Name: "protection", Value: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.Delete(ctx, &proxmox.VirtualMachineDeleteOptions{Purge: true}); err == nil ||
		err.Error() != "500 can't remove VM 100 - protection mode enabled" {
		t.Fatalf("delete protected: %v", err)
	}
	if err := vm.ConfigSync(ctx, proxmox.VirtualMachineOption{Name: "delete", Value: "protection"}); err != nil {
		t.Fatal(err)
	}
	task, err = vm.Delete(ctx, &proxmox.VirtualMachineDeleteOptions{Purge: true, DestroyUnreferencedDisks: true})
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if _, found := s.VM(id); found {
		t.Fatal("VM still there")
	}
	_, err = node2.VirtualMachine(ctx, id)
	if err == nil || err.Error() != fmt.Sprintf("500 Configuration file 'nodes/pve2/qemu-server/%d.conf' does not exist", id) {
		t.Fatalf("after destroy: %v", err)
	}
}
