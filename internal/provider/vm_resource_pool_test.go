package provider_test

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// expectPool checks that the VM named name is in the pool the test calls
// want (see Lab.PoolID).
func expectPool(t *testing.T, lab *acctest.Lab, name, want string) resource.TestCheckFunc {
	want = lab.PoolID(want)
	return func(*terraform.State) error {
		if got := lab.PoolOf(onlyVMNamed(t, lab, name).VMID); got != want {
			return fmt.Errorf("VM %q is in pool %q, want %q", name, got, want)
		}
		return nil
	}
}

func addPools(t *testing.T, lab *acctest.Lab, ids ...string) {
	t.Helper()
	for _, id := range ids {
		lab.AddPool(t, id, "")
	}
}

// poolLine is the pool attribute naming the pool the test calls id.
func poolLine(lab *acctest.Lab, id string) string {
	return fmt.Sprintf("pool = %q", lab.PoolID(id))
}

// A VM created into a pool, moved to another in place, taken out, imported
// with its pool; a pool that does not exist fails the move with PVE's
// reason.
func TestAccVMResource_pool(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	addPools(t, lab, "monitoring", "team", "team/web")
	name := lab.RandomName("pooled")
	poolState := func(p string) []statecheck.StateCheck {
		return []statecheck.StateCheck{statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("pool"), knownvalue.StringExact(lab.PoolID(p)))}
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(lab, name),
		Steps: []resource.TestStep{
			{
				Config:            lab.Config(vmHCL(name, lab.Node, `started = false`, poolLine(lab, "monitoring"))),
				ConfigPlanChecks:  resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(expectPool(t, lab, name, "monitoring"))},
				ConfigStateChecks: poolState("monitoring"),
			},
			{
				// Left out: stays where it is.
				Config:           lab.Config(vmHCL(name, lab.Node, `started = false`)),
				ConfigPlanChecks: noop,
			},
			{
				Config: lab.Config(vmHCL(name, lab.Node, `started = false`, poolLine(lab, "team/web"))),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:            inPlace.PreApply,
					PostApplyPreRefresh: afterApply(expectPool(t, lab, name, "team/web")),
				},
				ConfigStateChecks: poolState("team/web"),
			},
			{
				ResourceName:            vmAddr,
				ImportState:             true,
				ImportStateId:           name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				Config: lab.Config(vmHCL(name, lab.Node, `started = false`, poolLine(lab, "nope"))),
				ExpectError: regexp.MustCompile(`(?s)move VM \d+ \(".*"\) from pool "` + regexp.QuoteMeta(lab.PoolID("team/web")) + `" to pool "` +
					regexp.QuoteMeta(lab.PoolID("nope")) + `".*pool '` + regexp.QuoteMeta(lab.PoolID("nope")) + `' does not\s+exist`),
			},
			{
				Config:            lab.Config(vmHCL(name, lab.Node, `started = false`, poolLine(lab, ""))),
				ConfigPlanChecks:  resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(expectPool(t, lab, name, ""))},
				ConfigStateChecks: poolState(""),
			},
			// The plan after each apply is empty: the library checks it.
		},
	})
}

// A create into a pool that does not exist is refused by PVE before any VM
// exists (API2/Qemu.pm create_vm: check_pool_exist), and says so.
func TestAccVMResource_poolMissingOnCreate(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	name := lab.RandomName("nopool")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(lab, name),
		Steps: []resource.TestStep{{
			Config:      lab.Config(vmHCL(name, lab.Node, `started = false`, poolLine(lab, "nope"))),
			ExpectError: regexp.MustCompile(`(?s)Permission check failed \(pool '` + regexp.QuoteMeta(lab.PoolID("nope")) + `' does not exist\)`),
		}},
	})
	// Neither Check nor CheckDestroy runs after a refused create that left
	// the state empty.
	vmCountIs(t, lab, name, 0)
}

// Adopting a VM in a pool keeps its pool when the configuration leaves it
// out, and moves it when the configuration names another.
func TestAccVMResource_poolAdoption(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	name := lab.RandomName("legacy")
	vmid := lab.AddVM(t, pvesim.VM{VMID: 4731, Node: lab.Node, Name: name, Status: "stopped"}).VMID
	lab.AddPool(t, "legacy", "", vmid)
	addPools(t, lab, "monitoring")
	vm := []string{`started = false`, `on_existing = "adopt"`}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(lab, name),
		Steps: []resource.TestStep{
			{
				Config:            lab.Config(vmHCL(name, lab.Node, vm...)),
				ConfigPlanChecks:  resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(expectPool(t, lab, name, "legacy"))},
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("pool"), knownvalue.StringExact(lab.PoolID("legacy")))},
				// The plan after the adoption is empty: the library checks it.
			},
			{
				Config: lab.Config(vmHCL(name, lab.Node, append(vm, poolLine(lab, "monitoring"))...)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:            inPlace.PreApply,
					PostApplyPreRefresh: afterApply(expectPool(t, lab, name, "monitoring")),
				},
			},
		},
	})
}
