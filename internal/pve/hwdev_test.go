package pve

import (
	"net/url"
	"reflect"
	"testing"
)

func TestDiskOptions(t *testing.T) {
	tests := []struct {
		options string
		want    DiskOptions
	}{
		{"", DiskOptions{}},
		{"discard=ignore,iothread=0,ssd=0,backup=1,replicate=1", DiskOptions{}},
		{"discard=on,iothread=1,ssd=on,cache=writeback,backup=0,replicate=no",
			DiskOptions{Discard: true, IOThread: true, SSD: true, Cache: "writeback", NoBackup: true, NoReplicate: true}},
		{"aio=native,iothread=yes,serial=abc", DiskOptions{IOThread: true}},
	}
	for _, tt := range tests {
		if got := (Disk{Options: tt.options}).ManagedOptions(); got != tt.want {
			t.Errorf("ManagedOptions(%q) = %+v, want %+v", tt.options, got, tt.want)
		}
	}
	d := Disk{Interface: "scsi0", Storage: "local-lvm", Volume: "vm-100-disk-0", SizeGB: 32, Options: "aio=native,iothread=1,ssd=1,backup=0"}
	got := d.WithOptions(DiskOptions{Discard: true, Cache: "none"})
	if want := "local-lvm:vm-100-disk-0,aio=native,cache=none,discard=on"; formatDisk(got) != want {
		t.Errorf("WithOptions: formatDisk = %q, want %q", formatDisk(got), want)
	}
	if back := got.ManagedOptions(); back != (DiskOptions{Discard: true, Cache: "none"}) {
		t.Errorf("round trip: %+v", back)
	}
	newDisk := Disk{Interface: "virtio0", Storage: "local-lvm", SizeGB: 8}.WithOptions(DiskOptions{IOThread: true, NoReplicate: true})
	if want := "local-lvm:8,iothread=1,replicate=0"; formatDisk(newDisk) != want {
		t.Errorf("new disk: %q, want %q", formatDisk(newDisk), want)
	}
	for iface, want := range map[string][2]bool{"scsi3": {true, true}, "virtio1": {true, false}, "sata0": {false, true}, "ide0": {false, true}} {
		if io, ssd := DiskOptionsAllowed(iface); io != want[0] || ssd != want[1] {
			t.Errorf("DiskOptionsAllowed(%s) = %v, %v; want %v", iface, io, ssd, want)
		}
	}
}

func TestNetworkLimits(t *testing.T) {
	n, ok := parseNetwork("net0", "virtio=BC:24:11:00:00:01,bridge=vmbr0,mtu=1,rate=12.5")
	if !ok || n.MTU != 1 || n.Rate != 12.5 || n.Options != "" {
		t.Fatalf("parseNetwork = %+v, %v", n, ok)
	}
	if got, want := formatNetwork(n), "virtio=BC:24:11:00:00:01,bridge=vmbr0,mtu=1,rate=12.5"; got != want {
		t.Errorf("formatNetwork = %q, want %q", got, want)
	}
	n.Rate, n.MTU = 100, 0
	if got, want := formatNetwork(n), "virtio=BC:24:11:00:00:01,bridge=vmbr0,rate=100"; got != want {
		t.Errorf("formatNetwork = %q, want %q", got, want)
	}
	if bad, _ := parseNetwork("net0", "virtio,bridge=vmbr0,mtu=x"); bad.MTU != 0 || bad.Options != "mtu=x" {
		t.Errorf("unreadable mtu: %+v", bad)
	}
}

func TestCDROM(t *testing.T) {
	cfg := map[string]string{
		"ide3":  "local:iso/debian-12.iso,media=cdrom,size=628M",
		"ide0":  "none,media=cdrom",
		"sata1": "cdrom,media=cdrom",
		"ide2":  "local-lvm:vm-100-cloudinit,media=cdrom",
		"scsi0": "local-lvm:vm-100-disk-0,size=8G",
	}
	want := []CDROM{{"ide0", CDROMEmpty}, {"ide3", "local:iso/debian-12.iso"}, {"sata1", CDROMPhysical}}
	if got := parseCDROMs(cfg); !reflect.DeepEqual(got, want) {
		t.Errorf("parseCDROMs = %+v, want %+v", got, want)
	}
	set, _ := ConfigChange{CDROMs: []CDROM{{"ide3", "none"}}}.params()
	if set["ide3"] != "none,media=cdrom" {
		t.Errorf("params = %v", set)
	}
	if err := checkDriveChanges(ConfigChange{CDROMs: []CDROM{{"virtio0", "none"}}}); err == nil {
		t.Error("a CD-ROM on virtio passed")
	}
	if _, err := createParams(CreateSpec{VMID: 100, Node: "pve", Disks: []Disk{{Interface: "ide3", Storage: "local-lvm", SizeGB: 1}},
		CDROMs: []CDROM{{"ide3", "none"}}}); err == nil {
		t.Error("a CD-ROM on a disk's interface passed")
	}
}

func TestPoolParams(t *testing.T) {
	p, err := createParams(CreateSpec{VMID: 100, Node: "pve", Pool: "monitoring"})
	if err != nil || p.Get("pool") != "monitoring" {
		t.Fatalf("createParams pool = %q, %v", p.Get("pool"), err)
	}
	c, err := cloneParams(CloneSpec{SourceNode: "pve", SourceVMID: 100, NewID: 101, Full: true, Pool: "team/monitoring"})
	if err != nil || c.Get("pool") != "team/monitoring" {
		t.Fatalf("cloneParams pool = %q, %v", c.Get("pool"), err)
	}
	if p, _ := createParams(CreateSpec{VMID: 100, Node: "pve"}); p.Has("pool") {
		t.Error("a VM without pool sends pool")
	}
	q := url.Values{}
	if got := poolPath("monitoring", q); got != "/pools/monitoring" || q.Has("poolid") {
		t.Errorf("poolPath(top level) = %q, %v", got, q)
	}
	if got := poolPath("team/monitoring", q); got != "/pools" || q.Get("poolid") != "team/monitoring" {
		t.Errorf("poolPath(nested) = %q, %v", got, q)
	}
}
