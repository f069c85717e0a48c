package provider

import (
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

func TestDistrustListedNamesOfNewVMs(t *testing.T) {
	now := time.Now()
	creating := createMarker{Deadline: now.Add(time.Hour), PID: 1, Host: "racer"}.Tag()
	createdAt := func(ago time.Duration) string {
		return createdMarker{Created: now.Add(-ago), Terraform: 2, Workspace: "0123456789ab", Host: "racer"}.Tag()
	}
	cases := []struct {
		name      string
		vm        pve.InventoryVM
		wantKnown bool
	}{
		{"ours, under the name we gave it", pve.InventoryVM{VMID: 7, Name: "ours", NameKnown: true, Tags: []string{createdAt(time.Minute)}}, true},
		{"ours, under another name: read the config", pve.InventoryVM{VMID: 7, Name: "old-tenant", NameKnown: true, Tags: []string{createdAt(time.Minute)}}, false},
		{"no marker: the listed name stands", pve.InventoryVM{Name: "db", NameKnown: true, Tags: []string{"prod"}}, true},
		{"being created: read the config", pve.InventoryVM{Name: "old-tenant", NameKnown: true, Tags: []string{creating}}, false},
		{"created a minute ago: read the config", pve.InventoryVM{Name: "old-tenant", NameKnown: true, Tags: []string{createdAt(time.Minute)}}, false},
		{"created long ago: statistics caught up", pve.InventoryVM{Name: "db", NameKnown: true, Tags: []string{createdAt(time.Hour)}}, true},
		{"a container is never ours", pve.InventoryVM{Name: "ct", NameKnown: true, Type: "lxc", Tags: []string{creating}}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := &pve.Inventory{VMs: []pve.InventoryVM{tc.vm}}
			distrustListedNamesOfNewVMs(inv, now, func(vmid int) (string, bool) {
				return "ours", vmid == 7
			})
			if got := inv.VMs[0].NameKnown; got != tc.wantKnown {
				t.Fatalf("NameKnown = %v, want %v", got, tc.wantKnown)
			}
		})
	}
}
