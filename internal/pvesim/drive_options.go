package pvesim

import (
	"math"
	"regexp"
	"strings"
)

// Drive and network options the simulator checks as PVE's property
// formats do (pve-common src/PVE/JSONSchema.pm parse_property_string and
// check_object; qemu-server src/PVE/QemuServer/Drive.pm and
// src/PVE/QemuServer/Network.pm). A key no format of the drive's bus has
// is refused (drive_format.go).

// driveEnums are enumerated drive options (Drive.pm %drivedesc_base).
var driveEnums = map[string][]string{
	"media":   {"cdrom", "disk"},
	"cache":   {"none", "writethrough", "writeback", "unsafe", "directsync"},
	"discard": {"ignore", "on"},
	"aio":     {"native", "threads", "io_uring"},
}

// driveTyped are Drive.pm's other typed options of %drivedesc_base: the
// I/O limits of $add_throttle_desc (integers and numbers without a
// minimum; the burst lengths at least 1), rerror/werror, format
// (pve-qm-image-format), size (disk-size: JSONSchema.pm
// pve_verify_disk_size over parse_size) and serial's maxLength.
var driveTyped = func() map[string]propFormat {
	noMin := int64(math.MinInt64)
	f := map[string]propFormat{
		"rerror": {enum: []string{"ignore", "report", "stop"}},
		"werror": {enum: []string{"enospc", "ignore", "report", "stop"}},
		"format": {enum: []string{"raw", "qcow", "qed", "qcow2", "vmdk", "cloop"}},
		"size":   {check: checkDiskSize},
		"serial": {check: checkURLEncodedOnly, maxLen: 20 * 3},
	}
	for _, k := range []string{"bps", "bps_rd", "bps_wr", "iops", "iops_rd", "iops_wr", "iops_max", "iops_rd_max", "iops_wr_max"} {
		f[k] = propFormat{isInt: true, min: noMin}
	}
	for _, k := range []string{"mbps", "mbps_rd", "mbps_wr", "mbps_max", "mbps_rd_max", "mbps_wr_max"} {
		f[k] = propFormat{isNumber: true, min: noMin}
	}
	for _, k := range []string{"bps_max_length", "bps_rd_max_length", "bps_wr_max_length", "iops_max_length", "iops_rd_max_length", "iops_wr_max_length"} {
		f[k] = propFormat{isInt: true, min: 1}
	}
	return f
}()

// diskSizeRE is JSONSchema.pm parse_size.
var diskSizeRE = regexp.MustCompile(`^(\d+(\.\d+)?)([KMGT](?:iB)?)?$`)

func checkDiskSize(v string) string {
	if !diskSizeRE.MatchString(v) {
		return "value does not look like a valid disk size: " + v + "\n"
	}
	return ""
}

var driveBusRE = regexp.MustCompile(`^(ide|sata|scsi|virtio)\d+$`)

// checkDriveValue validates a disk's property string against its bus's
// format (drive_format.go) and returns it with booleans as PVE stores them
// (parse_boolean: on/yes/true -> 1), or the error message PVE's parameter
// check gives: a parse error (unknown or duplicate key) alone, else one
// line per failed key.
func checkDriveValue(key, val string) (string, string) {
	m := driveBusRE.FindStringSubmatch(key)
	if m == nil {
		return val, "" // efidisk0, tpmstate0: formats of their own
	}
	if _, msg := parsePropertyString(key, val, busDriveFormats[m[1]]); msg != "" {
		return "", msg
	}
	parts := strings.Split(val, ",")
	for i, p := range parts {
		if k, v, has := strings.Cut(p, "="); has && busDriveFormats[m[1]][k].isBool {
			parts[i] = k + "=" + pveBoolOf(v)
		}
	}
	return strings.Join(parts, ","), ""
}
