package pve

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// This file owns the question "is this failure worth retrying the same
// request for": lock contention that goes away when the other holder is
// done. Everything else a caller decides itself.

// defaultLockRetryWindow bounds the retries of a request whose context has
// no deadline.
const defaultLockRetryWindow = 5 * time.Minute

var (
	// pve-common PVE/Tools.pm lock_file_full: a flock that is not acquired
	// within its timeout dies with "can't lock file '<path>' - got timeout"
	// (run_with_timeout dies "got timeout\n"). qemu-server takes
	// /var/lock/qemu-server/lock-<vmid>.conf that way for every config
	// change, start, clone (PVE::AbstractConfig lock_config_full, 10 s for
	// the VM, 1 s shared for a clone's source) and storage operations take
	// /var/lock/pve-manager/pve-storage-<id>. Nothing was done when it fails:
	// the worker of a create or clone removes what it started
	// (qemu-server PVE/API2/Qemu.pm create_vm, clone_vm "unlink $conffile").
	//
	// A shared storage is locked cluster-wide instead (pve-storage Plugin.pm
	// cluster_lock_storage -> pve-cluster Cluster.pm cfs_lock_storage), which
	// fails with "cfs-lock 'storage-<id>' error: got lock request timeout".
	reLockTimeout = regexp.MustCompile(`(?i)(can't lock file '[^']*' - got timeout|cfs-lock '[^']*' error: got lock request timeout)`)
	// qemu-server PVE/API2/Qemu.pm clone_vm: PVE::QemuConfig->check_lock on
	// the source config dies "VM <id> is locked (clone)"; another clone of
	// the same source holds it for a moment (PVE::AbstractConfig check_lock).
	reLockedClone = regexp.MustCompile(`(?i)\bis locked \(clone\)`)
)

// errTransientLock is a request refused (or a task failed) because a lock
// was held by someone else: retrying later is safe.
var errTransientLock = errors.New("a lock held by another task")

// isLockTimeout reports whether err is PVE's lock timeout, in the answer or
// in a failed task.
func isLockTimeout(err error) bool {
	return pveMessageMatches(err, reLockTimeout)
}

// isSourceLockedByClone reports whether a clone request failed because the
// source is locked by another clone.
func isSourceLockedByClone(err error) bool {
	return pveMessageMatches(err, reLockedClone)
}

// pveMessageMatches tests the message PVE gave, never a transport error's
// text (which we wrote ourselves).
func pveMessageMatches(err error, re *regexp.Regexp) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		if re.MatchString(apiErr.Message) {
			return true
		}
		for _, v := range apiErr.Params {
			if re.MatchString(v) {
				return true
			}
		}
		return false
	}
	var taskErr *TaskError
	return errors.As(err, &taskErr) && re.MatchString(taskErr.ExitStatus)
}

// transientError marks an error that retrying did not overcome in time.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() []error {
	return []error{e.err, errTransientLock}
}

// retryLocked runs attempt until it succeeds, fails for a reason other than
// lock contention (isTransient), or the context (at most
// defaultLockRetryWindow without a deadline) runs out. The waits back off
// with jitter so parallel resources do not retry in lockstep.
func (c *Client) retryLocked(ctx context.Context, what string, isTransient func(error) bool, attempt func() error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultLockRetryWindow)
		defer cancel()
	}
	var locked error
	for n := 1; ; n++ {
		err := attempt()
		if err != nil && locked != nil && ctx.Err() != nil {
			// The operation's time ran out during a retry: the lock is
			// the cause the caller must hear of, not the cancelled request.
			return &transientError{fmt.Errorf("%w (still locked after %d attempts: %v)", locked, n-1, ctx.Err())}
		}
		if err == nil || !isTransient(err) {
			return err
		}
		locked = err
		logDebug(ctx, "Lock held by another task, retrying", map[string]any{
			"request": what, "attempt": n, "error": err.Error(),
		})
		if serr := sleepCtx(ctx, c.backoff(n)); serr != nil {
			return &transientError{fmt.Errorf("%w (still locked after %d attempts: %v)", err, n, serr)}
		}
	}
}

// IsTransientLock reports whether err is a lock that another task held
// past PVE's lock timeout (or a clone source another clone holds): the
// same request can succeed a moment later. For callers that start a task
// and wait for it themselves; requests sent through postTask are retried
// already.
func IsTransientLock(err error) bool {
	return isLockTimeout(err) || isSourceLockedByClone(err)
}
