package pvesim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	proxmox "github.com/luthermonson/go-proxmox"
)

// TestConcurrentCreateSameVMID: exactly one of 16 racing creates wins.
func TestConcurrentCreateSameVMID(t *testing.T) {
	s := startSim(t, Options{})
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	node, err := c.Node(ctx, "pve")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 16)
	tasks := make([]*proxmox.Task, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tasks[i], errs[i] = node.NewVirtualMachine(ctx, 300, proxmox.VirtualMachineOption{Name: "name", Value: fmt.Sprintf("racer-%d", i)})
		}()
	}
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
			waitOK(t, ctx, tasks[i])
		case err.Error() != "500 unable to create VM 300 - VM 300 already exists on node 'pve'":
			t.Errorf("loser %d: %v", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d winners", wins)
	}
	if vms := s.VMs(); len(vms) != 1 || !strings.HasPrefix(vms[0].Name, "racer-") {
		t.Fatalf("vms = %+v", vms)
	}
}

// TestCreateLock: while qmcreate runs the config is only "lock: create";
// config updates fail at once, a start waits for the create's config lock.
func TestCreateLock(t *testing.T) {
	s := startSim(t, Options{TaskDuration: 400 * time.Millisecond, PlainHTTP: true})
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	node, _ := c.Node(ctx, "pve")
	create, err := node.NewVirtualMachine(ctx, 400, proxmox.VirtualMachineOption{Name: "name", Value: "slow"})
	if err != nil {
		t.Fatal(err)
	}
	vm, _ := s.VM(400)
	if vm.Lock != "create" || vm.Name != "" || len(vm.Config) != 1 {
		t.Fatalf("during create: %+v", vm)
	}
	st, b := call(t, s, "GET", "/nodes/pve/qemu/400/status/current", s.Token(), nil)
	if st != "200 OK" || !strings.Contains(b, `"name":"VM 400"`) || !strings.Contains(b, `"lock":"create"`) {
		t.Fatalf("status during create: %s %s", st, b)
	}
	st, b = call(t, s, "PUT", "/nodes/pve/qemu/400/config", s.Token(), url.Values{"cores": {"2"}})
	expect(t, st, b, "500 VM is locked (create)", `{"message":"VM is locked (create)\n","data":null}`)
	// The create worker takes the config flock after the API answered
	// (API2/Qemu.pm create_vm: lock_config_full inside the forked worker),
	// so a start sent before it holds the flock may win it and fail on
	// "lock: create". Wait until the worker holds it, as it practically
	// always does on PVE before a second request arrives. (Once the create
	// is over, the start has nothing to wait for.)
	deadline := time.Now().Add(30 * time.Second)
	for !s.lockHeld("config/400") {
		if vm, _ := s.VM(400); vm.Lock != "create" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the create worker never took the config lock")
		}
		time.Sleep(5 * time.Millisecond)
	}
	var upid proxmox.UPID
	if err := c.Post(ctx, "/nodes/pve/qemu/400/status/start", nil, &upid); err != nil {
		t.Fatal(err)
	}
	// The start worker waits for the config lock the create worker holds
	// (QemuServer.pm vm_start takes lock_config, 10 s, before check_lock;
	// create_vm runs under lock_config_full), so it starts the finished VM.
	start := proxmox.NewTask(upid, c)
	// Task status while running has no exitstatus.
	if err := create.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, create)
	vm, _ = s.VM(400)
	if vm.Lock != "" || vm.Name != "slow" || vm.CTime == 0 || vm.UUID == "" || vm.Config["vmgenid"] == "" {
		t.Fatalf("after create: %+v", vm)
	}
	waitOK(t, ctx, start)
	if vm, _ = s.VM(400); vm.Status != "running" {
		t.Fatalf("after start: %+v", vm)
	}
	log, _ := create.Log(ctx, 0, 50)
	if log[len(log)-1] != "TASK OK" {
		t.Fatalf("create log %v", log)
	}
}

func TestTaskStatusShape(t *testing.T) {
	s := startSim(t, Options{TaskDuration: 300 * time.Millisecond, PlainHTTP: true})
	st, b := call(t, s, "POST", "/nodes/pve/qemu", s.Token(), url.Values{"vmid": {"100"}})
	if st != "200 OK" {
		t.Fatal(st)
	}
	upid := strings.TrimSuffix(strings.TrimPrefix(b, `{"data":"`), `"}`)
	parts := strings.Split(upid, ":")
	if len(parts) != 9 || parts[0] != "UPID" || parts[1] != "pve" || len(parts[2]) != 8 || len(parts[3]) != 8 || len(parts[4]) != 8 ||
		parts[5] != "qmcreate" || parts[6] != "100" || parts[7] != "root@pam!proxmoxsafe" || parts[8] != "" {
		t.Fatalf("upid = %q", upid)
	}
	_, b = call(t, s, "GET", "/nodes/pve/tasks/"+upid+"/status", s.Token(), nil)
	if !strings.Contains(b, `"status":"running"`) || strings.Contains(b, "exitstatus") {
		t.Fatalf("running status = %s", b)
	}
	time.Sleep(500 * time.Millisecond)
	_, b = call(t, s, "GET", "/nodes/pve/tasks/"+upid+"/status", s.Token(), nil)
	if !strings.Contains(b, `"status":"stopped"`) || !strings.Contains(b, `"exitstatus":"OK"`) || !strings.Contains(b, `"type":"qmcreate"`) {
		t.Fatalf("stopped status = %s", b)
	}
	_, b = call(t, s, "GET", "/nodes/pve/tasks/"+upid+"/log?start=0&limit=10", s.Token(), nil)
	if b != `{"data":[{"n":1,"t":"TASK OK"}],"total":1}` {
		t.Fatalf("log = %s", b)
	}
	_, b = call(t, s, "GET", "/nodes/pve/tasks?typefilter=qmcreate", s.Token(), nil)
	if !strings.Contains(b, `"status":"OK"`) || !strings.Contains(b, upid) {
		t.Fatalf("list = %s", b)
	}
}

func TestStatsLag(t *testing.T) {
	s := startSim(t, Options{StatsLag: 400 * time.Millisecond, PlainHTTP: true})
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	node, _ := c.Node(ctx, "pve")
	task, err := node.NewVirtualMachine(ctx, 100, proxmox.VirtualMachineOption{Name: "name", Value: "fresh"},
		proxmox.VirtualMachineOption{Name: "tags", Value: "B a"})
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	_, b := call(t, s, "GET", "/cluster/resources?type=vm", s.Token(), nil)
	if b != `{"data":[{"id":"qemu/100","node":"pve","status":"unknown","tags":"a;b","type":"qemu","vmid":100}]}` {
		t.Fatalf("fresh = %s", b)
	}
	// The node list reads the name live.
	vms, err := node.VirtualMachines(ctx)
	if err != nil || len(vms) != 1 || vms[0].Name != "fresh" {
		t.Fatalf("node list = %v %v", vms, err)
	}
	time.Sleep(450 * time.Millisecond)
	cl, _ := c.Cluster(ctx)
	rs, err := cl.Resources(ctx, "vm")
	if err != nil || len(rs) != 1 || rs[0].Name != "fresh" || rs[0].Status != "stopped" || rs[0].Tags != "a;b" {
		t.Fatalf("after lag = %+v %v", rs, err)
	}
	all, err := cl.Resources(ctx)
	if err != nil || len(all) != 1+1+2 {
		t.Fatalf("all resources = %d %v", len(all), err)
	}
	if st, _ := call(t, s, "GET", "/cluster/resources?type=bogus", s.Token(), nil); st != "400 Parameter verification failed." {
		t.Fatal(st)
	}
}

func TestTagsNormalised(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	if err := s.AddVM(VM{VMID: 100, Name: "x"}); err != nil {
		t.Fatal(err)
	}
	st, _ := call(t, s, "PUT", "/nodes/pve/qemu/100/config", s.Token(), url.Values{"tags": {"Zeta, alpha;ALPHA  beta_1 x.y+z"}})
	if st != "200 OK" {
		t.Fatal(st)
	}
	vm, _ := s.VM(100)
	if vm.Config["tags"] != "alpha;beta_1;x.y+z;zeta" {
		t.Fatalf("tags = %q", vm.Config["tags"])
	}
	st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", s.Token(), url.Values{"tags": {"-bad"}})
	expect(t, st, b, "400 Parameter verification failed.", `{"message":"Parameter verification failed.\n","errors":{"tags":"invalid format - invalid characters in tag"},"data":null}`)
}

func TestNodeOffline(t *testing.T) {
	s := startSim(t, Options{Scenario: "incident", PlainHTTP: true})
	s.SetNodeOffline("pve2", true)
	_, b := call(t, s, "GET", "/cluster/resources?type=vm", s.Token(), nil)
	if !strings.Contains(b, `{"id":"qemu/105","node":"pve2","status":"unknown","type":"qemu","vmid":105}`) {
		t.Fatalf("offline VM entry missing: %s", b)
	}
	st, b := call(t, s, "GET", "/nodes/pve2/qemu/105/config", s.Token(), nil)
	expect(t, st, b, "595 No route to host", "")
	_, b = call(t, s, "GET", "/nodes", s.Token(), nil)
	if !strings.Contains(b, `{"id":"node/pve2","node":"pve2","status":"offline","type":"node"}`) {
		t.Fatalf("nodes = %s", b)
	}
	s.SetNodeOffline("pve2", false)
	if st, _ := call(t, s, "GET", "/nodes/pve2/qemu/105/config", s.Token(), nil); st != "200 OK" {
		t.Fatal(st)
	}
}

func TestInjectFault(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	s.InjectFault(Fault{Method: "GET", Path: "/cluster/nextid", Count: 2, Status: 500, Message: "cluster not ready - no quorum?"})
	cl, _ := c.Cluster(ctx)
	for range 2 {
		if _, err := cl.NextID(ctx); err == nil || err.Error() != "500 cluster not ready - no quorum?" {
			t.Fatalf("fault: %v", err)
		}
	}
	if id, err := cl.NextID(ctx); err != nil || id != 100 {
		t.Fatalf("after fault: %d %v", id, err)
	}

	// Exact path match and delay.
	s.InjectFault(Fault{Path: "/nodes/pve/qemu", Delay: 150 * time.Millisecond})
	t0 := time.Now()
	if st, _ := call(t, s, "GET", "/nodes/pve/qemu", s.Token(), nil); st != "200 OK" {
		t.Fatal(st)
	}
	if time.Since(t0) < 150*time.Millisecond {
		t.Fatal("no delay")
	}

	// DropAfterHandling: the VM is created but the client gets no answer.
	s.InjectFault(Fault{Method: "POST", Path: "/nodes/{node}/qemu", DropAfterHandling: true})
	node, _ := c.Node(ctx, "pve")
	_, err := node.NewVirtualMachine(ctx, 100, proxmox.VirtualMachineOption{Name: "name", Value: "dropped"})
	if err == nil || !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "EOF") {
		t.Fatalf("drop: %v", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		if vm, found := s.VM(100); found && vm.Lock == "" && vm.Name == "dropped" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("dropped create did not happen")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, err = node.NewVirtualMachine(ctx, 100)
	if err == nil || err.Error() != "500 unable to create VM 100 - VM 100 already exists on node 'pve'" {
		t.Fatalf("replay: %v", err)
	}

	// HoldAnswer: the change is made at once; the answer waits.
	s.InjectFault(Fault{Method: "PUT", Path: "/nodes/{node}/qemu/{vmid}/config", HoldAnswer: time.Hour})
	held, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(held, "PUT", s.URL()+"/nodes/pve/qemu/100/config", strings.NewReader("tags=held"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "PVEAPIToken="+s.Token())
	if res, err := httpClient(t, s).Do(req); err == nil {
		_ = res.Body.Close()
		t.Fatalf("a held answer arrived: %s", res.Status)
	}
	if vm, _ := s.VM(100); vm.Config["tags"] != "held" {
		t.Fatalf("the held request was not handled: tags %q", vm.Config["tags"])
	}

	s.InjectFault(Fault{Status: 503, Message: "service unavailable", Count: 5})
	s.ClearFaults()
	if st, _ := call(t, s, "GET", "/version", s.Token(), nil); st != "200 OK" {
		t.Fatal(st)
	}
}

func TestFailTasks(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	node, _ := c.Node(ctx, "pve")

	s.FailTasks("qmcreate", 1, "unable to create VM 100 - storage full")
	task, err := node.NewVirtualMachine(ctx, 100, proxmox.VirtualMachineOption{Name: "name", Value: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if msg := waitFailed(t, ctx, task); msg != "unable to create VM 100 - storage full" {
		t.Fatalf("exit = %q", msg)
	}
	if _, found := s.VM(100); found {
		t.Fatal("failed create left a config")
	}
	task, err = node.NewVirtualMachine(ctx, 100, proxmox.VirtualMachineOption{Name: "name", Value: "x"})
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)

	s.FailTasks("qmstart", 1, "start failed: QEMU exited with code 1")
	vm, _ := node.VirtualMachine(ctx, 100)
	task, err = vm.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if msg := waitFailed(t, ctx, task); msg != "start failed: QEMU exited with code 1" {
		t.Fatal(msg)
	}
	if v, _ := s.VM(100); v.Status != "stopped" {
		t.Fatal("failed start started the VM")
	}
}

func TestIncidentScenario(t *testing.T) {
	s := startSim(t, Options{Scenario: "incident", PlainHTTP: true})
	ctx := ctxT(t)
	prom := s.VMsNamed("MONITORING-prometheus")
	graf := s.VMsNamed("monitoring-grafana")
	if len(prom) != 5 || len(graf) != 6 {
		t.Fatalf("prom %d graf %d", len(prom), len(graf))
	}
	all := append(append([]VM{}, prom...), graf...)
	for _, v := range all {
		if v.Node != "pve" || v.CTime == 0 || v.CTime > time.Now().Unix() {
			t.Fatalf("bad seed %+v", v)
		}
		want := "stopped"
		if v.VMID == 123 || v.VMID == 126 {
			want = "running"
		}
		if v.Status != want {
			t.Fatalf("%d status %s", v.VMID, v.Status)
		}
	}
	for i := 1; i < len(prom); i++ {
		if prom[i].CTime <= prom[i-1].CTime {
			t.Fatal("ctimes not increasing")
		}
	}
	if v, _ := s.VM(9000); !v.Template {
		t.Fatal("no template")
	}
	if v, _ := s.VM(105); v.Node != "pve2" {
		t.Fatal("105 not on pve2")
	}
	c := tokenClient(t, s, s.Token())
	cl, _ := c.Cluster(ctx)
	rs, _ := cl.Resources(ctx, "vm")
	names := 0
	for _, r := range rs {
		if r.Name == "monitoring-prometheus" || r.Name == "monitoring-grafana" {
			names++
		}
	}
	if names != 11 {
		t.Fatalf("visible incident names = %d", names)
	}
	_, b := call(t, s, "GET", "/nodes/pve/storage", s.Token(), nil)
	if !strings.Contains(b, `{"active":0,"content":"images,rootdir","enabled":1,"shared":0,"storage":"downloads","type":"zfspool"}`) {
		t.Fatalf("storage = %s", b)
	}
	// qemu-server QemuServer.pm destroy_vm with destroy-unreferenced-disks:
	// PVE::Storage::vdisk_list activates every image storage outside any
	// eval, so the missing pool fails the task and the VM stays.
	node, _ := c.Node(ctx, "pve")
	vm, err := node.VirtualMachine(ctx, 108)
	if err != nil {
		t.Fatal(err)
	}
	task, err := vm.Delete(ctx, &proxmox.VirtualMachineDeleteOptions{Purge: true, DestroyUnreferencedDisks: true})
	if err != nil {
		t.Fatal(err)
	}
	const activation = "could not activate storage 'downloads', zfs error: cannot import 'downloads': no such pool available"
	if msg := waitFailed(t, ctx, task); msg != activation {
		t.Fatal(msg)
	}
	if _, found := s.VM(108); !found {
		t.Fatal("108 gone although its destroy failed")
	}
	// Without it, the disk that cannot be freed is only a warning
	// ("Could not remove disk '<volid>', check manually: <err>", log_warn):
	// the task ends "TASK WARNINGS: 1", the VM is gone, the volume stays.
	task, err = vm.Delete(ctx, &proxmox.VirtualMachineDeleteOptions{Purge: true})
	if err != nil {
		t.Fatal(err)
	}
	// go-proxmox v0.8.2 counts only "OK" as success and reports this task
	// as failed (IsFailed); PVE's exit code is 0. internal/pve treats
	// "WARNINGS: <n>" as the success it is.
	if err := task.Wait(ctx, 20*time.Millisecond, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if task.ExitStatus != "WARNINGS: 1" {
		t.Fatalf("exit status %q, want WARNINGS: 1", task.ExitStatus)
	}
	lines, err := task.Log(ctx, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	wantTail := []string{
		"WARN: Could not remove disk 'downloads:vm-108-disk-1', check manually: " + activation,
		"TASK WARNINGS: 1",
	}
	// go-proxmox keys the log by line number.
	var log []string
	for _, n := range slices.Sorted(maps.Keys(lines)) {
		log = append(log, lines[n])
	}
	if len(log) < 2 || !slices.Equal(log[len(log)-2:], wantTail) {
		t.Fatalf("task log %q, want it to end with %q", log, wantTail)
	}
	if _, found := s.VM(108); found {
		t.Fatal("108 still there after a destroy that ended with warnings")
	}
	if got := s.LeftoverVolumes(); !slices.Equal(got, []string{"downloads:vm-108-disk-1"}) {
		t.Fatalf("leftover volumes %v", got)
	}
	// 112 has no disk there: destroy works.
	vm, _ = node.VirtualMachine(ctx, 112)
	task, err = vm.Delete(ctx, &proxmox.VirtualMachineDeleteOptions{Purge: true})
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	// Running 123 cannot be destroyed.
	vm, _ = node.VirtualMachine(ctx, 123)
	if _, err := vm.Delete(ctx, &proxmox.VirtualMachineDeleteOptions{Purge: true}); err == nil || err.Error() != "500 VM 123 is running - destroy failed" {
		t.Fatal(err)
	}
	// Allocating on the broken pool fails the create task and removes the config.
	task, err = node.NewVirtualMachine(ctx, 500, proxmox.VirtualMachineOption{Name: "scsi0", Value: "downloads:10"})
	if err != nil {
		t.Fatal(err)
	}
	if msg := waitFailed(t, ctx, task); msg != "unable to create VM 500 - could not activate storage 'downloads', zfs error: cannot import 'downloads': no such pool available" {
		t.Fatal(msg)
	}
	if _, found := s.VM(500); found {
		t.Fatal("500 left behind")
	}
}

func TestLockedDestroyAndClone(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	if err := s.AddVM(VM{VMID: 100, Name: "src", Lock: "backup", Config: map[string]string{"scsi0": "local-lvm:vm-100-disk-0,size=10G"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddVM(VM{VMID: 101, Name: "other"}); err != nil {
		t.Fatal(err)
	}
	node, _ := c.Node(ctx, "pve")
	vm, _ := node.VirtualMachine(ctx, 100)
	task, err := vm.Delete(ctx, &proxmox.VirtualMachineDeleteOptions{Purge: true})
	if err != nil {
		t.Fatal(err)
	}
	if msg := waitFailed(t, ctx, task); msg != "VM is locked (backup)" {
		t.Fatal(msg)
	}
	if _, _, err := vm.Clone(ctx, &proxmox.VirtualMachineCloneOptions{NewID: 102}); err == nil || err.Error() != "500 VM is locked (backup)" {
		t.Fatal(err)
	}
	_ = s.SetVMConfig(100, "lock", "")
	if _, _, err := vm.Clone(ctx, &proxmox.VirtualMachineCloneOptions{NewID: 101}); err == nil || err.Error() != "500 unable to create VM 101: config file already exists" {
		t.Fatal(err)
	}
	// The clone is locked while its task runs (names are not unique).
	_, task, err = vm.Clone(ctx, &proxmox.VirtualMachineCloneOptions{NewID: 102, Name: "src", Target: "pve"})
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if n := len(s.VMsNamed("src")); n != 2 {
		t.Fatalf("%d VMs named src", n)
	}
}

func TestResize(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	if err := s.AddVM(VM{VMID: 100, Name: "r", Config: map[string]string{"scsi0": "local-lvm:vm-100-disk-0,iothread=1,size=32G"}}); err != nil {
		t.Fatal(err)
	}
	node, _ := c.Node(ctx, "pve")
	vm, _ := node.VirtualMachine(ctx, 100)
	task, err := vm.ResizeDisk(ctx, "scsi0", "+8G")
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if v, _ := s.VM(100); v.Config["scsi0"] != "local-lvm:vm-100-disk-0,iothread=1,size=40G" {
		t.Fatal(v.Config["scsi0"])
	}
	if _, err := vm.ResizeDisk(ctx, "scsi0", "20G"); err == nil || err.Error() != "500 shrinking disks is not supported" {
		t.Fatal(err)
	}
	task, err = vm.ResizeDisk(ctx, "scsi0", "50G")
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if v, _ := s.VM(100); v.Config["scsi0"] != "local-lvm:vm-100-disk-0,iothread=1,size=50G" {
		t.Fatal(v.Config["scsi0"])
	}
	if _, err := vm.ResizeDisk(ctx, "scsi3", "50G"); err == nil || err.Error() != "500 disk 'scsi3' does not exist" {
		t.Fatal(err)
	}
}

func TestRequestCounts(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	_ = s.AddVM(VM{VMID: 100})
	call(t, s, "GET", "/nodes/pve/qemu/100/config", s.Token(), nil)
	call(t, s, "GET", "/nodes/pve/qemu/100/config", s.Token(), nil)
	call(t, s, "POST", "/nodes/pve/qemu/100/status/start", s.Token(), nil)
	call(t, s, "GET", "/version", "", nil)
	got := s.RequestCounts()
	if got["GET /nodes/{node}/qemu/{vmid}/config"] != 2 || got["POST /nodes/{node}/qemu/{vmid}/status/{action}"] != 1 ||
		got["GET /version"] != 1 || s.TotalRequests() != 4 {
		t.Fatalf("counts = %v total %d", got, s.TotalRequests())
	}
	s.ResetRequestCounts()
	if s.TotalRequests() != 0 || len(s.RequestCounts()) != 0 {
		t.Fatal("reset failed")
	}
}

func TestInventoryAccessors(t *testing.T) {
	s := startSim(t, Options{Nodes: []string{"a", "b"}, PlainHTTP: true})
	if err := s.AddVM(VM{VMID: 200, Name: "Web", Node: "a", CTime: 1700000000, UUID: "11111111-2222-4333-8444-555555555555"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddVM(VM{VMID: 201, Name: "ct", Node: "b", Type: "lxc"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddVM(VM{VMID: 201}); err == nil {
		t.Fatal("duplicate AddVM accepted")
	}
	v, _ := s.VM(200)
	if v.CTime != 1700000000 || v.Config["meta"] != "creation-qemu=9.0.2,ctime=1700000000" || v.UUID != "11111111-2222-4333-8444-555555555555" || v.Config["smbios1"] != "uuid=11111111-2222-4333-8444-555555555555" {
		t.Fatalf("%+v", v)
	}
	if len(s.VMsNamed("web")) != 1 || len(s.VMs()) != 2 {
		t.Fatal("accessors")
	}
	// lxc ids clash with qemu creates.
	st, _ := call(t, s, "POST", "/nodes/a/qemu", s.Token(), url.Values{"vmid": {"201"}})
	if st != "500 unable to create VM 201 - VM 201 already exists on node 'b'" {
		t.Fatal(st)
	}
	st, b := call(t, s, "GET", "/nodes/b/lxc/201/config", s.Token(), nil)
	if st != "200 OK" || !strings.Contains(b, `"hostname":"ct"`) || !strings.Contains(b, `"memory":512`) {
		t.Fatal(st, b)
	}
	if err := s.MoveVM(200, "b"); err != nil {
		t.Fatal(err)
	}
	if st, _ := call(t, s, "GET", "/nodes/b/qemu/200/config", s.Token(), nil); st != "200 OK" {
		t.Fatal(st)
	}
	if !s.RemoveVM(200) || s.RemoveVM(200) {
		t.Fatal("RemoveVM")
	}
}

func TestHTTPSDefault(t *testing.T) {
	s := startSim(t, Options{})
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") || !strings.HasSuffix(s.URL(), "/api2/json") {
		t.Fatal(s.URL())
	}
	// Without trusting the CA the handshake fails.
	res, err := http.Get(s.URL() + "/version")
	if err == nil {
		_ = res.Body.Close()
		t.Fatal("untrusted cert accepted")
	}
	res, err = httpClient(t, s).Get(s.URL() + "/version")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.ProtoMajor != 1 || res.StatusCode != 401 {
		t.Fatalf("%s %s", res.Proto, res.Status)
	}
	_ = context.Background()
}

// TestHoldTaskHoldsOneObject: HoldTask holds the tasks of one type on one
// ID only; another create of the same type runs as usual, and the held one
// finishes once released.
func TestHoldTaskHoldsOneObject(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	release := s.HoldTask("qmcreate", "101")
	defer release()
	_, held := call(t, s, "POST", "/nodes/pve/qemu", s.Token(), url.Values{"vmid": {"101"}, "name": {"held"}})
	_, free := call(t, s, "POST", "/nodes/pve/qemu", s.Token(), url.Values{"vmid": {"100"}, "name": {"free"}})
	if exit := waitUPID(t, s, free); exit != "OK" {
		t.Fatalf("the other create: exit %q", exit)
	}
	if vm, _ := s.VM(101); vm.Lock != "create" || vm.Name != "" {
		t.Fatalf("held create finished before its release: %+v", vm)
	}
	release()
	if exit := waitUPID(t, s, held); exit != "OK" {
		t.Fatalf("held create: exit %q", exit)
	}
	if vm, _ := s.VM(101); vm.Lock != "" || vm.Name != "held" {
		t.Fatalf("after release: %+v", vm)
	}
}
