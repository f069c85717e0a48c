package pvesim

import (
	"maps"
	"regexp"
	"strconv"
	"strings"
)

// The drive formats of the API's parameters (qemu-server
// src/PVE/QemuServer/Drive.pm: %drivedesc_base and the per-bus $ide_fmt,
// $sata_fmt, $scsi_fmt and $virtio_fmt, each with %import_from_fmt added
// by $desc_with_alloc, since create_vm and update_vm take
// json_config_properties($prop, 1), the "_with_alloc" schema). The API
// checks them with JSONSchema.pm check_format, that is parse_property_string
// without Drive.pm's $DROPPED_PROPERTIES skip (cyls, heads, secs and trans
// are unknown keys there).

// busDriveFormats maps ide, sata, scsi and virtio to their formats.
var busDriveFormats = func() map[string]map[string]propFormat {
	base := map[string]propFormat{
		// file: pve-volume-id-or-qm-path (QemuServer.pm
		// verify_volume_id_or_qm_path), the default key; volume its alias.
		"file":        {defaultKey: true, required: true, check: checkVolumeIDOrQMPath},
		"volume":      {alias: "file"},
		"import-from": {check: checkVolumeIDOrAbsolutePath},
		// legacy aliases of the burst lengths
		"bps_rd_length":  {alias: "bps_rd_max_length"},
		"bps_wr_length":  {alias: "bps_wr_max_length"},
		"iops_rd_length": {alias: "iops_rd_max_length"},
		"iops_wr_length": {alias: "iops_wr_max_length"},
	}
	maps.Copy(base, driveTyped)
	for k, enum := range driveEnums {
		base[k] = propFormat{enum: enum}
	}
	for _, k := range []string{"backup", "replicate", "snapshot", "detect_zeroes", "shared"} {
		base[k] = propFormat{isBool: true}
	}
	extra := map[string]propFormat{
		"iothread":  {isBool: true},                               // %iothread_fmt
		"ro":        {isBool: true},                               // %readonly_fmt
		"ssd":       {isBool: true},                               // %ssd_fmt
		"scsiblock": {isBool: true},                               // %scsiblock_fmt
		"queues":    {isInt: true, min: 2},                        // %queues_fmt
		"wwn":       {pattern: wwnRE},                             // %wwn_fmt
		"product":   {pattern: scsiNameRE(16)},                    // %product_fmt
		"vendor":    {pattern: scsiNameRE(8)},                     // %vendor_fmt
		"model":     {check: checkURLEncodedOnly, maxLen: 40 * 3}, // %model_fmt
	}
	with := func(keys ...string) map[string]propFormat {
		f := maps.Clone(base)
		for _, k := range keys {
			f[k] = extra[k]
		}
		return f
	}
	return map[string]map[string]propFormat{
		"ide":    with("model", "ssd", "wwn"),
		"sata":   with("ssd", "wwn"),
		"scsi":   with("iothread", "product", "queues", "ro", "scsiblock", "ssd", "vendor", "wwn"),
		"virtio": with("iothread", "ro"),
	}
}()

// wwnRE is %wwn_fmt's qr/^(0x)[0-9a-fA-F]{16}/ inside check_prop's
// m/^$pattern$/.
var wwnRE = regexp.MustCompile(`^(0x)[0-9a-fA-F]{16}$`)

// scsiNameRE is the product/vendor pattern '[A-Za-z0-9\-_\s]{,n}' (Perl
// 5.34 and later read {,n} as {0,n}; PVE 8 and 9 ship 5.36 and 5.40).
func scsiNameRE(n int) *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9\-_\s]{0,` + strconv.Itoa(n) + `}$`)
}

// checkURLEncodedOnly is the urlencoded format (JSONSchema.pm
// pve_verify_urlencoded) as a verifier: the text it dies with, or "".
func checkURLEncodedOnly(v string) string {
	if !urlEncodedRE.MatchString(v) {
		return "invalid urlencoded string: " + v + "\n"
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

// checkVolumeIDOrQMPath is QemuServer.pm verify_volume_id_or_qm_path.
func checkVolumeIDOrQMPath(v string) string {
	if v == "none" || v == "cdrom" {
		return ""
	}
	return checkVolumeIDOrAbsolutePath(v)
}
