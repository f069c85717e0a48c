package pvesim

import (
	"strconv"
	"strings"
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
		if !r.auth.full() {
			r.auth.token.visible[newid] = true
		}
		// Nothing of the new VM exists until the worker runs (see
		// cloneWorker); the request only forks it.
		w := &cloneWorker{s: s, vmid: vmid, newid: newid, node: src.Node, target: target, full: early.full, vals: vals}
		t := s.newWorkerTaskLocked(src.Node, "qmclone", strconv.Itoa(vmid), r.auth.user,
			w.task(), s.cloneLockSteps(src, newid)...)
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
