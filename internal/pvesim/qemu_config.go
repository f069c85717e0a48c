package pvesim

// This file holds the config of a VM: GET, PUT and POST .../config, and resize.

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
		return ok(typedConfig("qemu", v.Conf))
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
	return s.withGuestID(r, vmid, "qemu", "VM.Config.Options", func(v *vmState) *resp {
		if sync {
			if _, err := s.applyConfigLocked(v, vals, del, digest, skiplock); err != nil {
				return err500("%s", err.Error())
			}
			s.persistLocked()
			return ok(nil)
		}
		check := func() error {
			if digest != "" && digest != configDigest(v.Conf) {
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
			return s.applyConfigLocked(cur, vals, del, digest, skiplock)
		})
		return ok(t.UPID)
	})
}

// applyConfigLocked is qemu-server's update function: digest, lock, then
// set and delete options (disks move to unusedN, new disks are allocated).
func (s *Server) applyConfigLocked(v *vmState, set map[string]string, del []string, digest string, skiplock bool) ([]string, error) {
	if digest != "" && digest != configDigest(v.Conf) {
		return nil, errors.New(digestMismatch)
	}
	if !skiplock {
		if err := lockErr(v); err != nil {
			return nil, err
		}
	}
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
		if dg := vals["digest"]; dg != "" && dg != configDigest(v.Conf) {
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
