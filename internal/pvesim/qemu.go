package pvesim

import (
	"errors"
	"fmt"
	"sort"
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

// vmidValue validates a vmid like PVE's pve-vmid option.
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
	n, err := strconv.Atoi(v)
	if err != nil || n > 999999999 {
		return 0, "value must have a maximum value of 999999999"
	}
	if n < 100 {
		return 0, "value must have a minimum value of 100"
	}
	return n, ""
}

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
			nv, msg := normalizeNet(k, v, "")
			if msg != "" {
				errs[k] = msg
				continue
			}
			out[k] = nv
			continue
		case kDisk:
			if parseDisk(v).volume == "" {
				errs[k] = fmt.Sprintf("invalid format - format error %s.file: property is missing and it is not optional", k)
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

func (s *Server) vmStatsLocked(v *vmState) map[string]any {
	cores, _ := strconv.Atoi(v.Conf["cores"])
	if cores == 0 {
		cores = 1
	}
	sockets, _ := strconv.Atoi(v.Conf["sockets"])
	if sockets == 0 {
		sockets = 1
	}
	if vc, _ := strconv.Atoi(v.Conf["vcpus"]); vc > 0 {
		cores, sockets = vc, 1
	}
	memMB := int64(512)
	if m := v.Conf["memory"]; m != "" {
		cur := m
		for _, p := range strings.Split(m, ",") {
			if c, has := strings.CutPrefix(p, "current="); has {
				cur = c
			}
		}
		if n, err := strconv.ParseInt(cur, 10, 64); err == nil {
			memMB = n
		}
	}
	var maxdisk int64
	for _, k := range sortedKeys(v.Conf) {
		if isDiskKey(k) || k == "rootfs" {
			d := parseDisk(v.Conf[k])
			if d.isVolume() {
				if _, b, okk := parseSize(d.opts["size"]); okk {
					maxdisk = b
					break
				}
			}
		}
	}
	m := map[string]any{
		"cpus": cores * sockets, "maxmem": memMB << 20, "maxdisk": maxdisk,
		"mem": 0, "cpu": 0, "disk": 0, "netin": 0, "netout": 0, "diskread": 0, "diskwrite": 0, "uptime": 0,
	}
	if v.Running {
		up := int64(time.Since(v.StartedAt).Seconds())
		m["uptime"] = up
		m["mem"] = (memMB << 20) / 3
		m["cpu"] = 0.0123
		m["netin"] = 1500 * (up + 1)
		m["netout"] = 900 * (up + 1)
		m["diskread"] = 4096 * (up + 1)
		m["diskwrite"] = 2048 * (up + 1)
		m["pid"] = v.PID
	}
	return m
}

// vmEntryLocked is a guest as /nodes/{node}/qemu and status/current show it:
// the name is read live from the config.
func (s *Server) vmEntryLocked(v *vmState) map[string]any {
	m := s.vmStatsLocked(v)
	m["vmid"] = v.VMID
	m["name"] = v.name()
	m["status"] = v.status()
	if l := v.Conf["lock"]; l != "" {
		m["lock"] = l
	}
	if t := v.Conf["tags"]; t != "" {
		m["tags"] = t
	}
	if v.Conf["template"] == "1" {
		m["template"] = 1
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
	return s.listGuests(r, "qemu", func(v *vmState, e map[string]any) {
		if v.Running {
			e["qmpstatus"] = "running"
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

// ---- create -------------------------------------------------------------------

var createExtras = map[string]paramSpec{
	"vmid": {kind: kString}, "start": boolSpec, "pool": {}, "storage": {}, "unique": boolSpec,
	"archive": {}, "force": boolSpec, "bwlimit": intSpec(0, 0), "live-restore": boolSpec,
}

func mergeSpec(extra map[string]paramSpec) map[string]paramSpec {
	out := map[string]paramSpec{}
	for k, v := range qemuConfigSpec {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func (s *Server) createQemu(r *request) *resp {
	vals, errs := checkParams(r.params, mergeSpec(createExtras), true, "vmid")
	vmid := vmidParam(r, "vmid", true, errs)
	if len(errs) > 0 {
		return paramErr(errs)
	}
	if vals["archive"] != "" {
		return err500("unable to restore VM %d - archive restore is not supported by pvesim", vmid)
	}
	node := r.vars["node"]
	start := vals["start"] == "1"
	pool := vals["pool"]
	for _, k := range []string{"vmid", "start", "pool", "storage", "unique", "archive", "force", "bwlimit", "live-restore"} {
		delete(vals, k)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	// Storage checks run before the config is created, as in qemu-server.
	for k, val := range vals {
		if !isDiskKey(k) {
			continue
		}
		d := parseDisk(val)
		if d.store != "" && d.opts["media"] != "cdrom" {
			sd := s.storageLocked(d.store)
			if sd == nil || !sd.onNode(node) {
				return err500("storage '%s' does not exist", d.store)
			}
		}
	}
	if ex := s.vms[vmid]; ex != nil {
		return err500("unable to create VM %d - VM %d already exists on node '%s'", vmid, vmid, ex.Node)
	}
	now := time.Now()
	v := &vmState{VMID: vmid, Node: node, Type: "qemu", Conf: map[string]string{"lock": "create"}, CreatedAt: now, Pool: pool}
	s.vms[vmid] = v
	if !r.auth.full() {
		r.auth.token.visible[vmid] = true
	}
	s.persistLocked()

	t := s.newTaskLocked(node, "qmcreate", strconv.Itoa(vmid), r.auth.user, func(fail string) ([]string, error) {
		cur := s.vms[vmid]
		if cur != v {
			return nil, fmt.Errorf("unable to create VM %d - configuration file vanished", vmid)
		}
		remove := func() { delete(s.vms, vmid); s.persistLocked() }
		if fail != "" {
			remove()
			return nil, errors.New(fail)
		}
		conf := copyConf(vals)
		lines, err := s.allocDisksLocked(vmid, node, conf, vals["storage"])
		if err != nil {
			remove()
			return lines, fmt.Errorf("unable to create VM %d - %v", vmid, err)
		}
		if conf["smbios1"] == "" {
			conf["smbios1"] = "uuid=" + newUUID()
		} else if parseSMBIOSUUID(conf["smbios1"]) == "" {
			conf["smbios1"] = "uuid=" + newUUID() + "," + conf["smbios1"]
		}
		if conf["vmgenid"] == "" || conf["vmgenid"] == "1" {
			conf["vmgenid"] = newUUID()
		}
		if conf["meta"] == "" {
			// qemu-server takes ctime as the worker starts, before it
			// creates the disks (PVE/API2/Qemu.pm create_vm, $createfn:
			// new_meta_info_string), not when the task ends.
			conf["meta"] = metaFor(now.Unix())
		}
		if conf["boot"] == "" {
			if b := defaultBoot(conf); b != "" {
				conf["boot"] = b
			}
		}
		v.Conf = conf
		if start && conf["template"] != "1" {
			v.Running = true
			v.StartedAt = time.Now()
			v.PID = 100000 + vmid%100000
		}
		return lines, nil
	}, s.createLockSteps(vmid, node, vals)...)
	return ok(t.UPID)
}

// defaultBoot mirrors PVE's default boot order: first disk, cdroms, first net.
func defaultBoot(conf map[string]string) string {
	var disk string
	var cds []string
	for _, pre := range []string{"scsi", "virtio", "sata", "ide"} {
		for i := 0; i <= 30; i++ {
			k := pre + strconv.Itoa(i)
			val, has := conf[k]
			if !has {
				continue
			}
			d := parseDisk(val)
			if d.opts["media"] == "cdrom" {
				cds = append(cds, k)
			} else if disk == "" {
				disk = k
			}
		}
	}
	var order []string
	if disk != "" {
		order = append(order, disk)
	}
	sort.Strings(cds)
	order = append(order, cds...)
	for i := 0; i <= 31; i++ {
		if _, has := conf["net"+strconv.Itoa(i)]; has {
			order = append(order, "net"+strconv.Itoa(i))
			break
		}
	}
	if len(order) == 0 {
		return ""
	}
	return "order=" + strings.Join(order, ";")
}

// allocDisksLocked turns "storage:sizeGiB" drive values in conf into new
// volumes, in key order.
func (s *Server) allocDisksLocked(vmid int, node string, conf map[string]string, _ string) ([]string, error) {
	var lines []string
	keys := sortedKeys(conf)
	for _, k := range keys {
		if !isDiskKey(k) {
			continue
		}
		d := parseDisk(conf[k])
		if !d.alloc {
			continue
		}
		sd := s.storageLocked(d.store)
		if sd == nil || !sd.onNode(node) {
			return lines, fmt.Errorf("storage '%s' does not exist", d.store)
		}
		if sd.Missing {
			return lines, sd.missingErr()
		}
		idx := s.nextDiskIndexLocked(vmid, conf)
		format := d.opts["format"]
		delete(d.opts, "format")
		d.volume = volumeName(sd, vmid, idx, format)
		size := int64(d.sizeGB * float64(1<<30))
		switch k {
		case "efidisk0", "tpmstate0":
			size = 4 << 20
		}
		d.opts["size"] = formatSize(size)
		d.alloc = false
		conf[k] = d.String()
		if l := allocLog(sd, d.volume); l != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

// ---- config -------------------------------------------------------------------

func (s *Server) getQemuConfig(r *request) *resp {
	vmid, res := pathVMID(r)
	if res != nil {
		return res
	}
	if res := checkBoolParams(r, "current"); res != nil {
		return res
	}
	return s.withGuestID(r, vmid, "qemu", "VM.Audit", func(v *vmState) *resp {
		return ok(qemuConfigJSON(v, r.params["current"] == "1"))
	})
}

var updateExtras = map[string]paramSpec{
	"delete": {}, "digest": {maxLen: 64}, "skiplock": boolSpec, "revert": {}, "force": boolSpec,
	"background_delay": intSpec(1, 30),
}

const digestMismatch = "checksum missmatch (file change by other user?)"

func (s *Server) updateQemuConfig(r *request, sync bool) *resp {
	vmid, res := pathVMID(r)
	if res != nil {
		return res
	}
	vals, errs := checkParams(r.params, mergeSpec(updateExtras), true)
	if sync {
		if _, has := r.params["background_delay"]; has {
			errs["background_delay"] = notInSchema
		}
	}
	var del []string
	for _, k := range strings.FieldsFunc(vals["delete"], func(c rune) bool { return c == ',' || c == ';' || c == ' ' }) {
		if _, known := specFor(k); !known {
			errs["delete"] = fmt.Sprintf("invalid format - invalid configuration ID '%s'", k)
			continue
		}
		if _, set := vals[k]; set {
			errs["delete"] = fmt.Sprintf("you can't use '-%s' and -delete %s' at the same time", k, k)
		}
		del = append(del, k)
	}
	if len(errs) > 0 {
		return paramErr(errs)
	}
	digest, skiplock := vals["digest"], vals["skiplock"] == "1"
	for _, k := range []string{"delete", "digest", "skiplock", "revert", "force", "background_delay"} {
		delete(vals, k)
	}
	if len(vals) == 0 && len(del) == 0 {
		return err500("no options specified")
	}
	update := func(v *vmState) *resp {
		if sync {
			if _, err := s.updateVMConfigLocked(v, vals, del, digest, skiplock); err != nil {
				return err500("%s", err.Error())
			}
			s.persistLocked()
			return ok(nil)
		}
		check := func() error {
			if digest != "" && digest != v.digest() {
				return errors.New(digestMismatch)
			}
			if !skiplock {
				return lockErr(v)
			}
			return nil
		}
		t := s.newCheckedTaskLocked(v.Node, "qmconfig", strconv.Itoa(vmid), r.auth.user, check, func(fail string) ([]string, error) {
			if fail != "" {
				return nil, errors.New(fail)
			}
			cur := s.vms[vmid]
			if cur == nil {
				return nil, errNoConfig(v.confPath())
			}
			return s.updateVMConfigLocked(cur, vals, del, digest, skiplock)
		}, s.configLockSteps(vmid)...)
		return ok(t.UPID)
	}
	if sync {
		// Early checks before locking ($load_and_check_config), then again
		// under lock_config.
		early := s.withGuestID(r, vmid, "qemu", "VM.Config.Options", func(v *vmState) *resp {
			if digest != "" && digest != v.digest() {
				return err500("%s", digestMismatch)
			}
			if err := lockErr(v); err != nil && !skiplock {
				return err500("%s", err.Error())
			}
			return nil
		})
		if early != nil {
			return early
		}
		return s.withConfigLock(vmid, func() *resp { return s.withGuestID(r, vmid, "qemu", "VM.Config.Options", update) })
	}
	return s.withGuestID(r, vmid, "qemu", "VM.Config.Options", update)
}

// applyConfigLocked is qemu-server's update function once its callers
// checked the digest and the lock: set and delete options (disks move to
// unusedN, new disks are allocated).
func (s *Server) applyConfigLocked(v *vmState, set map[string]string, del []string) ([]string, error) {
	conf := copyConf(v.Conf)
	var lines []string
	addUnused := func(vol string) {
		for i := 0; ; i++ {
			k := "unused" + strconv.Itoa(i)
			if _, has := conf[k]; !has {
				conf[k] = vol
				return
			}
		}
	}
	for _, k := range del {
		old, has := conf[k]
		if !has {
			continue
		}
		delete(conf, k)
		if isDiskKey(k) {
			if d := parseDisk(old); d.isVolume() && !d.alloc {
				addUnused(d.volume)
			}
		}
	}
	newDisks := map[string]string{}
	for _, k := range sortedKeys(set) {
		val := set[k]
		if isDiskKey(k) {
			d := parseDisk(val)
			if d.alloc {
				newDisks[k] = val
				continue
			}
			if old, has := conf[k]; has {
				od := parseDisk(old)
				if od.isVolume() && od.volume != d.volume {
					addUnused(od.volume)
				} else if od.volume == d.volume {
					if _, hasSize := d.opts["size"]; !hasSize && od.opts["size"] != "" {
						d.opts["size"] = od.opts["size"]
					}
					val = d.String()
				}
			}
		}
		conf[k] = val
	}
	if len(newDisks) > 0 {
		l, err := s.allocDisksLocked(v.VMID, v.Node, newDisks, "")
		lines = append(lines, l...)
		if err != nil {
			return lines, err
		}
		for k, val := range newDisks {
			if old, has := conf[k]; has {
				if od := parseDisk(old); od.isVolume() {
					addUnused(od.volume)
				}
			}
			conf[k] = val
		}
	}
	v.Conf = conf
	return lines, nil
}

// ---- power actions -------------------------------------------------------------

func (s *Server) qemuAction(r *request) *resp {
	action := r.vars["action"]
	var typ string
	spec := map[string]paramSpec{"skiplock": boolSpec, "timeout": intSpec(0, 0), "keepActive": boolSpec,
		"migratedfrom": {}, "machine": {}, "forceStop": boolSpec, "overrule-shutdown": boolSpec,
		"stateuri": {}, "migration_type": {}, "migration_network": {}, "targetstorage": {},
		"force-cpu": {}, "nets-host-mtu": {}, "with-conntrack-state": boolSpec}
	switch action {
	case "start":
		typ = "qmstart"
	case "stop":
		typ = "qmstop"
	case "shutdown":
		typ = "qmshutdown"
	case "reboot":
		typ = "qmreboot"
	case "reset":
		typ = "qmreset"
	default:
		return notImplemented(r.method, r.rel)
	}
	vmid, res := pathVMID(r)
	if res != nil {
		return res
	}
	vals, errs := checkParams(r.params, spec, false)
	if len(errs) > 0 {
		return paramErr(errs)
	}
	skiplock := vals["skiplock"] == "1"
	return s.withGuestID(r, vmid, "qemu", "VM.PowerMgmt", func(v *vmState) *resp {
		if (action == "reboot" || action == "reset") && !v.Running {
			return err500("VM %d not running", vmid)
		}
		check := func() error {
			if action == "start" && v.Conf["template"] == "1" {
				return errors.New("you can't start a vm if it's a template")
			}
			if !skiplock {
				if err := lockErr(v); err != nil {
					return err
				}
			}
			if action == "start" && v.Running {
				return fmt.Errorf("VM %d already running", vmid)
			}
			return nil
		}
		t := s.newCheckedTaskLocked(v.Node, typ, strconv.Itoa(vmid), r.auth.user, check, func(fail string) ([]string, error) {
			cur := s.vms[vmid]
			if cur == nil {
				return nil, errNoConfig(v.confPath())
			}
			if fail != "" {
				return nil, errors.New(fail)
			}
			if action == "start" && cur.Conf["template"] == "1" {
				return nil, errors.New("you can't start a vm if it's a template")
			}
			if !skiplock {
				if err := lockErr(cur); err != nil {
					return nil, err
				}
			}
			var lines []string
			switch action {
			case "start":
				if cur.Running {
					return nil, fmt.Errorf("VM %d already running", vmid)
				}
				lines = s.applyPendingLocked(cur) // vm_start_nolock
				cur.Running = true
				cur.StartedAt = time.Now()
				s.nextPID++
				cur.PID = s.nextPID
			case "stop", "shutdown":
				cur.Running = false
				cur.PID = 0
				lines = s.applyPendingLocked(cur) // vm_stop_cleanup
			case "reboot", "reset":
				if !cur.Running {
					return nil, fmt.Errorf("VM %d not running", vmid)
				}
				if action == "reboot" { // a shutdown and a start; a reset keeps the process
					lines = s.applyPendingLocked(cur)
				}
				cur.StartedAt = time.Now()
			}
			return lines, nil
		}, s.configLockSteps(vmid)...)
		return ok(t.UPID)
	})
}

// ---- destroy -------------------------------------------------------------------

func (s *Server) destroyQemu(r *request) *resp {
	vmid, res := pathVMID(r)
	if res != nil {
		return res
	}
	vals, errs := checkParams(r.params, map[string]paramSpec{
		"purge": boolSpec, "destroy-unreferenced-disks": boolSpec, "skiplock": boolSpec,
	}, false)
	if len(errs) > 0 {
		return paramErr(errs)
	}
	skiplock := vals["skiplock"] == "1"
	purgeUnreferenced := vals["destroy-unreferenced-disks"] == "1"
	if skiplock && !strings.HasPrefix(r.auth.user, "root@pam") {
		return paramErr1("skiplock", "Only root may use this option.")
	}
	return s.withGuestID(r, vmid, "qemu", "VM.Allocate", func(v *vmState) *resp {
		if v.Conf["protection"] == "1" {
			return err500("can't remove VM %d - protection mode enabled", vmid)
		}
		if v.Running {
			return err500("VM %d is running - destroy failed", vmid)
		}
		check := func() error {
			if !skiplock {
				return lockErr(v)
			}
			return nil
		}
		t := s.newCheckedTaskLocked(v.Node, "qmdestroy", strconv.Itoa(vmid), r.auth.user, check, func(fail string) ([]string, error) {
			cur := s.vms[vmid]
			if cur == nil {
				return nil, errNoConfig(v.confPath())
			}
			if fail != "" {
				return nil, errors.New(fail)
			}
			if !skiplock {
				if err := lockErr(cur); err != nil {
					return nil, err
				}
			}
			if cur.Running {
				return nil, fmt.Errorf("VM %d is running - destroy failed", vmid)
			}
			if cur.Conf["protection"] == "1" {
				return nil, fmt.Errorf("can't remove VM %d - protection mode enabled", vmid)
			}
			// qemu-server QemuServer.pm destroy_vm: every volume the config
			// references is freed in an eval; a failure (here: the pool
			// cannot be activated, PVE::Storage::vdisk_free) is only
			// log_warn("Could not remove disk '<volid>', check manually: <err>")
			// and the volume stays behind on its storage.
			var lines []string
			var leftovers []string
			for _, k := range sortedKeys(cur.Conf) {
				if !isDiskKey(k) && !strings.HasPrefix(k, "unused") {
					continue
				}
				d := parseDisk(cur.Conf[k])
				if !d.isVolume() {
					continue
				}
				if sd := s.storageLocked(d.store); sd != nil {
					if sd.Missing {
						lines = append(lines, fmt.Sprintf("%sCould not remove disk '%s', check manually: %s",
							warnPrefix, d.volume, sd.activationErr()))
						leftovers = append(leftovers, d.volume)
						continue
					}
					if l := freeLog(sd, d.volume); l != "" {
						lines = append(lines, l)
					}
				}
			}
			// With destroy-unreferenced-disks, destroy_vm then lists the
			// VMID's volumes on every enabled image storage
			// (PVE::Storage::vdisk_list -> activate_storage_list), outside
			// any eval: a pool that cannot be activated fails the whole task
			// before destroy_config, and the VM stays (its healthy disks
			// already freed; the simulator keeps them in the config).
			if purgeUnreferenced {
				for i := range s.storages {
					sd := &s.storages[i]
					if sd.onNode(cur.Node) && sd.holdsImages() && sd.Missing {
						return lines, sd.activationErr()
					}
				}
			}
			s.leftoverVolumes = append(s.leftoverVolumes, leftovers...)
			delete(s.vms, vmid)
			return lines, nil
		})
		return ok(t.UPID)
	})
}

// ---- clone ---------------------------------------------------------------------

func (s *Server) cloneQemu(r *request) *resp {
	vmid, res := pathVMID(r)
	if res != nil {
		return res
	}
	vals, errs := checkParams(r.params, map[string]paramSpec{
		"newid": {}, "name": {kind: kDNS}, "description": {maxLen: 8192}, "pool": {}, "snapname": {},
		"storage": {}, "target": {}, "full": boolSpec, "format": {enum: []string{"raw", "qcow2", "vmdk"}},
		"bwlimit": intSpec(0, 0),
	}, false, "newid")
	newid := vmidParam(r, "newid", true, errs)
	if len(errs) > 0 {
		return paramErr(errs)
	}
	return s.withGuestID(r, vmid, "qemu", "VM.Clone", func(src *vmState) *resp {
		target := src.Node
		if tn := vals["target"]; tn != "" {
			if !s.nodeKnown(tn) {
				return err500("no such cluster node '%s'", tn)
			}
			target = tn
		}
		if st := vals["storage"]; st != "" {
			if sd := s.storageLocked(st); sd == nil || !sd.onNode(target) {
				return err500("storage '%s' does not exist", st)
			}
		}
		if err := lockErr(src); err != nil {
			return err500("%s", err.Error())
		}
		if s.vms[newid] != nil {
			return err500("unable to create VM %d: config file already exists", newid)
		}
		conf := map[string]string{}
		for k, val := range src.Conf {
			switch {
			case k == "lock" || k == "template" || strings.HasPrefix(k, "unused"):
				continue
			case isDiskKey(k) && parseDisk(val).isVolume():
				continue // cloned by the task
			case netKeyRE.MatchString(k):
				nv, _ := normalizeNet(k, stripMAC(val), "")
				conf[k] = nv
			default:
				conf[k] = val
			}
		}
		if n := vals["name"]; n != "" {
			conf["name"] = n
		} else if sn := src.Conf["name"]; sn != "" {
			conf["name"] = "Copy-of-VM-" + sn
		} else {
			conf["name"] = fmt.Sprintf("Copy-of-VM-%d", vmid)
		}
		if d, has := vals["description"]; has {
			conf["description"] = d
		}
		conf["smbios1"] = replaceSMBIOSUUID(src.Conf["smbios1"], newUUID())
		if _, has := src.Conf["vmgenid"]; has {
			conf["vmgenid"] = newUUID()
		}
		conf["lock"] = "clone"
		nv := &vmState{VMID: newid, Node: target, Type: "qemu", Conf: conf, CreatedAt: time.Now(), Pool: vals["pool"]}
		s.vms[newid] = nv
		if !r.auth.full() {
			r.auth.token.visible[newid] = true
		}
		s.persistLocked()
		storeOverride := vals["storage"]
		format := vals["format"]
		t := s.newTaskLocked(src.Node, "qmclone", strconv.Itoa(vmid), r.auth.user, func(fail string) ([]string, error) {
			cur := s.vms[newid]
			if cur != nv {
				return nil, fmt.Errorf("clone failed: config file of VM %d vanished", newid)
			}
			remove := func() { delete(s.vms, newid); s.persistLocked() }
			if fail != "" {
				remove()
				return nil, errors.New(fail)
			}
			srcNow := s.vms[vmid]
			if srcNow == nil {
				remove()
				return nil, errNoConfig(src.confPath())
			}
			var lines []string
			newConf := copyConf(cur.Conf)
			for _, k := range sortedKeys(srcNow.Conf) {
				if !isDiskKey(k) {
					continue
				}
				d := parseDisk(srcNow.Conf[k])
				if !d.isVolume() {
					continue
				}
				srcSD := s.storageLocked(d.store)
				dstID := d.store
				if storeOverride != "" {
					dstID = storeOverride
				}
				dst := s.storageLocked(dstID)
				if srcSD == nil || dst == nil {
					remove()
					return lines, fmt.Errorf("storage '%s' does not exist", dstID)
				}
				if srcSD.Missing {
					remove()
					return lines, srcSD.missingErr()
				}
				if dst.Missing {
					remove()
					return lines, dst.missingErr()
				}
				lines = append(lines, fmt.Sprintf("create full clone of drive %s (%s)", k, d.volume))
				idx := s.nextDiskIndexLocked(newid, newConf)
				nd := diskSpec{volume: volumeName(dst, newid, idx, format), opts: copyConf(d.opts)}
				newConf[k] = nd.String()
				if l := allocLog(dst, nd.volume); l != "" {
					lines = append(lines, l)
				}
			}
			delete(newConf, "lock")
			cur.Conf = newConf
			return lines, nil
		}, s.cloneLockSteps(src, newid, storeOverride)...)
		return ok(t.UPID)
	})
}

func stripMAC(val string) string {
	parts := strings.Split(val, ",")
	if k, _, has := strings.Cut(parts[0], "="); has {
		parts[0] = k
	}
	var out []string
	for _, p := range parts {
		if !strings.HasPrefix(p, "macaddr=") {
			out = append(out, p)
		}
	}
	return strings.Join(out, ",")
}

func replaceSMBIOSUUID(smbios, uuid string) string {
	var parts []string
	for _, p := range strings.Split(smbios, ",") {
		if p != "" && !strings.HasPrefix(p, "uuid=") {
			parts = append(parts, p)
		}
	}
	return strings.Join(append([]string{"uuid=" + uuid}, parts...), ",")
}

// ---- resize --------------------------------------------------------------------

func (s *Server) resizeQemu(r *request) *resp {
	vmid, res := pathVMID(r)
	if res != nil {
		return res
	}
	vals, errs := checkParams(r.params, map[string]paramSpec{
		"disk": {}, "size": {}, "digest": {maxLen: 64}, "skiplock": boolSpec,
	}, false, "disk", "size")
	if d, has := vals["disk"]; has && !isDiskKey(d) {
		errs["disk"] = fmt.Sprintf("value '%s' does not have a value in the enumeration 'ide0, ide1, ide2, ide3, scsi0, ..., virtio15, sata0, ..., efidisk0, tpmstate0'", d)
	}
	plus, bytes, okSize := parseSize(vals["size"])
	if _, has := vals["size"]; has && !okSize {
		errs["size"] = "value does not match the regex pattern"
	}
	if len(errs) > 0 {
		return paramErr(errs)
	}
	disk := vals["disk"]
	return s.withGuestID(r, vmid, "qemu", "VM.Config.Disk", func(v *vmState) *resp {
		if dg := vals["digest"]; dg != "" && dg != v.digest() {
			return err500("%s", digestMismatch)
		}
		if vals["skiplock"] != "1" {
			if err := lockErr(v); err != nil {
				return err500("%s", err.Error())
			}
		}
		val, has := v.Conf[disk]
		if !has {
			return err500("disk '%s' does not exist", disk)
		}
		d := parseDisk(val)
		if d.opts["media"] == "cdrom" {
			return err500("you can't resize a cdrom")
		}
		if !d.isVolume() {
			return err500("disk '%s' has no associated volume", disk)
		}
		_, cur, _ := parseSize(d.opts["size"])
		newSize := bytes
		if plus {
			newSize = cur + bytes
		}
		if newSize < cur {
			return err500("shrinking disks is not supported")
		}
		t := s.newTaskLocked(v.Node, "resize", strconv.Itoa(vmid), r.auth.user, func(fail string) ([]string, error) {
			if fail != "" {
				return nil, errors.New(fail)
			}
			curVM := s.vms[vmid]
			if curVM == nil {
				return nil, errNoConfig(v.confPath())
			}
			cd := parseDisk(curVM.Conf[disk])
			if sd := s.storageLocked(cd.store); sd != nil && sd.Missing {
				return nil, sd.missingErr()
			}
			if newSize == cur {
				return nil, nil
			}
			cd.opts["size"] = formatSize(newSize)
			curVM.Conf[disk] = cd.String()
			var lines []string
			if curVM.Running {
				lines = append(lines, fmt.Sprintf("resize: block_resize %s to %d", disk, newSize))
			}
			return lines, nil
		})
		return ok(t.UPID)
	})
}

// ---- migrate -------------------------------------------------------------------

func (s *Server) migratePreconditions(r *request) *resp {
	return s.withGuest(r, "qemu", "VM.Migrate", func(v *vmState) *resp {
		allowed := []string{}
		notAllowed := map[string]any{}
		for _, n := range s.nodes {
			if n == v.Node {
				continue
			}
			if s.offline[n] {
				notAllowed[n] = map[string]any{"unavailable_storages": []string{}}
				continue
			}
			allowed = append(allowed, n)
		}
		return ok(map[string]any{
			"running": boolInt(v.Running), "allowed_nodes": allowed, "not_allowed_nodes": notAllowed,
			"local_disks": []any{}, "local_resources": []any{}, "mapped-resources": []any{},
		})
	})
}

func (s *Server) migrateQemu(r *request) *resp {
	vmid, res := pathVMID(r)
	if res != nil {
		return res
	}
	vals, errs := checkParams(r.params, map[string]paramSpec{
		"target": {}, "online": boolSpec, "force": boolSpec, "with-local-disks": boolSpec,
		"targetstorage": {}, "migration_type": {enum: []string{"secure", "insecure"}},
		"migration_network": {}, "bwlimit": intSpec(0, 0), "with-conntrack-state": boolSpec,
	}, false, "target")
	node := r.vars["node"]
	if vals["target"] == node {
		errs["target"] = "target is local node."
	}
	if len(errs) > 0 {
		return paramErr(errs)
	}
	target := vals["target"]
	online := vals["online"] == "1"
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.nodeKnown(target) {
		return err500("no such cluster node '%s'", target)
	}
	v, res := s.guestLocked(r, vmid, "qemu", "VM.Migrate")
	if res != nil {
		return res
	}
	if err := lockErr(v); err != nil {
		return err500("%s", err.Error())
	}
	if v.Running && !online {
		return err500("can't migrate running VM without --online")
	}
	v.Conf["lock"] = "migrate"
	s.persistLocked()
	t := s.newTaskLocked(node, "qmigrate", strconv.Itoa(vmid), r.auth.user, func(fail string) ([]string, error) {
		cur := s.vms[vmid]
		if cur == nil {
			return nil, errNoConfig(v.confPath())
		}
		delete(cur.Conf, "lock")
		start := time.Now().Format("2006-01-02 15:04:05")
		lines := []string{fmt.Sprintf("%s starting migration of VM %d to node '%s'", start, vmid, target)}
		if fail != "" {
			lines = append(lines, fmt.Sprintf("%s ERROR: %s", start, fail))
			return lines, errors.New(fail)
		}
		if s.offline[target] {
			lines = append(lines, fmt.Sprintf("%s ERROR: migration aborted (duration 00:00:03): Can't connect to destination address using public key", start))
			return lines, errors.New("migration aborted")
		}
		for _, k := range sortedKeys(cur.Conf) {
			if isDiskKey(k) {
				d := parseDisk(cur.Conf[k])
				if sd := s.storageLocked(d.store); d.isVolume() && sd != nil && sd.Missing {
					lines = append(lines, fmt.Sprintf("%s ERROR: %v", start, sd.missingErr()))
					return lines, errors.New("migration aborted")
				}
			}
		}
		cur.Node = target
		lines = append(lines, fmt.Sprintf("%s migration finished successfully (duration 00:00:01)", start))
		return lines, nil
	})
	return ok(t.UPID)
}
