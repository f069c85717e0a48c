package pvesim

import "fmt"

// cloneEarly is what clone_vm's early checks decided.
type cloneEarly struct {
	target string // the node the clone lands on
	full   bool   // full copy, or linked clone of a template's base volumes
}

// cloneEarlyChecksLocked is qemu-server API2/Qemu.pm clone_vm's
// $load_and_check, run before forking ("early checks before
// forking/locking"), in its order:
//   - target: PVE::Cluster::check_node_exists ("no such cluster node");
//   - storage: storage_check_enabled on the local node, then images content
//     (400), then, for another target node, enabled there and shared;
//   - the source's lock (check_lock);
//   - full defaults to 1 for a VM and 0 for a template ($param->{full} //
//     !is_template); storage and format are refused for linked clones;
//   - $check_storage_access_clone: a VM with a disk or ISO on local storage
//     cannot be cloned to another node;
//   - newid: only the LOCAL node's config file (config_file($newid)) is
//     checked; a newid on another node fails later, in the worker;
//   - a linked clone needs volume_has_feature 'clone': base volumes only,
//     so a non-template's disks are refused ("Linked clone feature is not
//     supported for ...").
func (s *Server) cloneEarlyChecksLocked(src *vmState, newid int, vals map[string]string) (cloneEarly, *resp) {
	local := src.Node
	e := cloneEarly{target: local}
	target := vals["target"]
	if target == "localhost" {
		target = ""
	}
	if target != "" && target != local {
		if !s.nodeKnown(target) {
			return e, err500("no such cluster node '%s'", target)
		}
		e.target = target
	}
	if st := vals["storage"]; st != "" {
		sd := s.storageLocked(st)
		switch {
		case sd == nil:
			return e, err500("storage '%s' does not exist", st)
		case !sd.onNode(local):
			return e, err500("storage '%s' is not available on node '%s'", st, local)
		case !sd.hasContent("images"):
			return e, paramErr1("storage", fmt.Sprintf("storage '%s' does not support vm images", st))
		}
		if e.target != local {
			if !sd.onNode(e.target) {
				return e, err500("storage '%s' is not available on node '%s'", st, e.target)
			}
			if !sd.Shared {
				return e, err500("can't clone to non-shared storage '%s'", st)
			}
		}
	}
	if err := lockErr(src); err != nil {
		return e, err500("%s", err.Error())
	}
	e.full = src.Conf["template"] != "1"
	if f, has := vals["full"]; has {
		e.full = f == "1"
	}
	if !e.full {
		for _, k := range []string{"storage", "format"} {
			if _, has := vals[k]; has {
				return e, err500("parameter '%s' not allowed for linked clones", k)
			}
		}
	}
	shared := true
	for _, k := range sortedKeys(src.Conf) {
		if !isDiskKey(k) {
			continue
		}
		d := parseDisk(src.Conf[k])
		if !d.isVolume() || d.store == "" {
			continue
		}
		if sd := s.storageLocked(d.store); sd == nil || !sd.Shared {
			shared = false
		}
	}
	if e.target != local && !shared {
		return e, err500("can't clone VM to node '%s' (VM uses local storage)", e.target)
	}
	if other := s.vms[newid]; other != nil && other.Node == local {
		return e, err500("unable to create VM %d: config file already exists", newid)
	}
	if !e.full {
		for _, k := range sortedKeys(src.Conf) {
			if !isDiskKey(k) {
				continue
			}
			if d := parseDisk(src.Conf[k]); d.isVolume() && d.store != "" && d.opts["media"] != "cdrom" && src.Conf["template"] != "1" {
				return e, err500("Linked clone feature is not supported for '%s' (%s)", d.volume, k)
			}
		}
	}
	return e, nil
}

// hasContent reports whether the storage's content list names c.
func (sd *storageDef) hasContent(c string) bool {
	for _, have := range splitList(sd.Content) {
		if have == c {
			return true
		}
	}
	return false
}
