package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
)

// Pending changes, as qemu-server keeps them in the config's [PENDING]
// section (qemu-server 8.2.4 and 9.2.6 alike):
//
//   - API2/Qemu.pm $update_vm_api writes every change to the pending section
//     (deletes to pending "delete", except tags and unusedN which go at once),
//     drops pending values equal to the current ones (AbstractConfig.pm
//     cleanup_pending), then applies: a stopped VM takes everything
//     (QemuServer.pm vmconfig_apply_pending), a running one only what
//     vmconfig_hotplug_pending can hotplug; the rest waits.
//   - vmconfig_apply_pending runs at the next start (vm_start_nolock) and
//     stop/shutdown (vm_stop_cleanup with $apply_pending_changes); a reboot
//     is a shutdown and start (vm_reboot, qmeventd). A reset is neither.
//   - GET config applies the pending values unless current=1
//     (AbstractConfig.pm load_current_config); GET pending lists both
//     (GuestHelpers.pm config_with_pending_array); the digest covers the
//     whole file, [PENDING] included (QemuServer.pm parse_vm_config, sha1 of
//     the raw file, written by write_vm_config).

func init() {
	addRoute("/nodes/{node}/qemu/{vmid}/pending", map[string]handlerFunc{"GET": (*Server).qemuPendingFull})
}

func (v *vmState) hasPending() bool { return len(v.Pending) > 0 || len(v.PendingDelete) > 0 }

// pendingDeleteText is AbstractConfig.pm print_pending_delete: sorted keys,
// "!" before a forced delete.
func (v *vmState) pendingDeleteText() string {
	keys := sortedKeys(v.PendingDelete)
	for i, k := range keys {
		if v.PendingDelete[k] {
			keys[i] = "!" + k
		}
	}
	return strings.Join(keys, ",")
}

// digest is the SHA-1 of the whole config file, [PENDING] section included.
func (v *vmState) digest() string {
	text := configText(v.Conf)
	if v.hasPending() {
		p := copyConf(v.Pending)
		if len(v.PendingDelete) > 0 {
			p["delete"] = v.pendingDeleteText()
		}
		text += "\n[PENDING]\n" + configText(p)
	}
	sum := sha1.Sum([]byte(text))
	return hex.EncodeToString(sum[:])
}

// configView is load_current_config: pending values applied unless current.
func (v *vmState) configView(current bool) map[string]string {
	conf := copyConf(v.Conf)
	if current {
		return conf
	}
	for k, val := range v.Pending {
		conf[k] = val
	}
	for k := range v.PendingDelete {
		delete(conf, k)
	}
	return conf
}

// qemuConfigJSON is GET .../config: typed values and the file's digest.
func qemuConfigJSON(v *vmState, current bool) map[string]any {
	view := v.configView(current)
	maskCloudInit(view)
	m := typedConfig("qemu", view)
	m["digest"] = v.digest()
	return m
}

// typedValue is one key's value as GET .../config types it. The digest is
// the file's, as given: typedConfig would put the digest of a one-key
// config in its place.
func typedValue(k, val string) any {
	if k == "digest" {
		return val
	}
	return typedConfig("qemu", map[string]string{k: val})[k]
}

// qemuPendingFull serves GET .../pending like config_with_pending_array:
// every current key (digest included) with its pending value or delete
// flag, then keys that exist only as pending values or deletes.
func (s *Server) qemuPendingFull(r *request) *resp {
	return s.withGuest(r, "qemu", "VM.Audit", func(v *vmState) *resp {
		conf := copyConf(v.Conf)
		conf["digest"] = v.digest()
		pending := copyConf(v.Pending)
		if _, has := conf["cipassword"]; has {
			conf["cipassword"] = "**********"
		}
		if _, has := pending["cipassword"]; has {
			pending["cipassword"] = "********** "
		}
		dels := map[string]bool{}
		for k, f := range v.PendingDelete {
			dels[k] = f
		}
		out := []map[string]any{}
		delFlag := func(force bool) int {
			if force {
				return 2
			}
			return 1
		}
		for _, k := range sortedKeys(conf) {
			item := map[string]any{"key": k, "value": typedValue(k, conf[k])}
			if p, has := pending[k]; has {
				item["pending"] = typedValue(k, p)
				delete(pending, k)
			}
			if f, has := dels[k]; has {
				item["delete"] = delFlag(f)
				delete(dels, k)
			}
			out = append(out, item)
		}
		for _, k := range sortedKeys(pending) {
			out = append(out, map[string]any{"key": k, "pending": typedValue(k, pending[k])})
		}
		for _, k := range sortedKeys(dels) {
			out = append(out, map[string]any{"key": k, "delete": delFlag(dels[k])})
		}
		return ok(out)
	})
}

// updateVMConfigLocked is $update_vm_api's $updatefn after the early checks:
// digest and lock, then pending, then apply or hotplug.
func (s *Server) updateVMConfigLocked(v *vmState, set map[string]string, del []string, digest string, skiplock bool) ([]string, error) {
	if digest != "" && digest != v.digest() {
		return nil, errors.New(s.pveVersionLocked().digestMismatch)
	}
	if !skiplock {
		if err := lockErr(v); err != nil {
			return nil, err
		}
	}
	hashCloudInitPassword(v.Conf, set)
	set, refused := s.writtenBeforeRefusalLocked(v, set, del)
	if refused == nil && !v.Running && !v.hasPending() {
		return s.applyConfigLocked(v, set, del)
	}
	var lines []string
	pending := copyConf(v.Pending)
	pdel := map[string]bool{}
	for k, f := range v.PendingDelete {
		pdel[k] = f
	}
	modified := map[string]bool{}
	var now []string // deletes PVE does at once: tags, unusedN
	for _, k := range del {
		_, inConf := v.Conf[k]
		_, inPending := pending[k]
		if !inConf && !inPending {
			continue // "cannot delete '<k>' - not set in current configuration!" (a warning)
		}
		modified[k] = true
		delete(pending, k)
		if k == "tags" || strings.HasPrefix(k, "unused") {
			now = append(now, k)
			continue
		}
		pdel[k] = false
	}
	if len(now) > 0 {
		l, err := s.applyConfigLocked(v, nil, now)
		lines = append(lines, l...)
		if err != nil {
			return lines, err
		}
	}
	newDisks := map[string]string{}
	for k, val := range set {
		modified[k] = true
		if isDiskKey(k) && parseDisk(val).alloc {
			newDisks[k] = val // create_disks allocates now, the drive waits in pending
		} else {
			pending[k] = val
		}
		delete(pdel, k)
	}
	if len(newDisks) > 0 {
		// Pending drives count when numbering the new volumes.
		alloc := copyConf(pending)
		for k, val := range newDisks {
			alloc[k] = val
		}
		l, err := s.allocDisksLocked(v.VMID, v.Node, alloc, "")
		lines = append(lines, l...)
		if err != nil {
			return lines, err
		}
		for k := range newDisks {
			pending[k] = alloc[k]
		}
	}
	if refused != nil {
		// The die leaves $updatefn before cleanup_pending and before
		// anything is applied: what was written stays pending, on a
		// stopped VM too.
		v.Pending, v.PendingDelete = pending, pdel
		return lines, refused
	}
	// cleanup_pending
	for k, val := range pending {
		if cur, has := v.Conf[k]; has && cur == val {
			delete(pending, k)
		}
	}
	for k := range pdel {
		if _, has := v.Conf[k]; !has {
			delete(pdel, k)
		}
	}
	v.Pending, v.PendingDelete = pending, pdel
	if !v.Running {
		return append(lines, s.applyPendingLocked(v)...), nil
	}
	l, err := s.hotplugPendingLocked(v, modified)
	return append(lines, l...), err
}

// applyPendingLocked is vmconfig_apply_pending: everything pending lands.
func (s *Server) applyPendingLocked(v *vmState) []string {
	if !v.hasPending() {
		return nil
	}
	set, del := v.Pending, sortedKeys(v.PendingDelete)
	v.Pending, v.PendingDelete = nil, nil
	lines, err := s.applyConfigLocked(v, set, del)
	if err != nil {
		// vmconfig_apply_pending warns "unable to apply pending change ..."
		lines = append(lines, "unable to apply pending change: "+err.Error())
	}
	return lines
}

// hotplugPendingLocked is vmconfig_hotplug_pending with $selection =
// the options this update touched: fast-plug options always land, the
// others only when hotpluggable.
func (s *Server) hotplugPendingLocked(v *vmState, selection map[string]bool) ([]string, error) {
	feat := hotplugFeatures(v.Conf["hotplug"])
	set := map[string]string{}
	var del []string
	for _, k := range sortedKeys(v.PendingDelete) {
		if !selection[k] || !canHotUnplug(v.Conf, feat, k) {
			continue
		}
		del = append(del, k)
	}
	for _, k := range sortedKeys(v.Pending) {
		if isFastPlug(k) || (selection[k] && canHotplug(v.Conf, feat, k, v.Pending[k])) {
			set[k] = v.Pending[k]
		}
	}
	if len(set) == 0 && len(del) == 0 {
		return nil, nil
	}
	for k := range set {
		delete(v.Pending, k)
	}
	for _, k := range del {
		delete(v.PendingDelete, k)
	}
	return s.applyConfigLocked(v, set, del)
}

// writtenBeforeRefusalLocked is how far $updatefn (qemu-server
// API2/Qemu.pm update_vm_api) gets with the options to set: it puts each
// one in [PENDING] and calls write_config for it alone, after the deletes.
// Three checks can still die inside that loop, each at its own option:
// write_vm_config's check_type refuses a value the API accepted (a signed
// integer: configTypeErr); the "boot" branch refuses an order naming a
// device that does not exist; a drive's create_disks refuses an ISO that
// does not exist (and writes an existing one's size). The options written
// before it stay; the refused one and those after it are not written. PVE
// walks the options in Perl hash order, which differs from run to run;
// sorted is one of its orders.
func (s *Server) writtenBeforeRefusalLocked(v *vmState, set map[string]string, del []string) (map[string]string, error) {
	written := map[string]string{}
	for _, k := range sortedKeys(set) {
		val := set[k]
		if isDiskKey(k) {
			one := map[string]string{k: val}
			if err := s.checkCDROMMediaLocked(v.Node, one); err != nil {
				return written, err
			}
			val = one[k]
		}
		if k == "boot" {
			if err := checkBootOrder(v, set, del); err != nil {
				return written, err
			}
		}
		if err := configTypeErr(map[string]string{k: val}); err != nil {
			return written, err
		}
		written[k] = val
	}
	return written, nil
}

// PendingConfig returns the pending values and deletes of a guest, for
// assertions.
func (s *Server) PendingConfig(vmid int) (set map[string]string, del []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vms[vmid]
	if v == nil {
		return nil, nil
	}
	return copyConf(v.Pending), sortedKeys(v.PendingDelete)
}

// TaskCount counts the tasks of a type (e.g. "qmreboot") that ran or run
// for guest vmid, for assertions.
func (s *Server) TaskCount(typ string, vmid int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.taskList {
		if t.Type == typ && t.ID == strconv.Itoa(vmid) {
			n++
		}
	}
	return n
}
