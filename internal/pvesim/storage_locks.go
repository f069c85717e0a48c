package pvesim

import (
	"strings"
	"sync"
)

// configUpdateLockSteps is $update_vm_api's locking: lock_config(vmid)
// around $updatefn, and one storage lock per new disk it allocates
// (create_disks -> PVE::Storage::vdisk_alloc -> cluster_lock_storage,
// exclusive per node for local storage, cfs-lock for shared). A timeout
// fails the update with the lock's own text (create_disks dies with it).
func (s *Server) configUpdateLockSteps(vmid int, node string, set map[string]string) []lockStep {
	steps := s.configLockSteps(vmid)
	for _, k := range sortedKeys(set) {
		if !isDiskKey(k) {
			continue
		}
		if d := parseDisk(set[k]); d.alloc {
			if sd := s.storageLocked(d.store); sd != nil {
				steps = append(steps, s.storageLockStep(sd, node, ""))
			}
		}
	}
	return steps
}

// destroyLocks collects the storage locks destroy_vm could not get.
type destroyLocks struct {
	mu     sync.Mutex
	failed map[string]string // volid -> lock timeout text
}

func (d *destroyLocks) timedOut(volid string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.failed[volid]
}

// destroyLockSteps is qemu-server destroy_vm's locking: lock_config(vmid)
// for the whole task, and per volume vdisk_free's cluster_lock_storage.
// vdisk_free runs in an eval, so a storage lock timeout only makes that
// volume a "Could not remove disk" warning (recorded in into); volumes
// on a broken storage fail activation before any lock (Storage.pm
// vdisk_free) and take none.
func (s *Server) destroyLockSteps(v *vmState, into *destroyLocks) []lockStep {
	steps := s.configLockSteps(v.VMID)
	for _, k := range sortedKeys(v.Conf) {
		if !isDiskKey(k) && !strings.HasPrefix(k, "unused") {
			continue
		}
		d := parseDisk(v.Conf[k])
		sd := s.storageLocked(d.store)
		if !d.isVolume() || sd == nil || sd.Missing {
			continue
		}
		st := s.storageLockStep(sd, v.Node, "")
		volid := d.volume
		st.onTimeout = func(msg string) {
			into.mu.Lock()
			defer into.mu.Unlock()
			if into.failed == nil {
				into.failed = map[string]string{}
			}
			into.failed[volid] = msg
		}
		steps = append(steps, st)
	}
	return steps
}

// configUpdateSteps is configUpdateLockSteps for the guest named by a
// synchronous request (its node read under s.mu).
func (s *Server) configUpdateSteps(r *request, vmid int, set map[string]string) []lockStep {
	s.mu.Lock()
	defer s.mu.Unlock()
	node := r.vars["node"]
	if v := s.vms[vmid]; v != nil {
		node = v.Node
	}
	return s.configUpdateLockSteps(vmid, node, set)
}

// withLockSteps takes steps in order outside s.mu, as a synchronous API
// call (PUT config) does, and runs fn holding them; a timeout is a 500
// with the lock's text.
func (s *Server) withLockSteps(steps []lockStep, fn func() *resp) *resp {
	release, failMsg := s.runLockSteps(steps, nil)
	if failMsg != "" {
		return err500("%s", failMsg)
	}
	defer release()
	return fn()
}
