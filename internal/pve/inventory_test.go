package pve

import (
	"context"
	"net/http"
	"reflect"
	"testing"
)

func TestInventoryVM(t *testing.T) {
	tests := []struct {
		in   resourceEntry
		want InventoryVM
		ok   bool
	}{
		{
			resourceEntry{ID: "qemu/100", VMID: 100, Node: "pve", Type: "qemu", Name: "web", Status: "running", Template: false, Tags: "B;a", Uptime: 42, Lock: "backup"},
			InventoryVM{VMID: 100, Node: "pve", Name: "web", NameKnown: true, Type: "qemu", Status: "running", Tags: []string{"a", "b"}, Uptime: 42, Lock: "backup"},
			true,
		},
		{
			// Fresh VM: no name, status unknown, vmid only in the id.
			resourceEntry{ID: "qemu/101", Node: "pve", Status: "unknown"},
			InventoryVM{VMID: 101, Node: "pve", Type: "qemu", Status: "unknown", Tags: []string{}},
			true,
		},
		{
			resourceEntry{ID: "lxc/102", VMID: 102, Node: "pve", Type: "lxc", Name: "ct", Template: true},
			InventoryVM{VMID: 102, Node: "pve", Name: "ct", NameKnown: true, Type: "lxc", Template: true, Tags: []string{}},
			true,
		},
		{resourceEntry{ID: "storage/pve/local", Type: "storage", Node: "pve"}, InventoryVM{}, false},
		{resourceEntry{ID: "node/pve", Type: "node", Node: "pve"}, InventoryVM{}, false},
		{resourceEntry{ID: "qemu/x", Node: "pve"}, InventoryVM{}, false},
	}
	for _, tt := range tests {
		got, ok := inventoryVM(tt.in)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("inventoryVM(%+v) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCanSeeAllVMs(t *testing.T) {
	tests := []struct {
		perms string
		want  bool
	}{
		{`{"/":{"VM.Audit":1,"Sys.Audit":1}}`, true},
		{`{"/vms":{"VM.Audit":1}}`, true},
		{`{"/vms":{"VM.Audit":0}}`, false},
		{`{"/vms/100":{"VM.Audit":1},"/pool/x":{"VM.Audit":1}}`, false},
		{`{"/":{"Sys.Audit":1}}`, false},
		{`{}`, false},
	}
	for _, tt := range tests {
		var gotPath string
		_, c := newFakePVE(t, func(r *http.Request, _ string) (int, string, string) {
			gotPath = r.URL.Path
			return 200, "OK", `{"data":` + tt.perms + `}`
		})
		got, err := c.CanSeeAllVMs(context.Background())
		if err != nil || got != tt.want {
			t.Errorf("CanSeeAllVMs with %s = %v, %v; want %v", tt.perms, got, err, tt.want)
		}
		if gotPath != "/api2/json/access/permissions" {
			t.Errorf("asked %s", gotPath)
		}
	}
}

func TestBeingCreated(t *testing.T) {
	for _, tt := range []struct {
		name string
		vm   InventoryVM
		want bool
	}{
		{"fresh create, no name listed", InventoryVM{VMID: 200, Lock: "create"}, true},
		{"clone, config without a name yet", InventoryVM{VMID: 200, Lock: "clone", NameKnown: true}, true},
		// qemu-server's vmstatus lists a nameless config as "VM <vmid>".
		{"clone listed under PVE's stand-in name", InventoryVM{VMID: 200, Lock: "clone", Name: "VM 200", NameKnown: true}, true},
		{"create finished writing the name", InventoryVM{VMID: 200, Lock: "create", Name: "web", NameKnown: true}, false},
		{"another VM's stand-in is a name", InventoryVM{VMID: 200, Lock: "clone", Name: "VM 201", NameKnown: true}, false},
		{"other locks", InventoryVM{VMID: 200, Lock: "backup"}, false},
		{"not locked", InventoryVM{VMID: 200}, false},
	} {
		if got := tt.vm.BeingCreated(); got != tt.want {
			t.Errorf("%s: BeingCreated() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
