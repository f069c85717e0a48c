package pvesim

import (
	"net/url"
	"strings"
	"testing"

	proxmox "github.com/luthermonson/go-proxmox"
)

// taskLogText is a task's log through raw HTTP, one line per entry.
func taskLogText(t *testing.T, s *Server, node, upid string) string {
	t.Helper()
	st, b := call(t, s, "GET", "/nodes/"+node+"/tasks/"+upid+"/log", s.Token(), nil)
	if st != "200 OK" {
		t.Fatalf("task log: %s %s", st, b)
	}
	return b
}

// TestCloneEarlyChecks: qemu-server API2/Qemu.pm clone_vm's $load_and_check
// runs before forking: each refusal is a synchronous 500 with no task.
func TestCloneEarlyChecks(t *testing.T) {
	s := startSim(t, Options{Nodes: []string{"pve", "pve2"}, PlainHTTP: true})
	addTemplate(t, s, "local-lvm")
	if err := s.AddVM(VM{VMID: 100, Name: "web", Config: map[string]string{"scsi0": "local-lvm:vm-100-disk-0,size=8G"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddVM(VM{VMID: 200, Name: "elsewhere", Node: "pve2"}); err != nil {
		t.Fatal(err)
	}
	tok := s.Token()
	for _, tc := range []struct {
		path   string
		form   url.Values
		status string
	}{
		// A template clones linked unless full=1: storage and format are refused.
		{"/nodes/pve/qemu/9000/clone", url.Values{"newid": {"300"}, "storage": {"local-lvm"}}, "500 parameter 'storage' not allowed for linked clones"},
		{"/nodes/pve/qemu/9000/clone", url.Values{"newid": {"300"}, "format": {"raw"}}, "500 parameter 'format' not allowed for linked clones"},
		{"/nodes/pve/qemu/100/clone", url.Values{"newid": {"300"}, "full": {"0"}, "storage": {"local-lvm"}}, "500 parameter 'storage' not allowed for linked clones"},
		// A VM's disks are not base volumes: no linked clone.
		{"/nodes/pve/qemu/100/clone", url.Values{"newid": {"300"}, "full": {"0"}}, "500 Linked clone feature is not supported for 'local-lvm:vm-100-disk-0' (scsi0)"},
		{"/nodes/pve/qemu/100/clone", url.Values{"newid": {"300"}, "target": {"pve2"}}, "500 can't clone VM to node 'pve2' (VM uses local storage)"},
		{"/nodes/pve/qemu/100/clone", url.Values{"newid": {"300"}, "target": {"pve2"}, "storage": {"local-lvm"}}, "500 can't clone to non-shared storage 'local-lvm'"},
		{"/nodes/pve/qemu/100/clone", url.Values{"newid": {"300"}, "target": {"pve9"}}, "500 no such cluster node 'pve9'"},
		{"/nodes/pve/qemu/100/clone", url.Values{"newid": {"300"}, "storage": {"nope"}}, "500 storage 'nope' does not exist"},
		// The newid check up front looks at the local node only.
		{"/nodes/pve/qemu/100/clone", url.Values{"newid": {"9000"}}, "500 unable to create VM 9000: config file already exists"},
	} {
		st, b := call(t, s, "POST", tc.path, tok, tc.form)
		msg := strings.TrimPrefix(tc.status, "500 ")
		expect(t, st, b, tc.status, `{"message":"`+msg+`\n","data":null}`)
	}
	st, b := call(t, s, "POST", "/nodes/pve/qemu/100/clone", tok, url.Values{"newid": {"300"}, "storage": {"local"}, "full": {"1"}})
	if st != "200 OK" || !strings.Contains(b, ":qmclone:100:") { // dir storage "local" holds images: allowed
		t.Fatalf("full clone to local: %s %s", st, b)
	}
	if got := s.tasksOfType("qmclone"); got != 1 {
		t.Fatalf("%d qmclone tasks, want only the allowed one", got)
	}

	// Through go-proxmox's typed API.
	ctx := ctxT(t)
	node, err := tokenClient(t, s, tok).Node(ctx, "pve")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := node.VirtualMachine(ctx, 9000)
	if err != nil {
		t.Fatal(err)
	}
	if _, task, err := tmpl.Clone(ctx, &proxmox.VirtualMachineCloneOptions{NewID: 301, Storage: "local-lvm"}); err == nil || err.Error() != "500 parameter 'storage' not allowed for linked clones" || task != nil {
		t.Fatalf("typed linked clone with storage: task %v, err %v", task, err)
	}
}

// TestCloneFullDefaultAndLateNewID: a template clones linked by default and
// a VM fully; a newid taken on another node passes the early check and
// fails the task when the worker writes the config (pmxcfs refuses it).
func TestCloneFullDefaultAndLateNewID(t *testing.T) {
	s := startSim(t, Options{Nodes: []string{"pve", "pve2"}, PlainHTTP: true})
	addTemplate(t, s, "local-lvm")
	if err := s.AddVM(VM{VMID: 200, Name: "elsewhere", Node: "pve2"}); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	node, err := tokenClient(t, s, s.Token()).Node(ctx, "pve")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := node.VirtualMachine(ctx, 9000)
	if err != nil {
		t.Fatal(err)
	}
	_, task, err := tmpl.Clone(ctx, &proxmox.VirtualMachineCloneOptions{NewID: 101})
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if log := taskLogText(t, s, "pve", string(task.UPID)); !strings.Contains(log, `"t":"create linked clone of drive scsi0 (local-lvm:base-9000-disk-0)"`) {
		t.Fatalf("template clone log: %s", log)
	}
	clone, err := node.VirtualMachine(ctx, 101)
	if err != nil {
		t.Fatal(err)
	}
	_, task, err = clone.Clone(ctx, &proxmox.VirtualMachineCloneOptions{NewID: 102})
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if log := taskLogText(t, s, "pve", string(task.UPID)); !strings.Contains(log, `"t":"create full clone of drive scsi0 (local-lvm:vm-101-disk-0)"`) {
		t.Fatalf("VM clone log: %s", log)
	}

	_, task, err = tmpl.Clone(ctx, &proxmox.VirtualMachineCloneOptions{NewID: 200})
	if err != nil {
		t.Fatalf("newid on another node must pass the early check: %v", err)
	}
	const want = "close (rename) atomic file '/etc/pve/nodes/pve/qemu-server/200.conf' failed: File exists"
	if msg := waitFailed(t, ctx, task); msg != want {
		t.Fatalf("late newid: %q, want %q", msg, want)
	}
	if vm, _ := s.VM(200); vm.Node != "pve2" || vm.Name != "elsewhere" {
		t.Fatalf("the other node's VM 200 changed: %+v", vm)
	}
}
