package provider_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

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

// Placement on a two-node cluster (pve, pve2), one block per former test:
//   - unknownNodeAndStorage ("typo", never created): a node or storage that
//     does not exist, a bridge that does not exist (an SDN vnet is a bridge
//     too), an offline node: plan-time errors naming what does exist.
//     Before, a new VM on an unknown node failed at apply with "could not
//     be reached";
//   - moveToBadNode ("running"): changing node of a running VM to a node
//     that does not exist, or is offline, is refused at plan time and the
//     VM keeps running. Before, it planned an update, and apply shut the VM
//     down and then failed to migrate;
//   - migrationAndRecycledVMID ("mover", "recycled"): a VM moved by an
//     admin is followed by refresh and moving it back through Terraform
//     migrates in place; a stranger that took a VM's VMID after it was
//     deleted is left alone while a new VM is created.
func TestAccVMResource_placement(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "empty", Nodes: []string{"pve", "pve2"}})
	sim := lab.RequireSim(t, "two-node cluster with an offline node, out-of-band moves and VMID reuse")
	typo, running, mover, recycled := acctest.RandomName("typo"), acctest.RandomName("mover"), acctest.RandomName("mover"), acctest.RandomName("mover")
	typoVM := func(node string, lines ...string) string {
		return lab.Config(vmAt("typo", typo, node, append([]string{`started = false`}, lines...)...))
	}
	moverVM := func(node string) string { return vmAt("mover", mover, node, `started = false`) }
	runningVM := func(node string) string { return vmAt("running", running, node) }
	recycledVM := vmAt("recycled", recycled, "pve", `started = false`)
	// both is "mover" and "recycled" on pve and "running" on node.
	both := func(node string) string { return moverVM("pve") + recycledVM + runningVM(node) }
	stillRunning := afterApply(func(*terraform.State) error {
		if vm := onlyVMNamed(t, sim, running); vm.Status != "running" || vm.Node != "pve" {
			return fmt.Errorf("the VM was touched: %+v", vm)
		}
		return nil
	})
	unchanged := []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(vmRes("running"), plancheck.ResourceActionNoop),
		plancheck.ExpectResourceAction(vmRes("mover"), plancheck.ResourceActionNoop),
		plancheck.ExpectResourceAction(vmRes("recycled"), plancheck.ResourceActionNoop),
	}
	var vmid, recycledVMID int
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      typoVM("pve9"),
				ExpectError: regexp.MustCompile(`(?s)There\s+is\s+no\s+node\s+"pve9".*pve\s+\(online\),\s+pve2\s+\(online\)`),
			},
			{
				Config:      typoVM("pve", `disks = { scsi0 = { storage = "local-lvn", size = 4 } }`),
				ExpectError: regexp.MustCompile(`(?s)Storage\s+"local-lvn"\s+does\s+not\s+exist\s+on\s+node\s+pve.*local-lvm`),
			},
			{Config: lab.Config(both("pve")), ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: stillRunning}},
			{
				// "mover" moved by an admin: refresh follows it and a
				// configuration naming the new node has nothing to do.
				// Someone deleted "recycled" and a new VM got its VMID. It is
				// not ours: state forgets our VM, the stranger is left alone
				// and a new VM is created for the configuration.
				PreConfig: func() {
					vmid = onlyVMNamed(t, sim, mover).VMID
					if err := sim.MoveVM(vmid, "pve2"); err != nil {
						t.Fatal(err)
					}
					recycledVMID = onlyVMNamed(t, sim, recycled).VMID
					sim.RemoveVM(recycledVMID)
					if err := sim.AddVM(pvesim.VM{VMID: recycledVMID, Node: "pve", Name: "someone-else", Status: "stopped"}); err != nil {
						t.Fatal(err)
					}
				},
				Config: lab.Config(moverVM("pve2") + recycledVM + runningVM("pve")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmRes("mover"), plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction(vmRes("running"), plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction(vmRes("recycled"), plancheck.ResourceActionCreate),
					},
					PostApplyPreRefresh: append(afterApply(func(*terraform.State) error {
						stranger, ok := sim.VM(recycledVMID)
						if !ok || stranger.Name != "someone-else" {
							return fmt.Errorf("the VM now holding VMID %d was touched: %+v", recycledVMID, stranger)
						}
						if ours := onlyVMNamed(t, sim, recycled); ours.VMID == recycledVMID {
							return fmt.Errorf("new VM reuses VMID %d", recycledVMID)
						}
						return nil
					}), stateAfterApply(
						statecheck.ExpectKnownValue(vmRes("mover"), tfjsonpath.New("node"), knownvalue.StringExact("pve2")),
					)),
				},
			},
			{
				// Moving it back through Terraform migrates in place.
				Config: lab.Config(both("pve")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmRes("mover"), plancheck.ResourceActionUpdate),
					},
					PostApplyPreRefresh: afterApply(func(*terraform.State) error {
						if vm := onlyVMNamed(t, sim, mover); vm.Node != "pve" || vm.VMID != vmid {
							return fmt.Errorf("VM not migrated in place: %+v", vm)
						}
						return nil
					}),
				},
			},
			{
				Config:      lab.Config(both("pve3")),
				ExpectError: regexp.MustCompile(`(?s)There\s+is\s+no\s+node\s+"pve3".*not\s+shut\s+down`),
			},
			{
				// An SDN vnet is a bridge too (any_bridge lists it).
				PreConfig: func() { sim.SetNodeBridges("pve", "vmbr0", "vmbr1"); sim.SetNodeVnets("pve", "vnet1") },
				Config: lab.Config(both("pve") + vmAt("typo", typo, "pve", `started = false`,
					`networks = { net0 = { bridge = "vnet1" }, net1 = { bridge = "vmbr9" } }`)),
				ExpectError: regexp.MustCompile(`(?s)Bridge\s+"vmbr9"\s+does\s+not\s+exist\s+on\s+node\s+pve.*Bridges\s+and\s+SDN\s+vnets\s+on\s+pve:\s+vmbr0,\s+vmbr1,\s+vnet1\.`),
			},
			{
				// "typo" on the vnet plans; "running" is untouched after the
				// refused move (Check never runs on a plan-only step; a plan
				// check does) and has nothing to do.
				Config: lab.Config(both("pve") + vmAt("typo", typo, "pve", `started = false`,
					`networks = { net0 = { bridge = "vnet1" } }`)),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPreRefresh:  append(stillRunning, unchanged...),
					PostApplyPostRefresh: unchanged,
				},
			},
			{
				PreConfig:   func() { sim.SetNodeOffline("pve2", true) },
				Config:      lab.Config(both("pve2")),
				ExpectError: regexp.MustCompile(`(?s)Node\s+"pve2"\s+is\s+offline.*not\s+shut\s+down`),
			},
			{
				Config:      lab.Config(both("pve") + vmAt("typo", typo, "pve2", `started = false`)),
				ExpectError: regexp.MustCompile(`(?s)Node\s+"pve2"\s+is\s+offline`),
			},
			{
				PreConfig:        func() { sim.SetNodeOffline("pve2", false) },
				Config:           lab.Config(both("pve")),
				PlanOnly:         true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: stillRunning},
			},
		},
	})
	vmCountIs(t, sim, typo, 0)
	if vm, ok := sim.VM(recycledVMID); !ok || vm.Name != "someone-else" {
		t.Fatalf("destroy removed the stranger holding VMID %d", recycledVMID)
	}
}
