package pvesim

import (
	"errors"
	"fmt"
	"strconv"
)

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
			return err500("%s", s.pveVersionLocked().digestMismatch)
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
				return nil, sd.activationErr() // resize_vm: activate_volumes first
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
