package pve

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Disk is one hard disk of a VM.
type Disk struct {
	Interface string // scsi0, virtio1, sata0, ide2
	Storage   string // local-lvm
	SizeGB    int64
	// Volume is the volume on the storage (vm-100-disk-0); empty for a
	// disk still to be allocated.
	Volume string
	// Options are the remaining drive options, verbatim (iothread=1,ssd=1),
	// without size.
	Options string
}

// Network is one network device of a VM.
type Network struct {
	Interface string // net0
	Model     string // virtio, e1000, ...
	Bridge    string
	MAC       string
	VLAN      int64 // tag; 0 for none
	Firewall  bool
	MTU       int64   // mtu; 0 for none (virtio: the bridge's MTU)
	Rate      float64 // rate limit in MB/s; 0 for none
	// Options are the remaining device options, verbatim (mtu=1500,queues=4).
	Options string
}

var reTagSeparators = regexp.MustCompile(`[;,\s]+`)

// NormalizeTags applies PVE's rule: lowercased, sorted, de-duplicated.
// Elements may themselves hold several tags separated by ";", "," or
// spaces, as PVE accepts them.
func NormalizeTags(tags []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, t := range tags {
		for _, part := range reTagSeparators.Split(t, -1) {
			part = strings.ToLower(strings.TrimSpace(part))
			if part == "" || seen[part] {
				continue
			}
			seen[part] = true
			out = append(out, part)
		}
	}
	sort.Strings(out)
	return out
}

// formatTags is the value of the "tags" config key for tags.
func formatTags(tags []string) string {
	return strings.Join(NormalizeTags(tags), ";")
}

// parseTags reads a "tags" value as PVE stores or accepts it.
func parseTags(value string) []string {
	return NormalizeTags([]string{value})
}

var reDiskInterface = regexp.MustCompile(`^(scsi|virtio|sata|ide)\d+$`)

// IsDiskInterface reports whether key is a disk slot (scsi0, virtio1, ...).
func IsDiskInterface(key string) bool { return reDiskInterface.MatchString(key) }

var reNetInterface = regexp.MustCompile(`^net\d+$`)

// isNetworkInterface reports whether key is a network slot (net0, ...).
func isNetworkInterface(key string) bool { return reNetInterface.MatchString(key) }

// formatDisk encodes d for the VM config. A new disk (no Volume) becomes
// "<storage>:<sizeGB>[,<options>]", which PVE allocates; an existing one
// keeps its volume, "<storage>:<volume>[,<options>]". The size of an
// existing disk is left out: PVE would take it as written, and changes go
// through ResizeDisk.
func formatDisk(d Disk) string {
	var s string
	switch {
	case d.Volume == "":
		s = fmt.Sprintf("%s:%d", d.Storage, d.SizeGB)
	case d.Storage == "":
		s = d.Volume
	default:
		s = d.Storage + ":" + d.Volume
	}
	if opts := strings.Trim(d.Options, ","); opts != "" {
		s += "," + opts
	}
	return s
}

// parseDisk reads a disk slot's value, "local-lvm:vm-100-disk-0,size=32G"
// or a new-disk spec "local-lvm:32". It returns false for anything that is
// not a hard disk: CD-ROM drives, empty slots ("none").
func parseDisk(iface, value string) (Disk, bool) {
	if !IsDiskInterface(iface) {
		return Disk{}, false
	}
	items := splitOptions(value)
	if len(items) == 0 {
		return Disk{}, false
	}
	first := items[0]
	if k, v, ok := strings.Cut(first, "="); ok && k == "file" {
		first = v
	} else if ok {
		// "key=value" first: the volume is in a file= item further on.
		first = ""
	}
	d := Disk{Interface: iface}
	var opts []string
	sizeGiven := false
	for i, item := range items {
		k, v, _ := strings.Cut(item, "=")
		switch {
		case i == 0 && first != "":
			continue
		case k == "file" && first == "":
			first = v
		case k == "media" && v == "cdrom":
			return Disk{}, false
		case k == "size":
			gb, ok := parseSizeGB(v)
			if !ok {
				return Disk{}, false
			}
			d.SizeGB, sizeGiven = gb, true
		default:
			opts = append(opts, item)
		}
	}
	if first == "" || first == "none" || first == "cdrom" {
		return Disk{}, false
	}
	storage, volume, hasStorage := strings.Cut(first, ":")
	if hasStorage {
		d.Storage = storage
		if n, err := strconv.ParseFloat(volume, 64); err == nil && !sizeGiven {
			// New-disk spec: "<storage>:<size in GiB>".
			d.SizeGB = int64(math.Ceil(n))
		} else {
			d.Volume = volume
		}
	} else {
		// A path (/dev/disk/by-id/...) passed through as is.
		d.Volume = first
	}
	d.Options = strings.Join(opts, ",")
	return d, true
}

// parseSizeGB reads a PVE size ("32G", "512M", "1T", "1024K", or bytes)
// and rounds up to whole GiB.
func parseSizeGB(v string) (int64, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	unit := int64(1) // bytes
	switch v[len(v)-1] {
	case 'K', 'k':
		unit = 1 << 10
	case 'M', 'm':
		unit = 1 << 20
	case 'G', 'g':
		unit = 1 << 30
	case 'T', 't':
		unit = 1 << 40
	}
	num := strings.TrimRight(v, "KkMmGgTt")
	const gib = 1 << 30
	if n, err := strconv.ParseInt(num, 10, 64); err == nil {
		if n < 0 || n > math.MaxInt64/unit {
			return 0, false
		}
		bytes := n * unit
		return bytes/gib + min(bytes%gib, 1), true
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	// Round first to dodge float noise (0.1T = 102.40000000000001 GiB).
	gb := math.Round(f*float64(unit)/gib*1e6) / 1e6
	return int64(math.Ceil(gb)), true
}

// networkModels are PVE's NIC models, which appear as "<model>=<MAC>".
var networkModels = map[string]bool{
	"virtio": true, "e1000": true, "e1000e": true, "rtl8139": true, "vmxnet3": true,
	"e1000-82540em": true, "e1000-82544gc": true, "e1000-82545em": true,
	"i82551": true, "i82557b": true, "i82559er": true, "ne2k_isa": true, "ne2k_pci": true, "pcnet": true,
}

// NormalizeMAC spells a MAC address in upper case, as the provider sends
// and compares it.
func NormalizeMAC(mac string) string { return strings.ToUpper(mac) }

// formatNetwork encodes n: "<model>[=<MAC>],bridge=<b>[,firewall=1][,tag=<n>][,<options>]".
func formatNetwork(n Network) string {
	s := n.Model
	if n.MAC != "" {
		s += "=" + n.MAC
	}
	if n.Bridge != "" {
		s += ",bridge=" + n.Bridge
	}
	if n.Firewall {
		s += ",firewall=1"
	}
	if n.VLAN != 0 {
		s += ",tag=" + strconv.FormatInt(n.VLAN, 10)
	}
	s += formatNetworkLimits(n)
	if opts := strings.Trim(n.Options, ","); opts != "" {
		s += "," + opts
	}
	return s
}

// parseNetwork reads a netN value such as
// "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1,tag=10".
func parseNetwork(iface, value string) (Network, bool) {
	if !isNetworkInterface(iface) {
		return Network{}, false
	}
	n := Network{Interface: iface}
	var opts []string
	for _, item := range splitOptions(value) {
		k, v, hasValue := strings.Cut(item, "=")
		switch {
		case networkModels[k] && n.Model == "":
			n.Model = k
			if hasValue {
				n.MAC = v
			}
		case k == "model" && n.Model == "":
			n.Model = v
		case k == "macaddr":
			n.MAC = v
		case k == "bridge":
			n.Bridge = v
		case k == "firewall":
			n.Firewall = v == "1"
		case k == "tag":
			tag, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return Network{}, false
			}
			n.VLAN = tag
		case (k == "mtu" || k == "rate") && parseNetworkLimit(&n, k, v):
		default:
			opts = append(opts, item)
		}
	}
	if n.Model == "" {
		return Network{}, false
	}
	n.Options = strings.Join(opts, ",")
	return n, true
}

func splitOptions(value string) []string {
	var out []string
	for _, item := range strings.Split(value, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// pveBool is PVE's wire form of a boolean.
func pveBool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// interfaceLess orders slots naturally: scsi2 before scsi10.
func interfaceLess(a, b string) bool {
	pa, na := splitInterface(a)
	pb, nb := splitInterface(b)
	if pa != pb {
		return pa < pb
	}
	if na != nb {
		return na < nb
	}
	return a < b
}

func splitInterface(s string) (string, int) {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	n, err := strconv.Atoi(s[i:])
	if err != nil {
		return s, -1
	}
	return s[:i], n
}
