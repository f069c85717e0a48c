package provider_test

import (
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// An apply of several waves of creates (-parallelism=10, Terraform's
// default) reads the cluster about once per wave: the checks after the
// creates of a wave share one read, which also serves the name checks of
// the next wave, and the learned task pace polls each task about once.
func TestAccVMResource_applyCostWaves(t *testing.T) {
	t.Parallel()
	const vms, waves = 30, 3
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute, TaskDuration: 300 * time.Millisecond})
	sim := lab.RequireSim(t, "request counters")
	config := costConfigOf(lab, acctest.RandomName("waves"), vms)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: sim.ResetRequestCounts,
			Config:    config,
			Check: func(*terraform.State) error {
				counts := sim.RequestCounts()
				t.Logf("apply of %d VMs: %d requests: %v", vms, sim.TotalRequests(), counts)
				if n := counts["POST /nodes/{node}/qemu"]; n != vms {
					t.Fatalf("%d create requests for %d VMs", n, vms)
				}
				// The names of the VMs this apply created are never looked up.
				if n := counts["GET /nodes/{node}/qemu/{vmid}/config"]; n != vms {
					t.Errorf("%d config reads for %d created VMs, want %d (the read-backs)", n, vms, vms)
				}
				// 4 placement reads, the plan's and the apply's plan's, and
				// one per wave; a machine loaded far beyond its cores may
				// split a wave's read in two (seen once at load 36: 12
				// reads), so up to two per wave pass. Two reads per VM,
				// the regression this guards against, would be 60.
				reads := counts["GET /cluster/resources"]
				if limit := 4 + 2 + 2*waves; reads > limit {
					t.Errorf("%d cluster reads for %d waves of creates, want at most %d", reads, waves, limit)
				}
				// One list of the one node per shared read that found VMs.
				if n := counts["GET /nodes/{node}/qemu"]; n < 1 || n > reads-4 {
					t.Errorf("%d node lists for %d shared cluster reads, want 1 to %d", n, reads-4, reads-4)
				}
				// About one poll per task when quiet (make bench: 1.03). How
				// many tasks a loaded machine ends after the learned pace is
				// timing (seen: 8 of 30 at load 6, 7 of 10 in applyCost), so
				// up to two polls per task pass; polling from the start
				// would cost about three per 300 ms task, 90.
				if n, limit := counts["GET /nodes/{node}/tasks/{upid}/status"], 2*vms; n > limit {
					t.Errorf("%d task polls for %d creates, want at most two each (%d)", n, vms, limit)
				}
				// Measured: 4.5 quiet (4.4 before the node lists); the spare
				// polls above and split wave reads (two requests each: the
				// cluster and the node list) may add 1.4 on a loaded machine.
				if perVM := float64(sim.TotalRequests()) / vms; perVM > 5.9 {
					t.Errorf("%.2f requests per created VM, want at most 5.9: %v", perVM, counts)
				}
				return nil
			},
		}},
	})
}
