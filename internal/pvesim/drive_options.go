package pvesim

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
)

// Drive and network options the simulator checks as PVE's property
// formats do (pve-common src/PVE/JSONSchema.pm parse_property_string and
// check_object; qemu-server src/PVE/QemuServer/Drive.pm and
// src/PVE/QemuServer/Network.pm). Other options (and keys no drive
// format has, except the bus-specific ones) pass unchecked.

// driveEnums are enumerated drive options (Drive.pm %drivedesc_base).
var driveEnums = map[string][]string{
	"media":   {"cdrom", "disk"},
	"cache":   {"none", "writethrough", "writeback", "unsafe", "directsync"},
	"discard": {"ignore", "on"},
	"aio":     {"native", "threads", "io_uring"},
}

// driveBools are boolean drive options; the bus-specific ones are only in
// some buses' formats (iothread: $scsi_fmt and $virtio_fmt; ssd: $ide_fmt,
// $sata_fmt and $scsi_fmt).
var driveBools = []string{"backup", "replicate", "snapshot", "detect_zeroes", "shared", "iothread", "ssd", "ro"}

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
		"serial": {maxLen: 20 * 3},
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

// driveKeyAllowed reports whether the bus's drive format has the option.
func driveKeyAllowed(bus, k string) bool {
	switch k {
	case "iothread", "ro":
		return bus == "scsi" || bus == "virtio"
	case "ssd":
		return bus != "virtio"
	}
	return true
}

// checkDriveValue validates a disk's property string and returns it with
// booleans as PVE stores them (parse_boolean: on/yes/true -> 1), or the
// error message PVE's parameter check gives.
func checkDriveValue(key, val string) (string, string) {
	m := driveBusRE.FindStringSubmatch(key)
	if m == nil {
		return val, "" // efidisk0, tpmstate0: formats of their own
	}
	parts := strings.Split(val, ",")
	errs := map[string]string{}
	for i, p := range parts {
		k, v, has := strings.Cut(p, "=")
		if !has {
			continue
		}
		if !driveKeyAllowed(m[1], k) {
			return "", dieFormat("invalid key in comma-separated list property: " + k)
		}
		if f, typed := driveTyped[k]; typed {
			if msg := checkProp(f, v); msg != "" {
				errs[key+"."+k] = msg
			}
		}
		if enum, isEnum := driveEnums[k]; isEnum && !slices.Contains(enum, v) {
			errs[key+"."+k] = fmt.Sprintf("value '%s' does not have a value in the enumeration '%s'", v, strings.Join(enum, ", "))
		}
		if slices.Contains(driveBools, k) {
			b, okb := parseBoolean(v)
			if !okb {
				errs[key+"."+k] = fmt.Sprintf("type check ('boolean') failed - got '%s'", v)
			}
			parts[i] = k + "=" + b
		}
	}
	if len(errs) > 0 {
		return "", formatErrors(errs)
	}
	return strings.Join(parts, ","), ""
}

// parseBoolean is JSONSchema.pm parse_boolean.
func parseBoolean(v string) (string, bool) {
	switch strings.ToLower(v) {
	case "1", "on", "yes", "true":
		return "1", true
	case "0", "off", "no", "false":
		return "0", true
	}
	return "", false
}
