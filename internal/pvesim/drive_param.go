package pvesim

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// checkDriveParams is qemu-server src/PVE/API2/Qemu.pm $check_drive_param,
// which create_vm and update_vm_api run after the schema check: each drive
// (sorted) goes through Drive.pm parse_drive with allocation, whose own
// rules a valid property string can still break, and a failure is
// raise_param_exc({ $opt => "unable to parse drive options" }):
//
//   - bps, bps_rd or bps_wr together with its mbps form ("both $opt and
//     m$opt specified");
//   - a burst (mbps_max, iops_rd_max, ...) without its base limit, a burst
//     length without its burst ("$option requires $requires");
//   - mbps with mbps_rd or mbps_wr, iops with iops_rd or iops_wr;
//   - media=cdrom with snapshot or format, or on virtio.
//
// import-from needs the allocation syntax "<storage>:0" ("'import-from'
// requires special syntax - use <storage ID>:0,import-from=<source>").
// parse_drive also turns bps, bps_rd and bps_wr into mbps* as
// sprintf("%.3f", $bps / (1024 * 1024.0)) with $bps = defined(delete ...),
// that is 1, so every byte limit is stored as "0.000" megabytes per second
// ($check_drive_param writes print_drive's string back), and a legacy
// alias under its target key; the simulator does the same. It returns the parameter error or nil, and rewrites vals.
func checkDriveParams(vals map[string]string) *resp {
	for _, k := range sortedKeys(vals) {
		m := driveBusRE.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		res, msg := parsePropertyString(k, vals[k], driveFormats[m[1]])
		if msg != "" {
			continue // the schema check has refused it already
		}
		if !parseDriveRules(m[1], res) {
			return paramErr1(k, "unable to parse drive options")
		}
		if _, has := res["import-from"]; has {
			if mm := newDiskRE.FindStringSubmatch(res["file"]); mm == nil || !isZero(mm[3]) {
				return paramErr1(k, "'import-from' requires special syntax - use <storage ID>:0,import-from=<source>")
			}
		}
		vals[k] = asPrintDrive(vals[k], driveFormats[m[1]])
	}
	return nil
}

// newDiskRE is Drive.pm $NEW_DISK_RE.
var newDiskRE = regexp.MustCompile(`^(([^/:\s]+):)?(\d+(\.\d+)?)$`)

func isZero(n string) bool {
	f, err := strconv.ParseFloat(n, 64)
	return err == nil && f == 0
}

// parseDriveRules is parse_drive's checks after parse_property_string.
func parseDriveRules(bus string, res map[string]string) bool {
	set := func(k string) bool { // Perl truth of $res->{$k}: "0.0" is true
		v, has := res[k]
		return has && v != "" && v != "0"
	}
	for _, opt := range []string{"bps", "bps_rd", "bps_wr"} {
		if _, has := res[opt]; has {
			if _, both := res["m"+opt]; both {
				return false // "both $opt and m$opt specified"
			}
			res["m"+opt] = "0.000"
		}
	}
	for _, r := range [][2]string{
		{"mbps_max", "mbps"}, {"mbps_rd_max", "mbps_rd"}, {"mbps_wr_max", "mbps_wr"},
		{"miops_max", "miops"}, {"miops_rd_max", "miops_rd"}, {"miops_wr_max", "miops_wr"},
		{"bps_max_length", "mbps_max"}, {"bps_rd_max_length", "mbps_rd_max"}, {"bps_wr_max_length", "mbps_wr_max"},
		{"iops_max_length", "iops_max"}, {"iops_rd_max_length", "iops_rd_max"}, {"iops_wr_max_length", "iops_wr_max"},
	} {
		if set(r[0]) && !set(r[1]) {
			return false // "$option requires $requires"
		}
	}
	if (set("mbps_rd") || set("mbps_wr")) && set("mbps") || (set("iops_rd") || set("iops_wr")) && set("iops") {
		return false
	}
	if res["media"] == "cdrom" && (set("snapshot") || set("format") || bus == "virtio") {
		return false
	}
	return true
}

// asPrintDrive rewrites a drive's options as print_drive prints what
// parse_drive left: bps, bps_rd and bps_wr as mbps*=0.000, and a legacy
// alias (bps_rd_length, ...) under the key it stands for
// (parse_property_string stores an aliased value under its alias target).
// "volume" stays: parseDisk reads it as the volume.
func asPrintDrive(val string, format map[string]propFormat) string {
	parts := strings.Split(val, ",")
	for i, p := range parts {
		k, v, has := strings.Cut(p, "=")
		switch {
		case !has:
		case k == "bps" || k == "bps_rd" || k == "bps_wr":
			parts[i] = fmt.Sprintf("m%s=0.000", k)
		case format[k].alias != "" && k != "volume":
			parts[i] = format[k].alias + "=" + v
		}
	}
	return strings.Join(parts, ",")
}
