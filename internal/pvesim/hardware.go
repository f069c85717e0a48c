package pvesim

// Formats of the firmware and device options: vga, machine, boot, startup,
// serialN and efidisk0, checked as pve-common's JSONSchema.pm does
// (check_prop, check_format, parse_property_string) against qemu-server's
// formats (src/PVE/QemuServer.pm $confdesc, $vga_fmt, $boot_fmt,
// $serialdesc; QemuServer/Machine.pm $machine_fmt; QemuServer/Drive.pm
// $efidisk_fmt), and the boot order check of API2/Qemu.pm $update_vm_api.

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func init() {
	qemuConfigSpec["vga"] = paramSpec{check: checkVGA}
	qemuConfigSpec["machine"] = paramSpec{check: checkMachine}
	qemuConfigSpec["boot"] = paramSpec{check: checkBoot}
	qemuConfigSpec["startup"] = paramSpec{check: checkStartup}
	qemuConfigSpec["efidisk0"] = paramSpec{check: checkEFIDisk}
	for i := range 4 { // $MAX_SERIAL_PORTS
		qemuConfigSpec["serial"+strconv.Itoa(i)] = paramSpec{check: checkSerial}
	}
}

var (
	vgaTypes     = []string{"cirrus", "qxl", "qxl2", "qxl3", "qxl4", "none", "serial0", "serial1", "serial2", "serial3", "std", "virtio", "virtio-gl", "vmware"}
	machineRE    = regexp.MustCompile(`^(pc|pc(-i440fx)?-\d+(\.\d+)+(\+pve\d+)?(\.pxe)?|q35|pc-q35-\d+(\.\d+)+(\+pve\d+)?(\.pxe)?|virt(?:-\d+(\.\d+)+)?(\+pve\d+)?)$`)
	serialRE     = regexp.MustCompile(`^(/dev/[^,]+|socket)$`)
	legacyBootRE = regexp.MustCompile(`^[acdn]{1,4}$`)
	startupRE    = regexp.MustCompile(`^((order=)?\d+|up=\d+|down=\d+)$`)
	bootDevRE    = regexp.MustCompile(`^(scsi([0-9]|[12][0-9]|30)|virtio([0-9]|1[0-5])|sata[0-5]|ide[0-3]|net([0-9]|[12][0-9]|3[01])|usb([0-9]|1[0-3])|hostpci([0-9]|1[0-5]))$`)
)

var vgaFormat = map[string]propFormat{
	"type":      {defaultKey: true, enum: vgaTypes},
	"memory":    {isInt: true, min: 4, max: 512},
	"clipboard": {enum: []string{"vnc"}},
}

func checkVGA(val string) (string, string) { return checkPropertyString("vga", val, vgaFormat) }

var machineFormat = map[string]propFormat{
	"type":      {defaultKey: true, pattern: machineRE, maxLen: 40},
	"viommu":    {enum: []string{"intel", "virtio"}},
	"aw-bits":   {isInt: true, min: 32, max: 64},
	"enable-s3": {isBool: true},
	"enable-s4": {isBool: true},
}

func checkMachine(val string) (string, string) {
	return checkPropertyString("machine", val, machineFormat)
}

var bootFormat = map[string]propFormat{
	"legacy": {defaultKey: true, pattern: legacyBootRE},
	// 'pve-qm-bootdev-list': split_list, then verify_bootdev on each.
	"order": {check: func(v string) string {
		for _, dev := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' || r == ' ' || r == '\t' }) {
			if !bootDevRE.MatchString(dev) {
				return fmt.Sprintf("invalid boot device '%s'\n", dev)
			}
		}
		return ""
	}},
}

func checkBoot(val string) (string, string) { return checkPropertyString("boot", val, bootFormat) }

// checkPropertyString validates and prints a property string as PVE
// stores it.
func checkPropertyString(param, val string, format map[string]propFormat) (string, string) {
	res, msg := parsePropertyString(param, val, format)
	if msg != "" {
		return "", msg
	}
	return printProperties(res, format), ""
}

// checkStartup is pve_verify_startup_order (pve-common JSONSchema.pm); the
// value is stored as given.
func checkStartup(val string) (string, string) {
	parts := 0
	for _, p := range strings.Split(val, ",") {
		if strings.TrimSpace(p) == "" {
			continue
		}
		parts++
		if !startupRE.MatchString(p) {
			return "", "invalid format - unable to parse startup options\n"
		}
	}
	if parts == 0 {
		return "", "invalid format - unable to parse startup options\n"
	}
	return val, ""
}

// checkSerial is $serialdesc's pattern.
func checkSerial(val string) (string, string) {
	if !serialRE.MatchString(val) {
		return "", "value does not match the regex pattern"
	}
	return val, ""
}

var efiDiskFormat = map[string]propFormat{
	"file":              {defaultKey: true, required: true},
	"format":            {enum: []string{"raw", "cow", "qcow", "qed", "qcow2", "vmdk", "cloop"}},
	"size":              {},
	"efitype":           {enum: []string{"2m", "4m"}},
	"pre-enrolled-keys": {isBool: true},
	"ms-cert":           {enum: []string{"2011", "2023", "2023w", "2023k"}},
	"import-from":       {},
}

// checkEFIDisk is $efidisk_fmt with the allocation syntax
// ($drivedesc_hash_with_alloc): "volume" is an alias of "file".
func checkEFIDisk(val string) (string, string) {
	val = strings.Replace(val, "volume=", "file=", 1)
	return checkPropertyString("efidisk0", val, efiDiskFormat)
}

// checkBootOrder is $update_vm_api's check of a new "boot: order=": every
// device must exist in the config, pending, or this update, and not be
// deleted by it. The trailing quote is PVE's.
func checkBootOrder(v *vmState, set map[string]string, del []string) error {
	boot, has := set["boot"]
	if !has {
		return nil
	}
	for _, item := range strings.Split(boot, ",") {
		order, isOrder := strings.CutPrefix(item, "order=")
		if !isOrder {
			continue
		}
		for _, dev := range strings.FieldsFunc(order, func(r rune) bool { return r == ';' || r == ',' || r == ' ' }) {
			_, inConf := v.Conf[dev]
			_, inPending := v.Pending[dev]
			_, inSet := set[dev]
			if (!inConf && !inPending && !inSet) || slices.Contains(del, dev) {
				return fmt.Errorf("invalid bootorder: device '%s' does not exist'", dev)
			}
		}
	}
	return nil
}

// driveAllocOrder sorts drive keys as create_disks meets them:
// QemuConfig->foreach_volume walks Drive.pm valid_drive_names (ide, scsi,
// virtio, sata, then efidisk0 and tpmstate0), so an EFI disk created with
// scsi0 gets the next volume number after it.
func driveAllocOrder(keys []string) []string {
	rank := func(k string) (int, int) {
		for i, bus := range []string{"ide", "scsi", "virtio", "sata", "efidisk", "tpmstate"} {
			if n, err := strconv.Atoi(strings.TrimPrefix(k, bus)); err == nil && strings.HasPrefix(k, bus) {
				return i, n
			}
		}
		return 99, 0
	}
	out := slices.Clone(keys)
	slices.SortStableFunc(out, func(a, b string) int {
		ra, na := rank(a)
		rb, nb := rank(b)
		if ra != rb {
			return ra - rb
		}
		return na - nb
	})
	return out
}

// efiVarsSize is the size create_efidisk (QemuServer/OVMF.pm) reports for a
// new EFI disk: it allocates the size of the OVMF vars template (540672
// bytes for efitype 4m, 131072 for the default 2m) and reads the volume's
// size back; LVM allocates whole 4 MiB extents.
func efiVarsSize(sd *storageDef, efitype string) int64 {
	if sd.Type == "lvm" || sd.Type == "lvmthin" {
		return 4 << 20
	}
	if efitype == "4m" {
		return 540672
	}
	return 131072
}
