package pvesim

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// diskSpec is a parsed drive value: "<volume-or-storage:size>[,opt=val...]".
// A volume of the form "<storage>:<size in GiB>" asks for a new disk
// (qemu-server src/PVE/QemuServer/Drive.pm $NEW_DISK_RE), and
// "<storage>:cloudinit" for a new cloud-init drive (src/PVE/API2/Qemu.pm
// create_disks: `$volname eq 'cloudinit'`).
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
	d := diskSpec{opts: make(map[string]string, strings.Count(val, ","))}
	i := -1
	for p := range strings.SplitSeq(val, ",") {
		i++
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
	st, name, hasColon := strings.Cut(d.volume, ":")
	// allocRE wants a digit right after the first colon (its storage part
	// has none): a volume name is told apart without running it.
	var m []string
	if hasColon && name != "" && name[0] >= '0' && name[0] <= '9' {
		m = allocRE.FindStringSubmatch(d.volume)
	}
	if m != nil {
		d.alloc = true
		d.store = m[1]
		d.sizeGB, _ = strconv.ParseFloat(m[2], 64)
	} else if hasColon {
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

func isDiskKey(k string) bool {
	// Every name diskKeyRE takes ends in a digit: most config keys (name,
	// memory, cores, ...) are told apart without running the expression.
	if k == "" || k[len(k)-1] < '0' || k[len(k)-1] > '9' {
		return false
	}
	return diskKeyRE.MatchString(k)
}

// isVolume reports whether a drive value refers to a storage volume (not a
// cdrom "none" or passthrough).
func (d diskSpec) isVolume() bool {
	return d.store != "" && d.opts["media"] != "cdrom"
}
