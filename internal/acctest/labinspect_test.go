package acctest

import (
	"maps"
	"testing"
)

func TestAllocateSeededVolumes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		seed, out map[string]string
	}{
		{
			name: "disk with options keeps them, size becomes the allocation",
			seed: map[string]string{"scsi0": "local-lvm:vm-4721-disk-0,backup=0,cache=writeback,size=8G,ssd=1"},
			out:  map[string]string{"scsi0": "local-lvm:8,backup=0,cache=writeback,ssd=1"},
		},
		{
			name: "EFI vars size is PVE's own",
			seed: map[string]string{"efidisk0": "local-lvm:vm-4721-disk-1,efitype=4m,pre-enrolled-keys=1,size=4M"},
			out:  map[string]string{"efidisk0": "local-lvm:1,efitype=4m,pre-enrolled-keys=1"},
		},
		{
			name: "terabytes in GiB",
			seed: map[string]string{"virtio1": "tank:vm-100-disk-3,size=2T"},
			out:  map[string]string{"virtio1": "tank:2048"},
		},
		{
			name: "ISO images, other volumes and other keys stay",
			seed: map[string]string{
				"ide3": "local:iso/debian-12.iso,media=cdrom", "scsi1": "local-lvm:base-9000-disk-0/vm-100-disk-0,size=8G",
				"net0": "virtio=BC:24:11:00:00:07,bridge=vmbr0", "name": "vm-100-disk-0",
			},
			out: map[string]string{
				"ide3": "local:iso/debian-12.iso,media=cdrom", "scsi1": "local-lvm:base-9000-disk-0/vm-100-disk-0,size=8G",
				"net0": "virtio=BC:24:11:00:00:07,bridge=vmbr0", "name": "vm-100-disk-0",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := allocateSeededVolumes(tc.seed); !maps.Equal(got, tc.out) {
				t.Errorf("allocateSeededVolumes(%v) = %v, want %v", tc.seed, got, tc.out)
			}
		})
	}
}
