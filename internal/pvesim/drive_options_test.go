package pvesim

import (
	"net/url"
	"strings"
	"testing"

	proxmox "github.com/luthermonson/go-proxmox"
)

// Drive and NIC options are checked like PVE's property formats, through
// raw HTTP: status line and body. A parse problem is a die with its newline
// (pve-common JSONSchema.pm parse_property_string); failed keys are raised
// as "format error\n" with one "<param>.<key>: <msg>\n" line each
// (PVE::Exception stringify); a registered format's die comes behind
// another "invalid format - " with its own newline (check_prop).
func TestDriveAndNetworkOptionChecks(t *testing.T) {
	s := startSim(t, Options{})
	tok := s.Token()
	if err := s.AddVM(VM{VMID: 100, Name: "web", Config: map[string]string{
		"scsi0": "local-lvm:vm-100-disk-0,size=8G", "net0": "e1000=BC:24:11:00:00:01,bridge=vmbr0",
	}}); err != nil {
		t.Fatal(err)
	}
	put := func(key, value string) (string, string) {
		return call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{key: {value}})
	}
	for _, tt := range []struct{ key, value, msg string }{
		{"ide1", "local-lvm:1,iothread=1", "invalid format - invalid key in comma-separated list property: iothread\\n"},
		{"virtio1", "local-lvm:1,ssd=1", "invalid format - invalid key in comma-separated list property: ssd\\n"},
		{"scsi0", "local-lvm:vm-100-disk-0,cache=fast", "invalid format - format error\\nscsi0.cache: value 'fast' does not have a value in the enumeration 'none, writethrough, writeback, unsafe, directsync'\\n"},
		{"scsi0", "local-lvm:vm-100-disk-0,discard=off", "invalid format - format error\\nscsi0.discard: value 'off' does not have a value in the enumeration 'ignore, on'\\n"},
		{"scsi0", "local-lvm:vm-100-disk-0,backup=maybe", "invalid format - format error\\nscsi0.backup: type check ('boolean') failed - got 'maybe'\\n"},
		{"net0", "virtio,bridge=vmbr0,mtu=70000", "invalid format - format error\\nnet0.mtu: value must have a maximum value of 65520\\n"},
		{"net0", "virtio,bridge=vmbr0,mtu=0", "invalid format - format error\\nnet0.mtu: value must have a minimum value of 1\\n"},
		{"net0", "virtio,bridge=vmbr0,mtu=0,tag=5000", "invalid format - format error\\nnet0.mtu: value must have a minimum value of 1\\nnet0.tag: value must have a maximum value of 4094\\n"},
		{"net0", "virtio=01:24:11:00:00:01,bridge=vmbr0", "invalid format - format error\\nnet0.macaddr: invalid format - value does not look like a valid unicast MAC address\\n\\n"},
		{"net0", "virtio,e1000", "invalid format - duplicate key in comma-separated list property: model\\n"},
		{"net0", "virtio,bridge=", "invalid format - missing key in comma-separated list property\\n"},
		{"net0", "bridge=vmbr0", "invalid format - format error\\nnet0.model: property is missing and it is not optional\\n"},
		{"net0", "virtio,speed=10", "invalid format - invalid key in comma-separated list property: speed\\n"},
		{"scsi1", "local-lvm:1,cache=fast,backup=maybe", "invalid format - format error\\nscsi1.backup: type check ('boolean') failed - got 'maybe'\\nscsi1.cache: value 'fast' does not have a value in the enumeration 'none, writethrough, writeback, unsafe, directsync'\\n"},
		{"net0", "virtio,bridge=vmbr0,rate=-1", "invalid format - format error\\nnet0.rate: value must have a minimum value of 0\\n"},
	} {
		st, b := put(tt.key, tt.value)
		expect(t, st, b, "400 Parameter verification failed.", `{"message":"Parameter verification failed.\n","errors":{"`+tt.key+`":"`+tt.msg+`"},"data":null}`)
	}
	// Accepted: booleans as PVE stores them; mtu on e1000 is kept (and
	// ignored by QEMU); a fractional rate.
	if st, b := put("scsi0", "local-lvm:vm-100-disk-0,ssd=on,iothread=yes,discard=on,cache=none,backup=0,replicate=false"); st != "200 OK" {
		t.Fatal(st, b)
	}
	if st, b := put("net0", "e1000=BC:24:11:00:00:01,bridge=vmbr0,mtu=1500,rate=12.5"); st != "200 OK" {
		t.Fatal(st, b)
	}
	vm, _ := s.VM(100)
	if got, want := vm.Config["scsi0"], "local-lvm:vm-100-disk-0,backup=0,cache=none,discard=on,iothread=1,replicate=0,size=8G,ssd=1"; got != want {
		t.Errorf("scsi0 = %q, want %q", got, want)
	}
	if got, want := vm.Config["net0"], "e1000=BC:24:11:00:00:01,bridge=vmbr0,mtu=1500,rate=12.5"; got != want {
		t.Errorf("net0 = %q, want %q", got, want)
	}
}

// A CD-ROM drive takes an ISO that exists (its size is written as
// create_disks does), none or the host's drive; an ISO that does not exist
// fails the update at once, and a create in its task.
func TestCDROMMedia(t *testing.T) {
	s := startSim(t, Options{})
	tok := s.Token()
	if err := s.AddVM(VM{VMID: 100, Name: "web", Status: "running", Config: map[string]string{"ide3": "none,media=cdrom"}}); err != nil {
		t.Fatal(err)
	}
	st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{"ide3": {"local:iso/nope.iso,media=cdrom"}})
	expect(t, st, b, "500 volume local:iso/nope.iso does not exist", `{"message":"volume local:iso/nope.iso does not exist\n","data":null}`)
	// Changing the medium of a running VM is hotplugged (change_medium).
	if st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{"ide3": {"local:iso/debian-12.iso,media=cdrom"}}); st != "200 OK" {
		t.Fatal(st, b)
	}
	vm, _ := s.VM(100)
	if got := vm.Config["ide3"]; got != "local:iso/debian-12.iso,media=cdrom,size=628M" {
		t.Errorf("ide3 = %q", got)
	}
	if set, del := s.PendingConfig(100); len(set) != 0 || len(del) != 0 {
		t.Errorf("pending %v %v, want none", set, del)
	}
	// A new ide CD-ROM drive on a running VM waits for the next start.
	if st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{"ide2": {"cdrom,media=cdrom"}}); st != "200 OK" {
		t.Fatal(st, b)
	}
	if set, _ := s.PendingConfig(100); set["ide2"] != "cdrom,media=cdrom" {
		t.Errorf("pending = %v, want ide2", set)
	}
	// A create with an ISO that does not exist fails in its task.
	node, err := tokenClient(t, s, tok).Node(ctxT(t), "pve")
	if err != nil {
		t.Fatal(err)
	}
	task, err := node.NewVirtualMachine(ctxT(t), 300, proxmox.VirtualMachineOption{Name: "ide3", Value: "local:iso/nope.iso,media=cdrom"})
	if err != nil {
		t.Fatal(err)
	}
	if exit := waitFailed(t, ctxT(t), task); exit != "unable to create VM 300 - volume local:iso/nope.iso does not exist" {
		t.Errorf("create task: %q", exit)
	}
	if _, exists := s.VM(300); exists {
		t.Error("the failed create left its VM")
	}
	st, b = call(t, s, "GET", "/nodes/pve/storage/local/content?content=iso", tok, nil)
	expect(t, st, b, "200 OK", `{"data":[{"content":"iso","ctime":1718020800,"format":"iso","size":658505728,"volid":"local:iso/debian-12.iso"}]}`)
	st, b = call(t, s, "GET", "/nodes/pve/storage/nope/content", tok, nil)
	expect(t, st, b, "500 storage 'nope' does not exist", `{"message":"storage 'nope' does not exist\n","data":null}`)
}

// Each bus takes only its own format's keys, a key once, and checks the
// typed ones (qemu-server Drive.pm $ide_fmt/$sata_fmt/$scsi_fmt/$virtio_fmt
// with import-from, as json_config_properties(..., 1) gives create and
// update; pve-common JSONSchema.pm parse_property_string dies on an
// unknown or repeated key before check_object checks values). Through
// go-proxmox's typed config update too: its error carries the same body.
func TestDriveFormatPerBus(t *testing.T) {
	s := startSim(t, Options{})
	tok := s.Token()
	if err := s.AddVM(VM{VMID: 100, Name: "web", Config: map[string]string{"scsi0": "local-lvm:vm-100-disk-0,size=8G"}}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ key, value, msg string }{
		{"scsi1", "local-lvm:1,speed=5", `invalid format - invalid key in comma-separated list property: speed\n`},
		{"scsi1", "local-lvm:1,file=local-lvm:2", `invalid format - duplicate key in comma-separated list property: file\n`},
		{"scsi1", "local-lvm:1,local-lvm:2", `invalid format - duplicate key in comma-separated list property: file\n`},
		{"scsi1", "file=local-lvm:1,local-lvm:2", `invalid format - duplicate key in comma-separated list property: file\n`},
		{"scsi1", "local-lvm:1,volume=local-lvm:2", `invalid format - key 'file' is already defined (via alias)\n`},
		{"scsi1", "local-lvm:1,cache=none,cache=none", `invalid format - duplicate key in comma-separated list property: cache\n`},
		{"scsi1", "local-lvm:1,model=QEMU", `invalid format - invalid key in comma-separated list property: model\n`},
		{"virtio1", "local-lvm:1,queues=4", `invalid format - invalid key in comma-separated list property: queues\n`},
		{"sata1", "local-lvm:1,iothread=1", `invalid format - invalid key in comma-separated list property: iothread\n`},
		{"ide1", "local-lvm:1,product=x", `invalid format - invalid key in comma-separated list property: product\n`},
		{"scsi1", "local-lvm:1,queues=1", `invalid format - format error\nscsi1.queues: value must have a minimum value of 2\n`},
		{"scsi1", "local-lvm:1,queues=two", `invalid format - format error\nscsi1.queues: type check ('integer') failed - got 'two'\n`},
		{"scsi1", "local-lvm:1,wwn=0x12", `invalid format - format error\nscsi1.wwn: value does not match the regex pattern\n`},
		{"sata1", "local-lvm:1,wwn=5000c500a1b2c3d4", `invalid format - format error\nsata1.wwn: value does not match the regex pattern\n`},
		{"ide1", "local-lvm:1,model=a b", `invalid format - format error\nide1.model: invalid format - invalid urlencoded string: a b\n\n`},
		{"scsi1", "local-lvm:1,vendor=ABCDEFGHI", `invalid format - format error\nscsi1.vendor: value does not match the regex pattern\n`},
		{"scsi1", "local-lvm:0,import-from=debian.qcow2", `invalid format - format error\nscsi1.import-from: invalid format - unable to parse volume ID 'debian.qcow2'\n\n`},
		{"scsi1", "debian.qcow2", `invalid format - format error\nscsi1.file: invalid format - unable to parse volume ID 'debian.qcow2'\n\n`},
	} {
		st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{tt.key: {tt.value}})
		expect(t, st, b, "400 Parameter verification failed.", `{"message":"Parameter verification failed.\n","errors":{"`+tt.key+`":"`+tt.msg+`"},"data":null}`)
	}
	// What each bus does take.
	for key, value := range map[string]string{
		"ide1":    "local-lvm:1,model=QEMU%20HARDDISK,ssd=1,wwn=0x5000c500a1b2c3d4",
		"sata1":   "local-lvm:1,ssd=on,wwn=0x5000C500A1B2C3D4",
		"scsi1":   "local-lvm:1,queues=4,product=Fast Disk,vendor=ACME,scsiblock=0,ro=1,iothread=1",
		"virtio1": "volume=local-lvm:1,ro=1,iothread=1,mbps_rd=10,mbps_rd_max=20,bps_rd_length=2",
	} {
		if st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{key: {value}}); st != "200 OK" {
			t.Errorf("%s=%s: %s %s", key, value, st, b)
		}
	}
	vm, err := tokenClient(t, s, tok).Node(ctxT(t), "pve")
	if err != nil {
		t.Fatal(err)
	}
	guest, err := vm.VirtualMachine(ctxT(t), 100)
	if err != nil {
		t.Fatal(err)
	}
	_, err = guest.Config(ctxT(t), proxmox.VirtualMachineOption{Name: "scsi2", Value: "local-lvm:1,model=QEMU"})
	if err == nil || !strings.Contains(err.Error(), "invalid key in comma-separated list property: model") {
		t.Errorf("go-proxmox config update: %v, want PVE's invalid key error", err)
	}
}
