package provider_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
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

// Pools, three scenarios in one configuration (one terraform run per step
// for all):
//
//   - proxmoxsafe_vm.pooled (was TestAccVMResource_pool): a VM created into a
//     pool, moved to another in place, imported with its pool, taken out; a
//     pool that does not exist fails the move with PVE's reason.
//   - proxmoxsafe_vm.test (TestAccVMResource_pool's second step): a VM
//     created into a pool stays in it when the configuration leaves the
//     pool out.
//   - proxmoxsafe_vm.nopool (was TestAccVMResource_poolMissingOnCreate): a
//     create into a pool that does not exist is refused by PVE before any
//     VM exists (API2/Qemu.pm create_vm: check_pool_exist), and says so.
//   - proxmoxsafe_vm.legacy (was TestAccVMResource_poolAdoption): adopting
//     a VM in a pool keeps its pool when the configuration leaves it out,
//     and moves it when the configuration names another.
func TestAccVMResource_pool(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	addPools(t, lab, "monitoring", "team", "team/web")
	name, missing, legacy := lab.RandomName("pooled"), lab.RandomName("nopool"), lab.RandomName("legacy")
	left := lab.RandomName("left")
	const (
		pooledAddr  = "proxmoxsafe_vm.pooled"
		missingAddr = "proxmoxsafe_vm.nopool"
		legacyAddr  = "proxmoxsafe_vm.legacy"
	)
	legacyID := lab.AddVM(t, pvesim.VM{VMID: 4731, Node: lab.Node, Name: legacy, Status: "stopped"}).VMID
	lab.AddPool(t, "legacy", "", legacyID)
	poolIs := func(addr, p string) plancheck.PlanCheck {
		return stateAfterApply(statecheck.ExpectKnownValue(addr, tfjsonpath.New("pool"), knownvalue.StringExact(lab.PoolID(p))))
	}
	// config is the pooled VM with its pool line (none if empty), the
	// adopted legacy VM with its, the left VM (in monitoring until it
	// leaves the pool out) and more.
	config := func(pool, legacyPool string, leftOut bool, more ...string) string {
		leftLines := []string{`started = false`}
		if !leftOut {
			leftLines = append(leftLines, poolLine(lab, "monitoring"))
		}
		more = append(more, vmHCL(left, lab.Node, leftLines...))
		pooled := []string{`started = false`}
		if pool != "" {
			pooled = append(pooled, pool)
		}
		adopted := []string{`started = false`, `on_existing = "adopt"`}
		if legacyPool != "" {
			adopted = append(adopted, legacyPool)
		}
		return lab.Config(vmAt("pooled", name, lab.Node, pooled...) + vmAt("legacy", legacy, lab.Node, adopted...) + strings.Join(more, ""))
	}
	moveRefused := `move VM \d+ \(".*"\) from pool "` + regexp.QuoteMeta(lab.PoolID("team/web")) + `" to pool "` +
		regexp.QuoteMeta(lab.PoolID("nope")) + `".*pool '` + regexp.QuoteMeta(lab.PoolID("nope")) + `' does not\s+exist`
	createRefused := `Permission check failed \(pool '` + regexp.QuoteMeta(lab.PoolID("nope")) + `' does not exist\)`

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy: resource.ComposeTestCheckFunc(checkNoVMNamed(lab, name), checkNoVMNamed(lab, missing),
			checkNoVMNamed(lab, legacy), checkNoVMNamed(lab, left)),
		Steps: []resource.TestStep{
			{
				// The plan after the adoption is empty: the library checks it.
				Config: config(poolLine(lab, "monitoring"), "", false),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: append(afterApply(
					expectPool(t, lab, name, "monitoring"), expectPool(t, lab, legacy, "legacy"), expectPool(t, lab, left, "monitoring"),
				), poolIs(pooledAddr, "monitoring"), poolIs(legacyAddr, "legacy"), poolIs(vmAddr, "monitoring"))},
			},
			{
				// Moves in place; the adopted VM moves; left out, the left
				// VM stays where it is.
				Config: config(poolLine(lab, "team/web"), poolLine(lab, "monitoring"), true),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: append(actions(map[string]plancheck.ResourceActionType{
						pooledAddr: plancheck.ResourceActionUpdate,
						legacyAddr: plancheck.ResourceActionUpdate,
					}), noop.PreApply...),
					PostApplyPreRefresh: append(afterApply(
						expectPool(t, lab, name, "team/web"), expectPool(t, lab, legacy, "monitoring"), expectPool(t, lab, left, "monitoring"),
					), poolIs(pooledAddr, "team/web"), stateAfterApply(importVerified(t, lab, pooledAddr, name))),
				},
			},
			{
				// Both refusals, in either order.
				Config: config(poolLine(lab, "nope"), poolLine(lab, "monitoring"), true,
					vmAt("nopool", missing, lab.Node, `started = false`, poolLine(lab, "nope"))),
				ExpectError: regexp.MustCompile(`(?s)` + moveRefused + `.*` + createRefused + `|` + createRefused + `.*` + moveRefused),
			},
			{
				Config: config(poolLine(lab, ""), poolLine(lab, "monitoring"), true),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						// The refused create left no VM behind (Check and
						// CheckDestroy never run after a refused step).
						clusterCheck(expectVMCount(lab, missing, 0)),
						noChangeOf(missingAddr),
					},
					PostApplyPreRefresh: append(afterApply(expectPool(t, lab, name, "")), poolIs(pooledAddr, "")),
				},
			},
			// The plan after each apply is empty: the library checks it.
		},
	})
	vmCountIs(t, lab, missing, 0)
}

// noChangeOf checks that the plan has no change for addr: the resource is
// neither in state nor in the configuration.
type noChangeOf string

var _ plancheck.PlanCheck = noChangeOf("")

func (addr noChangeOf) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address == string(addr) {
			resp.Error = fmt.Errorf("%s is in the plan (%v): the refused create left it in state", addr, rc.Change.Actions)
			return
		}
	}
}
