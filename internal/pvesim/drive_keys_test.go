package pvesim

import (
	"net/url"
	"strings"
	"testing"
)

// Drive strings beyond TestDriveFormatPerBus's cases (pve-common
// src/PVE/JSONSchema.pm parse_property_string, check_prop; qemu-server
// src/PVE/QemuServer/Drive.pm): the API parses without parse_drive's
// $DROPPED_PROPERTIES skip, so cyls is an unknown key; "volume" after
// "file" dies as an alias of a defined key; serial is urlencoded and
// model at most 120 characters (format before length); a drive without
// its volume misses file. Accepted values are stored with booleans as 0/1.
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
		{"scsi1", "local-lvm:1,cyls=10", die + "invalid key in comma-separated list property: cyls\\n"},
		{"scsi0", "file=local-lvm:vm-100-disk-0,file=local-lvm:vm-100-disk-1", die + "duplicate key in comma-separated list property: file\\n"},
		{"scsi0", "file=local-lvm:vm-100-disk-0,volume=local-lvm:vm-100-disk-1", die + "key 'file' is already defined (via alias)\\n"},
		{"ide1", "local-lvm:1,model=" + strings.Repeat("a", 121), fe + "ide1.model: value may only be 120 characters long\\n"},
		{"scsi1", "local-lvm:1,vendor=TOO-LONG-X", fe + "scsi1.vendor: value does not match the regex pattern\\n"},
		{"scsi1", "local-lvm:1,serial=a b", fe + "scsi1.serial: invalid format - invalid urlencoded string: a b\\n\\n"},
		{"scsi1", "cache=none", fe + "scsi1.file: property is missing and it is not optional\\n"},
	} {
		st, b := put(tt.key, tt.value)
		expect(t, st, b, "400 Parameter verification failed.", `{"message":"Parameter verification failed.\n","errors":{"`+tt.key+`":"`+tt.msg+`"},"data":null}`)
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
