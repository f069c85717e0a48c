package pvesim

// This file holds the power actions of a VM (start, stop, shutdown, ...) and destroy.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

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
			switch action {
			case "start":
				if cur.Running {
					return nil, fmt.Errorf("VM %d already running", vmid)
				}
				cur.Running = true
				cur.StartedAt = time.Now()
				s.nextPID++
				cur.PID = s.nextPID
			case "stop", "shutdown":
				cur.Running = false
				cur.PID = 0
			case "reboot", "reset":
				if !cur.Running {
					return nil, fmt.Errorf("VM %d not running", vmid)
				}
				cur.StartedAt = time.Now()
			}
			return nil, nil
		})
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
			var lines []string
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
						return lines, sd.missingErr()
					}
					if l := freeLog(sd, d.volume); l != "" {
						lines = append(lines, l)
					}
				}
			}
			delete(s.vms, vmid)
			return lines, nil
		})
		return ok(t.UPID)
	})
}
