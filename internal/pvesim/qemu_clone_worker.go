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
//   - it prints "creating a clone of VM <vmid> with ID <newid>";
//   - file_set_contents writes the temporary config "# qmclone temporary
//     file\nlock: clone\n" on the source's node: from here the VM exists
//     (vmlist, GET config) with lock: clone, no name, and the comment as
//     its description (tempCloneConf); on another node's newid the pmxcfs
//     rename fails, outside
//     the eval (no "clone failed: "), after the line above;
//   - inside an eval: activate_volumes on the source's volumes, then for
//     each drive in key order clone_disk (QemuServer.pm: "create full|linked
//     clone of drive <key> (<volid>)", vdisk_alloc or vdisk_clone under the
//     storage lock, "allocated target volume '<volid>'" from qemu-server
//     9.1.7, commit 473b6774, then the copy) and write_config($newid,
//     $newconf): name (the given one or "Copy-of-VM-<source name or
//     vmid>"), description, MACs and smbios1 uuid renewed, the disks cloned
//     so far, still lock: clone. With several disks the name is visible,
//     locked, after the first one;
//   - delete $newconf->{lock}; write_config; with a target node the file
//     is renamed there; add_vm_to_pool;
//   - a failure inside the eval frees the new volumes, unlinks the config
//     and dies "clone failed: <error>".
//
// The simulator writes the temporary config in start (once the config
// locks are held), spends TaskDuration over the disks' copies (an equal
// share each, after its allocation and before its write_config) in
// copyDisks, and releases the lock in finish.
type cloneWorker struct {
	s            *Server
	vmid, newid  int
	node, target string
	full         bool
	vals         map[string]string
	nv           *vmState          // the new VM once the temporary config is written
	conf         map[string]string // $newconf
	drives       []string          // the keys of $drives, sorted
}

// task is the clone's taskWorker.
func (w *cloneWorker) task() taskWorker {
	return taskWorker{check: w.start, progress: w.copyDisks, run: w.finish}
}

// start is $load_and_check again, the log line and the temporary config.
// Callers hold s.mu.
func (w *cloneWorker) start(t *task) error {
	s := w.s
	src := s.vms[w.vmid]
	if src == nil {
		return errNoConfig(fmt.Sprintf("nodes/%s/qemu-server/%d.conf", w.node, w.vmid))
	}
	other := s.vms[w.newid]
	if other != nil && other.Node == w.node {
		return fmt.Errorf("unable to create VM %d: config file already exists", w.newid)
	}
	w.conf = w.newConf(src)
	w.drives = nil
	for _, k := range sortedKeys(src.Conf) {
		if isDiskKey(k) && (parseDisk(src.Conf[k]).isVolume() || isCloudInitDrive(src.Conf[k])) {
			w.drives = append(w.drives, k)
		}
	}
	t.printLocked(fmt.Sprintf("creating a clone of VM %d with ID %d", w.vmid, w.newid))
	if other != nil {
		return fmt.Errorf("close (rename) atomic file '/etc/pve/nodes/%s/qemu-server/%d.conf' failed: File exists", w.node, w.newid)
	}
	w.nv = &vmState{VMID: w.newid, Node: w.node, Type: "qemu", Conf: tempCloneConf(), CreatedAt: time.Now()}
	s.vms[w.newid] = w.nv
	s.persistLocked()
	return nil
}

// tempCloneConf is the temporary file "# qmclone temporary file\nlock:
// clone\n" as PVE reads it back: parse_vm_config (QemuServer.pm) takes a
// "#" line as description text (decode_text of what follows the "#",
// trailing white space removed), so the config shows the description
// " qmclone temporary file" until the first write_config.
func tempCloneConf() map[string]string {
	return map[string]string{"description": " qmclone temporary file", "lock": "clone"}
}

// newConf is $load_and_check's $newconf with $clonefn's additions, before
// the disks: everything but snapshot state, unusedN and volumes is copied.
func (w *cloneWorker) newConf(src *vmState) map[string]string {
	conf := map[string]string{"lock": "clone"}
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

// cloneFailed is the eval's die: "clone failed: <error>".
func cloneFailed(err error) error { return fmt.Errorf("clone failed: %w", err) }

// copyDisks is the eval's disk loop, outside s.mu: each drive's storage
// lock is waited for, then its copy takes its share of TaskDuration, then
// write_config shows the drive (and the name) in the still-locked config.
func (w *cloneWorker) copyDisks(t *task, stop <-chan struct{}) error {
	s := w.s
	s.mu.Lock()
	err := w.activateSourcesLocked()
	s.mu.Unlock()
	if err != nil {
		return cloneFailed(err)
	}
	share := s.opts.TaskDuration / time.Duration(max(1, len(w.drives)))
	for _, k := range w.drives {
		s.mu.Lock()
		step, dst, err := w.prepareDiskLocked(t, k)
		s.mu.Unlock()
		if err != nil {
			return cloneFailed(err)
		}
		if _, msg := s.runLockSteps([]lockStep{step}, stop); msg != "" {
			return errors.New(msg)
		}
		s.mu.Lock()
		err = w.allocDiskLocked(t, k, dst)
		s.mu.Unlock()
		if err != nil {
			return cloneFailed(err)
		}
		w.copyData(t, k, share, stop)
		select {
		case <-stop:
			return errLockStopped
		default:
		}
		s.mu.Lock()
		err = w.writeConfigLocked()
		s.mu.Unlock()
		if err != nil {
			return cloneFailed(err)
		}
	}
	if len(w.drives) == 0 {
		sleepUntil(share, stop, s.closing)
	}
	return nil
}

// copyData is clone_disk_copy_data for drive k over d: a full copy of a
// stopped VM's disk by qemu-img convert logs its progress lines as it goes
// (qemuImgProgress); an EFI disk is copied by qemu-img dd, which logs
// nothing, and a cloud-init drive is not copied. A running source is
// copied by drive-mirror, whose block-job lines (QemuServer/BlockJob.pm
// monitor) the simulator does not write.
func (w *cloneWorker) copyData(t *task, k string, d time.Duration, stop <-chan struct{}) {
	s := w.s
	s.mu.Lock()
	var lines []string
	if src := s.vms[w.vmid]; src != nil && w.full && !src.Running && k != "efidisk0" && !isCloudInitDrive(src.Conf[k]) {
		d := parseDisk(src.Conf[k])
		_, size, _ := parseSize(d.opts["size"])
		lines = qemuImgProgress(size, allocatedForCopy(s.storageLocked(d.store), size))
	}
	s.mu.Unlock()
	if len(lines) == 0 {
		sleepUntil(d, stop, s.closing)
		return
	}
	// The lines come in up to ten batches spread over the copy.
	batch := (len(lines) + 9) / 10
	for i := 0; i < len(lines); i += batch {
		s.mu.Lock()
		for _, l := range lines[i:min(i+batch, len(lines))] {
			t.printLocked(l)
		}
		s.mu.Unlock()
		if i+batch < len(lines) {
			sleepUntil(d/time.Duration((len(lines)+batch-1)/batch), stop, s.closing)
		}
	}
}

// activateSourcesLocked is activate_volumes($storecfg, $vollist) on the
// source's volumes (cloud-init drives are not in $vollist).
func (w *cloneWorker) activateSourcesLocked() error {
	src := w.s.vms[w.vmid]
	if src == nil {
		return errNoConfig(fmt.Sprintf("nodes/%s/qemu-server/%d.conf", w.node, w.vmid))
	}
	for _, k := range w.drives {
		if isCloudInitDrive(src.Conf[k]) {
			continue
		}
		if sd := w.s.storageLocked(parseDisk(src.Conf[k]).store); sd != nil && sd.Missing {
			return sd.activationErr()
		}
	}
	return nil
}

// prepareDiskLocked prints clone_disk's first line for drive k and returns
// the storage lock its allocation waits for and the target storage.
func (w *cloneWorker) prepareDiskLocked(t *task, k string) (lockStep, *storageDef, error) {
	s := w.s
	src := s.vms[w.vmid]
	if src == nil {
		return lockStep{}, nil, errNoConfig(fmt.Sprintf("nodes/%s/qemu-server/%d.conf", w.node, w.vmid))
	}
	d := parseDisk(src.Conf[k])
	full := w.full || isCloudInitDrive(src.Conf[k]) // a cloud-init drive is always copied
	kind := "full"
	if !full {
		kind = "linked" // vdisk_clone on the template's base volume
	}
	t.printLocked(fmt.Sprintf("create %s clone of drive %s (%s)", kind, k, d.volume))
	dstID := d.store
	if o := w.vals["storage"]; o != "" && full {
		dstID = o
	}
	dst := s.storageLocked(dstID)
	if dst == nil {
		return lockStep{}, nil, fmt.Errorf("storage '%s' does not exist", dstID)
	}
	return s.storageLockStep(dst, w.node, "clone failed: "), dst, nil
}

// allocDiskLocked is vdisk_alloc (or vdisk_clone) of drive k's copy on dst,
// once its storage lock is held: the new volume goes into $newconf.
func (w *cloneWorker) allocDiskLocked(t *task, k string, dst *storageDef) error {
	s := w.s
	src := s.vms[w.vmid]
	if src == nil {
		return errNoConfig(fmt.Sprintf("nodes/%s/qemu-server/%d.conf", w.node, w.vmid))
	}
	if dst.Missing {
		return dst.activationErr() // vdisk_alloc activates the storage first
	}
	if isCloudInitDrive(src.Conf[k]) {
		val, err := s.cloneCloudInitLocked(w.newid, src.Conf[k], dst.ID)
		if err != nil {
			return err
		}
		w.conf[k] = val
		if s.pveVersionLocked().cloneLogsTarget {
			t.printLocked(fmt.Sprintf("allocated target volume '%s'", parseDisk(val).volume))
		}
		return nil
	}
	d := parseDisk(src.Conf[k])
	idx := s.nextDiskIndexLocked(w.newid, w.conf)
	nd := diskSpec{volume: volumeName(dst, w.newid, idx, w.vals["format"]), opts: copyConf(d.opts)}
	w.conf[k] = nd.String()
	if l := allocLog(dst, nd.volume); l != "" {
		t.printLocked(l)
	}
	if w.full && s.pveVersionLocked().cloneLogsTarget {
		t.printLocked(fmt.Sprintf("allocated target volume '%s'", nd.volume))
	}
	return nil
}

// writeConfigLocked is write_config($newid, $newconf) after a disk, still
// locked.
func (w *cloneWorker) writeConfigLocked() error {
	if w.s.vms[w.newid] != w.nv {
		return fmt.Errorf("config file of VM %d vanished", w.newid)
	}
	w.nv.Conf = copyConf(w.conf)
	w.s.persistLocked()
	return nil
}

// finish drops the lock and moves the VM to its node and pool, or undoes
// the clone after a failure. Callers hold s.mu.
func (w *cloneWorker) finish(fail string) ([]string, error) {
	s := w.s
	if w.nv == nil && fail == "" {
		return nil, errors.New("interrupted by signal") // the simulator closed before the worker ran
	}
	if w.nv == nil { // a lock timeout or an injected failure before the worker wrote anything
		return nil, errors.New(fail)
	}
	cur := s.vms[w.newid]
	if cur != w.nv {
		return nil, cloneFailed(fmt.Errorf("config file of VM %d vanished", w.newid))
	}
	if fail != "" {
		delete(s.vms, w.newid) // unlink $conffile
		s.persistLocked()
		return nil, errors.New(fail)
	}
	delete(w.conf, "lock")
	cur.Conf = w.conf
	cur.Node = w.target // renamed to the target node's directory
	s.addVMToPoolLocked(cur, w.vals["pool"])
	return nil, nil
}
