package provider

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// A racing apply's loser removes its VM, and a third racer's create gets
// the freed VMID at once (nextid hands out the lowest free one). While the
// statistics lag, the list shows that VMID without a name, and a name this
// process read for the loser's VM must not stand in for the new VM: the
// decision would see two VMs with the name and call the race a permanent
// duplicate ("Several VMs already carry this name").
func TestDecideNeverTakesARecycledVMIDForTheNameOfItsPredecessor(t *testing.T) {
	otherHost := createMarker{Deadline: time.Now().Add(time.Hour), PID: 1, Host: "another-host"}
	tests := []struct {
		name string
		// tags of the loser's VM and of the VM that takes its VMID
		loserTags, newTags string
	}{
		{"the new VM's create has finished", otherHost.Tag(), ""},
		{"neither carries a tag", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, client := testCluster(t, pvesim.Options{StatsLag: time.Hour})
			ctx := context.Background()
			// The race's winner, finished; and the loser's VM, made a moment ago.
			mustAddVM(t, sim, pvesim.VM{VMID: 100, Node: "pve", Name: "web", CreatedAt: time.Now()})
			mustAddVM(t, sim, pvesim.VM{VMID: 101, Node: "pve", Name: "web", CreatedAt: time.Now(),
				Config: tagConfig(tt.loserTags)})
			p := newProviderData(client, providerSettings{onExisting: guard.PolicyAdopt})
			// This process reads the cluster while the loser's VM exists.
			if _, err := p.inventory.fresh(ctx); err != nil {
				t.Fatal(err)
			}
			// The loser removes its VM; another racer creates "db" as VMID 101.
			sim.RemoveVM(101)
			mustAddVM(t, sim, pvesim.VM{VMID: 101, Node: "pve", Name: "db", CreatedAt: time.Now(),
				Config: tagConfig(tt.newTags)})

			p.inventory.invalidate()
			view, err := p.inventory.fresh(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var diags diag.Diagnostics
			d := p.decide(ctx, view, "web", guard.PolicyAdopt, nil, &diags)
			if diags.HasError() {
				t.Fatalf("decide: %v", diags)
			}
			if d.Action != guard.ActionAdopt || d.Target == nil || d.Target.VMID != 100 || len(d.Matches) != 1 {
				t.Errorf("decide = %s (%s), matches %v; want adopt VM 100, the only VM named web", d.Action, d.Reason, vmidsOf(d.Matches))
			}
		})
	}
}

func mustAddVM(t *testing.T, sim *pvesim.Server, vm pvesim.VM) {
	t.Helper()
	if err := sim.AddVM(vm); err != nil {
		t.Fatal(err)
	}
}

func tagConfig(tags string) map[string]string {
	if tags == "" {
		return nil
	}
	return map[string]string{"tags": tags}
}
