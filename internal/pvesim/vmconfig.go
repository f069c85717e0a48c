package pvesim

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// vmState is one guest as the cluster file system knows it.
type vmState struct {
	VMID      int               `json:"vmid"`
	Node      string            `json:"node"`
	Type      string            `json:"type"` // qemu | lxc
	Conf      map[string]string `json:"conf"`
	Running   bool              `json:"running"`
	StartedAt time.Time         `json:"started_at,omitempty"`
	PID       int               `json:"pid,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	Pool      string            `json:"pool,omitempty"`
	// Pending is the config's [PENDING] section (pending.go); PendingDelete
	// its "delete" list, true for a forced delete ("!key").
	Pending       map[string]string `json:"pending,omitempty"`
	PendingDelete map[string]bool   `json:"pending_delete,omitempty"`
	// CloudInit is the config's [special:cloudinit] section (cloudinit.go).
	CloudInit map[string]string `json:"cloudinit,omitempty"`
}

func (v *vmState) name() string {
	if v.Type == "lxc" {
		if n := v.Conf["hostname"]; n != "" {
			return n
		}
		return fmt.Sprintf("CT%d", v.VMID)
	}
	if n := v.Conf["name"]; n != "" {
		return n
	}
	return fmt.Sprintf("VM %d", v.VMID)
}

func (v *vmState) status() string {
	if v.Running {
		return "running"
	}
	return "stopped"
}

func (v *vmState) confPath() string {
	dir := "qemu-server"
	if v.Type == "lxc" {
		dir = "lxc"
	}
	return fmt.Sprintf("nodes/%s/%s/%d.conf", v.Node, dir, v.VMID)
}

// configText renders the config file as PVE writes it (description as
// comment lines first, then sorted keys); the digest is its SHA-1.
func configText(conf map[string]string) string {
	var b strings.Builder
	if d := conf["description"]; d != "" {
		for _, l := range strings.Split(d, "\n") {
			b.WriteString("#" + l + "\n")
		}
	}
	keys := make([]string, 0, len(conf))
	for k := range conf {
		if k != "description" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(k + ": " + conf[k] + "\n")
	}
	return b.String()
}

func configDigest(conf map[string]string) string {
	sum := sha1.Sum([]byte(configText(conf)))
	return hex.EncodeToString(sum[:])
}

// numericKeys are returned as JSON numbers by GET config (PVE's integer,
// number and boolean properties); everything else is a string.
var numericKeys = map[string]bool{
	"acpi": true, "autostart": true, "balloon": true, "cores": true, "cpuunits": true,
	"freeze": true, "kvm": true, "localtime": true, "numa": true, "onboot": true,
	"protection": true, "reboot": true, "shares": true, "sockets": true, "tablet": true,
	"template": true, "vcpus": true, "tdf": true, "keephugepages": true, "migrate_speed": true,
	"cpulimit": true, "migrate_downtime": true, "ciupgrade": true,
	// lxc
	"cpuunits_ct": true, "swap": true, "unprivileged": true, "console": true, "tty": true,
}

var lxcNumericKeys = map[string]bool{
	"memory": true, "swap": true, "cores": true, "onboot": true, "protection": true,
	"template": true, "unprivileged": true, "console": true, "tty": true, "cpuunits": true,
}

func typedConfig(typ string, conf map[string]string) map[string]any {
	out := make(map[string]any, len(conf)+1)
	for k, v := range conf {
		isNum := numericKeys[k]
		if typ == "lxc" {
			isNum = lxcNumericKeys[k]
		}
		if isNum {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				out[k] = n
				continue
			}
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				out[k] = f
				continue
			}
		}
		out[k] = v
	}
	out["digest"] = configDigest(conf)
	return out
}

// ---- validation -------------------------------------------------------------

var (
	dnsLabelRE = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?$`)
	dnsNameRE  = regexp.MustCompile(`^([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?$`)
	tagRE      = regexp.MustCompile(`^(?i)[a-z0-9_][a-z0-9_\-+.]*$`)
	intRE      = regexp.MustCompile(`^-?\d+$`)
	numRE      = regexp.MustCompile(`^-?\d+(\.\d+)?$`)
	diskKeyRE  = regexp.MustCompile(`^(scsi([0-9]|[12][0-9]|30)|virtio([0-9]|1[0-5])|sata[0-5]|ide[0-3]|efidisk0|tpmstate0)$`)
	netKeyRE   = regexp.MustCompile(`^net([0-9]|[12][0-9]|3[01])$`)
	otherIdxRE = regexp.MustCompile(`^(unused\d+|ipconfig([0-9]|[12][0-9]|3[01])|hostpci([0-9]|1[0-5])|usb([0-9]|1[0-3])|serial[0-3]|parallel[0-2]|numa([0-9]|[12][0-9]|3[01]))$`)
	macRE      = regexp.MustCompile(`^(?i)[0-9a-f]{2}(:[0-9a-f]{2}){5}$`)
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
	"memory": {kind: kMemory}, "balloon": intSpec(0, 0), "cpu": {}, "cpulimit": {kind: kNumber},
	"cpuunits": intSpec(1, 262144), "shares": intSpec(0, 50000), "affinity": {},
	"onboot": {kind: kBool}, "protection": {kind: kBool}, "template": {kind: kBool},
	"acpi": {kind: kBool}, "autostart": {kind: kBool}, "freeze": {kind: kBool}, "kvm": {kind: kBool},
	"localtime": {kind: kBool}, "numa": {kind: kBool}, "reboot": {kind: kBool}, "tablet": {kind: kBool},
	"tdf": {kind: kBool}, "keephugepages": {kind: kBool}, "ciupgrade": {kind: kBool},
	"boot": {}, "bootdisk": {}, "ostype": {enum: []string{"other", "wxp", "w2k", "w2k3", "w2k8", "wvista", "win7", "win8", "win10", "win11", "l24", "l26", "solaris"}},
	"scsihw": {enum: []string{"lsi", "lsi53c810", "virtio-scsi-pci", "virtio-scsi-single", "megasas", "pvscsi"}},
	"agent":  {}, "bios": {enum: []string{"seabios", "ovmf"}}, "machine": {}, "vga": {}, "args": {},
	"hotplug": {}, "startup": {}, "hookscript": {}, "meta": {}, "smbios1": {}, "vmgenid": {},
	"hugepages": {}, "migrate_speed": intSpec(0, 0), "migrate_downtime": {kind: kNumber},
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
		val = strconv.FormatInt(n, 10)
	case kNumber:
		if !numRE.MatchString(val) {
			return "", fmt.Sprintf("type check ('number') failed - got '%s'", val)
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

// ---- disks and nets ---------------------------------------------------------

func newMAC() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("BC:24:11:%02X:%02X:%02X", b[0], b[1], b[2])
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

var netModels = []string{"e1000", "e1000-82540em", "e1000-82544gc", "e1000-82545em", "e1000e", "i82551", "i82557b", "i82559er", "ne2k_isa", "ne2k_pci", "pcnet", "rtl8139", "virtio", "vmxnet3"}

// normalizeNet fills in a MAC (PVE's OUI BC:24:11) and orders the options as
// PVE prints them: model=MAC first, the rest sorted.
func normalizeNet(key, val string, keepMAC string) (string, string) {
	parts := strings.Split(val, ",")
	model, mac := "", ""
	opts := map[string]string{}
	for i, p := range parts {
		k, v, has := strings.Cut(p, "=")
		if i == 0 && !has {
			model = k
			continue
		}
		if !has {
			return "", fmt.Sprintf("invalid format - format error %s.%s: value without key, but schema does not define a default key", key, k)
		}
		switch {
		case slices.Contains(netModels, k):
			model, mac = k, v
		case k == "model":
			model = v
		case k == "macaddr":
			mac = v
		default:
			opts[k] = v
		}
	}
	if model == "" {
		return "", fmt.Sprintf("invalid format - format error %s.model: property is missing and it is not optional", key)
	}
	if !slices.Contains(netModels, model) {
		return "", fmt.Sprintf("invalid format - format error %s.model: value '%s' does not have a value in the enumeration '%s'", key, model, strings.Join(netModels, ", "))
	}
	if mac == "" {
		mac = keepMAC
	}
	if mac == "" {
		mac = newMAC()
	}
	if !macRE.MatchString(mac) {
		return "", fmt.Sprintf("invalid format - format error %s.macaddr: value does not look like a valid MAC address", key)
	}
	out := model + "=" + strings.ToUpper(mac)
	for _, k := range sortedKeys(opts) {
		out += "," + k + "=" + opts[k]
	}
	return out, ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// diskSpec is a parsed drive value: "<volume-or-storage:size>[,opt=val...]".
type diskSpec struct {
	volume string // "local-lvm:vm-100-disk-0", "none", "local:iso/x.iso"
	alloc  bool   // volume is "storage:sizeGiB" (allocate new)
	// cloudinit marks "storage:cloudinit", a cloud-init drive to allocate.
	cloudinit bool
	store     string
	sizeGB    float64
	opts      map[string]string
}

var allocRE = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9\-_.]*):(\d+(\.\d+)?)$`)

func parseDisk(val string) diskSpec {
	parts := strings.Split(val, ",")
	d := diskSpec{opts: map[string]string{}}
	for i, p := range parts {
		k, v, has := strings.Cut(p, "=")
		if i == 0 && !has {
			d.volume = k
			continue
		}
		if k == "file" || k == "volume" {
			d.volume = v
			continue
		}
		d.opts[k] = v
	}
	if m := allocRE.FindStringSubmatch(d.volume); m != nil {
		d.alloc = true
		d.store = m[1]
		d.sizeGB, _ = strconv.ParseFloat(m[2], 64)
	} else if st, name, has := strings.Cut(d.volume, ":"); has {
		d.store = st
		d.alloc, d.cloudinit = name == "cloudinit", name == "cloudinit"
	}
	return d
}

func (d diskSpec) String() string {
	out := d.volume
	for _, k := range sortedKeys(d.opts) {
		out += "," + k + "=" + d.opts[k]
	}
	return out
}

// formatSize prints bytes like PVE (largest exact unit).
func formatSize(b int64) string {
	switch {
	case b > 0 && b%(1<<40) == 0:
		return fmt.Sprintf("%dT", b>>40)
	case b > 0 && b%(1<<30) == 0:
		return fmt.Sprintf("%dG", b>>30)
	case b > 0 && b%(1<<20) == 0:
		return fmt.Sprintf("%dM", b>>20)
	case b > 0 && b%(1<<10) == 0:
		return fmt.Sprintf("%dK", b>>10)
	}
	return strconv.FormatInt(b, 10)
}

var sizeRE = regexp.MustCompile(`^(\+)?(\d+(\.\d+)?)([KMGT])?$`)

// parseSize parses "32G", "+8G", "1024" (bytes without unit).
func parseSize(s string) (plus bool, bytes int64, okk bool) {
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		return false, 0, false
	}
	f, _ := strconv.ParseFloat(m[2], 64)
	switch m[4] {
	case "K":
		f *= 1 << 10
	case "M":
		f *= 1 << 20
	case "G":
		f *= 1 << 30
	case "T":
		f *= 1 << 40
	}
	return m[1] == "+", int64(f), true
}

func isDiskKey(k string) bool { return diskKeyRE.MatchString(k) }

// isVolume reports whether a drive value refers to a storage volume (not a
// cdrom "none" or passthrough).
func (d diskSpec) isVolume() bool {
	return d.store != "" && d.opts["media"] != "cdrom"
}

func parseMeta(meta string) (ctime int64) {
	for _, p := range strings.Split(meta, ",") {
		if v, okk := strings.CutPrefix(p, "ctime="); okk {
			ctime, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return ctime
}

func parseSMBIOSUUID(s string) string {
	for _, p := range strings.Split(s, ",") {
		if v, okk := strings.CutPrefix(p, "uuid="); okk {
			return v
		}
	}
	return ""
}

const qemuVersion = "9.0.2"

func metaFor(ctime int64) string {
	return fmt.Sprintf("creation-qemu=%s,ctime=%d", qemuVersion, ctime)
}

func copyConf(c map[string]string) map[string]string {
	out := make(map[string]string, len(c))
	for k, v := range c {
		out[k] = v
	}
	return out
}
