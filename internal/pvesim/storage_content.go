package pvesim

import (
	"fmt"
	"strconv"
	"strings"
)

func init() {
	addRoute("/nodes/{node}/storage/{storage}/content/{volume*}", map[string]handlerFunc{
		"GET":    (*Server).volumeInfo,
		"DELETE": (*Server).volumeDelete,
	})
	addRoute("/nodes/{node}/storage/{storage}/status", map[string]handlerFunc{"GET": (*Server).storageStatus})
}

// storageStatus is GET /nodes/{node}/storage/{storage}/status (pve-storage
// API2/Storage/Status.pm read_status): the node's storage_info entry, or
// a 400 "No such storage." for a storage the node does not have.
func (s *Server) storageStatus(r *request) *resp {
	list := s.nodeStorage(&request{vars: r.vars, params: map[string]string{"storage": r.vars["storage"]}})
	entries, _ := list.data.([]map[string]any)
	if len(entries) != 1 {
		return paramErr1("storage", "No such storage.")
	}
	e := entries[0]
	delete(e, "storage") // storage_info is keyed by it
	return ok(e)
}

// volumeOnStorage is one image the simulator knows: a VM's drive or unused
// disk, or a volume a destroy left behind.
type volumeOnStorage struct {
	sd    *storageDef
	owner int   // the VMID in the volume name
	size  int64 // bytes, from the drive's size option
}

// realVolumeID is pve-storage API2/Storage/Content.pm $real_volume_id: a
// volume with a colon is a full volume ID whose storage must match; else
// the path's storage is prefixed.
func realVolumeID(storeID, volume string) (string, *resp) {
	if sid, _, found := strings.Cut(volume, ":"); found {
		if storeID != "" && sid != storeID {
			return "", paramErr1("volume", fmt.Sprintf("storage ID mismatch (%s != %s)", sid, storeID))
		}
		return volume, nil
	}
	return storeID + ":" + volume, nil
}

// findVolumeLocked looks volid up among the volumes on node's storages.
func (s *Server) findVolumeLocked(volid, node string) (volumeOnStorage, bool) {
	sid, name, _ := strings.Cut(volid, ":")
	sd := s.storageLocked(sid)
	if sd == nil || s.freedVolumes[volid] {
		return volumeOnStorage{}, false
	}
	owner := 0
	if m := diskNumRE.FindStringSubmatch(name); m != nil {
		owner, _ = strconv.Atoi(m[1])
	}
	if size, left := s.leftoverSizes[volid]; left {
		return volumeOnStorage{sd: sd, owner: owner, size: size}, true
	}
	for _, v := range s.vms {
		if v.Node != node && !sd.Shared {
			continue
		}
		for k, val := range v.Conf {
			if !isDiskKey(k) && !strings.HasPrefix(k, "unused") {
				continue
			}
			if d := parseDisk(val); d.volume == volid {
				_, b, _ := parseSize(d.opts["size"])
				return volumeOnStorage{sd: sd, owner: owner, size: b}, true
			}
		}
	}
	return volumeOnStorage{}, false
}

// volumePath is PVE::Storage::path for an image: the block device or file
// each plugin's path/filesystem_path builds.
func volumePath(sd *storageDef, volid string) string {
	_, name, _ := strings.Cut(volid, ":")
	switch sd.Type {
	case "lvmthin", "lvm":
		vg, _ := sd.thinPool()
		return "/dev/" + vg + "/" + name
	case "zfspool":
		return "/dev/zvol/" + sd.ID + "/" + name
	default:
		return sd.path() + "/images/" + name
	}
}

// volumeFormat is the format parse_volname reports: a file's extension on
// path storages, raw for block storages.
func volumeFormat(sd *storageDef, volid string) string {
	if sd.Type == "dir" || sd.Type == "nfs" || sd.Type == "cifs" || sd.Type == "btrfs" {
		if i := strings.LastIndex(volid, "."); i >= 0 {
			return volid[i+1:]
		}
	}
	return "raw"
}

// volumeInfo is GET .../content/{volume} (Content.pm "info"): path, size,
// used and format from PVE::Storage::path and volume_size_info. The
// simulator writes no data, so used is 0 (LVMPlugin volume_size_info
// reports 0 for raw LVs anyway).
func (s *Server) volumeInfo(r *request) *resp {
	volid, res := realVolumeID(r.vars["storage"], r.vars["volume"])
	if res != nil {
		return res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sid, _, _ := strings.Cut(volid, ":")
	sd := s.storageLocked(sid)
	if sd == nil {
		return err500("storage '%s' does not exist", sid)
	}
	vol, found := s.findVolumeLocked(volid, r.vars["node"])
	if !found {
		return err500("%s", missingVolumeText(sd, volid))
	}
	if vol.owner != 0 {
		if res := s.checkVMPrivLocked(r.auth, vol.owner, "VM.Audit"); res != nil {
			return res
		}
	}
	return ok(map[string]any{"path": volumePath(sd, volid), "size": vol.size, "used": 0, "format": volumeFormat(sd, volid)})
}

// missingVolumeText is what volume_size_info dies with for a volume that
// is not there: Content.pm's own check when Plugin.pm file_size_info finds
// no file; for block storages the tool's error behind run_command's errmsg
// (LVMPlugin "can't get size of '<path>'", ZFSPoolPlugin zfs_request "zfs
// error"), with the LVM2 and ZFS tools' texts.
func missingVolumeText(sd *storageDef, volid string) string {
	_, name, _ := strings.Cut(volid, ":")
	switch sd.Type {
	case "lvmthin", "lvm":
		vg, _ := sd.thinPool()
		return fmt.Sprintf("can't get size of '%s':   Failed to find logical volume \"%s/%s\"", volumePath(sd, volid), vg, name)
	case "zfspool":
		return fmt.Sprintf("zfs error: cannot open '%s/%s': dataset does not exist", sd.ID, name)
	default:
		return fmt.Sprintf("volume_size_info on '%s' failed - no format", volid)
	}
}

// volumeDelete is DELETE .../content/{volume} (Content.pm "delete"): the
// caller needs Datastore.Allocate; an imgdel task ("<owner>@<storage>")
// runs vdisk_free, which activates the storage first (a broken one fails
// the task) and takes the storage lock, then logs "Removed volume". PVE
// does not check whether a config still uses the volume.
func (s *Server) volumeDelete(r *request) *resp {
	if _, errs := checkParams(r.params, map[string]paramSpec{"delay": intSpec(1, 30)}, false); len(errs) > 0 {
		return paramErr(errs)
	}
	volid, res := realVolumeID(r.vars["storage"], r.vars["volume"])
	if res != nil {
		return res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sid, _, _ := strings.Cut(volid, ":")
	sd := s.storageLocked(sid)
	if sd == nil {
		return err500("storage '%s' does not exist", sid)
	}
	if !r.auth.full() {
		return errResp(403, "Permission check failed (/storage/%s, Datastore.Allocate)", sid)
	}
	vol, found := s.findVolumeLocked(volid, r.vars["node"])
	if !found {
		// Freeing what is not there fails inside each plugin's
		// free_image with the storage tool's text; not modelled.
		return err500("pvesim: no volume '%s' (freeing a volume that does not exist is not modelled)", volid)
	}
	id := sid
	if vol.owner != 0 {
		id = strconv.Itoa(vol.owner) + "@" + sid
	}
	t := s.newTaskLocked(r.vars["node"], "imgdel", id, r.auth.user, func(fail string) ([]string, error) {
		if fail != "" {
			return nil, fmt.Errorf("%s", fail)
		}
		if cur := s.storageLocked(sid); cur != nil && cur.Missing {
			return nil, cur.activationErr()
		}
		var lines []string
		if l := freeLog(sd, volid); l != "" {
			lines = append(lines, l)
		}
		if s.freedVolumes == nil {
			s.freedVolumes = map[string]bool{}
		}
		s.freedVolumes[volid] = true
		delete(s.leftoverSizes, volid)
		for i, lv := range s.leftoverVolumes {
			if lv == volid {
				s.leftoverVolumes = append(s.leftoverVolumes[:i], s.leftoverVolumes[i+1:]...)
				break
			}
		}
		return append(lines, fmt.Sprintf("Removed volume '%s'", volid)), nil
	}, s.storageLockStep(sd, r.vars["node"], ""))
	return ok(t.UPID)
}

// recordLeftoverSizeLocked keeps a left-behind volume's size for volume info.
func (s *Server) recordLeftoverSizeLocked(d diskSpec) {
	if s.leftoverSizes == nil {
		s.leftoverSizes = map[string]int64{}
	}
	_, s.leftoverSizes[d.volume], _ = parseSize(d.opts["size"])
}
