package pvesim

import (
	"fmt"
	"regexp"
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

func (s *Server) listQemu(r *request) *resp {
	if res := checkBoolParams(r, "full"); res != nil {
		return res
	}
	// vmstatus asks QMP only with full=1 and then reports qmpstatus for
	// every VM: QMP's answer for a running one, else its status.
	return s.listGuests(r, "qemu", guestListFields{qmpstatus: r.params["full"] == "1"})
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
		m := s.vmEntryLocked(v, time.Now())
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
