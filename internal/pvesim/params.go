package pvesim

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Parameter validation as PVE's JSONSchema does it (pve-common
// src/PVE/JSONSchema.pm check_prop, check_type, check_format).

var (
	dnsLabelRE = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?$`)
	dnsNameRE  = regexp.MustCompile(`^([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?$`)
	tagRE      = regexp.MustCompile(`^(?i)[a-z0-9_][a-z0-9_\-+.]*$`)
	// intRE and numRE are JSONSchema.pm is_integer and is_number: a sign
	// (also "+"), and for numbers "1.", ".5" and exponents.
	intRE = regexp.MustCompile(`^[+-]?\d+$`)
	numRE = regexp.MustCompile(`^[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?$`)
	// confIntRE and confNumRE are what qemu-server QemuServer.pm check_type
	// accepts when write_vm_config writes an integer or number option.
	confIntRE  = regexp.MustCompile(`^\d+$`)
	confNumRE  = regexp.MustCompile(`^\d+(\.\d+)?$`)
	diskKeyRE  = regexp.MustCompile(`^(scsi([0-9]|[12][0-9]|30)|virtio([0-9]|1[0-5])|sata[0-5]|ide[0-3]|efidisk0|tpmstate0)$`)
	netKeyRE   = regexp.MustCompile(`^net([0-9]|[12][0-9]|3[01])$`)
	otherIdxRE = regexp.MustCompile(`^(unused\d+|ipconfig([0-9]|[12][0-9]|3[01])|hostpci([0-9]|1[0-5])|usb([0-9]|1[0-3])|serial[0-3]|parallel[0-2]|numa([0-9]|[12][0-9]|3[01]))$`)
)

type paramKind int

const (
	kString paramKind = iota
	kBool
	kInt
	kNumber
	kMemory
	kDNS
	kTags
	kDisk
	kNet
)

type paramSpec struct {
	kind     paramKind
	min, max int64
	hasMin   bool
	hasMax   bool
	enum     []string
	maxLen   int
	// check validates and normalises a value of its own format
	// (hardware.go, cloudinit.go): it returns the value to store, or an
	// error message.
	check func(val string) (string, string)
}

func intSpec(lo, hi int64) paramSpec {
	return paramSpec{kind: kInt, min: lo, max: hi, hasMin: true, hasMax: hi > 0}
}

// qemuConfigSpec lists the qemu config options the simulator knows.
var qemuConfigSpec = map[string]paramSpec{
	"name": {kind: kDNS}, "description": {kind: kString, maxLen: 8192}, "tags": {kind: kTags},
	"cores": intSpec(1, 0), "sockets": intSpec(1, 0), "vcpus": intSpec(1, 0),
	"memory": {kind: kMemory}, "balloon": intSpec(0, 0), "cpu": {}, "cpulimit": {kind: kNumber, hasMin: true},
	"cpuunits": intSpec(1, 262144), "shares": intSpec(0, 50000), "affinity": {},
	"onboot": {kind: kBool}, "protection": {kind: kBool}, "template": {kind: kBool},
	"acpi": {kind: kBool}, "autostart": {kind: kBool}, "freeze": {kind: kBool}, "kvm": {kind: kBool},
	"localtime": {kind: kBool}, "numa": {kind: kBool}, "reboot": {kind: kBool}, "tablet": {kind: kBool},
	"tdf": {kind: kBool}, "keephugepages": {kind: kBool}, "ciupgrade": {kind: kBool},
	"boot": {}, "bootdisk": {}, "ostype": {enum: []string{"other", "wxp", "w2k", "w2k3", "w2k8", "wvista", "win7", "win8", "win10", "win11", "l24", "l26", "solaris"}},
	"scsihw": {enum: []string{"lsi", "lsi53c810", "virtio-scsi-pci", "virtio-scsi-single", "megasas", "pvscsi"}},
	"agent":  {}, "bios": {enum: []string{"seabios", "ovmf"}}, "machine": {}, "vga": {}, "args": {},
	"hotplug": {}, "startup": {}, "hookscript": {}, "meta": {}, "smbios1": {}, "vmgenid": {},
	"hugepages": {}, "migrate_speed": intSpec(0, 0), "migrate_downtime": {kind: kNumber, hasMin: true},
	"citype": {enum: []string{"configdrive2", "nocloud", "opennebula"}}, "ciuser": {}, "cipassword": {},
	"nameserver": {}, "searchdomain": {}, "sshkeys": {}, "cicustom": {},
	"rng0": {}, "audio0": {}, "watchdog": {}, "keyboard": {}, "spice_enhancements": {},
	"startdate": {}, "vmstatestorage": {}, "lock": {enum: []string{"backup", "clone", "create", "migrate", "rollback", "snapshot", "snapshot-delete", "suspending", "suspended"}},
	"amd-sev": {}, "intel-tdx": {}, "virtiofs0": {},
}

func specFor(key string) (paramSpec, bool) {
	if sp, okk := qemuConfigSpec[key]; okk {
		return sp, true
	}
	switch {
	case diskKeyRE.MatchString(key):
		return paramSpec{kind: kDisk}, true
	case netKeyRE.MatchString(key):
		return paramSpec{kind: kNet}, true
	case otherIdxRE.MatchString(key):
		return paramSpec{}, true
	}
	return paramSpec{}, false
}

const notInSchema = "property is not defined in schema and the schema does not allow additional properties"
const missingParam = "property is missing and it is not optional"

// checkValue validates one parameter like PVE's JSONSchema and returns the
// normalised value or an error message for the "errors" object.
func checkValue(sp paramSpec, val string) (string, string) {
	switch sp.kind {
	case kBool:
		if val != "0" && val != "1" {
			return "", fmt.Sprintf("type check ('boolean') failed - got '%s'", val)
		}
	case kInt:
		if !intRE.MatchString(val) {
			return "", fmt.Sprintf("type check ('integer') failed - got '%s'", val)
		}
		n, _ := strconv.ParseInt(val, 10, 64)
		if sp.hasMin && n < sp.min {
			return "", fmt.Sprintf("value must have a minimum value of %d", sp.min)
		}
		if sp.hasMax && n > sp.max {
			return "", fmt.Sprintf("value must have a maximum value of %d", sp.max) // pve-common JSONSchema.pm check_type
		}
		if confIntRE.MatchString(val) {
			val = strconv.FormatInt(n, 10) // write_vm_config's check_type stores int($1)
		} // a signed value stays as given: writing it fails (configTypeErr)
	case kNumber:
		if !numRE.MatchString(val) {
			return "", fmt.Sprintf("type check ('number') failed - got '%s'", val)
		}
		n, _ := strconv.ParseFloat(val, 64)
		if sp.hasMin && n < float64(sp.min) {
			return "", fmt.Sprintf("value must have a minimum value of %d", sp.min)
		}
	case kMemory:
		cur := val
		if strings.Contains(val, "=") {
			cur = ""
			for _, p := range strings.Split(val, ",") {
				if v, okk := strings.CutPrefix(p, "current="); okk {
					cur = v
				}
			}
		}
		if !intRE.MatchString(cur) {
			return "", "invalid format - value does not look like a valid memory size"
		}
		if n, _ := strconv.ParseInt(cur, 10, 64); n < 16 {
			return "", "invalid format - current: value must have a minimum value of 16"
		}
	case kDNS:
		if !dnsNameRE.MatchString(val) {
			return "", "invalid format - value does not look like a valid DNS name"
		}
	case kTags:
		norm, msg := normalizeTags(val)
		if msg != "" {
			return "", msg
		}
		val = norm
	default:
		// Strings, disks and networks take any value here; handlers parse them.
	}
	if sp.check != nil {
		norm, msg := sp.check(val)
		if msg != "" {
			return "", msg
		}
		val = norm
	}
	if len(sp.enum) > 0 && !slices.Contains(sp.enum, val) {
		return "", fmt.Sprintf("value '%s' does not have a value in the enumeration '%s'", val, strings.Join(sp.enum, ", "))
	}
	if sp.maxLen > 0 && len(val) > sp.maxLen {
		return "", fmt.Sprintf("value may only be %d characters long", sp.maxLen)
	}
	return val, ""
}

// normalizeTags applies PVE's rule: split on , ; and spaces, validate,
// lowercase, sort, de-duplicate, join with ';'.
func normalizeTags(in string) (string, string) {
	fields := strings.FieldsFunc(in, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n'
	})
	seen := map[string]bool{}
	var out []string
	for _, f := range fields {
		if !tagRE.MatchString(f) {
			return "", "invalid format - invalid characters in tag"
		}
		l := strings.ToLower(f)
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ";"), ""
}

// configTypeErr is qemu-server QemuServer.pm write_vm_config: each option
// goes through check_type, whose integers are /^(\d+)$/ and numbers
// /^(\d+)(\.\d+)?$/, stricter than the API's JSONSchema (is_integer and
// is_number take a sign, "1." and exponents). A value the API accepted but
// the writer refuses fails the write with "unable to parse value of
// '<key>' - type check ('integer') failed - got '<value>'".
func configTypeErr(conf map[string]string) error {
	for _, k := range sortedKeys(conf) {
		sp, known := qemuConfigSpec[k]
		switch {
		case !known:
		case sp.kind == kInt && !confIntRE.MatchString(conf[k]):
			return fmt.Errorf("unable to parse value of '%s' - type check ('integer') failed - got '%s'", k, conf[k])
		case sp.kind == kNumber && !confNumRE.MatchString(conf[k]):
			return fmt.Errorf("unable to parse value of '%s' - type check ('number') failed - got '%s'", k, conf[k])
		}
	}
	return nil
}
