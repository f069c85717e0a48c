package pvesim

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	proxmox "github.com/luthermonson/go-proxmox"
)

// taskLogLines reads a task's whole log as its lines.
func taskLogLines(t *testing.T, s *Server, upid string) []string {
	t.Helper()
	var out struct {
		Data []struct {
			T string `json:"t"`
		} `json:"data"`
	}
	// Past the endpoint's default page of 50 lines (a copy logs about 100).
	st, b := call(t, s, "GET", "/nodes/pve/tasks/"+upid+"/log?limit=1000", s.Token(), nil)
	if st != "200 OK" {
		t.Fatalf("task log: %s %s", st, b)
	}
	if err := json.Unmarshal([]byte(b), &out); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range out.Data {
		lines = append(lines, l.T)
	}
	return lines
}

// TestCloneShowsNameAfterFirstDisk: qemu-server src/PVE/API2/Qemu.pm
// clone_vm's $clonefn runs write_config($newid, $newconf) after each
// clone_disk, with lock: clone still set; the lock is deleted only after the
// last disk. So while the second disk waits, the new VM already has its name,
// its first disk and the lock. The second disk is held at its allocation by
// its storage's lock (pve-storage vdisk_alloc under cluster_lock_storage),
// taken here by the test: no timing is involved. The log lines are
// clone_vm's and clone_disk's prints (QemuServer.pm; "allocated target
// volume" from qemu-server 9.1.7, commit 473b6774) and lvcreate's output.
func TestCloneShowsNameAfterFirstDisk(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true, Locks: LockOptions{StorageTimeout: time.Minute}})
	s.mu.Lock()
	s.storages = append(s.storages, storageDef{ID: "fast", Type: "lvmthin", Content: "images", Total: 1 << 40})
	s.mu.Unlock()
	if err := s.AddVM(VM{VMID: 100, Name: "src", Config: map[string]string{
		"scsi0": "local-lvm:vm-100-disk-0,size=8G", "scsi1": "fast:vm-100-disk-1,size=4G",
	}}); err != nil {
		t.Fatal(err)
	}
	unlock, err := s.locks.acquire("node/pve/pve-storage-fast", false, time.Second, nil, s.closing)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	st, b := call(t, s, "POST", "/nodes/pve/qemu/100/clone", s.Token(), url.Values{"newid": {"101"}, "name": {"copy"}, "full": {"1"}})
	if st != "200 OK" || !strings.Contains(b, ":qmclone:100:") {
		t.Fatalf("clone: %s %s", st, b)
	}
	var upid struct{ Data string }
	if err := json.Unmarshal([]byte(b), &upid); err != nil {
		t.Fatal(err)
	}

	during := regexp.MustCompile(`^\{"data":\{"digest":"[0-9a-f]{40}","lock":"clone","meta":"[^"]*","name":"copy","scsi0":"local-lvm:vm-101-disk-0,size=8G","smbios1":"uuid=[0-9a-f-]{36}","vmgenid":"[0-9a-f-]{36}"\}\}$`)
	deadline := time.Now().Add(time.Minute)
	for {
		st, b = call(t, s, "GET", "/nodes/pve/qemu/101/config", s.Token(), nil)
		if strings.Contains(b, `"name"`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st != "200 OK" || !during.MatchString(b) {
		t.Fatalf("config while the second disk waits: %s %s", st, b)
	}
	got := taskLogLines(t, s, upid.Data)
	if len(got) < 6 {
		t.Fatalf("log while the second disk waits:\n%s", strings.Join(got, "\n"))
	}
	progress := got[4 : len(got)-1]
	got = append(got[:4:4], got[len(got)-1])
	if want := []string{
		"creating a clone of VM 100 with ID 101",
		"create full clone of drive scsi0 (local-lvm:vm-100-disk-0)",
		`  Logical volume "vm-101-disk-0" created.`,
		"allocated target volume 'local-lvm:vm-101-disk-0'",
		"create full clone of drive scsi1 (fast:vm-100-disk-1)",
	}; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log while the second disk waits:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	checkCopyProgress(t, progress, "8.0 GiB", "transferred 81.9 MiB of 8.0 GiB (1.00%)")

	unlock()
	ctx := ctxT(t)
	task := proxmox.NewTask(proxmox.UPID(upid.Data), tokenClient(t, s, s.Token()))
	waitOK(t, ctx, task)
	after, _ := s.VM(101)
	if after.Lock != "" || after.Name != "copy" || after.Config["scsi0"] != "local-lvm:vm-101-disk-0,size=8G" || after.Config["scsi1"] != "fast:vm-101-disk-1,size=4G" {
		t.Fatalf("after clone: %+v", after.Config)
	}
	lines := taskLogLines(t, s, upid.Data)
	lines = lines[4+len(progress):]
	if len(lines) < 5 {
		t.Fatalf("log tail:\n%s", strings.Join(lines, "\n"))
	}
	checkCopyProgress(t, lines[3:len(lines)-1], "4.0 GiB", "transferred 42.2 MiB of 4.0 GiB (1.03%)")
	if got, want := strings.Join(append(lines[:3:3], lines[len(lines)-1]), "\n"), strings.Join([]string{
		"create full clone of drive scsi1 (fast:vm-100-disk-1)",
		`  Logical volume "vm-101-disk-1" created.`,
		"allocated target volume 'fast:vm-101-disk-1'",
		"TASK OK",
	}, "\n"); got != want {
		t.Fatalf("log tail:\n%s\nwant\n%s", got, want)
	}
}

// checkCopyProgress checks the lines qemu-server's QemuImage.pm convert
// parser prints for a full copy of a disk of the given size: from 0.00 %
// to 100.00 %, one line per point qemu-img's progress moved
// (util/qemu-progress.c, min_skip 1.0), sizes by render_bytes(..., 1).
func checkCopyProgress(t *testing.T, lines []string, size, second string) {
	t.Helper()
	line := regexp.MustCompile(`^transferred \d+\.\d (B|KiB|MiB|GiB) of ` + regexp.QuoteMeta(size) + ` \(\d{1,3}\.\d\d%\)$`)
	for _, l := range lines {
		if !line.MatchString(l) {
			t.Fatalf("progress line %q", l)
		}
	}
	if n := len(lines); n < 90 || n > 102 || lines[0] != "transferred 0.0 B of "+size+" (0.00%)" || lines[1] != second ||
		lines[n-1] != "transferred "+size+" of "+size+" (100.00%)" {
		t.Fatalf("%d progress lines:\n%s", len(lines), strings.Join(lines, "\n"))
	}
}

// TestCloneRenameFailureLog: a newid taken on another node passes clone_vm's
// early check (it looks at the local node's config file only); in the worker
// $clonefn prints "creating a clone of VM <vmid> with ID <newid>" and then
// file_set_contents (pve-common File.pm) fails to rename the temporary file
// into pmxcfs, outside the eval, so the task ends with that die as is.
func TestCloneRenameFailureLog(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true, Nodes: []string{"pve", "pve2"}})
	if err := s.AddVM(VM{VMID: 100, Name: "src"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddVM(VM{VMID: 101, Name: "elsewhere", Node: "pve2"}); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	node, _ := tokenClient(t, s, s.Token()).Node(ctx, "pve")
	vm, _ := node.VirtualMachine(ctx, 100)
	_, task, err := vm.Clone(ctx, &proxmox.VirtualMachineCloneOptions{NewID: 101})
	if err != nil {
		t.Fatal(err)
	}
	const want = "close (rename) atomic file '/etc/pve/nodes/pve/qemu-server/101.conf' failed: File exists"
	if msg := waitFailed(t, ctx, task); msg != want {
		t.Fatalf("exit status %q", msg)
	}
	if got := strings.Join(taskLogLines(t, s, string(task.UPID)), "\n"); got != "creating a clone of VM 100 with ID 101\nTASK ERROR: "+want {
		t.Fatalf("log:\n%s", got)
	}
	if v, _ := s.VM(101); v.Name != "elsewhere" || v.Node != "pve2" {
		t.Fatalf("the other node's VM 101 changed: %+v", v)
	}
}
