package pve

import (
	"reflect"
	"testing"
)

// Which changes wait on a running VM (qemu-server src/PVE/QemuServer.pm
// vmconfig_hotplug_pending with the default hotplug "network,disk,usb").
func TestWaitsForRestart(t *testing.T) {
	i := func(v int64) *int64 { return &v }
	s := func(v string) *string { return &v }
	b := func(v bool) *bool { return &v }
	running := map[string]string{
		"memory": "2048", "cores": "2", "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0",
		"scsi0": "local-lvm:vm-100-disk-0,size=32G", "ide0": "local-lvm:vm-100-disk-1,size=8G", "agent": "1",
	}
	for _, tc := range []struct {
		name    string
		change  ConfigChange
		current map[string]string
		want    []string
	}{
		{"fast plug options", ConfigChange{Name: s("x"), Description: s("d"), OnBoot: b(true), Protection: b(true), Tags: &[]string{"a"}}, running, nil},
		{"cpu and memory", ConfigChange{Cores: i(4), Sockets: i(2), CPUType: s("host"), MemoryMB: i(4096)}, running, []string{"cores", "cpu", "memory", "sockets"}},
		{"memory with memory hotplug and NUMA", ConfigChange{MemoryMB: i(4096)},
			map[string]string{"hotplug": "network,disk,memory", "numa": "1"}, nil},
		{"memory hotplug without NUMA", ConfigChange{MemoryMB: i(4096)}, map[string]string{"hotplug": "memory"}, []string{"memory"}},
		{"bridge changes online", ConfigChange{Networks: []Network{{Interface: "net0", Model: "virtio", MAC: "BC:24:11:00:00:01", Bridge: "vmbr1"}}}, running, nil},
		{"model change needs the network feature", ConfigChange{Networks: []Network{{Interface: "net0", Model: "e1000", MAC: "BC:24:11:00:00:01", Bridge: "vmbr0"}}},
			map[string]string{"hotplug": "disk", "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0"}, []string{"net0"}},
		{"new scsi disk hotplugs, new sata disk waits", ConfigChange{Disks: []Disk{{Interface: "scsi1", Storage: "local-lvm", SizeGB: 8}, {Interface: "sata1", Storage: "local-lvm", SizeGB: 8}}}, running, []string{"sata1"}},
		{"detaching ide waits", ConfigChange{Delete: []string{"ide0", "scsi0"}}, running, []string{"ide0"}},
		{"agent trim online", ConfigChange{Agent: &Agent{Enabled: true, FstrimClonedDisks: true}}, running, nil},
		{"agent type waits", ConfigChange{Agent: &Agent{Enabled: true, Type: "isa"}}, running, []string{"agent"}},
		{"agent enabled waits", ConfigChange{Agent: &Agent{Enabled: true}}, map[string]string{"agent": "0"}, []string{"agent"}},
		{"hotplug 0 disables all", ConfigChange{Disks: []Disk{{Interface: "scsi1", Storage: "local-lvm", SizeGB: 8}}}, map[string]string{"hotplug": "0"}, []string{"scsi1"}},
	} {
		if got := tc.change.WaitsForRestart(tc.current); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
