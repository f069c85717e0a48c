package pvesim

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

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

// updateQemuConfig is qemu-server API2/Qemu.pm $update_vm_api, shared by
// POST (async, a qmconfig task) and PUT (sync). In its order: the schema
// check (400), skiplock for root@pam only (400), "no options specified"
// (500), the revert and delete lists (400), then $load_and_check_config's
// early checks before forking or locking (9.x; 8.2.4 runs the same checks
// in $updatefn under lock_config before fork_worker): a missing config, a
// stale digest and a lock are a synchronous 500 without a task, for POST
// as for PUT. The worker (or PUT, under lock_config) checks again.
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
	for _, k := range splitList(vals["delete"]) {
		if !configIDRE.MatchString(k) {
			// pve-configid-list, pve-common JSONSchema.pm pve_verify_configid.
			errs["delete"] = fmt.Sprintf("invalid format - invalid configuration ID '%s'", k)
		}
	}
	if len(errs) > 0 {
		return paramErr(errs)
	}
	if msg := sshKeysProblem(vals); msg != "" {
		return err500("%s", msg)
	}
	digest, skiplock := vals["digest"], vals["skiplock"] == "1"
	if res := rootOnly(r, "skiplock"); res != nil {
		return res
	}
	delStr, revertStr := vals["delete"], vals["revert"]
	for _, k := range []string{"delete", "digest", "skiplock", "revert", "force", "background_delay"} {
		delete(vals, k)
	}
	if delStr == "" && revertStr == "" && len(vals) == 0 {
		return err500("no options specified")
	}
	revert := map[string]bool{}
	for _, k := range splitList(revertStr) {
		if _, known := specFor(k); !known {
			return paramErr1("revert", fmt.Sprintf("unknown option '%s'", k))
		}
		if _, set := vals[k]; set {
			return paramErr1("delete", fmt.Sprintf("you can't use '-%s' and -revert %s' at the same time", k, k))
		}
		revert[k] = true
	}
	var del []string
	for _, k := range splitList(delStr) {
		if k == "cdrom" {
			k = "ide2"
		}
		if _, set := vals[k]; set {
			return paramErr1("delete", fmt.Sprintf("you can't use '-%s' and -delete %s' at the same time", k, k))
		}
		if revert[k] {
			return paramErr1("revert", fmt.Sprintf("you can't use '-delete %s' and -revert %s' at the same time", k, k))
		}
		if _, known := specFor(k); !known {
			return paramErr1("delete", fmt.Sprintf("unknown option '%s'", k))
		}
		del = append(del, k)
	}
	if res := checkDriveParams(vals); res != nil {
		return res
	}
	// $load_and_check_config->(0): early checks before forking/locking.
	early := func(v *vmState) *resp {
		if digest != "" && digest != v.digest() {
			return err500("%s", s.pveVersionLocked().digestMismatch)
		}
		if err := lockErr(v); err != nil && !skiplock {
			return err500("%s", err.Error())
		}
		return nil
	}
	if sync {
		if res := s.withGuestID(r, vmid, "qemu", "VM.Config.Options", early); res != nil {
			return res
		}
		return s.withLockSteps(s.configUpdateSteps(r, vmid, vals), func() *resp {
			return s.withGuestID(r, vmid, "qemu", "VM.Config.Options", func(v *vmState) *resp {
				set, del := withRevertLocked(v, vals, del, revert)
				if _, err := s.updateVMConfigLocked(v, set, del, digest, skiplock); err != nil {
					return err500("%s", err.Error())
				}
				s.persistLocked()
				return ok(nil)
			})
		})
	}
	s.mu.Lock()
	lockInRequest := s.pveVersionLocked().configLockInRequest
	s.mu.Unlock()
	if lockInRequest {
		// 8.2.4: lock_config($vmid, $updatefn) in the API process, and
		// fork_worker inside it: the worker inherits the flocked file
		// handle (pve-common RESTEnvironment.pm fork_worker closes only
		// its pipes and STDIN/STDOUT/STDERR; Tools.pm lock_file_full
		// releases by closing, not LOCK_UN), so the lock stays held until
		// the worker exits, and the worker never locks again.
		lo := s.opts.Locks.withDefaults()
		release, failMsg := s.runLockSteps([]lockStep{configLockStep(vmid, false, lo.ConfigTimeout)}, nil)
		if failMsg != "" {
			return err500("%s", failMsg)
		}
		return s.forkConfigUpdate(r, vmid, early, vals, del, revert, digest, skiplock, release)
	}
	return s.forkConfigUpdate(r, vmid, early, vals, del, revert, digest, skiplock, nil)
}

// forkConfigUpdate is POST .../config after the parameter checks: the
// early checks, then a qmconfig worker that takes the locks and updates.
// inherited, when set, releases the config lock the request already holds
// (8.2): the worker takes it over instead of locking, and frees it when it
// ends; a request that forks nothing frees it at once.
func (s *Server) forkConfigUpdate(r *request, vmid int, early func(*vmState) *resp, vals map[string]string, del []string, revert map[string]bool, digest string, skiplock bool, inherited func()) *resp {
	forked := false
	if inherited != nil {
		defer func() {
			if !forked {
				inherited()
			}
		}()
	}
	return s.withGuestID(r, vmid, "qemu", "VM.Config.Options", func(v *vmState) *resp {
		if res := early(v); res != nil {
			return res
		}
		steps := s.configUpdateLockSteps(vmid, v.Node, vals)
		if inherited != nil {
			steps[0].inherited = inherited // configLockSteps comes first
		}
		forked = true
		t := s.newTaskLocked(v.Node, "qmconfig", strconv.Itoa(vmid), r.auth.user, func(fail string) ([]string, error) {
			if fail != "" {
				return nil, errors.New(fail)
			}
			cur := s.vms[vmid]
			if cur == nil {
				return nil, errNoConfig(v.confPath())
			}
			// $updatefn under lock_config repeats the checks.
			set, del := withRevertLocked(cur, vals, del, revert)
			return s.updateVMConfigLocked(cur, set, del, digest, skiplock)
		}, steps...)
		return ok(t.UPID)
	})
}

// splitList is pve-common PVE::Tools::split_list: items separated by
// commas, semicolons, spaces or NULs.
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ';' || c == ' ' || c == 0 })
}

// configIDRE is pve-common JSONSchema.pm $CONFIGID_RE (case-insensitive).
var configIDRE = regexp.MustCompile(`(?i)^[a-z][a-z0-9_-]+$`)

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
	recordCloudInitChanges(v, v.Conf, conf)
	v.Conf = conf
	return lines, nil
}
