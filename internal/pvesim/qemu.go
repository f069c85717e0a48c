package pvesim

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

func init() {
	addRoute("/nodes/{node}/qemu", map[string]handlerFunc{
		"GET":  (*Server).listQemu,
		"POST": (*Server).createQemu,
	})
	addRoute("/nodes/{node}/qemu/{vmid}", map[string]handlerFunc{
		"GET":    (*Server).qemuIndex,
		"DELETE": (*Server).destroyQemu,
	})
	addRoute("/nodes/{node}/qemu/{vmid}/config", map[string]handlerFunc{
		"GET":  (*Server).getQemuConfig,
		"POST": func(s *Server, r *request) *resp { return s.updateQemuConfig(r, false) },
		"PUT":  func(s *Server, r *request) *resp { return s.updateQemuConfig(r, true) },
	})
	addRoute("/nodes/{node}/qemu/{vmid}/status", map[string]handlerFunc{"GET": (*Server).qemuStatusIndex})
	addRoute("/nodes/{node}/qemu/{vmid}/status/current", map[string]handlerFunc{"GET": (*Server).qemuStatusCurrent})
	addRoute("/nodes/{node}/qemu/{vmid}/status/{action}", map[string]handlerFunc{"POST": (*Server).qemuAction})
	addRoute("/nodes/{node}/qemu/{vmid}/clone", map[string]handlerFunc{"POST": (*Server).cloneQemu})
	addRoute("/nodes/{node}/qemu/{vmid}/resize", map[string]handlerFunc{"PUT": (*Server).resizeQemu})
	addRoute("/nodes/{node}/qemu/{vmid}/migrate", map[string]handlerFunc{
		"GET":  (*Server).migratePreconditions,
		"POST": (*Server).migrateQemu,
	})
}

// vmidValue validates a vmid like PVE's pve-vmid standard option (pve-common
// JSONSchema.pm): check_prop checks the type, then the format
// (pve_verify_vmid, m/^[1-9][0-9]{2,8}$/), and only then minimum (100) and
// maximum (999999999), which the format already covers.
func vmidValue(v string, required bool) (int, string) {
	if v == "" {
		if required {
			return 0, missingParam
		}
		return 0, ""
	}
	if !intRE.MatchString(v) {
		return 0, fmt.Sprintf("type check ('integer') failed - got '%s'", v)
	}
	if !vmidFormatRE.MatchString(v) {
		return 0, "invalid format - value does not look like a valid VM ID"
	}
	n, _ := strconv.Atoi(v) // at most 9 digits
	return n, ""
}

var vmidFormatRE = regexp.MustCompile(`^[1-9][0-9]{2,8}$`)

func pathVMID(r *request) (int, *resp) {
	n, msg := vmidValue(r.vars["vmid"], true)
	if msg != "" {
		return 0, paramErr1("vmid", msg)
	}
	return n, nil
}

// vmidParam validates the vmid-typed parameter key, adding its error to errs.
func vmidParam(r *request, key string, required bool, errs map[string]string) int {
	n, msg := vmidValue(r.params[key], required)
	if msg != "" {
		errs[key] = msg
	}
	return n
}

func noConfig(node string, vmid int, typ string) *resp {
	dir := "qemu-server"
	if typ == "lxc" {
		dir = "lxc"
	}
	return err500("Configuration file 'nodes/%s/%s/%d.conf' does not exist", node, dir, vmid)
}

// errNoConfig is the task error for a guest whose config vanished while the
// task ran, worded like PVE's.
func errNoConfig(confPath string) error {
	return fmt.Errorf("Configuration file '%s' does not exist", confPath) //nolint:staticcheck // ST1005: reproduces PVE's message text
}

// guestLocked finds a guest of type typ on node, answering like PVE when it
// is absent or the caller may not see it (priv is checked first, as PVE
// checks permissions before running the handler).
func (s *Server) guestLocked(r *request, vmid int, typ, priv string) (*vmState, *resp) {
	if res := s.checkVMPrivLocked(r.auth, vmid, priv); res != nil {
		return nil, res
	}
	v := s.vms[vmid]
	if v == nil || v.Node != r.vars["node"] || v.Type != typ {
		return nil, noConfig(r.vars["node"], vmid, typ)
	}
	return v, nil
}

// withGuest serves a handler whose whole body runs under s.mu on the guest
// named by the path's {vmid}.
func (s *Server) withGuest(r *request, typ, priv string, fn func(v *vmState) *resp) *resp {
	vmid, res := pathVMID(r)
	if res != nil {
		return res
	}
	return s.withGuestID(r, vmid, typ, priv, fn)
}

// withGuestID is withGuest for handlers that validate more parameters
// between parsing {vmid} and looking the guest up.
func (s *Server) withGuestID(r *request, vmid int, typ, priv string, fn func(v *vmState) *resp) *resp {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, res := s.guestLocked(r, vmid, typ, priv)
	if res != nil {
		return res
	}
	return fn(v)
}

func lockErr(v *vmState) error {
	if l := v.Conf["lock"]; l != "" {
		if v.Type == "lxc" {
			return fmt.Errorf("CT is locked (%s)", l)
		}
		return fmt.Errorf("VM is locked (%s)", l)
	}
	return nil
}

// checkParams validates params against spec; unknown keys are rejected.
func checkParams(params map[string]string, spec map[string]paramSpec, allowConfig bool, required ...string) (map[string]string, map[string]string) {
	out := map[string]string{}
	errs := map[string]string{}
	for k, v := range params {
		sp, known := spec[k]
		if !known && allowConfig {
			sp, known = specFor(k)
		}
		if !known {
			errs[k] = notInSchema
			continue
		}
		switch sp.kind {
		case kNet:
			nv, msg := normalizeNet(k, v)
			if msg != "" {
				errs[k] = msg
				continue
			}
			out[k] = nv
			continue
		case kDisk:
			if parseDisk(v).volume == "" {
				errs[k] = formatError(k, "file", missingParam)
				continue
			}
			var msg string
			if v, msg = checkDriveValue(k, v); msg != "" {
				errs[k] = msg
				continue
			}
		default:
			// Scalars are checked below.
		}
		nv, msg := checkValue(sp, v)
		if msg != "" {
			errs[k] = msg
			continue
		}
		out[k] = nv
	}
	for _, k := range required {
		if _, has := params[k]; !has {
			errs[k] = missingParam
		}
	}
	return out, errs
}

var boolSpec = paramSpec{kind: kBool}

// checkBoolParams rejects optional boolean parameters that are not 0 or 1.
func checkBoolParams(r *request, keys ...string) *resp {
	for _, k := range keys {
		if v, has := r.params[k]; has {
			if _, msg := checkValue(boolSpec, v); msg != "" {
				return paramErr1(k, msg)
			}
		}
	}
	return nil
}

// ---- list / index / status ----------------------------------------------------

// guestUsage is a guest's size and usage figures, as vmstatus reports them
// (qemu-server PVE/QemuServer.pm vmstatus) and /cluster/resources copies
// from the statistics.
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

func (s *Server) vmStatsLocked(v *vmState) guestUsage {
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
		d := parseDisk(v.Conf[k])
		if !d.isVolume() {
			continue
		}
		if _, b, okk := parseSize(d.opts["size"]); okk {
			maxdisk = b
			break
		}
	}
	u := guestUsage{cpus: cores * sockets, maxmem: memMB << 20, maxdisk: maxdisk}
	if v.Running {
		up := int64(time.Since(v.StartedAt).Seconds())
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

// vmEntryLocked is a guest as /nodes/{node}/qemu and status/current show it,
// read live from its config as qemu-server PVE/QemuServer.pm vmstatus does:
// name `$conf->{name} || "VM $vmid"`, status from the QEMU pid, template only
// for a template, lock only when set, tags whenever the key is defined.
func (s *Server) vmEntryLocked(v *vmState) map[string]any {
	m := map[string]any{"vmid": v.VMID}
	s.vmStatsLocked(v).addTo(m)
	m["name"] = v.name()
	m["status"] = v.status()
	if l := v.Conf["lock"]; l != "" {
		m["lock"] = l
	}
	if t, has := v.Conf["tags"]; has {
		m["tags"] = t
	}
	if v.Conf["template"] == "1" {
		m["template"] = 1
	}
	// QemuServer.pm vmstatus: serial = 1 if conf_has_serial (serial0..3).
	for i := range 4 {
		if v.Conf["serial"+strconv.Itoa(i)] != "" {
			m["serial"] = 1
			break
		}
	}
	return m
}

// listGuests lists the caller-visible guests of type typ on {node}, letting
// decorate add the type's own fields.
func (s *Server) listGuests(r *request, typ string, decorate func(v *vmState, e map[string]any)) *resp {
	node := r.vars["node"]
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, id := range s.sortedVMIDs() {
		v := s.vms[id]
		if v.Node != node || v.Type != typ || !r.auth.canSee(id) {
			continue
		}
		e := s.vmEntryLocked(v)
		decorate(v, e)
		out = append(out, e)
	}
	return ok(out)
}

func (s *Server) listQemu(r *request) *resp {
	if res := checkBoolParams(r, "full"); res != nil {
		return res
	}
	// vmstatus asks QMP only with full=1 and then reports qmpstatus for
	// every VM: QMP's answer for a running one, else its status.
	full := r.params["full"] == "1"
	return s.listGuests(r, "qemu", func(v *vmState, e map[string]any) {
		if full {
			e["qmpstatus"] = v.status()
		}
	})
}

func (s *Server) qemuIndex(r *request) *resp {
	return s.withGuest(r, "qemu", "VM.Audit", func(*vmState) *resp {
		return dirIndex("subdir", "config", "pending", "status", "unlink", "vncproxy", "termproxy", "migrate", "resize", "move", "rrd", "rrddata", "monitor", "agent", "snapshot", "spiceproxy", "sendkey", "firewall", "mtunnel", "remote_migrate")
	})
}

func (s *Server) qemuStatusIndex(r *request) *resp {
	return s.withGuest(r, "qemu", "VM.Audit", func(*vmState) *resp {
		return dirIndex("subdir", "current", "start", "stop", "reset", "shutdown", "suspend", "reboot")
	})
}

func (s *Server) qemuStatusCurrent(r *request) *resp {
	return s.withGuest(r, "qemu", "VM.Audit", func(v *vmState) *resp {
		m := s.vmEntryLocked(v)
		m["qmpstatus"] = v.status()
		m["ha"] = map[string]any{"managed": 0}
		if a := v.Conf["agent"]; a != "" {
			m["agent"] = boolInt(strings.HasPrefix(a, "1") || strings.Contains(a, "enabled=1"))
		}
		if v.Running {
			m["running-machine"] = "pc-i440fx-9.0+pve0"
			m["running-qemu"] = qemuVersion
		}
		return ok(m)
	})
}
