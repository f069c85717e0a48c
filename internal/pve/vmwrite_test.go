package pve

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestCreateParams(t *testing.T) {
	spec := CreateSpec{
		VMID: 123, Node: "pve1", Name: "web-01", Description: "hello", Tags: []string{"Web", "prod", "web"},
		Cores: 2, Sockets: 1, CPUType: "host", MemoryMB: 2048,
		Disks: []Disk{
			{Interface: "scsi0", Storage: "local-lvm", SizeGB: 32, Options: "iothread=1"},
			{Interface: "scsi1", Storage: "local-lvm", SizeGB: 8},
		},
		Networks:   []Network{{Interface: "net0", Model: "virtio", Bridge: "vmbr0", Firewall: true, VLAN: 10}},
		OnBoot:     true,
		Protection: false,
	}
	got, err := createParams(spec)
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"vmid": {"123"}, "name": {"web-01"}, "description": {"hello"}, "tags": {"prod;web"},
		"cores": {"2"}, "sockets": {"1"}, "cpu": {"host"}, "memory": {"2048"},
		"scsi0": {"local-lvm:32,iothread=1"}, "scsi1": {"local-lvm:8"},
		"net0":   {"virtio,bridge=vmbr0,firewall=1,tag=10"},
		"onboot": {"1"}, "protection": {"0"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	for k, v := range got {
		if v[0] == "true" || v[0] == "false" {
			t.Errorf("%s = %q: PVE wants 0/1", k, v[0])
		}
	}

	bad := map[string]func(*CreateSpec){
		"no vmid":       func(s *CreateSpec) { s.VMID = 0 },
		"vmid too low":  func(s *CreateSpec) { s.VMID = 99 },
		"no node":       func(s *CreateSpec) { s.Node = "" },
		"bad disk slot": func(s *CreateSpec) { s.Disks[0].Interface = "disk0" },
		"disk twice":    func(s *CreateSpec) { s.Disks[1].Interface = "scsi0" },
		"disk no size":  func(s *CreateSpec) { s.Disks[0].SizeGB = 0 },
		"disk no store": func(s *CreateSpec) { s.Disks[0].Storage = "" },
		"bad net slot":  func(s *CreateSpec) { s.Networks[0].Interface = "eth0" },
		"net no model":  func(s *CreateSpec) { s.Networks[0].Model = "" },
		"net twice":     func(s *CreateSpec) { s.Networks = append(s.Networks, s.Networks[0]) },
	}
	for name, mod := range bad {
		s := spec
		s.Disks = append([]Disk(nil), spec.Disks...)
		s.Networks = append([]Network(nil), spec.Networks...)
		mod(&s)
		if _, err := createParams(s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCloneParams(t *testing.T) {
	got, err := cloneParams(CloneSpec{SourceNode: "pve1", SourceVMID: 9000, NewID: 150, TargetNode: "pve2", Name: "c1", Full: true, Storage: "local-lvm"})
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"newid": {"150"}, "name": {"c1"}, "target": {"pve2"}, "full": {"1"}, "storage": {"local-lvm"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	got, err = cloneParams(CloneSpec{SourceNode: "pve1", SourceVMID: 9000, NewID: 150, TargetNode: "pve1"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (url.Values{"newid": {"150"}, "full": {"0"}}); !reflect.DeepEqual(got, want) {
		t.Errorf("linked clone on the same node: got %v, want %v", got, want)
	}
	for name, spec := range map[string]CloneSpec{
		"no new id":        {SourceNode: "pve1", SourceVMID: 9000},
		"no source":        {NewID: 150},
		"storage + linked": {SourceNode: "pve1", SourceVMID: 9000, NewID: 150, Storage: "local-lvm"},
	} {
		if _, err := cloneParams(spec); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestConfigParams(t *testing.T) {
	got, err := configParams(map[string]string{"cores": "4", "onboot": "1"}, []string{"tags", "", "description"}, "abc")
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"cores": {"4"}, "onboot": {"1"}, "delete": {"tags,description"}, "digest": {"abc"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got, err := configParams(nil, nil, "abc"); err != nil || len(got) != 0 {
		t.Errorf("nothing to change: %v, %v", got, err)
	}
	for _, tt := range []struct {
		set    map[string]string
		remove []string
		part   string
	}{
		{map[string]string{"delete": "x"}, nil, "delete"},
		{map[string]string{"digest": "x"}, nil, "digest"},
		{map[string]string{"cores": "1"}, []string{"cores"}, "both"},
	} {
		if _, err := configParams(tt.set, tt.remove, ""); err == nil || !strings.Contains(err.Error(), tt.part) {
			t.Errorf("configParams(%v, %v): %v", tt.set, tt.remove, err)
		}
	}
}
