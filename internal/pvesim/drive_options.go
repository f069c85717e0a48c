package pvesim

import (
	"maps"
	"math"
	"regexp"
	"strings"
)

// Drive options are checked as PVE's property formats are (pve-common
// src/PVE/JSONSchema.pm parse_property_string and check_object) against
// the bus's format (qemu-server src/PVE/QemuServer/Drive.pm $ide_fmt,
// $sata_fmt, $scsi_fmt, $virtio_fmt). The API's create and config update
// take them "with_alloc" (QemuServer.pm json_config_properties(..., 1)),
// which adds import-from ($desc_with_alloc). efidisk0 and tpmstate0 have
// formats of their own and pass unchecked.

// driveBase is Drive.pm %drivedesc_base, with the I/O limits of
// $add_throttle_desc (integers and numbers without a minimum, the burst
// lengths at least 1) and their legacy aliases.
var driveBase = func() map[string]propFormat {
	noMin := int64(math.MinInt64)
	f := map[string]propFormat{
		"volume":        {alias: "file"},
		"file":          {defaultKey: true, check: checkVolumeIDOrQMPath},
		"media":         {enum: []string{"cdrom", "disk"}},
		"snapshot":      {isBool: true},
		"cache":         {enum: []string{"none", "writethrough", "writeback", "unsafe", "directsync"}},
		"format":        {enum: []string{"raw", "qcow", "qed", "qcow2", "vmdk", "cloop"}}, // pve-qm-image-format
		"size":          {check: checkDiskSize},
		"backup":        {isBool: true},
		"replicate":     {isBool: true},
		"rerror":        {enum: []string{"ignore", "report", "stop"}},
		"werror":        {enum: []string{"enospc", "ignore", "report", "stop"}},
		"aio":           {enum: []string{"native", "threads", "io_uring"}},
		"discard":       {enum: []string{"ignore", "on"}},
		"detect_zeroes": {isBool: true},
		"serial":        {check: verifyURLEncoded, maxLen: 20 * 3},
		"shared":        {isBool: true},
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
	for _, k := range []string{"bps_rd", "bps_wr", "iops_rd", "iops_wr"} {
		f[k+"_length"] = propFormat{alias: k + "_max_length"}
	}
	return f
}()

// driveBusOptions are the bus-specific parts of each bus's format
// (Drive.pm %iothread_fmt, %model_fmt, %product_fmt, %queues_fmt,
// %readonly_fmt, %scsiblock_fmt, %ssd_fmt, %vendor_fmt, %wwn_fmt).
var driveBusOptions = func() map[string]map[string]propFormat {
	iothread := propFormat{isBool: true}
	model := propFormat{check: verifyURLEncoded, maxLen: 40 * 3}
	// Perl 5.34 and later read {,N} as {0,N} (PVE 9 runs Perl 5.40).
	product := propFormat{pattern: regexp.MustCompile(`^[A-Za-z0-9\-_\s]{0,16}$`)}
	vendor := propFormat{pattern: regexp.MustCompile(`^[A-Za-z0-9\-_\s]{0,8}$`)}
	queues := propFormat{isInt: true, min: 2}
	ro := propFormat{isBool: true}
	scsiblock := propFormat{isBool: true}
	ssd := propFormat{isBool: true}
	// check_prop anchors the pattern qr/^(0x)[0-9a-fA-F]{16}/ as ^...$.
	wwn := propFormat{pattern: regexp.MustCompile(`^(0x)[0-9a-fA-F]{16}$`)}
	return map[string]map[string]propFormat{
		"ide":    {"model": model, "ssd": ssd, "wwn": wwn},
		"sata":   {"ssd": ssd, "wwn": wwn},
		"scsi":   {"iothread": iothread, "product": product, "queues": queues, "ro": ro, "scsiblock": scsiblock, "ssd": ssd, "vendor": vendor, "wwn": wwn},
		"virtio": {"iothread": iothread, "ro": ro},
	}
}()

// driveFormats is each bus's format with allocation (import-from).
var driveFormats = func() map[string]map[string]propFormat {
	all := map[string]map[string]propFormat{}
	for bus, extra := range driveBusOptions {
		f := maps.Clone(driveBase)
		maps.Copy(f, extra)
		f["import-from"] = propFormat{check: checkVolumeIDOrAbsolutePath}
		all[bus] = f
	}
	return all
}()

// diskSizeRE is JSONSchema.pm parse_size.
var diskSizeRE = regexp.MustCompile(`^(\d+(\.\d+)?)([KMGT](?:iB)?)?$`)

func checkDiskSize(v string) string {
	if !diskSizeRE.MatchString(v) {
		return "value does not look like a valid disk size: " + v + "\n"
	}
	return ""
}

// checkVolumeIDOrAbsolutePath is QemuServer.pm
// verify_volume_id_or_absolute_path: an absolute path or a pve-volume-id.
func checkVolumeIDOrAbsolutePath(v string) string {
	if strings.HasPrefix(v, "/") {
		return ""
	}
	return checkVolumeID(v)
}

// checkVolumeIDOrQMPath is QemuServer.pm verify_volume_id_or_qm_path:
// "none" and "cdrom" too.
func checkVolumeIDOrQMPath(v string) string {
	if v == "none" || v == "cdrom" {
		return ""
	}
	return checkVolumeIDOrAbsolutePath(v)
}

var driveBusRE = regexp.MustCompile(`^(ide|sata|scsi|virtio)\d+$`)

// checkDriveValue validates a disk's property string against its bus's
// format and returns it with booleans as PVE stores them (parse_boolean:
// on/yes/true -> 1), or the error message PVE's parameter check gives.
func checkDriveValue(key, val string) (string, string) {
	m := driveBusRE.FindStringSubmatch(key)
	if m == nil {
		return val, "" // efidisk0, tpmstate0: formats of their own
	}
	format := driveFormats[m[1]]
	if _, msg := parsePropertyString(key, val, format); msg != "" {
		return "", msg
	}
	parts := strings.Split(val, ",")
	for i, p := range parts {
		if k, v, has := strings.Cut(p, "="); has && format[k].isBool {
			b, _ := parseBoolean(v)
			parts[i] = k + "=" + b
		}
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
