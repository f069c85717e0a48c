package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"regexp"
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
	store  string
	sizeGB float64
	opts   map[string]string
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
	} else if st, _, has := strings.Cut(d.volume, ":"); has {
		d.store = st
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
