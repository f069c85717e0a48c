package pvesim

import (
	"net/url"
	"testing"
)

// TestDriveTypedOptions: the rest of qemu-server Drive.pm %drivedesc_base is
// type-checked as pve-common JSONSchema.pm check_prop does inside
// parse_property_string: the I/O limits of $add_throttle_desc (integers or
// numbers; burst lengths minimum 1), rerror/werror and format enums, size's
// disk-size format (pve_verify_disk_size dies with its newline, behind
// "invalid format - "), serial's maxLength. Status line and body.
func TestDriveTypedOptions(t *testing.T) {
	s := startSim(t, Options{})
	tok := s.Token()
	if err := s.AddVM(VM{VMID: 100, Name: "web", Config: map[string]string{"scsi0": "local-lvm:vm-100-disk-0,size=8G"}}); err != nil {
		t.Fatal(err)
	}
	put := func(value string) (string, string) {
		return call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{"scsi0": {value}})
	}
	const disk = "local-lvm:vm-100-disk-0,"
	for _, tt := range []struct{ value, msg string }{
		{disk + "iops=fast", "invalid format - format error\\nscsi0.iops: type check ('integer') failed - got 'fast'\\n"},
		{disk + "mbps=x", "invalid format - format error\\nscsi0.mbps: type check ('number') failed - got 'x'\\n"},
		{disk + "bps_max_length=0", "invalid format - format error\\nscsi0.bps_max_length: value must have a minimum value of 1\\n"},
		{disk + "rerror=retry", "invalid format - format error\\nscsi0.rerror: value 'retry' does not have a value in the enumeration 'ignore, report, stop'\\n"},
		{disk + "werror=retry", "invalid format - format error\\nscsi0.werror: value 'retry' does not have a value in the enumeration 'enospc, ignore, report, stop'\\n"},
		{disk + "format=vhdx", "invalid format - format error\\nscsi0.format: value 'vhdx' does not have a value in the enumeration 'raw, qcow, qed, qcow2, vmdk, cloop'\\n"},
		{"local-lvm:vm-100-disk-0,size=8X", "invalid format - format error\\nscsi0.size: invalid format - value does not look like a valid disk size: 8X\\n\\n"},
		{disk + "serial=0123456789012345678901234567890123456789012345678901234567890", "invalid format - format error\\nscsi0.serial: value may only be 60 characters long\\n"},
	} {
		st, b := put(tt.value)
		expect(t, st, b, "400 Parameter verification failed.", `{"message":"Parameter verification failed.\n","errors":{"scsi0":"`+tt.msg+`"},"data":null}`)
	}
	// Accepted: signed and fractional limits, as JSONSchema takes them.
	if st, b := put(disk + "iops=+500,mbps=.5,rerror=stop,format=raw"); st != "200 OK" {
		t.Fatal(st, b)
	}
}
