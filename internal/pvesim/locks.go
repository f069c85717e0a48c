package pvesim

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// PVE serialises work on a guest and on a storage with file locks that a
// worker waits for and then gives up on:
//
//   - Config locks: flock on /var/lock/qemu-server/lock-<vmid>.conf
//     (qemu-server QemuConfig.pm config_file_lock), taken through
//     pve-guest-common AbstractConfig.pm lock_config (timeout 10 s),
//     lock_config_full and lock_config_shared. The timeout error is pve-common
//     Tools.pm lock_file_full's "can't lock file '<file>' - got timeout"
//     (run_with_timeout dies "got timeout").
//   - Storage locks: pve-storage Storage.pm vdisk_alloc, vdisk_clone and
//     vdisk_free run under Plugin.pm cluster_lock_storage with timeout undef:
//     a local storage takes PVE::Tools::lock_file on
//     /var/lock/pve-manager/pve-storage-<id> (per node, default 10 s), a shared
//     one pve-cluster Cluster.pm cfs_lock_storage, cluster-wide (default 10 s,
//     error "cfs-lock 'storage-<id>' error: got lock request timeout").
//
// LockOptions scales the waits; the hold times decide how long work keeps a
// lock, so a test can force an outcome (hold >> timeout) without luck.
type LockOptions struct {
	ConfigTimeout  time.Duration // lock_config (config update, start): default 10 s
	CloneTimeout   time.Duration // clone_vm's lock_config_full/_shared on source and target: default 1 s
	CreateTimeout  time.Duration // create_vm's lock_config_full($vmid, 1): default 1 s
	StorageTimeout time.Duration // cluster_lock_storage: default 10 s
	// StorageHold is how long one allocation (vdisk_alloc, vdisk_clone) keeps
	// its storage lock; 0 = no time at all.
	StorageHold time.Duration
	// ConfigHold is how long a config update keeps the config lock.
	ConfigHold time.Duration
}

func (o LockOptions) withDefaults() LockOptions {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.ConfigTimeout, 10*time.Second)
	def(&o.CloneTimeout, time.Second)
	def(&o.CreateTimeout, time.Second)
	def(&o.StorageTimeout, 10*time.Second)
	return o
}

// lockTable holds every simulated lock. It has its own mutex: waiting for a
// lock never holds s.mu.
type lockTable struct {
	mu    sync.Mutex
	locks map[string]*simLock
	taken map[string]int // acquisitions by key (for tests)
}

type simLock struct {
	exclusive bool
	shared    int
	changed   chan struct{} // closed and replaced on every release
}

var errLockStopped = errors.New("interrupted by signal")

// acquire waits up to timeout for the lock key (flock LOCK_SH when shared,
// LOCK_EX otherwise). It returns a release func, or errTimeout, or
// errLockStopped when stop closes first.
func (lt *lockTable) acquire(key string, shared bool, timeout time.Duration, stop, closing <-chan struct{}) (func(), error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		lt.mu.Lock()
		if lt.locks == nil {
			lt.locks = map[string]*simLock{}
		}
		l := lt.locks[key]
		if l == nil {
			l = &simLock{changed: make(chan struct{})}
			lt.locks[key] = l
		}
		if !l.exclusive && (shared || l.shared == 0) {
			if shared {
				l.shared++
			} else {
				l.exclusive = true
			}
			if lt.taken == nil {
				lt.taken = map[string]int{}
			}
			lt.taken[key]++
			lt.mu.Unlock()
			var once sync.Once
			return func() { once.Do(func() { lt.release(key, shared) }) }, nil
		}
		ch := l.changed
		lt.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			return nil, errTimeout
		case <-stop:
			return nil, errLockStopped
		case <-closing:
			return nil, errLockStopped
		}
	}
}

var errTimeout = errors.New("timeout")

func (lt *lockTable) release(key string, shared bool) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	l := lt.locks[key]
	if shared {
		l.shared--
	} else {
		l.exclusive = false
	}
	close(l.changed)
	l.changed = make(chan struct{})
	if !l.exclusive && l.shared == 0 {
		delete(lt.locks, key)
	}
}

// lockStep is one lock a task takes before its work, in order.
type lockStep struct {
	key     string
	shared  bool
	timeout time.Duration
	hold    time.Duration // sleep while holding it
	// releaseAfterHold frees it after hold (storage locks cover only the
	// allocation); otherwise it is kept until the task ends.
	releaseAfterHold bool
	timeoutMsg       string // the task's error when the wait times out
	// onTimeout, when set, makes a timeout this step's own failure: the
	// task goes on (destroy_vm's vdisk_free runs in an eval).
	onTimeout func(msg string)
	// inherited, when set, is the release of this lock, already held by
	// the request that forked the worker: the worker keeps it without
	// waiting (8.2's config POST) and frees it when it ends.
	inherited func()
}

func configLockFile(vmid int) string {
	return fmt.Sprintf("/var/lock/qemu-server/lock-%d.conf", vmid)
}

// configLockStep is qemu-server's config lock on vmid.
func configLockStep(vmid int, shared bool, timeout time.Duration) lockStep {
	return lockStep{
		key: fmt.Sprintf("config/%d", vmid), shared: shared, timeout: timeout,
		timeoutMsg: fmt.Sprintf("can't lock file '%s' - got timeout", configLockFile(vmid)),
	}
}

// storageLockStep is cluster_lock_storage for one allocation on sd from
// node; prefix is what the caller puts before the error ("clone failed: ",
// "unable to create VM 300 - ").
func (s *Server) storageLockStep(sd *storageDef, node, prefix string) lockStep {
	lo := s.opts.Locks.withDefaults()
	st := lockStep{timeout: lo.StorageTimeout, hold: lo.StorageHold, releaseAfterHold: true}
	if sd.Shared {
		st.key = "cfs/storage-" + sd.ID
		st.timeoutMsg = fmt.Sprintf("%scfs-lock 'storage-%s' error: got lock request timeout", prefix, sd.ID)
	} else {
		st.key = fmt.Sprintf("node/%s/pve-storage-%s", node, sd.ID)
		st.timeoutMsg = fmt.Sprintf("%scan't lock file '/var/lock/pve-manager/pve-storage-%s' - got timeout", prefix, sd.ID)
	}
	return st
}

// runLockSteps takes the steps in order, outside s.mu. On failure it frees
// what it took and returns the task's error text.
func (s *Server) runLockSteps(steps []lockStep, stop <-chan struct{}) (release func(), failMsg string) {
	var held []func()
	release = func() {
		for i := len(held) - 1; i >= 0; i-- {
			held[i]()
		}
	}
	for i, st := range steps {
		if st.inherited != nil {
			held = append(held, st.inherited)
			if st.hold > 0 {
				sleepUntil(st.hold, stop, s.closing)
			}
			continue
		}
		rel, err := s.locks.acquire(st.key, st.shared, st.timeout, stop, s.closing)
		if err != nil && st.onTimeout != nil && errors.Is(err, errTimeout) {
			st.onTimeout(st.timeoutMsg)
			continue
		}
		if err != nil {
			release()
			releaseInherited(steps[i+1:])
			if errors.Is(err, errTimeout) {
				return func() {}, st.timeoutMsg
			}
			return func() {}, err.Error()
		}
		if st.hold > 0 {
			sleepUntil(st.hold, stop, s.closing)
		}
		if st.releaseAfterHold {
			rel()
			continue
		}
		held = append(held, rel)
	}
	return release, ""
}

// releaseInherited frees the inherited locks of steps a task never reached.
func releaseInherited(steps []lockStep) {
	for _, st := range steps {
		if st.inherited != nil {
			st.inherited()
		}
	}
}

// sleepUntil sleeps d or until stop or closing closes.
func sleepUntil(d time.Duration, stop, closing <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-stop:
	case <-closing:
	}
}

// configLockSteps is lock_config(vmid) for a worker (config update, start,
// stop, shutdown, reboot): exclusive, ConfigTimeout, held ConfigHold.
func (s *Server) configLockSteps(vmid int) []lockStep {
	lo := s.opts.Locks.withDefaults()
	st := configLockStep(vmid, false, lo.ConfigTimeout)
	st.hold = lo.ConfigHold
	return []lockStep{st}
}

// cloneLockSteps is clone_vm's locking: the source's config lock (shared
// when it is stopped, exclusive when running; 1 s) around the target's (1 s),
// both held until the clone ends. The storage lock of each drive's
// allocation (vdisk_clone for a linked clone, vdisk_alloc for a full one)
// is taken in the worker, disk by disk (cloneWorker.copyDisks).
func (s *Server) cloneLockSteps(src *vmState, newid int) []lockStep {
	lo := s.opts.Locks.withDefaults()
	return []lockStep{
		configLockStep(src.VMID, !src.Running, lo.CloneTimeout),
		configLockStep(newid, false, lo.CloneTimeout),
	}
}

// createLockSteps is create_vm's lock_config_full($vmid, 1) and one storage
// lock per new volume (vdisk_alloc), errors prefixed "unable to create VM <id> - ".
func (s *Server) createLockSteps(vmid int, node string, conf map[string]string) []lockStep {
	lo := s.opts.Locks.withDefaults()
	steps := []lockStep{configLockStep(vmid, false, lo.CreateTimeout)}
	prefix := fmt.Sprintf("unable to create VM %d - ", vmid)
	for _, k := range sortedKeys(conf) {
		if !isDiskKey(k) {
			continue
		}
		if d := parseDisk(conf[k]); d.alloc {
			if sd := s.storageLocked(d.store); sd != nil {
				steps = append(steps, s.storageLockStep(sd, node, prefix))
			}
		}
	}
	return steps
}

// lockHeld reports whether anyone holds the lock key (for tests).
func (s *Server) lockHeld(key string) bool {
	s.locks.mu.Lock()
	defer s.locks.mu.Unlock()
	l := s.locks.locks[key]
	return l != nil && (l.exclusive || l.shared > 0)
}

// lockTaken counts how often the lock key was acquired (for tests).
func (s *Server) lockTaken(key string) int {
	s.locks.mu.Lock()
	defer s.locks.mu.Unlock()
	return s.locks.taken[key]
}
