package pvesim

import (
	"fmt"
	"time"
)

// seedIncident builds the duplicate-VM incident: many VMs share two names,
// one storage is a missing ZFS pool, some duplicates have disks on it.
func (s *Server) seedIncident() error {
	s.storages = append(s.storages, downloadsStorage())
	base := time.Now().Add(-30 * 24 * time.Hour).Unix()
	past := time.Now().Add(-24 * time.Hour)
	type seed struct {
		id      int
		name    string
		node    string
		running bool
		tmpl    bool
	}
	net := func() string { return "virtio,bridge=vmbr0,firewall=1" }
	seeds := []seed{
		{id: 100, name: "dns-1", node: "pve", running: true},
		{id: 101, name: "gitlab", node: "pve", running: true},
		{id: 105, name: "backup", node: "pve2", running: true},
		{id: 9000, name: "debian-12-template", node: "pve", tmpl: true},
	}
	for _, id := range []int{108, 112, 116, 121, 123} {
		seeds = append(seeds, seed{id: id, name: "monitoring-prometheus", node: "pve", running: id == 123})
	}
	for _, id := range []int{110, 111, 115, 117, 122, 126} {
		seeds = append(seeds, seed{id: id, name: "monitoring-grafana", node: "pve", running: id == 126})
	}
	onDownloads := map[int]bool{108: true, 111: true}
	for _, sd := range seeds {
		conf := map[string]string{
			"cores": "2", "sockets": "1", "memory": "2048", "ostype": "l26",
			"scsihw": "virtio-scsi-single", "net0": net(), "boot": "order=scsi0;net0",
			"scsi0": fmt.Sprintf("local-lvm:vm-%d-disk-0,iothread=1,size=32G", sd.id),
		}
		if onDownloads[sd.id] {
			conf["scsi1"] = fmt.Sprintf("downloads:vm-%d-disk-1,size=100G", sd.id)
		}
		if sd.name == "monitoring-prometheus" || sd.name == "monitoring-grafana" {
			conf["tags"] = "monitoring"
		}
		if sd.tmpl {
			conf["scsi0"] = fmt.Sprintf("local-lvm:base-%d-disk-0,size=8G", sd.id)
		}
		status := "stopped"
		if sd.running {
			status = "running"
		}
		// ctimes increase with the VMID, all in the past.
		ctime := base + int64(sd.id%1000)*3600
		if err := s.addVMLocked(VM{
			VMID: sd.id, Node: sd.node, Name: sd.name, Status: status, Template: sd.tmpl,
			Config: conf, CTime: ctime, CreatedAt: past,
		}); err != nil {
			return err
		}
	}
	return nil
}
