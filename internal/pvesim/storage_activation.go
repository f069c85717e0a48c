package pvesim

import (
	"fmt"
	"sort"
	"strings"
)

// activationErr is what pve-storage Storage.pm activate_storage dies with
// for a broken storage (storageDef.Missing), by the plugin's
// activate_storage; vdisk_alloc, vdisk_free, vdisk_clone and
// activate_volumes (qemu-server vm_start_nolock) all activate first.
//   - zfspool: ZFSPoolPlugin.pm activate_storage wraps the failed
//     `zpool import` of zfs_request (run_command errmsg "zfs error", with
//     zpool's stderr) as "could not activate storage '<id>', <error>".
//   - lvmthin: LvmThinPlugin.pm activate_storage runs $activate_lv on the
//     thin pool, which dies "no such logical volume <vg>/<thinpool>" when
//     the volume group is gone.
//   - dir (and other path storages): Plugin.pm activate_storage, when the
//     path is not a reachable directory.
//   - others (nfs, cifs, pbs, ...): Storage.pm activate_storage when the
//     plugin's check_connection fails.
func (sd *storageDef) activationErr() error {
	switch sd.Type {
	case "zfspool":
		return fmt.Errorf("could not activate storage '%s', zfs error: %w", sd.ID, sd.missingErr())
	case "lvmthin":
		vg, pool := sd.thinPool()
		return fmt.Errorf("no such logical volume %s/%s", vg, pool)
	case "dir", "btrfs":
		return fmt.Errorf("unable to activate storage '%s' - directory '%s' does not exist or is unreachable", sd.ID, sd.path())
	default:
		return fmt.Errorf("storage '%s' is not online", sd.ID)
	}
}

// missingErr is the ZFS pool's own error: `zpool import` finds no pool.
func (sd *storageDef) missingErr() error {
	return fmt.Errorf("cannot import '%s': no such pool available", sd.ID)
}

// thinPool is an lvmthin storage's vgname and thinpool: the installer's
// local-lvm is pve/data; other thin pools are named after their storage.
func (sd *storageDef) thinPool() (vg, pool string) {
	if sd.ID == "local-lvm" {
		return "pve", "data"
	}
	return sd.ID, "data"
}

// path is a directory storage's path: the installer's local is /var/lib/vz,
// others live where pvesm mounts them.
func (sd *storageDef) path() string {
	if sd.ID == "local" {
		return "/var/lib/vz"
	}
	return "/mnt/pve/" + sd.ID
}

// activateVolumesLocked is PVE::Storage::activate_volumes for the VM's
// volumes (qemu-server get_current_vm_volumes: every drive, efidisk and
// tpmstate on a storage; unusedN are not in use): the first broken
// storage's activation error.
func (s *Server) activateVolumesLocked(conf map[string]string) error {
	stores := map[string]bool{}
	for k, val := range conf {
		if !isDiskKey(k) {
			continue
		}
		d := parseDisk(val)
		if !d.isVolume() || strings.HasPrefix(d.volume, "/") {
			continue
		}
		if id, _, found := strings.Cut(d.volume, ":"); found {
			stores[id] = true
		}
	}
	ids := make([]string, 0, len(stores))
	for id := range stores {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if sd := s.storageLocked(id); sd != nil && sd.Missing {
			return sd.activationErr()
		}
	}
	return nil
}
