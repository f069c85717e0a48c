package provider

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// The guard decides the same on a view cut down to one name as on the
// whole view, for every policy and whatever the view holds.
func TestNameInventoryDecidesAsTheWholeView(t *testing.T) {
	marker := thisProcess(time.Now().Add(time.Hour)).Tag()
	stale := fmt.Sprintf("proxmoxsafe-creating.%d.1.gone", time.Now().Add(-time.Hour).Unix())
	vms := []pve.InventoryVM{
		{VMID: 100, Node: "pve", Name: "web", NameKnown: true, Type: "qemu"},
		{VMID: 101, Node: "pve", Name: "WEB", NameKnown: true, Type: "qemu"},
		{VMID: 102, Node: "pve", Name: "db", NameKnown: true, Type: "qemu", Template: true},
		{VMID: 103, Node: "pve2", Name: "db", NameKnown: true, Type: "lxc"},
		{VMID: 104, Node: "pve2", Type: "qemu"}, // name unknown
		{VMID: 105, Node: "pve", Name: "cache", NameKnown: true, Type: "qemu", Tags: []string{marker}},
		{VMID: 106, Node: "pve", Name: "queue", NameKnown: true, Type: "qemu", Tags: []string{stale}},
		{VMID: 107, Node: "pve", Name: "queue", NameKnown: true, Type: "qemu"},
		{VMID: 108, Node: "pve", Name: "mail", NameKnown: true},
	}
	created := map[int]int64{100: 50, 101: 40, 106: 70, 107: 60}
	views := map[string]*clusterView{
		"complete, one name unknown": {vms: vms, complete: true},
		"names resolved":             {vms: vms[:4], complete: true},
		"partial visibility":         {vms: vms, unresolved: []int{120}},
		"unreadable name":            {vms: vms[:3], unresolved: []int{120}, complete: true},
	}
	for what, view := range views {
		for _, name := range []string{"web", "Web", "db", "cache", "queue", "mail", "free", ""} {
			for _, policy := range []guard.Policy{guard.PolicyFail, guard.PolicyAdopt} {
				for _, ignore := range []map[int]bool{nil, {100: true, 104: true}} {
					want := guard.Decide(view.guardInventory(created), name, policy, ignore)
					got := guard.Decide(view.nameInventory(name, created), name, policy, ignore)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s, %q, %s, ignore %v:\n got %+v\nwant %+v", what, name, policy, ignore, got, want)
					}
				}
			}
		}
	}
}
