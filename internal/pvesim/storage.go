package pvesim

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// storageDef is one storage.cfg entry. Missing marks a ZFS pool that cannot
// be imported: it is listed inactive and every volume operation fails.
type storageDef struct {
	ID      string           `json:"id"`
	Type    string           `json:"type"`
	Content string           `json:"content"`
	Shared  bool             `json:"shared"`
	Missing bool             `json:"missing"`
	Nodes   []string         `json:"nodes,omitempty"` // nil = every node
	Total   int64            `json:"total"`
	ISOs    map[string]int64 `json:"isos,omitempty"` // ISO images ("iso/<file>") and their sizes (cdrom.go)
}

func defaultStorages() []storageDef {
	return []storageDef{
		{ID: "local", Type: "dir", Content: "backup,iso,vztmpl,images,rootdir,snippets", Total: 100 << 30, ISOs: defaultISOs()},
		{ID: "local-lvm", Type: "lvmthin", Content: "images,rootdir", Total: 400 << 30},
	}
}

// downloadsStorage is the incident scenario's broken ZFS pool.
func downloadsStorage() storageDef {
	return storageDef{ID: "downloads", Type: "zfspool", Content: "images,rootdir", Missing: true, Total: 2 << 40}
}

func (sd *storageDef) onNode(node string) bool {
	return sd.Nodes == nil || slices.Contains(sd.Nodes, node)
}

// holdsImages: a storage whose content includes VM or container images,
// the ones PVE::Storage::vdisk_list activates and lists.
func (sd *storageDef) holdsImages() bool {
	for _, c := range strings.Split(sd.Content, ",") {
		if c == "images" || c == "rootdir" {
			return true
		}
	}
	return false
}

func (s *Server) storageLocked(id string) *storageDef {
	for i := range s.storages {
		if s.storages[i].ID == id {
			return &s.storages[i]
		}
	}
	return nil
}

var diskNumRE = regexp.MustCompile(`vm-(\d+)-disk-(\d+)`)

// nextDiskIndexLocked finds the next free vm-<vmid>-disk-N number on any storage.
func (s *Server) nextDiskIndexLocked(vmid int, extra map[string]string) int {
	n := 0
	scan := func(val string) {
		for _, m := range diskNumRE.FindAllStringSubmatch(val, -1) {
			if m[1] == strconv.Itoa(vmid) {
				if i, _ := strconv.Atoi(m[2]); i >= n {
					n = i + 1
				}
			}
		}
	}
	if v := s.vms[vmid]; v != nil {
		for _, val := range v.Conf {
			scan(val)
		}
	}
	for _, val := range extra {
		scan(val)
	}
	return n
}

// volumeName is how each storage type names a new image.
func volumeName(sd *storageDef, vmid, idx int, format string) string {
	switch sd.Type {
	case "dir", "nfs", "cifs":
		if format == "" {
			format = "raw"
		}
		return fmt.Sprintf("%s:%d/vm-%d-disk-%d.%s", sd.ID, vmid, vmid, idx, format)
	default:
		return fmt.Sprintf("%s:vm-%d-disk-%d", sd.ID, vmid, idx)
	}
}

// allocLog is the line PVE's storage plugins print for a new image.
func allocLog(sd *storageDef, vol string) string {
	_, name, _ := strings.Cut(vol, ":")
	switch sd.Type {
	case "lvmthin", "lvm":
		return fmt.Sprintf("  Logical volume \"%s\" created.", name)
	case "dir":
		return fmt.Sprintf("Formatting '/var/lib/vz/images/%s', fmt=raw", name)
	}
	return ""
}

func freeLog(sd *storageDef, vol string) string {
	_, name, _ := strings.Cut(vol, ":")
	switch sd.Type {
	case "lvmthin", "lvm":
		return fmt.Sprintf("  Logical volume \"%s\" successfully removed.", name)
	}
	return ""
}

// diskUsageLocked sums the sizes of volumes on a storage for a node.
func (s *Server) diskUsageLocked(storeID, node string) int64 {
	shared := s.storageLocked(storeID).Shared
	var used int64
	for _, v := range s.vms {
		if v.Node != node && !shared {
			continue
		}
		for k, val := range v.Conf {
			if store, size, okk := volumeSize(k, val); okk && store == storeID {
				used += size
			}
		}
	}
	return used
}

// isVolumeKey: the config keys whose volumes count in a storage's usage
// (drives, unused disks, a container's rootfs and mount points).
func isVolumeKey(k string) bool {
	return isDiskKey(k) || strings.HasPrefix(k, "unused") || k == "rootfs" || strings.HasPrefix(k, "mp")
}

// volumeSize is the storage and size of the volume config key k holds.
func volumeSize(k, val string) (store string, size int64, okk bool) {
	if !isVolumeKey(k) {
		return "", 0, false
	}
	d := parseDisk(val)
	if !d.isVolume() {
		return "", 0, false
	}
	_, size, okk = parseSize(d.opts["size"])
	return d.store, size, okk
}

// guestVolume is a volume config entry of a guest on node.
type guestVolume struct{ key, val, node string }

// volumeTotals is diskUsageLocked for every storage and node at once.
type volumeTotals struct {
	byNode map[[2]string]int64 // {storage, node}
	all    map[string]int64    // a shared storage's usage, from every node
}

func sumVolumes(vols []guestVolume) volumeTotals {
	t := volumeTotals{byNode: map[[2]string]int64{}, all: map[string]int64{}}
	for _, gv := range vols {
		if store, size, okk := volumeSize(gv.key, gv.val); okk {
			t.byNode[[2]string{store, gv.node}] += size
			t.all[store] += size
		}
	}
	return t
}

// on is the usage of sd as its entry for node shows it.
func (t volumeTotals) on(sd *storageDef, node string) int64 {
	if sd.Shared {
		return t.all[sd.ID]
	}
	return t.byNode[[2]string{sd.ID, node}]
}

func init() {
	addRoute("/nodes/{node}/storage", map[string]handlerFunc{"GET": (*Server).nodeStorage})
}

func (s *Server) nodeStorage(r *request) *resp {
	node := r.vars["node"]
	content, storage := r.params["content"], r.params["storage"]
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	ids := []string{}
	for _, sd := range s.storages {
		ids = append(ids, sd.ID)
	}
	sort.Strings(ids)
	for _, id := range ids {
		sd := s.storageLocked(id)
		if !sd.onNode(node) || (storage != "" && storage != id) {
			continue
		}
		if content != "" && !strings.Contains(","+sd.Content+",", ","+content+",") {
			continue
		}
		e := map[string]any{
			"storage": sd.ID, "type": sd.Type, "content": sd.Content,
			"enabled": 1, "shared": boolInt(sd.Shared),
		}
		if sd.Missing {
			e["active"] = 0
		} else {
			used := s.diskUsageLocked(sd.ID, node)
			e["active"] = 1
			e["total"] = sd.Total
			e["used"] = used
			e["avail"] = sd.Total - used
			e["used_fraction"] = float64(used) / float64(sd.Total)
		}
		out = append(out, e)
	}
	return ok(out)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// LeftoverVolumes lists the volumes destroys left behind because their
// storage could not be activated, in the order they were left.
func (s *Server) LeftoverVolumes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.leftoverVolumes)
}
