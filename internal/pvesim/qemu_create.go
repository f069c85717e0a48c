package pvesim

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

var createExtras = map[string]paramSpec{
	"vmid": {kind: kString}, "start": boolSpec, "pool": {}, "storage": {}, "unique": boolSpec,
	"archive": {}, "force": boolSpec, "bwlimit": intSpec(0, 0), "live-restore": boolSpec,
}

func mergeSpec(extra map[string]paramSpec) map[string]paramSpec {
	out := map[string]paramSpec{}
	for k, v := range qemuConfigSpec {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func (s *Server) createQemu(r *request) *resp {
	vals, errs := checkParams(r.params, mergeSpec(createExtras), true, "vmid")
	vmid := vmidParam(r, "vmid", true, errs)
	checkPoolParam(vals, errs)
	if len(errs) > 0 {
		return paramErr(errs)
	}
	if vals["archive"] != "" {
		return err500("unable to restore VM %d - archive restore is not supported by pvesim", vmid)
	}
	node := r.vars["node"]
	start := vals["start"] == "1"
	pool := vals["pool"]
	for _, k := range []string{"vmid", "start", "pool", "storage", "unique", "archive", "force", "bwlimit", "live-restore"} {
		delete(vals, k)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if res := s.checkPoolExistsLocked(pool); res != nil {
		return res
	}
	// Storage checks run before the config is created, as in qemu-server.
	for k, val := range vals {
		if !isDiskKey(k) {
			continue
		}
		d := parseDisk(val)
		if d.store != "" && d.opts["media"] != "cdrom" {
			sd := s.storageLocked(d.store)
			if sd == nil || !sd.onNode(node) {
				return err500("storage '%s' does not exist", d.store)
			}
		}
	}
	if res := checkDriveParams(vals); res != nil {
		return res
	}
	if ex := s.vms[vmid]; ex != nil {
		return err500("unable to create VM %d - VM %d already exists on node '%s'", vmid, vmid, ex.Node)
	}
	now := time.Now()
	v := &vmState{VMID: vmid, Node: node, Type: "qemu", Conf: map[string]string{"lock": "create"}, CreatedAt: now}
	s.vms[vmid] = v
	if !r.auth.full() {
		r.auth.token.visible[vmid] = true
	}
	s.persistLocked()

	t := s.newTaskLocked(node, "qmcreate", strconv.Itoa(vmid), r.auth.user, func(fail string) ([]string, error) {
		cur := s.vms[vmid]
		if cur != v {
			return nil, fmt.Errorf("unable to create VM %d - configuration file vanished", vmid)
		}
		remove := func() { delete(s.vms, vmid); s.persistLocked() }
		if fail != "" {
			remove()
			return nil, errors.New(fail)
		}
		conf := copyConf(vals)
		if err := s.checkCDROMMediaLocked(node, conf); err != nil {
			remove()
			return nil, fmt.Errorf("unable to create VM %d - %v", vmid, err)
		}
		lines, err := s.allocDisksLocked(vmid, node, conf, vals["storage"])
		if err != nil {
			remove()
			return lines, fmt.Errorf("unable to create VM %d - %v", vmid, err)
		}
		if conf["smbios1"] == "" {
			conf["smbios1"] = "uuid=" + newUUID()
		} else if parseSMBIOSUUID(conf["smbios1"]) == "" {
			conf["smbios1"] = "uuid=" + newUUID() + "," + conf["smbios1"]
		}
		if conf["vmgenid"] == "" || conf["vmgenid"] == "1" {
			conf["vmgenid"] = newUUID()
		}
		if conf["meta"] == "" {
			// qemu-server takes ctime as the worker starts, before it
			// creates the disks (PVE/API2/Qemu.pm create_vm, $createfn:
			// new_meta_info_string), not when the task ends.
			conf["meta"] = metaFor(now.Unix())
		}
		if conf["boot"] == "" {
			if b := defaultBoot(conf); b != "" {
				conf["boot"] = b
			}
		}
		if err := configTypeErr(conf); err != nil { // write_config in the eval
			remove()
			return lines, fmt.Errorf("unable to create VM %d - %v", vmid, err)
		}
		v.Conf = conf
		s.addVMToPoolLocked(v, pool)
		if start && conf["template"] != "1" {
			v.Running = true
			v.StartedAt = time.Now()
			v.PID = 100000 + vmid%100000
		}
		return lines, nil
	}, s.createLockSteps(vmid, node, vals)...)
	return ok(t.UPID)
}

// defaultBoot mirrors PVE's default boot order: first disk, cdroms, first net.
func defaultBoot(conf map[string]string) string {
	var disk string
	var cds []string
	for _, pre := range []string{"scsi", "virtio", "sata", "ide"} {
		for i := 0; i <= 30; i++ {
			k := pre + strconv.Itoa(i)
			val, has := conf[k]
			if !has {
				continue
			}
			d := parseDisk(val)
			if d.opts["media"] == "cdrom" {
				cds = append(cds, k)
			} else if disk == "" {
				disk = k
			}
		}
	}
	var order []string
	if disk != "" {
		order = append(order, disk)
	}
	sort.Strings(cds)
	order = append(order, cds...)
	for i := 0; i <= 31; i++ {
		if _, has := conf["net"+strconv.Itoa(i)]; has {
			order = append(order, "net"+strconv.Itoa(i))
			break
		}
	}
	if len(order) == 0 {
		return ""
	}
	return "order=" + strings.Join(order, ";")
}

// allocDisksLocked turns "storage:sizeGiB" drive values in conf into new
// volumes, in key order.
func (s *Server) allocDisksLocked(vmid int, node string, conf map[string]string, _ string) ([]string, error) {
	var lines []string
	keys := driveAllocOrder(sortedKeys(conf))
	for _, k := range keys {
		if !isDiskKey(k) {
			continue
		}
		d := parseDisk(conf[k])
		if d.cloudinit {
			l, err := s.allocCloudInitLocked(vmid, node, k, conf, d)
			if lines = append(lines, l...); err != nil {
				return lines, err
			}
			continue
		}
		if !d.alloc {
			continue
		}
		sd := s.storageLocked(d.store)
		if sd == nil || !sd.onNode(node) {
			return lines, fmt.Errorf("storage '%s' does not exist", d.store)
		}
		if sd.Missing {
			return lines, sd.activationErr() // vdisk_alloc activates the storage first
		}
		idx := s.nextDiskIndexLocked(vmid, conf)
		format := d.opts["format"]
		delete(d.opts, "format")
		d.volume = volumeName(sd, vmid, idx, format)
		size := int64(d.sizeGB * float64(1<<30))
		switch k {
		case "efidisk0":
			size = efiVarsSize(sd, d.opts["efitype"])
		case "tpmstate0":
			size = 4 << 20
		}
		d.opts["size"] = formatSize(size)
		d.alloc = false
		conf[k] = d.String()
		if l := allocLog(sd, d.volume); l != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}
