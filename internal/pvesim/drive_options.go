package pvesim

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Drive and network options the simulator checks as PVE's property
// formats do (pve-common src/PVE/JSONSchema.pm parse_property_string and
// check_object; qemu-server src/PVE/QemuServer/Drive.pm and
// src/PVE/QemuServer/Network.pm). Other options pass unchecked.

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
