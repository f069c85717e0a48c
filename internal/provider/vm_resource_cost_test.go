package provider_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// The request counts of an apply and a destroy of costVMs VMs, from the
// simulator's counters: what a user pays per VM in API requests. The
// simulator's names lag behind new VMs for longer than the apply takes, so
// every name check of the apply sees the VMs it created without names.
const costVMs = 10

// costConfig creates costVMs VMs at once. The VMIDs are explicit because
// parallel creates that ask /cluster/nextid collide until VMIDs are
// allocated in-process.
func costConfig(lab *acctest.Lab, prefix string) string {
	return costConfigOf(lab, prefix, costVMs)
}

func costConfigOf(lab *acctest.Lab, prefix string, vms int) string {
	return lab.Config(fmt.Sprintf(`
resource "proxmoxsafe_vm" "cost" {
  count   = %d
  name    = "%s-${count.index}"
  node    = %q
  vmid    = 3000 + count.index
  started = false
}
`, vms, prefix, lab.Node))
}

func TestAccVMResource_applyCost(t *testing.T) {
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute, TaskDuration: 300 * time.Millisecond})
	sim := lab.RequireSim(t, "request counters")
	config := costConfig(lab, acctest.RandomName("cost"))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: sim.ResetRequestCounts,
			Config:    config,
			Check: func(*terraform.State) error {
				counts := sim.RequestCounts()
				t.Logf("apply of %d VMs: %d requests: %v", costVMs, sim.TotalRequests(), counts)
				if n := counts["POST /nodes/{node}/qemu"]; n != costVMs {
					t.Fatalf("%d create requests for %d VMs", n, costVMs)
				}
				// One config read per VM: the read-back after its create.
				// Looking up the names of the VMs this apply created, or
				// reading a VM back twice, would add more.
				if n := counts["GET /nodes/{node}/qemu/{vmid}/config"]; n != costVMs {
					t.Errorf("%d config reads for %d created VMs, want %d: %v", n, costVMs, costVMs, counts)
				}
				// A new VM is stopped: its status is not read.
				if n := counts["GET /nodes/{node}/qemu/{vmid}/status/current"]; n != 0 {
					t.Errorf("%d status reads for %d created VMs, want none", n, costVMs)
				}
				// One status poll per create task, when the learned pace says
				// it ends, plus the first task's poll at once (the scout's;
				// its next, at 0.5 s, finds the 300 ms task done), plus one
				// for a task that ends a little late on a busy machine.
				if n := counts["GET /nodes/{node}/tasks/{upid}/status"]; n > costVMs+2 {
					t.Errorf("%d task polls for %d creates, want one each and the scout's (at most %d)", n, costVMs, costVMs+2)
				}
				// The creates of one wave share their cluster reads: one for
				// the plan, one for the apply's plan and the name checks
				// before the creates, one for the checks after them, and one
				// more when the machine is so busy that the name checks
				// come over createCheckMaxAge after the apply's plan. The
				// placement checks read nodes and storages once per run: two
				// more per plan and apply.
				if n := counts["GET /cluster/resources"]; n > 4+4 {
					t.Errorf("%d cluster reads for an apply of %d VMs, want at most 4 + 4 placement reads", n, costVMs)
				}
				if perVM := float64(sim.TotalRequests()) / costVMs; perVM > 5.2 {
					t.Errorf("%.1f requests per created VM, want at most 5.2: %v", perVM, counts)
				}
				return nil
			},
		}},
	})
}

func TestAccVMResource_destroyCost(t *testing.T) {
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute, TaskDuration: 300 * time.Millisecond})
	sim := lab.RequireSim(t, "request counters")
	config := costConfig(lab, acctest.RandomName("cost"))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config},
			{
				// Removing the resources destroys the VMs: the refresh
				// reads each VM (config and status), then the destroy.
				PreConfig: sim.ResetRequestCounts,
				Config:    lab.Config(""),
				Check: func(*terraform.State) error {
					counts := sim.RequestCounts()
					t.Logf("refresh and destroy of %d VMs: %d requests: %v", costVMs, sim.TotalRequests(), counts)
					if n := counts["DELETE /nodes/{node}/qemu/{vmid}"]; n != costVMs {
						t.Fatalf("%d delete requests for %d VMs", n, costVMs)
					}
					// The refresh reads the status; the destroy of a stopped
					// VM reads its config once to prove it is still ours.
					if n := counts["GET /nodes/{node}/qemu/{vmid}/status/current"]; n != costVMs {
						t.Errorf("%d status reads, want %d (the refresh's)", n, costVMs)
					}
					if n := counts["GET /nodes/{node}/qemu/{vmid}/config"]; n != 2*costVMs {
						t.Errorf("%d config reads, want %d (refresh and identity check)", n, 2*costVMs)
					}
					// One poll per destroy task, plus the first task's poll
					// at once (the scout's, see applyCost) and a late one.
					polls := counts["GET /nodes/{node}/tasks/{upid}/status"]
					if polls > costVMs+2 {
						t.Errorf("%d task polls for %d destroys, want one each and the scout's (at most %d)", polls, costVMs, costVMs+2)
					}
					refresh := 2 * costVMs
					if perVM := float64(sim.TotalRequests()-refresh) / costVMs; perVM > 3.2 {
						t.Errorf("%.1f requests per destroyed VM after the refresh, want at most 3.2: %v", perVM, counts)
					}
					if n := counts["GET /cluster/resources"]; n != 0 {
						t.Errorf("destroy listed the cluster %d times", n)
					}
					return nil
				},
			},
		},
	})
}
