package pvesim

import (
	"errors"
	"fmt"
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
	if msg := sshKeysProblem(vals); msg != "" {
		return err500("%s", msg)
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
	recordCloudInitChanges(v, v.Conf, conf)
	v.Conf = conf
	return lines, nil
}
