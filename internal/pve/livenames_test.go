package pve

import (
	"reflect"
	"testing"
)

func TestMergeLive(t *testing.T) {
	listed := func() *Inventory {
		return &Inventory{VMs: []InventoryVM{
			{VMID: 100, Node: "a", Name: "old-tenant", NameKnown: true, Type: "qemu", Status: "running"},
			{VMID: 101, Node: "a", Type: "qemu", Status: "unknown"},
			{VMID: 102, Node: "b", Name: "db", NameKnown: true, Type: "qemu", Pool: "prod"},
			{VMID: 103, Node: "b", Name: "ct", NameKnown: true, Type: "lxc"},
		}}
	}
	tests := []struct {
		name           string
		lists          map[string][]NodeVM
		anyFailed      bool
		wantNames      map[int]string // VMID -> name; "?" for unknown
		wantUnresolved []int
	}{
		{"live names replace the listed ones",
			map[string][]NodeVM{"a": {{VMID: 100, Name: "web"}, {VMID: 101, Name: "fresh"}}, "b": {{VMID: 102, Name: "db"}}}, false,
			map[int]string{100: "web", 101: "fresh", 102: "db", 103: "ct"}, nil},
		{"removed after the cluster list: dropped",
			map[string][]NodeVM{"a": {{VMID: 100, Name: "web"}}, "b": {{VMID: 102, Name: "db"}}}, false,
			map[int]string{100: "web", 102: "db", 103: "ct"}, nil},
		{"created after the cluster list: added",
			map[string][]NodeVM{"a": {{VMID: 100, Name: "web"}, {VMID: 101, Name: "fresh"}}, "b": {{VMID: 102, Name: "db"}, {VMID: 104, Name: "new"}}}, false,
			map[int]string{100: "web", 101: "fresh", 102: "db", 103: "ct", 104: "new"}, nil},
		{"moved to another node: found there",
			map[string][]NodeVM{"a": {{VMID: 100, Name: "web"}}, "b": {{VMID: 101, Name: "fresh"}, {VMID: 102, Name: "db"}}}, false,
			map[int]string{100: "web", 101: "fresh", 102: "db", 103: "ct"}, nil},
		{"a node whose list failed: its VMs are unchecked, containers untouched",
			map[string][]NodeVM{"a": {{VMID: 100, Name: "web"}, {VMID: 101, Name: "fresh"}}}, true,
			map[int]string{100: "web", 101: "fresh", 102: "?", 103: "ct"}, []int{102}},
		{"missing while some list failed: it may have moved there",
			map[string][]NodeVM{"a": {{VMID: 100, Name: "web"}}}, true,
			map[int]string{100: "web", 101: "?", 102: "?", 103: "ct"}, []int{101, 102}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := listed()
			unresolved := mergeLive(inv, tc.lists, tc.anyFailed)
			got := map[int]string{}
			for _, vm := range inv.VMs {
				got[vm.VMID] = vm.Name
				if !vm.NameKnown {
					got[vm.VMID] = "?"
				}
			}
			if !reflect.DeepEqual(got, tc.wantNames) {
				t.Errorf("names %v, want %v", got, tc.wantNames)
			}
			if !reflect.DeepEqual(unresolved, tc.wantUnresolved) {
				t.Errorf("unresolved %v, want %v", unresolved, tc.wantUnresolved)
			}
			for i := 1; i < len(inv.VMs); i++ {
				if inv.VMs[i-1].VMID >= inv.VMs[i].VMID {
					t.Fatalf("not sorted by VMID: %+v", inv.VMs)
				}
			}
		})
	}
	// What the list does not show stays: the pool.
	inv := listed()
	mergeLive(inv, map[string][]NodeVM{"a": {}, "b": {{VMID: 102, Name: "db", Status: "stopped", Tags: []string{"x"}, Lock: "backup"}}}, false)
	for _, vm := range inv.VMs {
		if vm.VMID == 102 && (vm.Pool != "prod" || vm.Status != "stopped" || vm.Lock != "backup" || len(vm.Tags) != 1) {
			t.Errorf("102 merged: %+v", vm)
		}
	}
}
