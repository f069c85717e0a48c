package pvesim

import (
	"fmt"
	"sort"
	"strings"
)

// pveVersion is one Proxmox VE release as the simulator answers it: what
// /version reports and the texts that differ between releases.
type pveVersion struct {
	// release, manager and repoid are /version's fields: pve-manager
	// PVE/API2.pm "version" returns PVE::pvecfg::version_info, the package
	// version, its x.y and the 16-digit git id of the version bump commit.
	release, manager, repoid string
	// digestMismatch is qemu-server's stale-digest text: "missmatch" up to
	// 8.2.4, fixed in 8.2.5 (commit be8c868f "fix typos in user-visible
	// strings"; API2/Qemu.pm update_vm_api).
	digestMismatch string
	// messageInBody: pve-http-server 5.2.0 (commit 9a2112e "fix #6503:
	// return api handler errors in the json body", Formatter/Standard.pm
	// prepare_response_data) adds "message" to every JSON error body;
	// before, an error body is {"data":null} (plus "errors" for a 400).
	messageInBody bool
	// authFailed is the 401 text for any token or ticket that does not
	// verify, from pve-manager 9.1.5 on (HTTPServer.pm auth_handler, commit
	// 26c10a2e); empty: the verifier's own text (auth.go).
	authFailed string
	// configLockInRequest: up to 8.2.x, $update_vm_api runs its $updatefn
	// (checks, then fork_worker) under PVE::QemuConfig->lock_config in the
	// API process (qemu-server 8.2.4 API2/Qemu.pm, "return
	// PVE::QemuConfig->lock_config($vmid, $updatefn)"), so POST .../config
	// waits for the config lock before answering and a timeout is a
	// synchronous 500. 9.x checks without the lock ($load_and_check_config
	// "early checks") and locks in the worker.
	configLockInRequest bool
	// cloneLogsTarget: clone_disk prints "allocated target volume
	// '<volid>'" after vdisk_alloc from qemu-server 9.1.7 on (commit
	// 473b6774 "clone disk: log target volume ID after allocating").
	cloneLogsTarget bool
}

// pveVersions are the releases the simulator can pose as, by release.
var pveVersions = map[string]pveVersion{
	// PVE 8.2: pve-manager 8.2.4 (faa83925), qemu-server 8.2.4,
	// pve-http-server 5.1.x.
	"8.2": {release: "8.2", manager: "8.2.4", repoid: "faa83925c9641325",
		digestMismatch: "checksum missmatch (file change by other user?)", configLockInRequest: true},
	// PVE 9.2: pve-manager 9.2.11 (f6997e69), qemu-server 9.2.6,
	// pve-http-server 5.2.x.
	"9.2": {release: "9.2", manager: "9.2.11", repoid: "f6997e698c7933ea",
		digestMismatch: "checksum mismatch (file change by other user?)", messageInBody: true,
		authFailed: "Authentication failed!", cloneLogsTarget: true},
}

// DefaultPVEVersion is the release the simulator poses as unless
// Options.PVEVersion says otherwise.
const DefaultPVEVersion = "9.2"

// PVEVersions lists the releases Options.PVEVersion accepts.
func PVEVersions() []string {
	out := make([]string, 0, len(pveVersions))
	for k := range pveVersions {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func lookupPVEVersion(release string) (pveVersion, error) {
	if release == "" {
		release = DefaultPVEVersion
	}
	v, known := pveVersions[release]
	if !known {
		return pveVersion{}, fmt.Errorf("pvesim: unknown PVE version %q (known: %s)", release, strings.Join(PVEVersions(), ", "))
	}
	return v, nil
}

// SetPVEVersion switches the release the simulator poses as (the lab's
// PUT /_sim/version); requests already running keep the texts they chose.
func (s *Server) SetPVEVersion(release string) error {
	v, err := lookupPVEVersion(release)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.version = v
	s.mu.Unlock()
	return nil
}

// PVEVersion is the release the simulator poses as.
func (s *Server) PVEVersion() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version.release
}

// pveVersionLocked is the release in use. Callers hold s.mu.
func (s *Server) pveVersionLocked() pveVersion { return s.version }

func (s *Server) currentVersion() pveVersion {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

func init() {
	addRoute("/version", map[string]handlerFunc{"GET": (*Server).versionInfo})
}

// versionInfo is GET /version (pve-manager PVE/API2.pm "version"); the
// datacenter.cfg "console" key is left out as an unset datacenter.cfg does.
func (s *Server) versionInfo(*request) *resp {
	v := s.currentVersion()
	return ok(map[string]any{"version": v.manager, "release": v.release, "repoid": v.repoid})
}

// pveversionText is the node status "pveversion" line (pvecfg version_text).
func (v pveVersion) pveversionText() string {
	return "pve-manager/" + v.manager + "/" + v.repoid
}
