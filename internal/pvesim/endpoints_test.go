package pvesim

import (
	"slices"
	"strings"
	"testing"
	"time"

	proxmox "github.com/luthermonson/go-proxmox"
)

// TestVolumeInfo: GET /nodes/{node}/storage/{storage}/content/{volume}
// (pve-storage API2/Storage/Content.pm info, $real_volume_id).
func TestVolumeInfo(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	if err := s.AddVM(VM{VMID: 100, Name: "web", Config: map[string]string{
		"scsi0": "local-lvm:vm-100-disk-0,size=8G", "scsi1": "local:100/vm-100-disk-1.qcow2,size=1G",
	}}); err != nil {
		t.Fatal(err)
	}
	tok := s.Token()
	for _, tc := range []struct{ path, status, body string }{
		{"/nodes/pve/storage/local-lvm/content/local-lvm:vm-100-disk-0", "200 OK",
			`{"data":{"format":"raw","path":"/dev/pve/vm-100-disk-0","size":8589934592,"used":0}}`},
		{"/nodes/pve/storage/local-lvm/content/vm-100-disk-0", "200 OK",
			`{"data":{"format":"raw","path":"/dev/pve/vm-100-disk-0","size":8589934592,"used":0}}`},
		{"/nodes/pve/storage/local/content/local:100%2Fvm-100-disk-1.qcow2", "200 OK",
			`{"data":{"format":"qcow2","path":"/var/lib/vz/images/100/vm-100-disk-1.qcow2","size":1073741824,"used":0}}`},
		{"/nodes/pve/storage/local/content/local-lvm:vm-100-disk-0", "400 Parameter verification failed.",
			`{"message":"Parameter verification failed.\n","errors":{"volume":"storage ID mismatch (local-lvm != local)"},"data":null}`},
		{"/nodes/pve/storage/local/content/local:100%2Fvm-100-disk-9.raw", "500 volume_size_info on 'local:100/vm-100-disk-9.raw' failed - no format",
			`{"message":"volume_size_info on 'local:100/vm-100-disk-9.raw' failed - no format\n","data":null}`},
	} {
		st, b := call(t, s, "GET", tc.path, tok, nil)
		if st != tc.status || b != tc.body {
			t.Errorf("GET %s:\n got %s %s\nwant %s %s", tc.path, st, b, tc.status, tc.body)
		}
	}
}

// TestFreeLeftoverVolume: the volume a destroy left on the broken pool can
// be freed once the pool is back (the operator's `pvesm free`): DELETE
// .../content/{volume} runs an imgdel task whose vdisk_free activates the
// storage first (Storage.pm), so it fails while the pool is missing.
func TestFreeLeftoverVolume(t *testing.T) {
	s := startSim(t, Options{Scenario: "incident", PlainHTTP: true})
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	node, err := c.Node(ctx, "pve")
	if err != nil {
		t.Fatal(err)
	}
	vm, err := node.VirtualMachine(ctx, 108)
	if err != nil {
		t.Fatal(err)
	}
	task, err := vm.Delete(ctx, &proxmox.VirtualMachineDeleteOptions{Purge: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Wait(ctx, 20*time.Millisecond, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	const vol = "downloads:vm-108-disk-1"
	if got := s.LeftoverVolumes(); !slices.Equal(got, []string{vol}) {
		t.Fatalf("leftovers %v", got)
	}

	store, err := node.Storage(ctx, "downloads")
	if err != nil {
		t.Fatal(err)
	}
	task, err = store.DeleteContent(ctx, vol)
	if err != nil {
		t.Fatal(err)
	}
	if msg := waitFailed(t, ctx, task); msg != "could not activate storage 'downloads', zfs error: cannot import 'downloads': no such pool available" {
		t.Fatalf("free on the missing pool: %q", msg)
	}
	if !strings.Contains(string(task.UPID), ":imgdel:108@downloads:") {
		t.Fatalf("upid %s", task.UPID)
	}

	if err := s.SetStorageBroken("downloads", false); err != nil {
		t.Fatal(err)
	}
	st, b := call(t, s, "GET", "/nodes/pve/storage/downloads/content/"+vol, s.Token(), nil)
	expect(t, st, b, "200 OK", `{"data":{"format":"raw","path":"/dev/zvol/downloads/vm-108-disk-1","size":107374182400,"used":0}}`)
	task, err = store.DeleteContent(ctx, vol)
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if log := taskLogText(t, s, string(task.UPID)); !strings.Contains(log, `"t":"Removed volume 'downloads:vm-108-disk-1'"`) {
		t.Fatalf("log %s", log)
	}
	if got := s.LeftoverVolumes(); len(got) != 0 {
		t.Fatalf("leftovers after free: %v", got)
	}
	st, b = call(t, s, "GET", "/nodes/pve/storage/downloads/content/"+vol, s.Token(), nil)
	expect(t, st, b, "500 zfs error: cannot open 'downloads/vm-108-disk-1': dataset does not exist",
		`{"message":"zfs error: cannot open 'downloads/vm-108-disk-1': dataset does not exist\n","data":null}`)
}

// TestAccessUsersAndHAResource: /access/users (pve-access-control
// API2/User.pm index) and a VM not under HA (pve-ha-manager
// API2/HA/Resources.pm read, HA/Config.pm parse_sid).
func TestAccessUsersAndHAResource(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	if err := s.AddVM(VM{VMID: 100, Name: "web"}); err != nil {
		t.Fatal(err)
	}
	s.AddToken("ops@pve!ci=11111111-1111-4111-8111-111111111111", []int{100})
	tok := s.Token()
	st, b := call(t, s, "GET", "/access/users?full=1", tok, nil)
	expect(t, st, b, "200 OK", `{"data":[`+
		`{"enable":1,"expire":0,"groups":"","realm-type":"pve","tokens":[{"expire":0,"privsep":1,"tokenid":"ci"}],"userid":"ops@pve"},`+
		`{"enable":1,"expire":0,"groups":"","realm-type":"pam","tokens":[{"expire":0,"privsep":0,"tokenid":"proxmoxsafe"}],"userid":"root@pam"}]}`)
	ctx := ctxT(t)
	users, err := tokenClient(t, s, tok).Users(ctx)
	if err != nil || len(users) != 2 || users[1].UserID != "root@pam" || users[1].RealmType != "pam" {
		t.Fatalf("typed users: %+v, %v", users, err)
	}
	st, b = call(t, s, "GET", "/access/users", "ops@pve!ci=11111111-1111-4111-8111-111111111111", nil)
	expect(t, st, b, "200 OK", `{"data":[]}`)

	for _, tc := range []struct{ sid, status string }{
		{"vm:100", "500 no such resource 'vm:100'"},
		{"100", "500 no such resource 'vm:100'"},
		{"999", "500 unable to detect SID from VMID - VM/CT 999 does not exist"},
	} {
		st, b := call(t, s, "GET", "/cluster/ha/resources/"+tc.sid, tok, nil)
		expect(t, st, b, tc.status, `{"message":"`+strings.TrimPrefix(tc.status, "500 ")+`\n","data":null}`)
	}
	st, b = call(t, s, "GET", "/cluster/ha/resources/VM:1", tok, nil)
	expect(t, st, b, "400 Parameter verification failed.",
		`{"message":"Parameter verification failed.\n","errors":{"sid":"invalid format - value does not look like a valid ha resource id"},"data":null}`)
	cl, err := tokenClient(t, s, tok).Cluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.HAResource(ctx, "vm:100"); err == nil || err.Error() != "500 no such resource 'vm:100'" {
		t.Fatalf("typed HA resource: %v", err)
	}
}
