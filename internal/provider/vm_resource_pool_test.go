package provider_test

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

func expectPool(t *testing.T, sim *pvesim.Server, name, want string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := sim.PoolOf(onlyVMNamed(t, sim, name).VMID); got != want {
			return fmt.Errorf("VM %q is in pool %q, want %q", name, got, want)
		}
		return nil
	}
}

func addPools(t *testing.T, sim *pvesim.Server, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := sim.AddPool(id, ""); err != nil {
			t.Fatal(err)
		}
	}
}

// A VM created into a pool, moved to another in place, taken out, imported
// with its pool; a pool that does not exist fails the move with PVE's
// reason.
func TestAccVMResource_pool(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	sim := lab.RequireSim(t)
	addPools(t, sim, "monitoring", "team", "team/web")
	name := acctest.RandomName("pooled")
	poolState := func(p string) []statecheck.StateCheck {
		return []statecheck.StateCheck{statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("pool"), knownvalue.StringExact(p))}
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(sim, name),
		Steps: []resource.TestStep{
			{
				Config:            lab.Config(vmHCL(name, lab.Node, `started = false`, `pool = "monitoring"`)),
				ConfigStateChecks: poolState("monitoring"),
				Check:             expectPool(t, sim, name, "monitoring"),
			},
			{Config: lab.Config(vmHCL(name, lab.Node, `started = false`, `pool = "monitoring"`)), ConfigPlanChecks: noop},
			{
				// Left out: stays where it is.
				Config:           lab.Config(vmHCL(name, lab.Node, `started = false`)),
				ConfigPlanChecks: noop,
			},
			{
				Config:            lab.Config(vmHCL(name, lab.Node, `started = false`, `pool = "team/web"`)),
				ConfigPlanChecks:  inPlace,
				ConfigStateChecks: poolState("team/web"),
				Check:             expectPool(t, sim, name, "team/web"),
			},
			{
				ResourceName:            vmAddr,
				ImportState:             true,
				ImportStateId:           name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				Config:      lab.Config(vmHCL(name, lab.Node, `started = false`, `pool = "nope"`)),
				ExpectError: regexp.MustCompile(`(?s)move VM \d+ \(".*"\) from pool "team/web" to pool "nope".*pool 'nope' does not exist`),
			},
			{
				Config:            lab.Config(vmHCL(name, lab.Node, `started = false`, `pool = ""`)),
				ConfigStateChecks: poolState(""),
				Check:             expectPool(t, sim, name, ""),
			},
			{Config: lab.Config(vmHCL(name, lab.Node, `started = false`, `pool = ""`)), ConfigPlanChecks: noop},
		},
	})
}

// A create into a pool that does not exist is refused by PVE before any VM
// exists (API2/Qemu.pm create_vm: check_pool_exist), and says so.
func TestAccVMResource_poolMissingOnCreate(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	sim := lab.RequireSim(t)
	name := acctest.RandomName("nopool")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(sim, name),
		Steps: []resource.TestStep{{
			Config:      lab.Config(vmHCL(name, lab.Node, `started = false`, `pool = "nope"`)),
			ExpectError: regexp.MustCompile(`(?s)Permission check failed \(pool 'nope' does not exist\)`),
			Check:       checkNoVMNamed(sim, name),
		}},
	})
}

// Adopting a VM in a pool keeps its pool when the configuration leaves it
// out, and moves it when the configuration names another.
func TestAccVMResource_poolAdoption(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	sim := lab.RequireSim(t)
	name := acctest.RandomName("legacy")
	const vmid = 4731
	if err := sim.AddVM(pvesim.VM{VMID: vmid, Node: lab.Node, Name: name, Status: "stopped"}); err != nil {
		t.Fatal(err)
	}
	if err := sim.AddPool("legacy", "", vmid); err != nil {
		t.Fatal(err)
	}
	addPools(t, sim, "monitoring")
	vm := []string{`started = false`, `on_existing = "adopt"`}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(sim, name),
		Steps: []resource.TestStep{
			{
				Config:            lab.Config(vmHCL(name, lab.Node, vm...)),
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("pool"), knownvalue.StringExact("legacy"))},
				Check:             expectPool(t, sim, name, "legacy"),
			},
			{
				Config:           lab.Config(vmHCL(name, lab.Node, vm...)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				Config:           lab.Config(vmHCL(name, lab.Node, append(vm, `pool = "monitoring"`)...)),
				ConfigPlanChecks: inPlace,
				Check:            expectPool(t, sim, name, "monitoring"),
			},
		},
	})
}
