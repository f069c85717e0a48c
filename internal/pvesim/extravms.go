package pvesim

import (
	"fmt"
	"strconv"
	"time"
)

// firstExtraVMID is where the extra VMs start (the first free ids from it),
// above the scenarios' own ids.
const firstExtraVMID = 1000

// seedExtraVMsLocked adds n stopped VMs named other-<i> (1-based), spread
// round-robin over the nodes, with the configs a PVE GUI wizard writes
// (one SCSI disk on local-lvm, one virtio NIC) in a few
// sizes, created in the past (no stats lag). Callers hold s.mu.
func (s *Server) seedExtraVMsLocked(n int) error {
	if n < 0 {
		return fmt.Errorf("pvesim: extra VMs must be >= 0, got %d", n)
	}
	cores := []string{"1", "2", "4", "2"}
	memory := []string{"1024", "2048", "4096", "8192", "2048"}
	disks := []string{"16G", "32G", "64G"}
	past := time.Now().Add(-48 * time.Hour)
	id := firstExtraVMID
	for i := 1; i <= n; i++ {
		for s.vms[id] != nil {
			id++
		}
		conf := map[string]string{
			"cores": cores[i%len(cores)], "sockets": "1", "memory": memory[i%len(memory)],
			"ostype": "l26", "scsihw": "virtio-scsi-single", "cpu": "x86-64-v2-AES", "numa": "0",
			"net0":  "virtio,bridge=vmbr0,firewall=1",
			"scsi0": "local-lvm:vm-" + strconv.Itoa(id) + "-disk-0,iothread=1,size=" + disks[i%len(disks)],
			"ide2":  "none,media=cdrom", "boot": "order=scsi0;ide2;net0", "agent": "1",
		}
		if i%5 == 0 {
			conf["tags"] = "extra"
		}
		if err := s.addVMLocked(VM{
			VMID: id, Node: s.nodes[(i-1)%len(s.nodes)], Name: fmt.Sprintf("other-%d", i),
			Status: "stopped", Config: conf, CreatedAt: past.Add(time.Duration(i) * time.Second),
		}); err != nil {
			return err
		}
		id++
	}
	return nil
}
