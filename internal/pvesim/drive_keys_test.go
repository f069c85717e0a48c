package pvesim

import (
	"net/url"
	"strings"
	"testing"

	proxmox "github.com/luthermonson/go-proxmox"
)

// A drive string is parsed as the API's schema does (pve-common
// src/PVE/JSONSchema.pm parse_property_string, then check_object): a key
// the drive's bus has no format for (qemu-server src/PVE/QemuServer/Drive.pm
// $ide_fmt, $sata_fmt, $scsi_fmt, $virtio_fmt with %import_from_fmt) or a
// key given twice is a plain die; model, queues, wwn, product, vendor,
// serial and import-from are checked by type, format, pattern, length and
// minimum in check_prop's order.
func TestDriveKeysAndBusOptions(t *testing.T) {
	s := startSim(t, Options{})
	tok := s.Token()
	if err := s.AddVM(VM{VMID: 100, Name: "web", Config: map[string]string{"scsi0": "local-lvm:vm-100-disk-0,size=8G"}}); err != nil {
		t.Fatal(err)
	}
	put := func(key, value string) (string, string) {
		return call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{key: {value}})
	}
	const die = "invalid format - "
	const fe = "invalid format - format error\\n"
	for _, tt := range []struct{ key, value, msg string }{
		// parse_property_string: unknown and duplicate keys
		{"scsi1", "local-lvm:1,speed=5", die + "invalid key in comma-separated list property: speed\\n"},
		{"scsi1", "local-lvm:1,cyls=10", die + "invalid key in comma-separated list property: cyls\\n"},
		{"scsi0", "local-lvm:vm-100-disk-0,file=local-lvm:vm-100-disk-1", die + "duplicate key in comma-separated list property: file\\n"},
		{"scsi0", "file=local-lvm:vm-100-disk-0,local-lvm:vm-100-disk-1", die + "duplicate key in comma-separated list property: file\\n"},
		{"scsi0", "file=local-lvm:vm-100-disk-0,file=local-lvm:vm-100-disk-1", die + "duplicate key in comma-separated list property: file\\n"},
		{"scsi0", "file=local-lvm:vm-100-disk-0,volume=local-lvm:vm-100-disk-1", die + "key 'file' is already defined (via alias)\\n"},
		{"scsi0", "local-lvm:vm-100-disk-0,cache=none,cache=unsafe", die + "duplicate key in comma-separated list property: cache\\n"},
		// bus-specific keys
		{"scsi1", "local-lvm:1,model=disk", die + "invalid key in comma-separated list property: model\\n"},
		{"virtio1", "local-lvm:1,queues=4", die + "invalid key in comma-separated list property: queues\\n"},
		{"ide1", "local-lvm:1,queues=4", die + "invalid key in comma-separated list property: queues\\n"},
		{"virtio1", "local-lvm:1,wwn=0x5000c500a1b2c3d4", die + "invalid key in comma-separated list property: wwn\\n"},
		{"sata1", "local-lvm:1,product=X", die + "invalid key in comma-separated list property: product\\n"},
		// typed values
		{"ide1", "local-lvm:1,model=a b", fe + "ide1.model: invalid format - invalid urlencoded string: a b\\n\\n"},
		{"ide1", "local-lvm:1,model=" + strings.Repeat("a", 121), fe + "ide1.model: value may only be 120 characters long\\n"},
		{"scsi1", "local-lvm:1,queues=1", fe + "scsi1.queues: value must have a minimum value of 2\\n"},
		{"scsi1", "local-lvm:1,queues=many", fe + "scsi1.queues: type check ('integer') failed - got 'many'\\n"},
		{"sata1", "local-lvm:1,wwn=0x1234", fe + "sata1.wwn: value does not match the regex pattern\\n"},
		{"scsi1", "local-lvm:1,wwn=5000c500a1b2c3d4", fe + "scsi1.wwn: value does not match the regex pattern\\n"},
		{"scsi1", "local-lvm:1,vendor=TOO-LONG-X", fe + "scsi1.vendor: value does not match the regex pattern\\n"},
		{"scsi1", "local-lvm:1,serial=a b", fe + "scsi1.serial: invalid format - invalid urlencoded string: a b\\n\\n"},
		{"scsi1", "local-lvm:0,import-from=disk.qcow2", fe + "scsi1.import-from: invalid format - unable to parse volume ID 'disk.qcow2'\\n\\n"},
		{"scsi1", "disk.qcow2", fe + "scsi1.file: invalid format - unable to parse volume ID 'disk.qcow2'\\n\\n"},
		{"scsi1", "cache=none", fe + "scsi1.file: property is missing and it is not optional\\n"},
	} {
		st, b := put(tt.key, tt.value)
		expect(t, st, b, "400 Parameter verification failed.", `{"message":"Parameter verification failed.\n","errors":{"`+tt.key+`":"`+tt.msg+`"},"data":null}`)
	}

	// go-proxmox's typed update sees the same refusal.
	ctx := ctxT(t)
	node, err := tokenClient(t, s, tok).Node(ctx, "pve")
	if err != nil {
		t.Fatal(err)
	}
	vm, err := node.VirtualMachine(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	_, err = vm.Config(ctx, proxmox.VirtualMachineOption{Name: "virtio1", Value: "local-lvm:1,queues=4"})
	t.Logf("typed: %v", err)
	if err == nil || !strings.Contains(err.Error(), "invalid key in comma-separated list property: queues") {
		t.Errorf("typed update: %v, want the invalid key refusal", err)
	}

	// Accepted where the bus has them, stored as given (booleans as 0/1).
	for _, p := range [][2]string{
		{"ide1", "local-lvm:1,model=QEMU%20HARDDISK,wwn=0x5000c500a1b2c3d4,ssd=on"},
		{"scsi1", "local-lvm:1,queues=4,product=Fast Disk,vendor=ACME,scsiblock=0,ro=yes"},
		{"sata1", "local-lvm:1,wwn=0x5000C500A1B2C3D4"},
		{"scsi0", "volume=local-lvm:vm-100-disk-0,cache=none"},
	} {
		if st, b := put(p[0], p[1]); st != "200 OK" {
			t.Fatal(p, st, b)
		}
	}
	v, _ := s.VM(100)
	for k, want := range map[string]string{
		"ide1":  "model=QEMU%20HARDDISK,size=1G,ssd=1,wwn=0x5000c500a1b2c3d4",
		"scsi1": "product=Fast Disk,queues=4,ro=1,scsiblock=0,size=1G,vendor=ACME",
	} {
		if got := v.Config[k]; !strings.HasSuffix(got, want) {
			t.Errorf("%s = %q, want it to end in %q", k, got, want)
		}
	}
}
