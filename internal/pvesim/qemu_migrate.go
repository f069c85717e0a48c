package pvesim

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

func (s *Server) migratePreconditions(r *request) *resp {
	return s.withGuest(r, "qemu", "VM.Migrate", func(v *vmState) *resp {
		allowed := []string{}
		notAllowed := map[string]any{}
		for _, n := range s.nodes {
			if n == v.Node {
				continue
			}
			if s.offline[n] {
				notAllowed[n] = map[string]any{"unavailable_storages": []string{}}
				continue
			}
			allowed = append(allowed, n)
		}
		return ok(map[string]any{
			"running": boolInt(v.Running), "allowed_nodes": allowed, "not_allowed_nodes": notAllowed,
			"local_disks": []any{}, "local_resources": []any{}, "mapped-resources": []any{},
		})
	})
}

func (s *Server) migrateQemu(r *request) *resp {
	vmid, res := pathVMID(r)
	if res != nil {
		return res
	}
	vals, errs := checkParams(r.params, map[string]paramSpec{
		"target": {}, "online": boolSpec, "force": boolSpec, "with-local-disks": boolSpec,
		"targetstorage": {}, "migration_type": {enum: []string{"secure", "insecure"}},
		"migration_network": {}, "bwlimit": intSpec(0, 0), "with-conntrack-state": boolSpec,
	}, false, "target")
	node := r.vars["node"]
	if vals["target"] == node {
		errs["target"] = "target is local node."
	}
	if len(errs) > 0 {
		return paramErr(errs)
	}
	target := vals["target"]
	online := vals["online"] == "1"
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.nodeKnown(target) {
		return err500("no such cluster node '%s'", target)
	}
	v, res := s.guestLocked(r, vmid, "qemu", "VM.Migrate")
	if res != nil {
		return res
	}
	if err := lockErr(v); err != nil {
		return err500("%s", err.Error())
	}
	if v.Running && !online {
		return err500("can't migrate running VM without --online")
	}
	v.Conf["lock"] = "migrate"
	s.persistLocked()
	t := s.newTaskLocked(node, "qmigrate", strconv.Itoa(vmid), r.auth.user, func(fail string) ([]string, error) {
		cur := s.vms[vmid]
		if cur == nil {
			return nil, errNoConfig(v.confPath())
		}
		delete(cur.Conf, "lock")
		start := time.Now().Format("2006-01-02 15:04:05")
		lines := []string{fmt.Sprintf("%s starting migration of VM %d to node '%s'", start, vmid, target)}
		if fail != "" {
			lines = append(lines, fmt.Sprintf("%s ERROR: %s", start, fail))
			return lines, errors.New(fail)
		}
		if s.offline[target] {
			lines = append(lines, fmt.Sprintf("%s ERROR: migration aborted (duration 00:00:03): Can't connect to destination address using public key", start))
			return lines, errors.New("migration aborted")
		}
		for _, k := range sortedKeys(cur.Conf) {
			if isDiskKey(k) {
				d := parseDisk(cur.Conf[k])
				if sd := s.storageLocked(d.store); d.isVolume() && sd != nil && sd.Missing {
					lines = append(lines, fmt.Sprintf("%s ERROR: %v", start, sd.missingErr()))
					return lines, errors.New("migration aborted")
				}
			}
		}
		cur.Node = target
		lines = append(lines, fmt.Sprintf("%s migration finished successfully (duration 00:00:01)", start))
		return lines, nil
	})
	return ok(t.UPID)
}
