package provider

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

func ptr[T any](v T) *T { return &v }

func TestMapBPGState(t *testing.T) {
	full := `{
		"id": "120", "vm_id": 120, "node_name": "pve2", "name": "monitoring-prometheus",
		"description": "prom", "tags": ["monitoring", "prod"],
		"cpu": [{"cores": 4, "sockets": 2, "type": "host", "numa": false}],
		"memory": [{"dedicated": 4096, "floating": 0}],
		"disk": [{"interface": "scsi0", "datastore_id": "local-lvm", "size": 32, "path_in_datastore": "vm-120-disk-0"},
		         {"interface": "virtio1", "datastore_id": "ceph", "size": 100, "path_in_datastore": "vm-120-disk-1"}],
		"network_device": [{"bridge": "vmbr0", "model": "virtio", "mac_address": "bc:24:11:00:00:01", "vlan_id": 0, "firewall": true, "enabled": true},
		                   null,
		                   {"bridge": "vmbr1", "model": "e1000", "mac_address": "", "vlan_id": 20, "firewall": false, "enabled": true},
		                   {"bridge": "vmbr2", "model": "virtio", "enabled": false}],
		"on_boot": false, "started": false, "protection": true, "template": false,
		"smbios": [{"uuid": "5d3e1c4a-0000-4000-8000-000000000001"}],
		"agent": [{"enabled": true}], "bios": "ovmf", "kvm_arguments": ""
	}`
	for _, tc := range []struct {
		name     string
		raw      string
		want     *movedVM
		problems []string
	}{
		{name: "full state", raw: full, want: &movedVM{
			VMID: 120, Node: "pve2", Name: "monitoring-prometheus", Description: ptr("prom"),
			Tags: []string{"monitoring", "prod"}, Cores: 4, Sockets: 2, CPUType: "host", MemoryMB: 4096,
			Disks: map[string]movedDisk{
				"scsi0":   {Storage: "local-lvm", SizeGB: 32, Volume: "vm-120-disk-0"},
				"virtio1": {Storage: "ceph", SizeGB: 100, Volume: "vm-120-disk-1"},
			},
			Networks: map[string]movedNetwork{
				"net0": {Bridge: "vmbr0", Model: "virtio", MAC: "bc:24:11:00:00:01", Firewall: true},
				"net2": {Bridge: "vmbr1", Model: "e1000", VLAN: 20},
			},
			Protection: true, UUID: "5d3e1c4a-0000-4000-8000-000000000001",
		}},
		{name: "bpg defaults for what the state lacks", raw: `{"id": "130", "node_name": "pve", "name": "web"}`, want: &movedVM{
			VMID: 130, Node: "pve", Name: "web", Tags: []string{}, CPUType: "qemu64", MemoryMB: 512,
			Started: true, OnBoot: true, Disks: map[string]movedDisk{}, Networks: map[string]movedNetwork{},
		}},
		{name: "two disks on one interface",
			raw: `{"vm_id": 120, "node_name": "pve", "name": "db", "disk": [
				{"interface": "scsi0", "datastore_id": "local-lvm", "size": 8},
				{"interface": "scsi0", "datastore_id": "local", "size": 16}]}`,
			problems: []string{"several disks use interface scsi0"}},
		{name: "a disk interface we do not manage",
			raw:      `{"vm_id": 120, "node_name": "pve", "name": "db", "disk": [{"interface": "scsi31", "datastore_id": "local", "size": 8}]}`,
			problems: []string{`disk interface "scsi31"`}},
		{name: "identity missing", raw: `{"vm_id": 0, "node_name": "", "name": ""}`,
			problems: []string{"vm_id is missing", "node_name is missing", "name is empty"}},
		{name: "invalid name", raw: `{"vm_id": 120, "node_name": "pve", "name": "my_vm"}`,
			problems: []string{`name "my_vm" is not a valid DNS name`}},
		{name: "template", raw: `{"vm_id": 9000, "node_name": "pve", "name": "base", "template": true}`,
			problems: []string{"it is a template"}},
		{name: "network device without bridge",
			raw:      `{"vm_id": 120, "node_name": "pve", "name": "db", "network_device": [{"bridge": "", "model": "virtio", "enabled": true}]}`,
			problems: []string{"network device net0 has no bridge"}},
		{name: "not JSON", raw: `{`, problems: []string{"not valid JSON"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, problems := mapBPGState([]byte(tc.raw))
			checkProblems(t, problems, tc.problems)
			if tc.want != nil && !reflect.DeepEqual(got, *tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, *tc.want)
			}
		})
	}
}

func TestMapTelmateState(t *testing.T) {
	for _, tc := range []struct {
		name     string
		raw      string
		want     *movedVM
		problems []string
	}{
		{name: "v3 with disk blocks",
			raw: `{"vmid": 140, "target_node": "pve", "current_node": "pve2", "name": "grafana", "description": "dash",
				"tags": "prod;monitoring", "memory": 2048,
				"cpu": [{"cores": 2, "sockets": 1, "type": "x86-64-v2-AES"}],
				"disk": [{"slot": "scsi0", "type": "disk", "storage": "local-lvm", "size": "20G"},
				         {"slot": "ide2", "type": "cloudinit", "storage": "local-lvm", "size": ""},
				         {"slot": "ide0", "type": "cdrom", "size": ""}],
				"network": [{"id": 1, "bridge": "vmbr0", "model": "virtio", "macaddr": "BC:24:11:00:00:02", "tag": 30, "firewall": true}],
				"start_at_node_boot": true, "power_state": "stopped", "protection": false,
				"smbios": [{"uuid": "uuid-1"}], "agent": 1}`,
			want: &movedVM{
				VMID: 140, Node: "pve2", Name: "grafana", Description: ptr("dash"), Tags: []string{"monitoring", "prod"},
				Cores: 2, Sockets: 1, CPUType: "x86-64-v2-AES", MemoryMB: 2048,
				Disks:    map[string]movedDisk{"scsi0": {Storage: "local-lvm", SizeGB: 20}},
				Networks: map[string]movedNetwork{"net1": {Bridge: "vmbr0", Model: "virtio", MAC: "BC:24:11:00:00:02", VLAN: 30, Firewall: true}},
				OnBoot:   true, UUID: "uuid-1",
			}},
		{name: "v3 with nested disks",
			raw: `{"vmid": 141, "target_node": "pve", "name": "loki", "memory": 1024, "vm_state": "running",
				"disks": [{"scsi": [{"scsi0": [{"disk": [{"size": "1T", "storage": "ceph"}]}], "scsi1": [{"disk": [{"size": "32", "storage": "local"}]}]}],
				           "ide": [{"ide2": [{"cloudinit": [{"storage": "local-lvm"}]}]}]}]}`,
			want: &movedVM{
				VMID: 141, Node: "pve", Name: "loki", Tags: []string{}, MemoryMB: 1024, Started: true,
				Disks:    map[string]movedDisk{"scsi0": {Storage: "ceph", SizeGB: 1024}, "scsi1": {Storage: "local", SizeGB: 32}},
				Networks: map[string]movedNetwork{},
			}},
		{name: "v2 attributes",
			raw: `{"vmid": 150, "target_node": "pve", "name": "old", "desc": "from v2", "tags": "a,b", "memory": 512,
				"cores": 3, "sockets": 2, "cpu": "host", "onboot": true,
				"disk": [{"type": "virtio", "slot": 0, "storage": "local-lvm", "size": "10240M"}],
				"network": [{"bridge": "vmbr0", "model": "e1000", "macaddr": "", "tag": -1, "firewall": false}]}`,
			want: &movedVM{
				VMID: 150, Node: "pve", Name: "old", Description: ptr("from v2"), Tags: []string{"a", "b"},
				Cores: 3, Sockets: 2, CPUType: "host", MemoryMB: 512, OnBoot: true, Started: true,
				Disks:    map[string]movedDisk{"virtio0": {Storage: "local-lvm", SizeGB: 10}},
				Networks: map[string]movedNetwork{"net0": {Bridge: "vmbr0", Model: "e1000"}},
			}},
		{name: "two disks in one slot",
			raw: `{"vmid": 150, "target_node": "pve", "name": "old", "disk": [
				{"slot": "scsi0", "type": "disk", "storage": "a", "size": "8G"},
				{"slot": "scsi0", "type": "disk", "storage": "b", "size": "8G"}]}`,
			problems: []string{"several disks use interface scsi0"}},
		{name: "size in MiB rounds up to GiB",
			raw: `{"vmid": 150, "target_node": "pve", "name": "old", "disk": [{"slot": "scsi0", "storage": "a", "size": "1536M"}]}`,
			want: &movedVM{VMID: 150, Node: "pve", Name: "old", Tags: []string{}, Started: true,
				Disks: map[string]movedDisk{"scsi0": {Storage: "a", SizeGB: 2}}, Networks: map[string]movedNetwork{}}},
		{name: "size that is no size",
			raw:      `{"vmid": 150, "target_node": "pve", "name": "old", "disk": [{"slot": "scsi0", "storage": "a", "size": "big"}]}`,
			problems: []string{`size "big" is not a disk size`}},
		{name: "passthrough disk",
			raw:      `{"vmid": 150, "target_node": "pve", "name": "old", "disks": [{"sata": [{"sata0": [{"passthrough": [{"file": "/dev/sdb"}]}]}]}]}`,
			problems: []string{"disk sata0 passes a host device through"}},
		{name: "unknown node", raw: `{"vmid": 150, "name": "old"}`, problems: []string{"target_node is missing"}},
		{name: "disk without slot",
			raw:      `{"vmid": 150, "target_node": "pve", "name": "old", "disk": [{"type": "scsi", "storage": "a", "size": "8G"}]}`,
			problems: []string{"disk block 0 has no slot"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, problems := mapTelmateState([]byte(tc.raw))
			checkProblems(t, problems, tc.problems)
			if tc.want != nil && !reflect.DeepEqual(got, *tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, *tc.want)
			}
		})
	}
}

func checkProblems(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("problems %q, want %d containing %q", got, len(want), want)
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("problem %d is %q, want it to contain %q", i, got[i], want[i])
		}
	}
}

func TestMovedSourceMatches(t *testing.T) {
	for _, tc := range []struct {
		source       movedSource
		address, typ string
		matches      bool
	}{
		{bpgVMSource, "registry.terraform.io/bpg/proxmox", "proxmox_virtual_environment_vm", true},
		{bpgVMSource, "registry.opentofu.org/bpg/proxmox", "proxmox_virtual_environment_vm", true},
		{bpgVMSource, "registry.terraform.io/bpg/proxmox", "proxmox_virtual_environment_container", false},
		{bpgVMSource, "registry.terraform.io/telmate/proxmox", "proxmox_virtual_environment_vm", false},
		{telmateVMSource, "registry.terraform.io/Telmate/proxmox", "proxmox_vm_qemu", true},
		{telmateVMSource, "registry.terraform.io/notbpg/proxmox", "proxmox_vm_qemu", false},
	} {
		if got := tc.source.matches(tc.address, tc.typ); got != tc.matches {
			t.Errorf("%s matches(%s, %s) = %v, want %v", tc.source.typeName, tc.address, tc.typ, got, tc.matches)
		}
	}
}

func TestMovedVMModel(t *testing.T) {
	vm, problems := mapBPGState([]byte(`{"vm_id": 120, "node_name": "pve", "name": "db", "started": true,
		"network_device": [{"bridge": "vmbr0", "model": "virtio", "mac_address": "bc:24:11:00:00:01", "enabled": true}]}`))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	var diags diag.Diagnostics
	m := vm.model(context.Background(), &diags)
	if diags.HasError() {
		t.Fatal(diags)
	}
	nets := m.networks(context.Background(), &diags)
	if m.ID.ValueString() != "120" || m.Status.ValueString() != "running" || !m.OnExisting.IsNull() ||
		nets["net0"].MAC.ValueString() != "BC:24:11:00:00:01" || !nets["net0"].VLAN.IsNull() {
		t.Errorf("model = %+v, networks %+v", m, nets)
	}
}
