package pve

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestConfigChangeParams(t *testing.T) {
	str := func(s string) *string { return &s }
	num := func(n int64) *int64 { return &n }
	flag := func(b bool) *bool { return &b }
	tags := func(t ...string) *[]string { return &t }
	for _, tt := range []struct {
		name     string
		change   ConfigChange
		wantSet  map[string]string
		wantDel  []string
		describe string
	}{
		{name: "nothing", change: ConfigChange{}, wantSet: map[string]string{}, describe: ""},
		{
			name:     "scalars in PVE's encoding",
			change:   ConfigChange{Name: str("web"), Cores: num(2), Sockets: num(1), CPUType: str("host"), MemoryMB: num(2048), OnBoot: flag(true), Protection: flag(false)},
			wantSet:  map[string]string{"name": "web", "cores": "2", "sockets": "1", "cpu": "host", "memory": "2048", "onboot": "1", "protection": "0"},
			describe: "cores, cpu, memory, name, onboot, protection, sockets",
		},
		{
			name:     "tags normalised and joined",
			change:   ConfigChange{Tags: tags("Web", "app", "web")},
			wantSet:  map[string]string{"tags": "app;web"},
			describe: "tags",
		},
		{
			name:     "empty description and tags are deleted",
			change:   ConfigChange{Description: str(""), Tags: tags()},
			wantSet:  map[string]string{},
			wantDel:  []string{"description", "tags"},
			describe: "remove description, remove tags",
		},
		{
			name: "devices, deletions and resizes",
			change: ConfigChange{
				Description: str("notes"),
				Disks:       []Disk{{Interface: "scsi1", Storage: "local-lvm", SizeGB: 8}},
				Networks:    []Network{{Interface: "net0", Model: "virtio", Bridge: "vmbr0", MAC: "BC:24:11:00:00:01", VLAN: 10, Firewall: true}},
				Delete:      []string{"net1", "ide0"},
				Resizes:     []DiskResize{{Interface: "scsi0", SizeGB: 40}},
			},
			wantSet: map[string]string{
				"description": "notes", "scsi1": "local-lvm:8",
				"net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1,tag=10",
			},
			wantDel:  []string{"ide0", "net1"},
			describe: "description, net0, scsi1, remove ide0, remove net1, grow scsi0 to 40 GiB",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			set, del := tt.change.params()
			if !reflect.DeepEqual(set, tt.wantSet) || !reflect.DeepEqual(del, tt.wantDel) {
				t.Errorf("params() = %v, %v; want %v, %v", set, del, tt.wantSet, tt.wantDel)
			}
			if got := tt.change.Describe(); got != tt.describe {
				t.Errorf("Describe() = %q, want %q", got, tt.describe)
			}
			if empty := tt.change.Empty(); empty != (tt.describe == "") {
				t.Errorf("Empty() = %v", empty)
			}
		})
	}
}

func TestApplyConfigChangeRefusesIncompleteDevices(t *testing.T) {
	// Checked before any request: nothing listens on the endpoint.
	c, err := NewClient(context.Background(), Config{Endpoint: "https://127.0.0.1:1", APIToken: "root@pam!t=s"})
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]ConfigChange{
		"disk without storage":  {Disks: []Disk{{Interface: "scsi1", SizeGB: 8}}},
		"disk on a net slot":    {Disks: []Disk{{Interface: "net0", Storage: "local-lvm", SizeGB: 8}}},
		"network without model": {Networks: []Network{{Interface: "net0", Bridge: "vmbr0"}}},
	} {
		if err := c.ApplyConfigChange(context.Background(), "pve", 100, change, ""); err == nil || !strings.Contains(err.Error(), "needs") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
