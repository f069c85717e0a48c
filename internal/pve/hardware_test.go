package pve

import (
	"reflect"
	"testing"
)

func TestParseHardware(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	for _, tt := range []struct {
		name string
		cfg  map[string]string
		want Hardware
	}{
		{
			// $confdesc defaults: ostype other, bios seabios, scsihw lsi, vga std; machine pc.
			name: "keys left out read as PVE's defaults",
			cfg:  map[string]string{},
			want: Hardware{OSType: "other", BIOS: "seabios", Machine: Machine{Type: "pc"}, SCSIHardware: "lsi", VGA: VGA{Type: "std"}},
		},
		{
			name: "every key set, PVE's spelling",
			cfg: map[string]string{
				"numa": "1", "ostype": "l26", "bios": "ovmf", "machine": "q35,viommu=intel", "scsihw": "virtio-scsi-single",
				"efidisk0": "local-lvm:vm-100-disk-1,efitype=4m,pre-enrolled-keys=1,size=4M",
				"boot":     "order=scsi0;ide2;net0", "serial0": "socket", "serial2": "/dev/ttyS0",
				"vga": "serial0,memory=16", "startup": "order=2,up=30,down=60",
			},
			want: Hardware{
				NUMA: true, OSType: "l26", BIOS: "ovmf", Machine: Machine{Type: "q35", Options: "viommu=intel"},
				SCSIHardware: "virtio-scsi-single",
				EFIDisk:      &EFIDisk{Storage: "local-lvm", Volume: "vm-100-disk-1", Type: "4m", PreEnrolledKeys: true, Options: "size=4M"},
				BootOrder:    []string{"scsi0", "ide2", "net0"},
				Serial:       [MaxSerialPorts]string{"socket", "", "/dev/ttyS0", ""},
				VGA:          VGA{Type: "serial0", Memory: 16},
				Startup:      Startup{Order: n(2), Up: n(30), Down: n(60)},
			},
		},
		{
			// Keyed spellings; pve_parse_startup_order takes a bare number as
			// order; an efidisk without efitype is 2m (Drive.pm %efitype_fmt).
			name: "keyed and legacy spellings",
			cfg: map[string]string{
				"machine": "type=pc-q35-8.1", "vga": "type=qxl,clipboard=vnc", "startup": "3",
				"efidisk0": "file=local-lvm:vm-100-disk-1,size=128K", "boot": "cdn",
			},
			want: Hardware{
				OSType: "other", BIOS: "seabios", Machine: Machine{Type: "pc-q35-8.1"}, SCSIHardware: "lsi",
				EFIDisk: &EFIDisk{Storage: "local-lvm", Volume: "vm-100-disk-1", Type: "2m", Options: "size=128K"},
				VGA:     VGA{Type: "qxl", Options: "clipboard=vnc"},
				Startup: Startup{Order: n(3)},
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseHardware(tt.cfg); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestHardwareChangeParams(t *testing.T) {
	str := func(s string) *string { return &s }
	n := func(v int64) *int64 { return &v }
	yes := true
	for _, tt := range []struct {
		name    string
		change  HardwareChange
		wantSet map[string]string
		wantDel []string
	}{
		{
			name: "every key in PVE's encoding",
			change: HardwareChange{
				NUMA: &yes, OSType: str("l26"), BIOS: str("ovmf"), SCSIHardware: str("virtio-scsi-single"),
				Machine:   &Machine{Type: "q35", Options: "viommu=intel"},
				EFIDisk:   &EFIDisk{Storage: "local-lvm", Type: "4m"},
				BootOrder: &[]string{"scsi0", "net0"},
				Serial:    map[int]string{0: "socket"},
				VGA:       &VGA{Type: "serial0", Memory: 16},
				Startup:   &Startup{Order: n(2), Up: n(30), Down: n(60)},
			},
			wantSet: map[string]string{
				"numa": "1", "ostype": "l26", "bios": "ovmf", "scsihw": "virtio-scsi-single", "machine": "q35,viommu=intel",
				// create_disks allocates STORAGE:SIZE; the size is ignored for EFI disks.
				"efidisk0": "local-lvm:1,efitype=4m,pre-enrolled-keys=0", "boot": "order=scsi0;net0",
				"serial0": "socket", "vga": "serial0,memory=16", "startup": "order=2,up=30,down=60",
			},
		},
		{
			name:    "empty values remove their keys",
			change:  HardwareChange{BootOrder: &[]string{}, Serial: map[int]string{1: ""}, Startup: &Startup{}},
			wantSet: map[string]string{},
			wantDel: []string{"boot", "serial1", "startup"},
		},
		{
			name:    "an EFI disk without a type gets PVE's default 2m",
			change:  HardwareChange{EFIDisk: &EFIDisk{Storage: "local-lvm"}},
			wantSet: map[string]string{"efidisk0": "local-lvm:1,efitype=2m,pre-enrolled-keys=0"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			set, del := ConfigChange{Hardware: &tt.change}.params()
			if !reflect.DeepEqual(set, tt.wantSet) {
				t.Errorf("set = %v, want %v", set, tt.wantSet)
			}
			if !reflect.DeepEqual(del, tt.wantDel) {
				t.Errorf("delete = %v, want %v", del, tt.wantDel)
			}
		})
	}
}
