package pve

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// These tests run the client against the simulator over real HTTP(S).

func startSim(t testing.TB, opts pvesim.Options) *pvesim.Server {
	t.Helper()
	srv, err := pvesim.New(opts)
	if err != nil {
		t.Fatalf("pvesim.New: %v", err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("pvesim Start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// simClient is a token client that trusts exactly the simulator's CA.
func simClient(t testing.TB, srv *pvesim.Server, mod ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		Endpoint: srv.URL(), APIToken: srv.Token(), CACertificatePEM: srv.CACertPEM(),
		MaxRetries: 3, TaskPollInterval: 2 * time.Millisecond, RequestTimeout: 10 * time.Second,
	}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := NewClient(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	c.retryBackoff = time.Millisecond
	return c
}

func baseSpec(vmid int, node, name string) CreateSpec {
	return CreateSpec{
		VMID: vmid, Node: node, Name: name, Description: "made by a test", Tags: []string{"Web", "prod;web"},
		Cores: 2, Sockets: 1, CPUType: "host", MemoryMB: 2048,
		Disks: []Disk{
			{Interface: "scsi0", Storage: "local-lvm", SizeGB: 32, Options: "iothread=1"},
			{Interface: "scsi1", Storage: "local-lvm", SizeGB: 8},
		},
		Networks: []Network{{Interface: "net0", Model: "virtio", Bridge: "vmbr0", Firewall: true, VLAN: 10}},
		OnBoot:   true,
	}
}

func mustCreate(t *testing.T, c *Client, spec CreateSpec) {
	t.Helper()
	if err := createVM(context.Background(), c, spec); err != nil {
		t.Fatalf("create VM %d: %v", spec.VMID, err)
	}
}

func TestSimTLS(t *testing.T) {
	srv := startSim(t, pvesim.Options{})
	if !strings.HasPrefix(srv.URL(), "https://") || len(srv.CACertPEM()) == 0 {
		t.Fatalf("simulator is not HTTPS: %s", srv.URL())
	}
	ctx := context.Background()
	if v, err := simClient(t, srv).ping(ctx); err != nil || v == "" {
		t.Fatalf("Ping with pinned CA = %q, %v", v, err)
	}
	// Without the CA the self-signed certificate is refused...
	noCA := simClient(t, srv, func(c *Config) { c.CACertificatePEM = nil; c.MaxRetries = 0 })
	if _, err := noCA.ping(ctx); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Ping without CA: %v, want a certificate error", err)
	}
	// ... and with the wrong CA too.
	wrongCA := simClient(t, srv, func(c *Config) { c.CACertificatePEM = testCA(t); c.MaxRetries = 0 })
	if _, err := wrongCA.ping(ctx); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Ping with another CA: %v, want a certificate error", err)
	}
	insecure := simClient(t, srv, func(c *Config) { c.CACertificatePEM = nil; c.Insecure = true })
	if _, err := insecure.ping(ctx); err != nil {
		t.Fatalf("Ping insecure: %v", err)
	}
	// Endpoint spellings all reach the API.
	for _, ep := range []string{strings.TrimSuffix(srv.URL(), "/api2/json"), strings.TrimSuffix(srv.URL(), "api2/json"), srv.URL() + "/"} {
		c := simClient(t, srv, func(c *Config) { c.Endpoint = ep })
		if _, err := c.ping(ctx); err != nil {
			t.Errorf("Ping via %q: %v", ep, err)
		}
	}
}

func TestSimPlainHTTP(t *testing.T) {
	srv := startSim(t, pvesim.Options{PlainHTTP: true})
	if !strings.HasPrefix(srv.URL(), "http://") {
		t.Fatalf("URL %s", srv.URL())
	}
	if _, err := simClient(t, srv).ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestSimAuthentication(t *testing.T) {
	const password = "correct horse battery staple"
	srv := startSim(t, pvesim.Options{PlainHTTP: true, Password: password})
	ctx := context.Background()

	ticket := simClient(t, srv, func(c *Config) { c.APIToken, c.Username, c.Password = "", "root@pam", password })
	if _, err := ticket.ping(ctx); err != nil {
		t.Fatalf("ticket Ping: %v", err)
	}
	// A write needs the CSRF token with a ticket.
	mustCreate(t, ticket, baseSpec(100, "pve", "ticket-vm"))
	srv.ResetRequestCounts()
	if _, err := ticket.GetVM(ctx, "pve", 100); err != nil {
		t.Fatal(err)
	}
	if n := srv.TotalRequests(); n != 2 {
		t.Errorf("GetVM with a ticket cost %d requests, want 2 (no second login)", n)
	}

	badPassword := simClient(t, srv, func(c *Config) { c.APIToken, c.Username, c.Password = "", "root@pam", "wrong" })
	_, err := badPassword.ping(ctx)
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("wrong password: %v, want ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error shows the password: %v", err)
	}

	badToken := simClient(t, srv, func(c *Config) { c.APIToken = "root@pam!proxmoxsafe=11111111-1111-4111-8111-111111111111" })
	if _, err := badToken.ping(ctx); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("wrong token: %v, want ErrUnauthorized", err)
	}
	if _, err := badToken.Inventory(ctx); !errors.Is(err, ErrUnauthorized) || strings.Contains(err.Error(), "11111111") {
		t.Fatalf("wrong token: %v", err)
	}
}

func TestSimVMLifecycle(t *testing.T) {
	srv := startSim(t, pvesim.Options{Nodes: []string{"pve1", "pve2"}})
	c := simClient(t, srv)
	ctx := context.Background()

	id, err := c.NextID(ctx)
	if err != nil || id < 100 {
		t.Fatalf("NextID = %d, %v", id, err)
	}
	if free, err := c.isIDFree(ctx, id); err != nil || !free {
		t.Fatalf("IsIDFree(%d) = %v, %v", id, free, err)
	}
	spec := baseSpec(id, "pve1", "web-01")
	mustCreate(t, c, spec)
	if free, err := c.isIDFree(ctx, id); err != nil || free {
		t.Fatalf("IsIDFree(%d) after create = %v, %v", id, free, err)
	}
	if next, err := c.NextID(ctx); err != nil || next == id {
		t.Fatalf("NextID after create = %d, %v", next, err)
	}

	srv.ResetRequestCounts()
	vm, err := c.GetVM(ctx, "pve1", id)
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.TotalRequests(); n != 2 {
		t.Errorf("GetVM cost %d requests, want 2: %v", n, srv.RequestCounts())
	}
	if vm.Name != "web-01" || vm.Node != "pve1" || vm.VMID != id || vm.Description != "made by a test" ||
		vm.Cores != 2 || vm.Sockets != 1 || vm.CPUType != "host" || vm.MemoryMB != 2048 ||
		!vm.OnBoot || vm.Protection || vm.Template || vm.Status != "stopped" || vm.Lock != "" {
		t.Errorf("VM %+v", vm)
	}
	if !reflect.DeepEqual(vm.Tags, []string{"prod", "web"}) {
		t.Errorf("tags %q", vm.Tags)
	}
	if vm.UUID == "" || vm.CreatedAt == 0 || vm.Digest == "" {
		t.Errorf("uuid %q ctime %d digest %q", vm.UUID, vm.CreatedAt, vm.Digest)
	}
	if d := time.Since(time.Unix(vm.CreatedAt, 0)); d < -time.Minute || d > time.Minute {
		t.Errorf("ctime %d is not now", vm.CreatedAt)
	}
	wantDisks := []Disk{
		{Interface: "scsi0", Storage: "local-lvm", Volume: vmDiskName(id, 0), SizeGB: 32, Options: "iothread=1"},
		{Interface: "scsi1", Storage: "local-lvm", Volume: vmDiskName(id, 1), SizeGB: 8},
	}
	if !reflect.DeepEqual(vm.Disks, wantDisks) {
		t.Errorf("disks %+v\nwant %+v", vm.Disks, wantDisks)
	}
	if len(vm.Networks) != 1 {
		t.Fatalf("networks %+v", vm.Networks)
	}
	n := vm.Networks[0]
	if n.Interface != "net0" || n.Model != "virtio" || n.Bridge != "vmbr0" || !n.Firewall || n.VLAN != 10 || !strings.HasPrefix(n.MAC, "BC:24:11:") {
		t.Errorf("network %+v", n)
	}
	if simVM, _ := srv.VM(id); simVM.UUID != vm.UUID || simVM.CTime != vm.CreatedAt {
		t.Errorf("simulator has uuid %q ctime %d", simVM.UUID, simVM.CTime)
	}

	srv.ResetRequestCounts()
	cfgOnly, err := c.GetVMConfig(ctx, "pve1", id)
	if err != nil || cfgOnly.Status != "" || cfgOnly.Name != "web-01" {
		t.Fatalf("GetVMConfig = %+v, %v", cfgOnly, err)
	}
	if n := srv.TotalRequests(); n != 1 {
		t.Errorf("GetVMConfig cost %d requests", n)
	}

	// Update with the digest, then again with the stale digest.
	set := map[string]string{"cores": "4", "tags": formatTags([]string{"db"}), "net1": formatNetwork(Network{Model: "e1000", Bridge: "vmbr0"})}
	if err := c.updateConfig(ctx, "pve1", id, set, []string{"description"}, vm.Digest); err != nil {
		t.Fatalf("UpdateConfig: %v", err)
	}
	err = c.updateConfig(ctx, "pve1", id, map[string]string{"cores": "8"}, nil, vm.Digest)
	if !errors.Is(err, ErrConfigChanged) {
		t.Fatalf("stale digest: %v, want ErrConfigChanged", err)
	}
	vm, err = c.GetVM(ctx, "pve1", id)
	if err != nil {
		t.Fatal(err)
	}
	if vm.Cores != 4 || vm.Description != "" || !reflect.DeepEqual(vm.Tags, []string{"db"}) || len(vm.Networks) != 2 || vm.Networks[1].Model != "e1000" {
		t.Errorf("after update: %+v", vm)
	}

	// Resize: grow works, shrink is refused.
	if err := c.resizeDisk(ctx, "pve1", id, "scsi1", 20); err != nil {
		t.Fatalf("ResizeDisk: %v", err)
	}
	if err := c.resizeDisk(ctx, "pve1", id, "scsi1", 10); err == nil || !strings.Contains(err.Error(), "shrinking disks is not supported") {
		t.Fatalf("shrink: %v", err)
	}
	if vm, _ = c.GetVMConfig(ctx, "pve1", id); vm.Disks[1].SizeGB != 20 {
		t.Errorf("after resize: %+v", vm.Disks)
	}

	// Power.
	if err := c.StartVM(ctx, "pve1", id); err != nil {
		t.Fatalf("StartVM: %v", err)
	}
	if err := c.StartVM(ctx, "pve1", id); err != nil {
		t.Fatalf("StartVM on a running VM: %v", err)
	}
	if vm, _ = c.GetVM(ctx, "pve1", id); vm.Status != "running" {
		t.Errorf("status %q after start", vm.Status)
	}
	if _, err := c.DestroyVM(ctx, "pve1", id); !errors.Is(err, ErrRunning) {
		t.Fatalf("destroy running VM: %v, want ErrRunning", err)
	}
	if err := c.ShutdownVM(ctx, "pve1", id, 5*time.Second); err != nil {
		t.Fatalf("ShutdownVM: %v", err)
	}
	if vm, _ = c.GetVM(ctx, "pve1", id); vm.Status != "stopped" {
		t.Errorf("status %q after shutdown", vm.Status)
	}
	if err := c.StartVM(ctx, "pve1", id); err != nil {
		t.Fatal(err)
	}
	if err := c.stopVM(ctx, "pve1", id); err != nil {
		t.Fatalf("StopVM: %v", err)
	}
	if err := c.stopVM(ctx, "pve1", id); err != nil {
		t.Fatalf("StopVM on a stopped VM: %v", err)
	}

	// Migrate.
	if err := c.MigrateVM(ctx, "pve1", id, "pve2"); err != nil {
		t.Fatalf("MigrateVM: %v", err)
	}
	if _, err := c.GetVM(ctx, "pve1", id); !errors.Is(err, ErrNotFound) {
		t.Errorf("VM still on pve1: %v", err)
	}
	if vm, err = c.GetVM(ctx, "pve2", id); err != nil || vm.Node != "pve2" {
		t.Fatalf("GetVM on pve2: %+v, %v", vm, err)
	}

	// Protection blocks destroy.
	if err := c.updateConfig(ctx, "pve2", id, map[string]string{"protection": "1"}, nil, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DestroyVM(ctx, "pve2", id); !errors.Is(err, ErrProtected) {
		t.Fatalf("destroy protected VM: %v, want ErrProtected", err)
	}
	if err := c.updateConfig(ctx, "pve2", id, nil, []string{"protection"}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DestroyVM(ctx, "pve2", id); err != nil {
		t.Fatalf("DestroyVM: %v", err)
	}
	if _, ok := srv.VM(id); ok {
		t.Error("VM still in the simulator after destroy")
	}
	if _, err := c.GetVM(ctx, "pve2", id); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetVM after destroy: %v, want ErrNotFound", err)
	}
	if _, err := c.DestroyVM(ctx, "pve2", id); !errors.Is(err, ErrNotFound) {
		t.Errorf("destroy twice: %v, want ErrNotFound", err)
	}
}

func vmDiskName(vmid, n int) string {
	return "vm-" + strconv.Itoa(vmid) + "-disk-" + strconv.Itoa(n)
}

func TestSimErrorMapping(t *testing.T) {
	srv := startSim(t, pvesim.Options{PlainHTTP: true})
	c := simClient(t, srv)
	ctx := context.Background()
	mustCreate(t, c, baseSpec(100, "pve", "a"))

	err := createVM(ctx, c, baseSpec(100, "pve", "b"))
	if !errors.Is(err, ErrAlreadyExists) {
		t.Fatalf("taken VMID: %v, want ErrAlreadyExists", err)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || !strings.Contains(apiErr.Message, "VM 100 already exists") {
		t.Errorf("taken VMID error %#v", apiErr)
	}

	if err := srv.SetVMConfig(100, "lock", "backup"); err != nil {
		t.Fatal(err)
	}
	if err := c.updateConfig(ctx, "pve", 100, map[string]string{"cores": "3"}, nil, ""); !errors.Is(err, ErrLocked) {
		t.Fatalf("locked VM: %v, want ErrLocked", err)
	}
	// Start fails inside its task on a locked VM.
	err = c.StartVM(ctx, "pve", 100)
	var te *TaskError
	if !errors.Is(err, ErrLocked) || !errors.As(err, &te) {
		t.Fatalf("start locked VM: %v, want a locked *TaskError", err)
	}
	if vm, err := c.GetVM(ctx, "pve", 100); err != nil || vm.Lock != "backup" {
		t.Fatalf("lock not read: %+v, %v", vm, err)
	}
	if err := c.updateConfig(ctx, "pve", 100, nil, []string{"lock"}, ""); err == nil {
		// PVE refuses to touch a locked VM's config at all
		t.Log("simulator allowed removing the lock key")
	}

	if _, err := c.GetVM(ctx, "pve", 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing VM: %v, want ErrNotFound", err)
	}
	if _, err := c.GetVM(ctx, "nosuchnode", 100); !errors.Is(err, ErrNodeUnreachable) {
		t.Errorf("unknown node: %v, want ErrNodeUnreachable", err)
	}
	err = createVM(ctx, c, CreateSpec{VMID: 101, Node: "pve", Name: "not a dns name"})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Params["name"] == "" {
		t.Errorf("invalid name: %#v", err)
	}
	if err := c.waitTask(ctx, "pve", "UPID:pve:00000001:00000002:00000003:qmstart:100:root@pam:"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown task: %v, want ErrNotFound", err)
	}
}

func TestSimPermissions(t *testing.T) {
	srv := startSim(t, pvesim.Options{PlainHTTP: true})
	ctx := context.Background()
	admin := simClient(t, srv)
	mustCreate(t, admin, baseSpec(100, "pve", "seen"))
	mustCreate(t, admin, baseSpec(101, "pve", "hidden"))
	if all, err := admin.CanSeeAllVMs(ctx); err != nil || !all {
		t.Fatalf("admin CanSeeAllVMs = %v, %v", all, err)
	}

	const limited = "audit@pve!narrow=22222222-2222-4222-8222-222222222222"
	srv.AddToken(limited, []int{100})
	lc := simClient(t, srv, func(c *Config) { c.APIToken = limited })
	if all, err := lc.CanSeeAllVMs(ctx); err != nil || all {
		t.Fatalf("limited CanSeeAllVMs = %v, %v", all, err)
	}
	inv, err := lc.Inventory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.VMs) != 1 || inv.VMs[0].VMID != 100 {
		t.Errorf("limited inventory %+v", inv.VMs)
	}
	_, err = lc.DestroyVM(ctx, "pve", 101)
	if !errors.Is(err, ErrPermission) {
		t.Fatalf("destroy without rights: %v, want ErrPermission", err)
	}
	if errors.Is(err, ErrUnauthorized) {
		t.Errorf("a 403 must not look like bad credentials: %v", err)
	}
	if _, ok := srv.VM(101); !ok {
		t.Error("VM 101 was destroyed")
	}
}

func TestSimClone(t *testing.T) {
	srv := startSim(t, pvesim.Options{PlainHTTP: true, Nodes: []string{"pve", "pve2"}})
	c := simClient(t, srv)
	ctx := context.Background()
	if err := srv.AddVM(pvesim.VM{VMID: 9000, Node: "pve", Name: "tmpl", Template: true,
		Config: map[string]string{"scsi0": "local-lvm:base-9000-disk-0,size=8G", "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0"}}); err != nil {
		t.Fatal(err)
	}
	tmpl, err := c.GetVMConfig(ctx, "pve", 9000)
	if err != nil || !tmpl.Template {
		t.Fatalf("template: %+v, %v", tmpl, err)
	}
	if err := cloneVM(ctx, c, CloneSpec{SourceNode: "pve", SourceVMID: 9000, NewID: 200, Name: "clone-1", Full: true, Storage: "local-lvm"}); err != nil {
		t.Fatalf("clone: %v", err)
	}
	vm, err := c.GetVM(ctx, "pve", 200)
	if err != nil {
		t.Fatal(err)
	}
	if vm.Name != "clone-1" || vm.Template || len(vm.Disks) != 1 || vm.Disks[0].SizeGB != 8 || vm.UUID == "" || vm.UUID == tmpl.UUID {
		t.Errorf("clone %+v", vm)
	}
	if len(vm.Networks) != 1 || vm.Networks[0].MAC == tmpl.Networks[0].MAC {
		t.Errorf("clone MAC not regenerated: %+v", vm.Networks)
	}
	// Another node needs shared storage: qemu-server API2/Qemu.pm clone_vm
	// dies "can't clone VM to node '<target>' (VM uses local storage)"
	// before forking when a disk of the source (or the target storage) is
	// not shared, and local-lvm is not.
	err = cloneVM(ctx, c, CloneSpec{SourceNode: "pve", SourceVMID: 9000, NewID: 201, TargetNode: "pve2", Name: "clone-2", Full: true})
	if err == nil || !strings.Contains(err.Error(), "can't clone VM to node 'pve2' (VM uses local storage)") {
		t.Fatalf("clone to pve2 from local storage: %v, want PVE's refusal", err)
	}
	if _, err := c.GetVMConfig(ctx, "pve2", 201); !errors.Is(err, ErrNotFound) {
		t.Errorf("a refused clone left VM 201 on pve2: %v", err)
	}
	err = cloneVM(ctx, c, CloneSpec{SourceNode: "pve", SourceVMID: 9000, NewID: 200, Name: "clone-3"})
	if !errors.Is(err, ErrAlreadyExists) {
		t.Errorf("clone onto a taken VMID: %v, want ErrAlreadyExists", err)
	}
}

func TestSimInventory(t *testing.T) {
	srv := startSim(t, pvesim.Options{PlainHTTP: true, Nodes: []string{"pve", "pve2"}, StatsLag: time.Hour})
	c := simClient(t, srv)
	ctx := context.Background()
	past := time.Now().Add(-2 * time.Hour)
	for _, vm := range []pvesim.VM{
		{VMID: 100, Node: "pve", Name: "old-a", Status: "running", CreatedAt: past, Config: map[string]string{"tags": "b;a"}},
		{VMID: 101, Node: "pve2", Name: "old-b", CreatedAt: past, Lock: "backup"},
		{VMID: 102, Node: "pve", Name: "tmpl", Template: true, CreatedAt: past},
		{VMID: 103, Node: "pve2", Name: "ct-1", Type: "lxc", CreatedAt: past},
		{VMID: 104, Node: "pve", Name: "ct-fresh", Type: "lxc", CreatedAt: time.Now()},
	} {
		if err := srv.AddVM(vm); err != nil {
			t.Fatal(err)
		}
	}
	// Fresh VMs: statistics have no name for them yet.
	mustCreate(t, c, baseSpec(200, "pve", "fresh-1"))
	mustCreate(t, c, baseSpec(201, "pve2", "fresh-2"))

	srv.ResetRequestCounts()
	inv, err := c.Inventory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.TotalRequests(); n != 1 {
		t.Errorf("Inventory cost %d requests", n)
	}
	byID := map[int]InventoryVM{}
	var ids []int
	for _, vm := range inv.VMs {
		byID[vm.VMID] = vm
		ids = append(ids, vm.VMID)
	}
	if !reflect.DeepEqual(ids, []int{100, 101, 102, 103, 104, 200, 201}) {
		t.Fatalf("VMIDs %v", ids)
	}
	if v := byID[100]; v.Name != "old-a" || !v.NameKnown || v.Status != "running" || v.Type != "qemu" || v.Node != "pve" ||
		!reflect.DeepEqual(v.Tags, []string{"a", "b"}) || v.Uptime < 0 {
		t.Errorf("100: %+v", v)
	}
	if v := byID[101]; v.Lock != "backup" || v.Node != "pve2" {
		t.Errorf("101: %+v", v)
	}
	if v := byID[102]; !v.Template {
		t.Errorf("102: %+v", v)
	}
	if v := byID[103]; v.Type != "lxc" || v.Name != "ct-1" {
		t.Errorf("103: %+v", v)
	}
	for _, id := range []int{104, 200, 201} {
		if v := byID[id]; v.NameKnown || v.Name != "" {
			t.Errorf("%d should have no name yet: %+v", id, v)
		}
	}

	// The live names: one node list per node that hosts a VM, whatever
	// the statistics say. Containers carry no name we protect: no request.
	srv.ResetRequestCounts()
	unresolved, err := c.ReadLiveNames(ctx, inv, nil)
	if err != nil || len(unresolved) != 0 {
		t.Fatalf("ReadLiveNames = %v, %v", unresolved, err)
	}
	if n, lists := srv.TotalRequests(), srv.RequestCounts()["GET /nodes/{node}/qemu"]; n != 2 || lists != 2 {
		t.Errorf("ReadLiveNames cost %d requests, want the 2 node lists: %v", n, srv.RequestCounts())
	}
	want := map[int]string{100: "old-a", 101: "old-b", 102: "tmpl", 200: "fresh-1", 201: "fresh-2"}
	for _, vm := range inv.VMs {
		if name, ok := want[vm.VMID]; ok && (vm.Name != name || !vm.NameKnown) {
			t.Errorf("%d not resolved: %+v", vm.VMID, vm)
		}
	}
	if v := liveByID(inv)[102]; !v.Template || v.Status != "stopped" {
		t.Errorf("102 from its node's list: %+v", v)
	}
	if v := liveByID(inv)[104]; v.NameKnown {
		t.Errorf("a container's name was looked up: %+v", v)
	}

	// A recycled VMID: the statistics keep the predecessor's name, the node
	// list shows the new VM's. A VM without a name shows PVE's stand-in.
	srv.RemoveVM(100)
	for _, vm := range []pvesim.VM{
		{VMID: 100, Node: "pve", Name: "new-tenant", CreatedAt: time.Now()},
		{VMID: 202, Node: "pve2", CreatedAt: time.Now()},
	} {
		if err := srv.AddVM(vm); err != nil {
			t.Fatal(err)
		}
	}
	if inv, err = c.Inventory(ctx); err != nil {
		t.Fatal(err)
	}
	if v := liveByID(inv)[100]; v.Name != "old-a" {
		t.Fatalf("the statistics do not list VM 100 under its predecessor's name: %+v", v)
	}
	if unresolved, err = c.ReadLiveNames(ctx, inv, nil); err != nil || len(unresolved) != 0 {
		t.Fatalf("ReadLiveNames = %v, %v", unresolved, err)
	}
	if v := liveByID(inv)[100]; v.Name != "new-tenant" || !v.NameKnown {
		t.Errorf("recycled VMID 100: %+v, want the live name new-tenant", v)
	}
	if v := liveByID(inv)[202]; v.Name != "VM 202" || !v.NameKnown {
		t.Errorf("VM without a name: %+v, want PVE's stand-in", v)
	}

	// A name PVE has not written yet (a create under way) comes from known.
	if err := srv.AddVM(pvesim.VM{VMID: 203, Node: "pve", Lock: "create", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if inv, err = c.Inventory(ctx); err != nil {
		t.Fatal(err)
	}
	known := func(vm InventoryVM) (string, bool) { return "mine", vm.VMID == 203 }
	if unresolved, err = c.ReadLiveNames(ctx, inv, known); err != nil || len(unresolved) != 0 {
		t.Fatalf("ReadLiveNames with a known name = %v, %v", unresolved, err)
	}
	if v := liveByID(inv)[203]; v.Name != "mine" || v.BeingCreated() {
		t.Errorf("203 under way: %+v, want the known name", v)
	}

	// An offline node: its VMs cannot be resolved, and the caller hears
	// about them instead of getting a guess.
	srv.SetNodeOffline("pve2", true)
	inv, err = c.Inventory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetRequestCounts()
	unresolved, err = c.ReadLiveNames(ctx, inv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if counts := srv.RequestCounts(); counts["GET /nodes/{node}/qemu"] != 1 || srv.TotalRequests() != 1 {
		t.Errorf("with pve2 offline: %v, want only pve's list", counts)
	}
	if !reflect.DeepEqual(unresolved, []int{101, 201, 202}) {
		t.Errorf("unresolved %v, want the VMs of pve2", unresolved)
	}
	// The cluster list says pve2 is offline: its list is not even asked for.
	if !inv.Offline["pve2"] || inv.Offline["pve"] {
		t.Errorf("offline nodes %v, want pve2", inv.Offline)
	}
	if _, err := c.GetVM(ctx, "pve2", 101); !errors.Is(err, ErrNodeUnreachable) {
		t.Errorf("GetVM on offline node: %v, want ErrNodeUnreachable", err)
	}
}

func liveByID(inv *Inventory) map[int]InventoryVM {
	out := map[int]InventoryVM{}
	for _, vm := range inv.VMs {
		out[vm.VMID] = vm
	}
	return out
}

func TestSimFailedTasks(t *testing.T) {
	srv := startSim(t, pvesim.Options{PlainHTTP: true})
	c := simClient(t, srv)
	ctx := context.Background()
	mustCreate(t, c, baseSpec(100, "pve", "a"))

	srv.FailTasks("qmstart", 1, "start failed: QEMU exited with code 1")
	err := c.StartVM(ctx, "pve", 100)
	var te *TaskError
	if !errors.As(err, &te) {
		t.Fatalf("StartVM: %v, want *TaskError", err)
	}
	if te.ExitStatus != "start failed: QEMU exited with code 1" || te.Type != "qmstart" || te.Node != "pve" || !strings.HasPrefix(te.UPID, "UPID:pve:") {
		t.Errorf("task error %+v", te)
	}
	if len(te.Log) == 0 || !strings.Contains(te.Log[len(te.Log)-1], "TASK ERROR: start failed: QEMU exited with code 1") {
		t.Errorf("log %q", te.Log)
	}

	srv.FailTasks("qmcreate", 1, "unable to create image: no space left on device")
	err = createVM(ctx, c, baseSpec(101, "pve", "b"))
	if !errors.As(err, &te) || !strings.Contains(te.ExitStatus, "no space left") {
		t.Fatalf("create: %v, want *TaskError", err)
	}
	if _, ok := srv.VM(101); ok {
		t.Error("a failed create left its VM")
	}

	// Graceful shutdown that fails falls back to stop.
	if err := c.StartVM(ctx, "pve", 100); err != nil {
		t.Fatal(err)
	}
	srv.FailTasks("qmshutdown", 1, "VM quit/powerdown failed - got timeout")
	srv.ResetRequestCounts()
	if err := c.ShutdownVM(ctx, "pve", 100, time.Second); err != nil {
		t.Fatalf("ShutdownVM: %v", err)
	}
	if vm, _ := srv.VM(100); vm.Status != "stopped" {
		t.Errorf("VM is %s after shutdown fallback", vm.Status)
	}
	if n := srv.RequestCounts()["POST /nodes/{node}/qemu/{vmid}/status/{action}"]; n != 2 {
		t.Errorf("%d power requests, want shutdown + stop", n)
	}
}

func TestSimIncidentDestroy(t *testing.T) {
	srv := startSim(t, pvesim.Options{PlainHTTP: true, Scenario: "incident"})
	c := simClient(t, srv)
	ctx := context.Background()

	vm, err := c.GetVM(ctx, "pve", 108)
	if err != nil {
		t.Fatal(err)
	}
	var onDownloads bool
	for _, d := range vm.Disks {
		onDownloads = onDownloads || d.Storage == "downloads"
	}
	if !onDownloads || vm.Status != "stopped" {
		t.Fatalf("VM 108 is not the broken one: %+v", vm)
	}
	// qemu-server QemuServer.pm destroy_vm: the disk on the missing pool
	// becomes a warning, the VM is gone, the volume stays behind.
	left, err := c.DestroyVM(ctx, "pve", 108)
	if err != nil {
		t.Fatalf("DestroyVM(108): %v, want success with a leftover volume", err)
	}
	want := []LeftoverVolume{{
		VolumeID: "downloads:vm-108-disk-1",
		Reason:   "could not activate storage 'downloads', zfs error: cannot import 'downloads': no such pool available",
	}}
	if !reflect.DeepEqual(left, want) {
		t.Errorf("leftover volumes %+v, want %+v", left, want)
	}
	if _, ok := srv.VM(108); ok {
		t.Error("VM 108 is still there after a destroy that ended with warnings")
	}
	if got := srv.LeftoverVolumes(); !reflect.DeepEqual(got, []string{"downloads:vm-108-disk-1"}) {
		t.Errorf("the simulator holds leftover volumes %v", got)
	}
	// A healthy one goes.
	if _, err := c.DestroyVM(ctx, "pve", 112); err != nil {
		t.Fatalf("DestroyVM(112): %v", err)
	}
}

func TestSimRetries(t *testing.T) {
	srv := startSim(t, pvesim.Options{PlainHTTP: true})
	c := simClient(t, srv)
	ctx := context.Background()
	const resources = "GET /cluster/resources"

	srv.InjectFault(pvesim.Fault{Method: "GET", Path: "/cluster/resources", Status: 503, Message: "Service Unavailable", Count: 2})
	srv.ResetRequestCounts()
	if _, err := c.Inventory(ctx); err != nil {
		t.Fatalf("Inventory after two 503s: %v", err)
	}
	if n := srv.RequestCounts()[resources]; n != 3 {
		t.Errorf("%d inventory requests, want 3", n)
	}

	srv.InjectFault(pvesim.Fault{Method: "GET", Path: "/cluster/resources", DropAfterHandling: true})
	srv.ResetRequestCounts()
	if _, err := c.Inventory(ctx); err != nil {
		t.Fatalf("Inventory after a dropped connection: %v", err)
	}
	if n := srv.RequestCounts()[resources]; n != 2 {
		t.Errorf("%d inventory requests, want 2", n)
	}

	srv.InjectFault(pvesim.Fault{Method: "GET", Path: "/cluster/resources", Status: 503, Message: "Service Unavailable", Count: 10})
	srv.ResetRequestCounts()
	if _, err := c.Inventory(ctx); err == nil {
		t.Fatal("Inventory succeeded through 10 faults")
	}
	if n := srv.RequestCounts()[resources]; n != 4 {
		t.Errorf("%d inventory requests, want 1 + MaxRetries", n)
	}
	srv.ClearFaults()

	// POSTs are never replayed: not after a 503...
	const create = "POST /nodes/{node}/qemu"
	srv.InjectFault(pvesim.Fault{Method: "POST", Path: "/nodes/{node}/qemu", Status: 503, Message: "Service Unavailable"})
	srv.ResetRequestCounts()
	if err := createVM(ctx, c, baseSpec(100, "pve", "a")); err == nil {
		t.Fatal("create succeeded through a 503")
	}
	if n := srv.RequestCounts()[create]; n != 1 {
		t.Errorf("%d create requests after a 503, want 1", n)
	}
	// ... nor after the answer was lost (the VM exists now).
	srv.InjectFault(pvesim.Fault{Method: "POST", Path: "/nodes/{node}/qemu", DropAfterHandling: true})
	srv.ResetRequestCounts()
	if err := createVM(ctx, c, baseSpec(100, "pve", "a")); err == nil {
		t.Fatal("create reported success without an answer")
	}
	if n := srv.RequestCounts()[create]; n != 1 {
		t.Errorf("%d create requests after a dropped answer, want 1", n)
	}
	// The create worker writes the name as it ends (qemu-server
	// PVE/API2/Qemu.pm create_vm: only "lock: create" until then), so wait
	// for the task, however slow a loaded machine makes it, before counting.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if vm, ok := srv.VM(100); ok && vm.Lock == "" || time.Now().After(deadline) {
			break
		}
	}
	if vms := srv.VMsNamed("a"); len(vms) != 1 {
		t.Errorf("%d VMs named a, want exactly 1", len(vms))
	}
	// Nor DELETE.
	srv.InjectFault(pvesim.Fault{Method: "DELETE", Status: 503, Message: "Service Unavailable"})
	srv.ResetRequestCounts()
	if _, err := c.DestroyVM(ctx, "pve", 100); err == nil {
		t.Fatal("DestroyVM succeeded through a 503")
	}
	if n := srv.RequestCounts()["DELETE /nodes/{node}/qemu/{vmid}"]; n != 1 {
		t.Errorf("%d destroy requests, want 1", n)
	}
}

func TestSimRequestTimeout(t *testing.T) {
	srv := startSim(t, pvesim.Options{PlainHTTP: true})
	c := simClient(t, srv, func(c *Config) { c.RequestTimeout = 300 * time.Millisecond })
	ctx := context.Background()

	// A hanging GET times out and is retried.
	srv.InjectFault(pvesim.Fault{Method: "GET", Path: "/version", Delay: 2 * time.Second})
	srv.ResetRequestCounts()
	start := time.Now()
	if _, err := c.ping(ctx); err != nil {
		t.Fatalf("Ping after a timeout: %v", err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("Ping took %v: the request timeout did not apply", d)
	}
	if n := srv.RequestCounts()["GET /version"]; n != 2 {
		t.Errorf("%d version requests, want 2", n)
	}

	// A hanging POST times out and is not retried.
	srv.InjectFault(pvesim.Fault{Method: "POST", Path: "/nodes/{node}/qemu", Delay: 2 * time.Second})
	srv.ResetRequestCounts()
	if err := createVM(ctx, c, baseSpec(100, "pve", "slow")); err == nil {
		t.Fatal("create succeeded through a timeout")
	}
	if n := srv.RequestCounts()["POST /nodes/{node}/qemu"]; n != 1 {
		t.Errorf("%d create requests, want 1", n)
	}
}

func TestSimShutdownTimeout(t *testing.T) {
	srv := startSim(t, pvesim.Options{PlainHTTP: true, TaskDuration: 400 * time.Millisecond})
	c := simClient(t, srv, func(c *Config) { c.TaskPollInterval = 10 * time.Millisecond })
	c.shutdownGrace = 0
	ctx := context.Background()
	mustCreate(t, c, baseSpec(100, "pve", "a"))
	if err := c.StartVM(ctx, "pve", 100); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequestCounts()
	// The guest does not finish shutting down within the timeout: stop it.
	if err := c.ShutdownVM(ctx, "pve", 100, 100*time.Millisecond); err != nil {
		t.Fatalf("ShutdownVM: %v", err)
	}
	if vm, _ := srv.VM(100); vm.Status != "stopped" {
		t.Errorf("VM is %s", vm.Status)
	}
	if n := srv.RequestCounts()["POST /nodes/{node}/qemu/{vmid}/status/{action}"]; n != 2 {
		t.Errorf("%d power requests, want shutdown + stop", n)
	}
}

func TestSimWaitTaskCancel(t *testing.T) {
	srv := startSim(t, pvesim.Options{PlainHTTP: true, TaskDuration: time.Minute})
	c := simClient(t, srv, func(c *Config) { c.TaskPollInterval = 20 * time.Millisecond })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := createVM(ctx, c, baseSpec(100, "pve", "slow"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("create: %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("create took %v to notice the deadline", d)
	}
	// The VM exists and is locked while its task runs.
	if vm, ok := srv.VM(100); !ok || vm.Lock != "create" {
		t.Errorf("sim VM %+v, %v", vm, ok)
	}
	if err := c.updateConfig(context.Background(), "pve", 100, map[string]string{"cores": "2"}, nil, ""); !errors.Is(err, ErrLocked) {
		t.Errorf("update while creating: %v, want ErrLocked", err)
	}
}

func TestSimLogging(t *testing.T) {
	const password = "pa55-w0rd-never-logged"
	srv := startSim(t, pvesim.Options{PlainHTTP: true, Password: password})
	var out bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &out)

	ticket := simClient(t, srv, func(c *Config) { c.APIToken, c.Username, c.Password = "", "root@pam", password })
	if _, err := ticket.ping(ctx); err != nil {
		t.Fatal(err)
	}
	mustCreateCtx(t, ctx, ticket, baseSpec(100, "pve", "logged"))
	_, _ = ticket.GetVM(ctx, "pve", 999) // an error line too
	sess := ticket.api.Session()
	if sess == nil || sess.Ticket == "" || sess.CSRFPreventionToken == "" {
		t.Fatal("no session after ticket login")
	}

	token := simClient(t, srv)
	if _, err := token.Inventory(ctx); err != nil {
		t.Fatal(err)
	}
	_, secret, _ := ParseAPIToken(srv.Token())

	text := out.String()
	if testing.Verbose() {
		t.Log(text)
	}
	for what, s := range map[string]string{
		"password": password, "ticket": sess.Ticket, "escaped ticket": url.QueryEscape(sess.Ticket),
		"CSRF token":   sess.CSRFPreventionToken,
		"token secret": secret, "full token": srv.Token(),
	} {
		if strings.Contains(text, s) {
			t.Errorf("the log contains the %s", what)
		}
	}
	entries, err := tflogtest.MultilineJSONDecode(&out)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if e["@module"] != "provider."+logSubsystem {
			continue
		}
		if e["@message"] != "Proxmox VE API call" && e["@message"] != "Proxmox VE API call failed" {
			continue
		}
		for _, k := range []string{"method", "path", "status_code", "duration_ms", "attempt"} {
			if _, ok := e[k]; !ok {
				t.Errorf("API log entry without %s: %v", k, e)
			}
		}
		seen[e["method"].(string)+" "+e["path"].(string)] = true
	}
	for _, want := range []string{
		"POST /access/ticket", "GET /version", "POST /nodes/pve/qemu",
		"GET /nodes/pve/qemu/999/config", "GET /cluster/resources",
	} {
		if !seen[want] {
			t.Errorf("no log entry for %s; have %v", want, seen)
		}
	}
	polled := false
	for k := range seen {
		polled = polled || strings.HasPrefix(k, "GET /nodes/pve/tasks/UPID:pve:") && strings.HasSuffix(k, "/status")
	}
	if !polled {
		t.Errorf("no log entry for the task poll; have %v", seen)
	}
}

func mustCreateCtx(t *testing.T, ctx context.Context, c *Client, spec CreateSpec) {
	t.Helper()
	if err := createVM(ctx, c, spec); err != nil {
		t.Fatalf("create: %v", err)
	}
}
