package pvesim

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// cloneWorker is clone_vm's worker (qemu-server src/PVE/API2/Qemu.pm,
// clone_vm: $lock_source_vm, $lock_target_vm, $clonefn), in its order:
//   - with the source's and newid's flocks held, $load_and_check runs
//     again: the source config must still exist and newid's config file
//     must not exist on the local node ("unable to create VM <newid>:
//     config file already exists");
//   - file_set_contents writes the temporary config "# qmclone temporary
//     file\nlock: clone\n" on the source's node: from here the VM exists
//     (vmlist, GET config) with only lock: clone, no name and no
//     description; on another node's newid the pmxcfs rename fails;
//   - each disk is cloned (clone_disk) and write_config writes $newconf:
//     name (the given one or "Copy-of-VM-<source name or vmid>"),
//     description, MACs and smbios1 uuid renewed, the disks cloned so far,
//     still lock: clone;
//   - delete $newconf->{lock}; write_config; with a target node the file
//     is renamed there; add_vm_to_pool;
//   - a failure inside the eval frees the new volumes, unlinks the config
//     and dies "clone failed: <error>".
//
// The simulator writes the temporary config in start (once the locks are
// held) and the full config with the lock released in finish, after
// TaskDuration. With several disks PVE shows the name (still locked) after
// the first disk is cloned; here it appears with the lock's release.
type cloneWorker struct {
	s            *Server
	vmid, newid  int
	node, target string
	full         bool
	vals         map[string]string
	nv           *vmState // the temporary config once written
}

// start is $load_and_check again and the temporary config. Callers hold s.mu.
func (w *cloneWorker) start() error {
	s := w.s
	src := s.vms[w.vmid]
	if src == nil {
		return errNoConfig(fmt.Sprintf("nodes/%s/qemu-server/%d.conf", w.node, w.vmid))
	}
	if other := s.vms[w.newid]; other != nil {
		if other.Node == w.node {
			return fmt.Errorf("unable to create VM %d: config file already exists", w.newid)
		}
		return fmt.Errorf("close (rename) atomic file '/etc/pve/nodes/%s/qemu-server/%d.conf' failed: File exists", w.node, w.newid)
	}
	w.nv = &vmState{VMID: w.newid, Node: w.node, Type: "qemu", Conf: map[string]string{"lock": "clone"}, CreatedAt: time.Now()}
	s.vms[w.newid] = w.nv
	s.persistLocked()
	return nil
}

// newConf is $load_and_check's $newconf with $clonefn's additions, before
// the disks: everything but snapshot state, unusedN and volumes is copied.
func (w *cloneWorker) newConf(src *vmState) map[string]string {
	conf := map[string]string{}
	for k, val := range src.Conf {
		switch {
		case k == "lock" || k == "template" || strings.HasPrefix(k, "unused"):
			continue
		case isDiskKey(k) && (parseDisk(val).isVolume() || isCloudInitDrive(val)):
			continue // cloned below
		case netKeyRE.MatchString(k):
			nv, _ := normalizeNet(k, stripMAC(val))
			conf[k] = nv
		default:
			conf[k] = val
		}
	}
	if n := w.vals["name"]; n != "" {
		conf["name"] = n
	} else if sn := src.Conf["name"]; sn != "" {
		conf["name"] = "Copy-of-VM-" + sn
	} else {
		conf["name"] = fmt.Sprintf("Copy-of-VM-%d", w.vmid)
	}
	if d := w.vals["description"]; d != "" { // if ($param->{description})
		conf["description"] = d
	}
	conf["smbios1"] = replaceSMBIOSUUID(src.Conf["smbios1"], newUUID())
	if _, has := src.Conf["vmgenid"]; has {
		conf["vmgenid"] = newUUID()
	}
	return conf
}

// finish clones the disks and writes the final config. Callers hold s.mu.
func (w *cloneWorker) finish(fail string) ([]string, error) {
	s := w.s
	if w.nv == nil && fail == "" {
		if err := w.start(); err != nil { // the simulator is closing: no wait
			return nil, err
		}
	}
	if w.nv == nil { // a lock timeout or an injected failure before the worker wrote anything
		return nil, errors.New(fail)
	}
	cur := s.vms[w.newid]
	if cur != w.nv {
		return nil, fmt.Errorf("clone failed: config file of VM %d vanished", w.newid)
	}
	remove := func() { delete(s.vms, w.newid); s.persistLocked() }
	if fail != "" {
		remove()
		return nil, errors.New(fail)
	}
	srcNow := s.vms[w.vmid]
	if srcNow == nil {
		remove()
		return nil, errNoConfig(fmt.Sprintf("nodes/%s/qemu-server/%d.conf", w.node, w.vmid))
	}
	lines := []string{fmt.Sprintf("creating a clone of VM %d with ID %d", w.vmid, w.newid)}
	newConf := w.newConf(srcNow)
	storeOverride, format := w.vals["storage"], w.vals["format"]
	for _, k := range sortedKeys(srcNow.Conf) {
		if !isDiskKey(k) {
			continue
		}
		if isCloudInitDrive(srcNow.Conf[k]) {
			val, err := s.cloneCloudInitLocked(w.newid, srcNow.Conf[k], storeOverride)
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
		if !w.full {
			kind = "linked" // vdisk_clone on the template's base volume
		}
		lines = append(lines, fmt.Sprintf("create %s clone of drive %s (%s)", kind, k, d.volume))
		idx := s.nextDiskIndexLocked(w.newid, newConf)
		nd := diskSpec{volume: volumeName(dst, w.newid, idx, format), opts: copyConf(d.opts)}
		newConf[k] = nd.String()
		if l := allocLog(dst, nd.volume); l != "" {
			lines = append(lines, l)
		}
	}
	cur.Conf = newConf
	cur.Node = w.target // renamed to the target node's directory
	s.addVMToPoolLocked(cur, w.vals["pool"])
	return lines, nil
}
