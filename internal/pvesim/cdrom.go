package pvesim

import (
	"fmt"
	"strings"
	"time"
)

// CD-ROM media: ISO images on storages with content "iso", listed by
// GET /nodes/{node}/storage/{storage}/content (pve-storage
// src/PVE/API2/Storage/Content.pm index). A drive that names an ISO is
// checked like qemu-server API2/Qemu.pm create_disks does for an existing
// volume: the volume must exist ("volume <volid> does not exist") and its
// size is written into the drive.

func init() {
	addRoute("/nodes/{node}/storage/{storage}/content", map[string]handlerFunc{"GET": (*Server).storageContent})
}

// defaultISOs is what the "local" storage holds from the start.
func defaultISOs() map[string]int64 {
	return map[string]int64{"iso/debian-12.iso": 628 << 20}
}

func (s *Server) storageContent(r *request) *resp {
	vals, errs := checkParams(r.params, map[string]paramSpec{"content": {}, "vmid": {}}, false)
	if len(errs) > 0 {
		return paramErr(errs)
	}
	node, id := r.vars["node"], r.vars["storage"]
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.nodeKnown(node) {
		return err500("hostname lookup '%s' failed - failed to get address info for: %s: Name or service not known", node, node)
	}
	sd := s.storageLocked(id)
	if sd == nil || !sd.onNode(node) {
		return err500("storage '%s' does not exist", id)
	}
	if sd.Missing {
		return err500("%s", sd.activationErr().Error())
	}
	out := []map[string]any{}
	if c := vals["content"]; c == "" || c == "iso" {
		for _, name := range sortedKeys(sd.ISOs) {
			out = append(out, map[string]any{
				"volid": sd.ID + ":" + name, "format": "iso", "content": "iso", "size": sd.ISOs[name],
				"ctime": time.Date(2024, 6, 10, 12, 0, 0, 0, time.UTC).Unix(),
			})
		}
	}
	return ok(out)
}

// checkCDROMMediaLocked checks the ISO images drive values name and writes
// their sizes, as create_disks does for an existing volume.
func (s *Server) checkCDROMMediaLocked(node string, conf map[string]string) error {
	for _, k := range sortedKeys(conf) {
		if !isDiskKey(k) {
			continue
		}
		d := parseDisk(conf[k])
		if d.opts["media"] != "cdrom" || d.store == "" {
			continue // none, cdrom (the host's drive), disks
		}
		sd := s.storageLocked(d.store)
		if sd == nil || !sd.onNode(node) {
			return fmt.Errorf("storage '%s' does not exist", d.store)
		}
		if sd.Missing {
			return sd.activationErr()
		}
		_, name, _ := strings.Cut(d.volume, ":")
		size, found := sd.ISOs[name]
		if !found {
			return fmt.Errorf("volume %s does not exist", d.volume)
		}
		d.opts["size"] = formatSize(size)
		conf[k] = d.String()
	}
	return nil
}

// AddISO puts an ISO image on a storage, e.g. AddISO("local", "ubuntu.iso", 2<<30).
func (s *Server) AddISO(storage, file string, size int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sd := s.storageLocked(storage)
	if sd == nil {
		return fmt.Errorf("pvesim: no storage %q", storage)
	}
	if sd.ISOs == nil {
		sd.ISOs = map[string]int64{}
	}
	sd.ISOs["iso/"+file] = size
	s.persistLocked()
	return nil
}
