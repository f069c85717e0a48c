package pvesim

import (
	"errors"
	"fmt"
	"strconv"
)

// POST /nodes/{node}/qemu/{vmid}/template, qemu-server PVE/API2/Qemu.pm,
// method "template" (VM.Allocate on /vms/{vmid}): $load_and_check runs
// before the worker forks (a synchronous 500) and again in the qmtemplate
// worker under the config lock, which then writes template: 1
// (PVE::QemuServer::template_create also turns each disk into a base
// volume; the simulator's volumes do not tell base volumes apart). The
// simulator keeps no snapshots, so the "contains snapshots" check never
// fires here.
func init() {
	addRoute("/nodes/{node}/qemu/{vmid}/template", map[string]handlerFunc{"POST": (*Server).qemuTemplate})
}

func (s *Server) qemuTemplate(r *request) *resp {
	vmid, res := pathVMID(r)
	if res != nil {
		return res
	}
	vals, errs := checkParams(r.params, map[string]paramSpec{"disk": {}}, false)
	if d, has := vals["disk"]; has && !isDiskKey(d) {
		errs["disk"] = fmt.Sprintf("value '%s' does not have a value in the enumeration 'ide0, ide1, ide2, ide3, scsi0, ..., virtio15, sata0, ..., efidisk0, tpmstate0'", d)
	}
	if len(errs) > 0 {
		return paramErr(errs)
	}
	disk := vals["disk"]
	loadAndCheck := func(v *vmState) error {
		if err := lockErr(v); err != nil {
			return err
		}
		if v.Conf["template"] == "1" && disk == "" {
			return errors.New("you can't convert a template to a template")
		}
		if v.Running {
			return errors.New("you can't convert a VM to template if VM is running")
		}
		return nil
	}
	return s.withGuestID(r, vmid, "qemu", "VM.Allocate", func(v *vmState) *resp {
		if err := loadAndCheck(v); err != nil {
			return err500("%s", err)
		}
		t := s.newCheckedTaskLocked(v.Node, "qmtemplate", strconv.Itoa(vmid), r.auth.user, nil, func(fail string) ([]string, error) {
			cur := s.vms[vmid]
			if cur == nil {
				return nil, errNoConfig(v.confPath())
			}
			if fail != "" {
				return nil, errors.New(fail)
			}
			if err := loadAndCheck(cur); err != nil {
				return nil, err
			}
			cur.Conf["template"] = "1"
			return nil, nil
		}, s.configLockSteps(vmid)...)
		return ok(t.UPID)
	})
}
