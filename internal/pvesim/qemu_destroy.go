package pvesim

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

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
	if res := rootOnly(r, "skiplock"); res != nil {
		return res
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
		var storageLocks destroyLocks
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
						s.recordLeftoverSizeLocked(d)
						continue
					}
					if msg := storageLocks.timedOut(d.volume); msg != "" {
						lines = append(lines, fmt.Sprintf("%sCould not remove disk '%s', check manually: %s", warnPrefix, d.volume, msg))
						leftovers = append(leftovers, d.volume)
						s.recordLeftoverSizeLocked(d)
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
			s.statsGoneLocked(cur)
			delete(s.vms, vmid)
			s.removeVMAccessLocked(vmid)
			return lines, nil
		}, s.destroyLockSteps(v, &storageLocks)...)
		return ok(t.UPID)
	})
}
