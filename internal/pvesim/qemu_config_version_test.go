package pvesim

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestConfigPostLockByVersion: qemu-server 8.2.4's $update_vm_api runs
// $updatefn, fork_worker included, under lock_config in the API process
// ("return PVE::QemuConfig->lock_config($vmid, $updatefn)"), so a config
// lock held elsewhere makes POST .../config itself wait and fail with a
// synchronous 500 and no task; 9.2.6 checks without the lock
// ($load_and_check_config "early checks before forking/locking") and its
// worker waits for the lock, so POST answers with a UPID and the task fails.
// The lock text is pve-common Tools.pm lock_file_full's.
func TestConfigPostLockByVersion(t *testing.T) {
	const lockMsg = "can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout"
	for _, release := range []string{"8.2", "9.2"} {
		t.Run(release, func(t *testing.T) {
			s := startSim(t, Options{PlainHTTP: true, PVEVersion: release,
				Locks: LockOptions{ConfigTimeout: 50 * time.Millisecond}})
			if err := s.AddVM(VM{VMID: 100, Name: "web"}); err != nil {
				t.Fatal(err)
			}
			// Held elsewhere (another update's worker) for the whole test.
			unlock, err := s.locks.acquire("config/100", false, time.Second, nil, s.closing)
			if err != nil {
				t.Fatal(err)
			}
			defer unlock()
			st, b := call(t, s, "POST", "/nodes/pve/qemu/100/config", s.Token(), url.Values{"cores": {"2"}})
			if s.PVEVersion() == "8.2" {
				expect(t, st, b, "500 "+lockMsg, `{"data":null}`)
				if n := s.TaskCount("qmconfig", 100); n != 0 {
					t.Fatalf("%d qmconfig tasks, want none", n)
				}
				return
			}
			if st != "200 OK" || !strings.Contains(b, ":qmconfig:100:") {
				t.Fatalf("POST: %s %s", st, b)
			}
			if exit := waitUPID(t, s, b); exit != lockMsg {
				t.Fatalf("task exit %q, want %q", exit, lockMsg)
			}
		})
	}
}

// TestConfigPostWorkerInheritsLock82: in 8.2.4 the qmconfig worker is forked
// inside lock_config($vmid, $updatefn) and inherits the flocked handle
// (pve-common RESTEnvironment.pm fork_worker keeps every descriptor but its
// pipes and standard streams; Tools.pm lock_file_full frees the lock by
// closing the handle), so the lock is held from the request until the
// worker exits, and the worker takes it no second time: one acquisition per
// update, held already when the UPID comes back. 9.2.6 locks only in the
// worker ($load_and_check_config, then lock_config in the worker): also one.
func TestConfigPostWorkerInheritsLock82(t *testing.T) {
	for _, release := range []string{"8.2", "9.2"} {
		t.Run(release, func(t *testing.T) {
			s := startSim(t, Options{PlainHTTP: true, PVEVersion: release})
			if err := s.AddVM(VM{VMID: 100, Name: "web"}); err != nil {
				t.Fatal(err)
			}
			hold := s.HoldTasks("qmconfig")
			defer hold()
			st, b := call(t, s, "POST", "/nodes/pve/qemu/100/config", s.Token(), url.Values{"cores": {"2"}})
			if st != "200 OK" || !strings.Contains(b, ":qmconfig:100:") {
				t.Fatalf("POST: %s %s", st, b)
			}
			if release == "8.2" && !s.lockHeld("config/100") {
				t.Fatal("8.2: the config lock was released between the request and its worker")
			}
			hold()
			if exit := waitUPID(t, s, b); exit != "OK" {
				t.Fatalf("task exit %q", exit)
			}
			if n := s.lockTaken("config/100"); n != 1 {
				t.Fatalf("config lock taken %d times for one update, want 1", n)
			}
			// The worker frees it as it exits, just after its status says stopped.
			for deadline := time.Now().Add(10 * time.Second); s.lockHeld("config/100"); time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("config lock still held after the task")
				}
			}
			if v, _ := s.VM(100); v.Config["cores"] != "2" {
				t.Fatalf("cores = %q", v.Config["cores"])
			}
		})
	}
}
