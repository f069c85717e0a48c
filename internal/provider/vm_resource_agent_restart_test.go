package provider_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// A restart for pending changes (reboot_after_update) is a start like any
// other: wait_for_ip waits for the guest's address after it, so the state
// the apply writes has the addresses. The simulated agent answers only 8 s
// after each start (the reboot included), far longer than the refresh
// right after the reboot takes.
func TestAccVMResource_agentWaitForIPAfterPendingRestart(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "empty", Agent: pvesim.AgentOptions{BootDelay: 8 * time.Second, PingTimeout: 100 * time.Millisecond}})
	sim := lab.RequireSim(t, "guest agent simulation")
	name := acctest.RandomName("agentrb")
	const vmid = 4101 // the simulated guest's address: 10.16.5.10
	vm := func(memory int) string {
		return lab.Config(vmHCL(name, lab.Node, fmt.Sprintf("vmid = %d", vmid), fmt.Sprintf("memory = %d", memory),
			`networks = { net0 = { bridge = "vmbr0" } }`, `agent = { enabled = true, wait_for_ip = { timeout = "2m" } }`))
	}
	hasAddress := statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("ipv4_addresses"),
		knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("10.16.5.10")}))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(sim, name),
		Steps: []resource.TestStep{
			{Config: vm(1024), ConfigStateChecks: []statecheck.StateCheck{hasAddress}},
			{
				// memory waits for a restart: the apply restarts the VM once
				// and waits for the agent's address again.
				Config: vm(2048),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionUpdate),
					},
					PostApplyPreRefresh: afterApply(restarts(sim, name, 1)),
				},
				ConfigStateChecks: []statecheck.StateCheck{expectMemory(2048), hasAddress},
				// The plans after the apply are empty: the library checks it.
			},
		},
	})
}
