package pve

import (
	"encoding/json"
	"reflect"
	"testing"
)

// A config as PVE 8 returns it: numbers and booleans typed, memory a string.
const sampleConfig = `{
	"name": "web-01",
	"description": "front end\nsecond line",
	"tags": "prod;web",
	"cores": 4,
	"sockets": 2,
	"cpu": "x86-64-v2-AES,flags=+aes",
	"memory": "4096",
	"onboot": 1,
	"protection": 0,
	"smbios1": "uuid=5c1b5d1e-2f7e-4a43-9c1e-7f0b0a1c2d3e,manufacturer=QkVNVQ==",
	"meta": "creation-qemu=8.1.5,ctime=1712345678",
	"vmgenid": "0b0f0c52-3f0f-4e43-8a2b-1d4f0e5a6b7c",
	"digest": "3c5f1b2a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a",
	"scsihw": "virtio-scsi-single",
	"scsi10": "local-lvm:vm-100-disk-2,size=1T",
	"scsi0": "local-lvm:vm-100-disk-0,iothread=1,size=32G",
	"scsi2": "local-lvm:vm-100-disk-1,size=8G",
	"ide2": "local:iso/debian-12.iso,media=cdrom,size=628M",
	"net1": "e1000=BC:24:11:00:00:02,bridge=vmbr1",
	"net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1,tag=10",
	"balloon": 0,
	"numa": false,
	"agent": true,
	"unknown": null
}`

func TestParseVMConfig(t *testing.T) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(sampleConfig), &raw); err != nil {
		t.Fatal(err)
	}
	vm := parseVMConfig("pve1", 100, stringMap(raw))
	want := &VM{
		VMID: 100, Node: "pve1", Name: "web-01", Description: "front end\nsecond line",
		Tags: []string{"prod", "web"}, Cores: 4, Sockets: 2, CPUType: "x86-64-v2-AES", MemoryMB: 4096,
		Disks: []Disk{
			{Interface: "scsi0", Storage: "local-lvm", Volume: "vm-100-disk-0", SizeGB: 32, Options: "iothread=1"},
			{Interface: "scsi2", Storage: "local-lvm", Volume: "vm-100-disk-1", SizeGB: 8},
			{Interface: "scsi10", Storage: "local-lvm", Volume: "vm-100-disk-2", SizeGB: 1024},
		},
		Networks: []Network{
			{Interface: "net0", Model: "virtio", MAC: "BC:24:11:00:00:01", Bridge: "vmbr0", Firewall: true, VLAN: 10},
			{Interface: "net1", Model: "e1000", MAC: "BC:24:11:00:00:02", Bridge: "vmbr1"},
		},
		CDROMs: []CDROM{{Interface: "ide2", File: "local:iso/debian-12.iso"}},
		OnBoot: true, UUID: "5c1b5d1e-2f7e-4a43-9c1e-7f0b0a1c2d3e", CreatedAt: 1712345678,
		Digest:   "3c5f1b2a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a",
		Hardware: parseHardware(map[string]string{"scsihw": "virtio-scsi-single"}), // hardware_test.go tests the parts
		// No cloud-init drive or options: PVE's defaults (cloudinit_test.go
		// tests the parts).
		CloudInit: parseCloudInit(map[string]string{}),
	}
	raw2 := vm.Raw
	vm.Raw = nil
	if !reflect.DeepEqual(vm, want) {
		t.Errorf("got  %+v\nwant %+v", vm, want)
	}
	for k, v := range map[string]string{"memory": "4096", "cores": "4", "onboot": "1", "balloon": "0", "numa": "0", "agent": "1", "scsihw": "virtio-scsi-single"} {
		if raw2[k] != v {
			t.Errorf("Raw[%q] = %q, want %q", k, raw2[k], v)
		}
	}
	if _, ok := raw2["unknown"]; ok {
		t.Error("null values must not appear in Raw")
	}
}

func TestParseVMConfigFlags(t *testing.T) {
	tests := []struct {
		name  string
		cfg   map[string]string
		check func(*VM) bool
	}{
		{"template 1", map[string]string{"template": "1"}, func(v *VM) bool { return v.Template }},
		{"template 0 is no template", map[string]string{"template": "0"}, func(v *VM) bool { return !v.Template }},
		{"no template key", map[string]string{}, func(v *VM) bool { return !v.Template }},
		{"protection", map[string]string{"protection": "1"}, func(v *VM) bool { return v.Protection }},
		{"lock", map[string]string{"lock": "create"}, func(v *VM) bool { return v.Lock == "create" }},
		{"defaults", map[string]string{}, func(v *VM) bool {
			return v.Cores == 1 && v.Sockets == 1 && v.MemoryMB == 512 && v.CPUType == "" && v.CreatedAt == 0 && v.UUID == "" && len(v.Tags) == 0
		}},
		{"memory current=", map[string]string{"memory": "current=2048"}, func(v *VM) bool { return v.MemoryMB == 2048 }},
		{"cputype=", map[string]string{"cpu": "cputype=host,flags=+pdpe1gb"}, func(v *VM) bool { return v.CPUType == "host" }},
		{"cpu flags first", map[string]string{"cpu": "flags=+aes,cputype=kvm64"}, func(v *VM) bool { return v.CPUType == "kvm64" }},
		{"uuid not first", map[string]string{"smbios1": "manufacturer=x,uuid=abc"}, func(v *VM) bool { return v.UUID == "abc" }},
		{"meta without ctime", map[string]string{"meta": "creation-qemu=8.1.5"}, func(v *VM) bool { return v.CreatedAt == 0 }},
		{"tags with commas", map[string]string{"tags": "B,a c"}, func(v *VM) bool { return reflect.DeepEqual(v.Tags, []string{"a", "b", "c"}) }},
	}
	for _, tt := range tests {
		if vm := parseVMConfig("n", 100, tt.cfg); !tt.check(vm) {
			t.Errorf("%s: got %+v", tt.name, vm)
		}
	}
}

func TestFlexTypes(t *testing.T) {
	for in, want := range map[string]int64{`100`: 100, `"100"`: 100, `12.0`: 12, `null`: 0, `true`: 1} {
		var f flexInt
		if err := json.Unmarshal([]byte(in), &f); err != nil || int64(f) != want {
			t.Errorf("flexInt(%s) = %d, %v; want %d", in, f, err, want)
		}
	}
	var f flexInt
	if err := json.Unmarshal([]byte(`"abc"`), &f); err == nil {
		t.Error(`flexInt("abc") accepted`)
	}
	for in, want := range map[string]bool{`1`: true, `0`: false, `"1"`: true, `true`: true, `false`: false, `null`: false} {
		var b flexBool
		if err := json.Unmarshal([]byte(in), &b); err != nil || bool(b) != want {
			t.Errorf("flexBool(%s) = %v, %v; want %v", in, b, err, want)
		}
	}
}
