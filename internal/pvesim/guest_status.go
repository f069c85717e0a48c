package pvesim

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A guest's status as qemu-server PVE/QemuServer.pm vmstatus (and
// pve-container's) reports it: GET /nodes/{node}/qemu and /lxc list it for
// every guest of the node, status/current for one.

// guestUsage is a guest's size and usage figures, as vmstatus reports them
// and /cluster/resources copies from the statistics.
type guestUsage struct {
	cpus                            int
	cpu                             float64
	maxmem, maxdisk, mem, disk      int64
	netin, netout, diskread, diskwr int64
	uptime                          int64
	running                         bool
	pid                             int // reported for running guests only
}

// addTo sets the figures in a vmstatus entry (cpus, and pid when running).
func (u guestUsage) addTo(m map[string]any) {
	m["cpus"], m["maxmem"], m["maxdisk"] = u.cpus, u.maxmem, u.maxdisk
	m["mem"], m["cpu"], m["disk"] = u.mem, u.cpu, u.disk
	m["netin"], m["netout"], m["diskread"], m["diskwrite"] = u.netin, u.netout, u.diskread, u.diskwr
	m["uptime"] = u.uptime
	if u.running {
		m["pid"] = u.pid
	}
}

func (s *Server) vmStatsLocked(v *vmState, now time.Time) guestUsage {
	cores, _ := strconv.Atoi(v.Conf["cores"])
	if cores == 0 {
		cores = 1
	}
	sockets, _ := strconv.Atoi(v.Conf["sockets"])
	if sockets == 0 {
		sockets = 1
	}
	if vcpus := v.Conf["vcpus"]; vcpus != "" {
		if vc, _ := strconv.Atoi(vcpus); vc > 0 {
			cores, sockets = vc, 1
		}
	}
	memMB := int64(512)
	if m := v.Conf["memory"]; m != "" {
		cur := m
		for p := range strings.SplitSeq(m, ",") {
			if c, has := strings.CutPrefix(p, "current="); has {
				cur = c
			}
		}
		if n, err := strconv.ParseInt(cur, 10, 64); err == nil {
			memMB = n
		}
	}
	var maxdisk int64
	drives := make([]string, 0, 8)
	for k := range v.Conf {
		if isDiskKey(k) || k == "rootfs" {
			drives = append(drives, k)
		}
	}
	slices.Sort(drives) // the first drive in key order that has a size
	for _, k := range drives {
		if _, size, okk := volumeSize(k, v.Conf[k]); okk {
			maxdisk = size
			break
		}
	}
	u := guestUsage{cpus: cores * sockets, maxmem: memMB << 20, maxdisk: maxdisk}
	if v.Running {
		up := int64(now.Sub(v.StartedAt).Seconds())
		u.uptime = up
		u.mem = (memMB << 20) / 3
		u.cpu = 0.0123
		u.netin = 1500 * (up + 1)
		u.netout = 900 * (up + 1)
		u.diskread = 4096 * (up + 1)
		u.diskwr = 2048 * (up + 1)
		u.running, u.pid = true, v.PID
	}
	return u
}

// guestStatus is one guest's vmstatus entry, read live from its config:
// name `$conf->{name} || "VM $vmid"`, status from the QEMU pid, template
// only for a template, lock only when set, tags whenever the key is
// defined, serial = 1 if conf_has_serial (serial0..3).
type guestStatus struct {
	vmid                     int
	name, status, lock, tags string
	hasTags, template        bool
	serial                   bool
	usage                    guestUsage
	list                     guestListFields
}

// guestListFields are what a list adds to each entry.
type guestListFields struct {
	qmpstatus bool   // qemu with full=1: QMP's status (its status here)
	typ       string // lxc lists name their type
}

var serialKeys = [...]string{"serial0", "serial1", "serial2", "serial3"}

func (s *Server) guestStatusLocked(v *vmState, now time.Time) guestStatus {
	g := guestStatus{vmid: v.VMID, name: v.name(), status: v.status(), lock: v.Conf["lock"],
		template: v.Conf["template"] == "1", usage: s.vmStatsLocked(v, now)}
	g.tags, g.hasTags = v.Conf["tags"]
	for _, k := range serialKeys {
		if v.Conf[k] != "" {
			g.serial = true
			break
		}
	}
	return g
}

// vmEntryLocked is a guest as status/current shows it.
func (s *Server) vmEntryLocked(v *vmState, now time.Time) map[string]any {
	g := s.guestStatusLocked(v, now)
	return g.entry()
}

func (g *guestStatus) entry() map[string]any {
	m := map[string]any{"vmid": g.vmid, "name": g.name, "status": g.status}
	g.usage.addTo(m)
	if g.lock != "" {
		m["lock"] = g.lock
	}
	if g.hasTags {
		m["tags"] = g.tags
	}
	if g.template {
		m["template"] = 1
	}
	if g.serial {
		m["serial"] = 1
	}
	if g.list.qmpstatus {
		m["qmpstatus"] = g.status
	}
	if g.list.typ != "" {
		m["type"] = g.list.typ
	}
	return m
}

// appendJSON writes entry() as marshalPVE would: keys sorted.
func (g *guestStatus) appendJSON(b []byte) []byte {
	u := &g.usage
	o := beginObject(b)
	o.float("cpu", u.cpu)
	o.int("cpus", int64(u.cpus))
	o.int("disk", u.disk)
	o.int("diskread", u.diskread)
	o.int("diskwrite", u.diskwr)
	if g.lock != "" {
		o.str("lock", g.lock)
	}
	o.int("maxdisk", u.maxdisk)
	o.int("maxmem", u.maxmem)
	o.int("mem", u.mem)
	o.str("name", g.name)
	o.int("netin", u.netin)
	o.int("netout", u.netout)
	if u.running {
		o.int("pid", int64(u.pid))
	}
	if g.list.qmpstatus {
		o.str("qmpstatus", g.status)
	}
	if g.serial {
		o.int("serial", 1)
	}
	o.str("status", g.status)
	if g.hasTags {
		o.str("tags", g.tags)
	}
	if g.template {
		o.int("template", 1)
	}
	if g.list.typ != "" {
		o.str("type", g.list.typ)
	}
	o.int("uptime", u.uptime)
	o.int("vmid", int64(g.vmid))
	return o.end()
}

// listGuests lists the caller-visible guests of type typ on {node}. Only
// the entries are taken under s.mu; sorting and encoding run without it.
func (s *Server) listGuests(r *request, typ string, fields guestListFields) *resp {
	node := r.vars["node"]
	var out []guestStatus
	s.mu.Lock()
	now := time.Now()
	for id, v := range s.vms {
		if v.Node == node && v.Type == typ && r.auth.canSee(id) {
			g := s.guestStatusLocked(v, now)
			g.list = fields
			out = append(out, g)
		}
	}
	s.mu.Unlock()
	return ok(encodeGuestList(out))
}

func encodeGuestList(list []guestStatus) encodedJSON {
	slices.SortFunc(list, func(a, b guestStatus) int { return cmp.Compare(a.vmid, b.vmid) })
	b := make([]byte, 0, 2+300*len(list))
	b = append(b, '[')
	for i := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = list[i].appendJSON(b)
	}
	return append(b, ']')
}
