package pve

import (
	"reflect"
	"sort"
	"testing"
)

func TestNormalizeTags(t *testing.T) {
	tests := []struct {
		in   []string
		want []string
	}{
		{nil, []string{}},
		{[]string{""}, []string{}},
		{[]string{"Web", "db", "web", "DB "}, []string{"db", "web"}},
		{[]string{"b;a,c d", "A"}, []string{"a", "b", "c", "d"}},
		{[]string{"prod;;", " ; ,"}, []string{"prod"}},
		{[]string{"z-1.x+y", "_a"}, []string{"_a", "z-1.x+y"}},
	}
	for _, tt := range tests {
		got := NormalizeTags(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("NormalizeTags(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := formatTags([]string{"Web", "app", "web"}); got != "app;web" {
		t.Errorf("formatTags = %q", got)
	}
	if got := parseTags("web;App db"); !reflect.DeepEqual(got, []string{"app", "db", "web"}) {
		t.Errorf("parseTags = %q", got)
	}
}

func TestParseDisk(t *testing.T) {
	tests := []struct {
		iface, value string
		want         Disk
		ok           bool
	}{
		{"scsi0", "local-lvm:vm-100-disk-0,size=32G",
			Disk{Interface: "scsi0", Storage: "local-lvm", Volume: "vm-100-disk-0", SizeGB: 32}, true},
		{"scsi1", "local-lvm:vm-100-disk-1,iothread=1,size=8G,ssd=1",
			Disk{Interface: "scsi1", Storage: "local-lvm", Volume: "vm-100-disk-1", SizeGB: 8, Options: "iothread=1,ssd=1"}, true},
		{"virtio0", "local:100/vm-100-disk-0.qcow2,cache=writeback,size=512M",
			Disk{Interface: "virtio0", Storage: "local", Volume: "100/vm-100-disk-0.qcow2", SizeGB: 1, Options: "cache=writeback"}, true},
		{"sata0", "ceph:vm-100-disk-2,size=1T",
			Disk{Interface: "sata0", Storage: "ceph", Volume: "vm-100-disk-2", SizeGB: 1024}, true},
		{"scsi2", "local-lvm:vm-100-disk-3,size=1536M",
			Disk{Interface: "scsi2", Storage: "local-lvm", Volume: "vm-100-disk-3", SizeGB: 2}, true},
		{"scsi3", "local-lvm:vm-100-disk-4,size=34359738368",
			Disk{Interface: "scsi3", Storage: "local-lvm", Volume: "vm-100-disk-4", SizeGB: 32}, true},
		{"scsi4", "file=local-lvm:vm-100-disk-5,size=4G",
			Disk{Interface: "scsi4", Storage: "local-lvm", Volume: "vm-100-disk-5", SizeGB: 4}, true},
		{"scsi5", "local-lvm:32,iothread=1",
			Disk{Interface: "scsi5", Storage: "local-lvm", SizeGB: 32, Options: "iothread=1"}, true},
		{"scsi6", "/dev/disk/by-id/ata-X,backup=0,size=100G",
			Disk{Interface: "scsi6", Volume: "/dev/disk/by-id/ata-X", SizeGB: 100, Options: "backup=0"}, true},
		{"ide2", "local:iso/debian.iso,media=cdrom,size=600M", Disk{}, false},
		{"ide2", "none,media=cdrom", Disk{}, false},
		{"ide0", "cdrom", Disk{}, false},
		{"scsi0", "none", Disk{}, false},
		{"scsi0", "", Disk{}, false},
		{"scsi0", "local-lvm:vm-100-disk-0,size=lots", Disk{}, false},
		{"efidisk0", "local-lvm:vm-100-disk-9,size=4M", Disk{}, false},
		{"unused0", "local-lvm:vm-100-disk-7", Disk{}, false},
	}
	for _, tt := range tests {
		got, ok := parseDisk(tt.iface, tt.value)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseDisk(%q, %q) = %+v, %v; want %+v, %v", tt.iface, tt.value, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFormatDisk(t *testing.T) {
	tests := []struct {
		in   Disk
		want string
	}{
		{Disk{Interface: "scsi0", Storage: "local-lvm", SizeGB: 32}, "local-lvm:32"},
		{Disk{Interface: "scsi0", Storage: "local-lvm", SizeGB: 32, Options: "iothread=1,ssd=1"}, "local-lvm:32,iothread=1,ssd=1"},
		{Disk{Interface: "scsi0", Storage: "local-lvm", SizeGB: 32, Volume: "vm-100-disk-0"}, "local-lvm:vm-100-disk-0"},
		{Disk{Interface: "scsi0", Storage: "local-lvm", SizeGB: 32, Volume: "vm-100-disk-0", Options: ",iothread=1"}, "local-lvm:vm-100-disk-0,iothread=1"},
		{Disk{Interface: "scsi0", Volume: "/dev/sdb"}, "/dev/sdb"},
	}
	for _, tt := range tests {
		if got := formatDisk(tt.in); got != tt.want {
			t.Errorf("formatDisk(%+v) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// A new disk round-trips through PVE's new-disk syntax.
	d := Disk{Interface: "virtio1", Storage: "local-lvm", SizeGB: 10, Options: "discard=on"}
	if got, ok := parseDisk(d.Interface, formatDisk(d)); !ok || !reflect.DeepEqual(got, d) {
		t.Errorf("round trip of %+v gave %+v, %v", d, got, ok)
	}
}

func TestParseSizeGB(t *testing.T) {
	tests := map[string]int64{
		"32G": 32, "32g": 32, "0.5G": 1, "1T": 1024, "0.1T": 103, "1024M": 1, "1025M": 2,
		"4M": 1, "1048576K": 1, "1073741824": 1, "1073741825": 2, "0": 0,
	}
	for in, want := range tests {
		got, ok := parseSizeGB(in)
		if !ok || got != want {
			t.Errorf("parseSizeGB(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "G", "abc", "-1G"} {
		if _, ok := parseSizeGB(in); ok {
			t.Errorf("parseSizeGB(%q) accepted", in)
		}
	}
}

func TestParseFormatNetwork(t *testing.T) {
	tests := []struct {
		iface, value string
		want         Network
		ok           bool
		format       string // FormatNetwork(want); "" means value
	}{
		{"net0", "virtio=BC:24:11:0A:0B:0C,bridge=vmbr0,firewall=1,tag=10",
			Network{Interface: "net0", Model: "virtio", MAC: "BC:24:11:0A:0B:0C", Bridge: "vmbr0", Firewall: true, VLAN: 10}, true, ""},
		{"net1", "e1000=BC:24:11:0A:0B:0D,bridge=vmbr1",
			Network{Interface: "net1", Model: "e1000", MAC: "BC:24:11:0A:0B:0D", Bridge: "vmbr1"}, true, ""},
		{"net2", "virtio,bridge=vmbr0,firewall=0",
			Network{Interface: "net2", Model: "virtio", Bridge: "vmbr0"}, true, "virtio,bridge=vmbr0"},
		{"net3", "virtio=BC:24:11:0A:0B:0E,bridge=vmbr0,mtu=1500,queues=4",
			Network{Interface: "net3", Model: "virtio", MAC: "BC:24:11:0A:0B:0E", Bridge: "vmbr0", MTU: 1500, Options: "queues=4"}, true, ""},
		{"net4", "model=vmxnet3,macaddr=BC:24:11:0A:0B:0F,bridge=vmbr0",
			Network{Interface: "net4", Model: "vmxnet3", MAC: "BC:24:11:0A:0B:0F", Bridge: "vmbr0"}, true, "vmxnet3=BC:24:11:0A:0B:0F,bridge=vmbr0"},
		{"net5", "bridge=vmbr0", Network{}, false, ""},
		{"net6", "virtio,tag=x", Network{}, false, ""},
		{"scsi0", "virtio,bridge=vmbr0", Network{}, false, ""},
	}
	for _, tt := range tests {
		got, ok := parseNetwork(tt.iface, tt.value)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseNetwork(%q, %q) = %+v, %v; want %+v, %v", tt.iface, tt.value, got, ok, tt.want, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		want := tt.format
		if want == "" {
			want = tt.value
		}
		if f := formatNetwork(got); f != want {
			t.Errorf("formatNetwork(%+v) = %q, want %q", got, f, want)
		}
	}
	if got := formatNetwork(Network{Model: "virtio", Bridge: "vmbr0", Firewall: true, VLAN: 20}); got != "virtio,bridge=vmbr0,firewall=1,tag=20" {
		t.Errorf("new NIC without MAC: %q", got)
	}
}

func TestInterfaceOrder(t *testing.T) {
	got := []string{"scsi10", "virtio0", "scsi2", "ide0", "sata1", "scsi0", "net10", "net9"}
	sort.Slice(got, func(i, j int) bool { return interfaceLess(got[i], got[j]) })
	want := []string{"ide0", "net9", "net10", "sata1", "scsi0", "scsi2", "scsi10", "virtio0"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
