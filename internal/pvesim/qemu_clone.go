package pvesim

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

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
	checkPoolParam(vals, errs)
	if len(errs) > 0 {
		return paramErr(errs)
	}
	return s.withGuestID(r, vmid, "qemu", "VM.Clone", func(src *vmState) *resp {
		// clone_vm $load_and_check: check_pool_exist comes first.
		if res := s.checkPoolExistsLocked(vals["pool"]); res != nil {
			return res
		}
		early, res := s.cloneEarlyChecksLocked(src, newid, vals)
		if res != nil {
			return res
		}
		target := early.target
		if other := s.vms[newid]; other != nil {
			// Only the local node's config file was checked up front; the
			// worker's file_set_contents of the temporary config then fails
			// in pmxcfs, before any lock on newid is useful ($clonefn).
			return ok(s.newTaskLocked(src.Node, "qmclone", strconv.Itoa(vmid), r.auth.user, func(string) ([]string, error) {
				return []string{fmt.Sprintf("creating a clone of VM %d with ID %d", vmid, newid)},
					fmt.Errorf("close (rename) atomic file '/etc/pve/nodes/%s/qemu-server/%d.conf' failed: File exists", src.Node, newid)
			}).UPID)
		}
		conf := map[string]string{}
		for k, val := range src.Conf {
			switch {
			case k == "lock" || k == "template" || strings.HasPrefix(k, "unused"):
				continue
			case isDiskKey(k) && (parseDisk(val).isVolume() || isCloudInitDrive(val)):
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
		nv := &vmState{VMID: newid, Node: target, Type: "qemu", Conf: conf, CreatedAt: time.Now()}
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
				if isCloudInitDrive(srcNow.Conf[k]) {
					val, err := s.cloneCloudInitLocked(newid, srcNow.Conf[k], storeOverride)
					if err != nil {
						remove()
						return lines, err
					}
					newConf[k] = val
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
					return lines, srcSD.activationErr()
				}
				if dst.Missing {
					remove()
					return lines, dst.activationErr()
				}
				kind := "full"
				if !early.full {
					kind = "linked" // vdisk_clone on the template's base volume
				}
				lines = append(lines, fmt.Sprintf("create %s clone of drive %s (%s)", kind, k, d.volume))
				idx := s.nextDiskIndexLocked(newid, newConf)
				nd := diskSpec{volume: volumeName(dst, newid, idx, format), opts: copyConf(d.opts)}
				newConf[k] = nd.String()
				if l := allocLog(dst, nd.volume); l != "" {
					lines = append(lines, l)
				}
			}
			delete(newConf, "lock")
			cur.Conf = newConf
			s.addVMToPoolLocked(cur, vals["pool"])
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
