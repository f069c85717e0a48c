package pvesim

import (
	"net/url"
	"strings"
	"testing"

	proxmox "github.com/luthermonson/go-proxmox"
)

// TestDriveParseRules: a drive string the schema takes can still fail
// qemu-server Drive.pm parse_drive, which API2/Qemu.pm $check_drive_param
// runs next and answers with raise_param_exc "unable to parse drive
// options"; import-from needs "<storage>:0" ("requires special syntax").
// parse_drive stores a byte limit as mbps "0.000" ($bps = defined(delete
// ...) is 1). A burst of "0" needs no base limit, "0.0" does (Perl
// truth). The body carries "<" and ">" as PVE's to_json writes them
// (pve-http-server Formatter/Standard.pm), not as \u003c.
func TestDriveParseRules(t *testing.T) {
	s := startSim(t, Options{})
	tok := s.Token()
	if err := s.AddVM(VM{VMID: 100, Name: "web", Config: map[string]string{"scsi0": "local-lvm:vm-100-disk-0,size=8G"}}); err != nil {
		t.Fatal(err)
	}
	const unparsable = "unable to parse drive options"
	for _, tt := range []struct{ key, value, msg string }{
		{"virtio1", "none,media=cdrom", unparsable},
		{"ide2", "none,media=cdrom,format=raw", unparsable},
		{"scsi1", "local-lvm:1,mbps=10,mbps_rd=5", unparsable},
		{"scsi1", "local-lvm:1,iops=10,iops_wr=5", unparsable},
		{"scsi1", "local-lvm:1,mbps_max=20", unparsable},
		{"scsi1", "local-lvm:1,mbps_max=0.0", unparsable}, // "0.0" is true in Perl, "0" is not
		{"scsi1", "local-lvm:1,mbps=10,bps_max_length=5", unparsable},
		{"scsi1", "local-lvm:1,bps=1048576,mbps=1", unparsable},
		{"scsi1", "local-lvm:2,import-from=local:iso/debian.qcow2", "'import-from' requires special syntax - use <storage ID>:0,import-from=<source>"},
		{"scsi1", "local-lvm:vm-100-disk-9,import-from=local:iso/debian.qcow2", "'import-from' requires special syntax - use <storage ID>:0,import-from=<source>"},
	} {
		st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{tt.key: {tt.value}})
		expect(t, st, b, "400 Parameter verification failed.", `{"message":"Parameter verification failed.\n","errors":{"`+tt.key+`":"`+tt.msg+`"},"data":null}`)
	}
	// Create runs the same check, through go-proxmox's typed call.
	ctx := ctxT(t)
	node, err := tokenClient(t, s, tok).Node(ctx, "pve")
	if err != nil {
		t.Fatal(err)
	}
	_, err = node.NewVirtualMachine(ctx, 101, proxmox.VirtualMachineOption{Name: "virtio0", Value: "none,media=cdrom"})
	if err == nil || !strings.Contains(err.Error(), `{"virtio0":"unable to parse drive options"}`) {
		t.Errorf("typed create: %v, want the virtio0 refusal", err)
	}
	if _, found := s.VM(101); found {
		t.Error("VM 101 created")
	}

	// Accepted, with the byte limit stored as parse_drive leaves it.
	if st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{"scsi0": {"local-lvm:vm-100-disk-0,bps_rd=1048576,mbps_max=0,iops=5"}}); st != "200 OK" {
		t.Fatal(st, b)
	}
	if st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{"virtio1": {"volume=local-lvm:1,mbps_rd=10,mbps_rd_max=20,bps_rd_length=2"}}); st != "200 OK" {
		t.Fatal(st, b)
	}
	vm, _ := s.VM(100)
	if got, want := vm.Config["scsi0"], "local-lvm:vm-100-disk-0,iops=5,mbps_max=0,mbps_rd=0.000,size=8G"; got != want {
		t.Errorf("scsi0 = %q, want %q", got, want)
	}
	if got, want := vm.Config["virtio1"], "local-lvm:vm-100-disk-1,bps_rd_max_length=2,mbps_rd=10,mbps_rd_max=20,size=1G"; got != want {
		t.Errorf("virtio1 = %q, want %q (the alias stored under its target)", got, want)
	}
}
