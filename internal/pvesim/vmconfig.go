package pvesim

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
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
	// agentUnanswered counts the agent requests that found the guest not
	// booted since the start at agentAskedSince (AgentOptions.BootQueries).
	agentUnanswered int
	agentAskedSince time.Time
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
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
