package pvesim

import (
	"errors"
	"fmt"
	"strconv"
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
	rootParams := []string{"skiplock"}
	if action == "start" {
		rootParams = append(rootParams, "stateuri", "migratedfrom", "migration_type", "migration_network", "targetstorage", "force-cpu", "with-conntrack-state", "nets-host-mtu")
	}
	if res := rootOnly(r, rootParams...); res != nil {
		return res
	}
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
				regenerateCloudInitLocked(cur)
				if err := s.activateVolumesLocked(cur.Conf); err != nil {
					return lines, err
				}
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
					regenerateCloudInitLocked(cur)
				}
				cur.StartedAt = time.Now()
			}
			return lines, nil
		}, s.configLockSteps(vmid)...)
		return ok(t.UPID)
	})
}
