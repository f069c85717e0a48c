package provider_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// A node or storage that does not exist is a plan-time error naming what
// does; nothing is created. Before, a new VM on an unknown node failed at
// apply with "could not be reached".
func TestAccVMResource_unknownNodeAndStorage(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "empty", Nodes: []string{"pve", "pve2"}})
	sim := lab.RequireSim(t, "two-node cluster (pve, pve2)")
	name := acctest.RandomName("typo")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      lab.Config(vmHCL(name, "pve9", `started = false`)),
				ExpectError: regexp.MustCompile(`(?s)There\s+is\s+no\s+node\s+"pve9".*pve\s+\(online\),\s+pve2\s+\(online\)`),
			},
			{
				Config: lab.Config(vmHCL(name, "pve", `started = false`,
					`disks = { scsi0 = { storage = "local-lvn", size = 4 } }`)),
				ExpectError: regexp.MustCompile(`(?s)Storage\s+"local-lvn"\s+does\s+not\s+exist\s+on\s+node\s+pve.*local-lvm`),
			},
			{
				// An SDN vnet is a bridge too (any_bridge lists it).
				PreConfig: func() { sim.SetNodeBridges("pve", "vmbr0", "vmbr1"); sim.SetNodeVnets("pve", "vnet1") },
				Config: lab.Config(vmHCL(name, "pve", `started = false`,
					`networks = { net0 = { bridge = "vnet1" }, net1 = { bridge = "vmbr9" } }`)),
				ExpectError: regexp.MustCompile(`(?s)Bridge\s+"vmbr9"\s+does\s+not\s+exist\s+on\s+node\s+pve.*Bridges\s+and\s+SDN\s+vnets\s+on\s+pve:\s+vmbr0,\s+vmbr1,\s+vnet1\.`),
			},
			{
				Config:             lab.Config(vmHCL(name, "pve", `started = false`, `networks = { net0 = { bridge = "vnet1" } }`)),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				PreConfig:   func() { sim.SetNodeOffline("pve2", true) },
				Config:      lab.Config(vmHCL(name, "pve2", `started = false`)),
				ExpectError: regexp.MustCompile(`(?s)Node\s+"pve2"\s+is\s+offline`),
			},
		},
	})
	sim.SetNodeOffline("pve2", false)
	vmCountIs(t, sim, name, 0)
}

// Changing node of a running VM to a node that does not exist, or is
// offline, is refused at plan time and the VM keeps running. Before, it
// planned an update, and apply shut the VM down and then failed to migrate.
func TestAccVMResource_moveToBadNode(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "empty", Nodes: []string{"pve", "pve2"}})
	sim := lab.RequireSim(t, "two-node cluster with an offline node")
	name := acctest.RandomName("mover")
	stillRunning := func(*terraform.State) error {
		if vm := onlyVMNamed(t, sim, name); vm.Status != "running" || vm.Node != "pve" {
			return fmt.Errorf("the VM was touched: %+v", vm)
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: lab.Config(vmHCL(name, "pve")), ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(stillRunning)}},
			{
				Config:      lab.Config(vmHCL(name, "pve3")),
				ExpectError: regexp.MustCompile(`(?s)There\s+is\s+no\s+node\s+"pve3".*not\s+shut\s+down`),
			},
			// Check never runs on a plan-only step; a plan check does.
			{Config: lab.Config(vmHCL(name, "pve")), PlanOnly: true, ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(stillRunning)}},
			{
				PreConfig:   func() { sim.SetNodeOffline("pve2", true) },
				Config:      lab.Config(vmHCL(name, "pve2")),
				ExpectError: regexp.MustCompile(`(?s)Node\s+"pve2"\s+is\s+offline.*not\s+shut\s+down`),
			},
			{
				PreConfig:        func() { sim.SetNodeOffline("pve2", false) },
				Config:           lab.Config(vmHCL(name, "pve")),
				PlanOnly:         true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(stillRunning)},
			},
		},
	})
}

// One read of nodes and storages per plan, however many resources.
func TestAccVMResource_placementReadOncePerPlan(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	sim := lab.RequireSim(t, "request counters")
	prefix := acctest.RandomName("once")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig:          sim.ResetRequestCounts,
			Config:             lab.Config(fleetHCL(prefix, lab.Node, 6, "started = false", `disks = { scsi0 = { storage = "local-lvm", size = 1 } }`)),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		}},
	})
	// A plan-only step plans twice (plan, then the refresh-only check); each
	// plan reads the inventory once and the nodes and storages once.
	n := sim.RequestCounts()["GET /cluster/resources"]
	t.Logf("%d reads of /cluster/resources for two plans of 6 new VMs", n)
	if n > 6 {
		t.Fatalf("%d reads of /cluster/resources for two plans of 6 new VMs", n)
	}
}
