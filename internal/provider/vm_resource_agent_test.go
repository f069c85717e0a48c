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

const agentRequests = "GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces"

// expectAgent checks an enabled agent's settings in state.
func expectAgent(trim bool, typ string) statecheck.StateCheck {
	return expectAgentAt(vmAddr, trim, typ)
}

func expectAgentAt(addr string, trim bool, typ string) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(addr, tfjsonpath.New("agent"), knownvalue.ObjectPartial(map[string]knownvalue.Check{
		"enabled": knownvalue.Bool(true), "trim": knownvalue.Bool(trim), "type": knownvalue.StringExact(typ),
	}))
}

func agentConfigIs(sim *pvesim.Server, vmid int, want string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		vm, ok := sim.VM(vmid)
		if !ok {
			return fmt.Errorf("VM %d is gone", vmid)
		}
		if got := vm.Config["agent"]; got != want {
			return fmt.Errorf("VM %d has agent=%q, want %q", vmid, got, want)
		}
		return nil
	}
}

// The guest agent, four scenarios on four VMs in one configuration (one
// terraform run per step for all). After each start (the reboot included)
// the simulated agent leaves the first two questions unanswered (the read
// of the started VM asks once), so a state written without waiting for the
// agent has no addresses, however fast or busy the machine is.
//
//   - proxmoxsafe_vm.test and proxmoxsafe_vm.typed (was
//     TestAccVMResource_agent): a VM created with the agent waits for its
//     address, records the addresses without loopback and link-local ones,
//     and changes trim online (test); it changes the type with a restart,
//     keeps trim and type when the configuration leaves them out, and
//     imports clean (typed, created with trim).
//   - proxmoxsafe_vm.restart (was
//     TestAccVMResource_agentWaitForIPAfterPendingRestart): a restart for
//     pending changes (reboot_after_update) is a start like any other:
//     wait_for_ip waits for the guest's address after it, so the state the
//     apply writes has the addresses.
//   - proxmoxsafe_vm.legacy (was TestAccVMResource_agentAdoption): adopting
//     a VM whose configuration leaves the agent out keeps its agent; one
//     that sets it converges it.
//   - proxmoxsafe_vm.clone (was TestAccVMResource_cloneConvergedBeforeStart):
//     a clone with started = true is converged (disk resize, NIC,
//     cloud-init, agent) before its first start: nothing changes it after
//     the start.
func TestAccVMResource_agent(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "empty", Agent: pvesim.AgentOptions{BootQueries: 2, PingTimeout: 100 * time.Millisecond}})
	sim := lab.RequireSim(t, "guest agent simulation, a seeded cloud-init template and the request log")
	const (
		typedAddr   = "proxmoxsafe_vm.typed"
		restartAddr = "proxmoxsafe_vm.restart"
		legacyAddr  = "proxmoxsafe_vm.legacy"
	)
	name, restartVM, legacyVM, cloneVM := acctest.RandomName("agent"), acctest.RandomName("agentrb"),
		acctest.RandomName("legacy"), acctest.RandomName("converge")
	typedVM := acctest.RandomName("agenttype")
	const (
		vmid        = 4100 // the simulated guest's addresses: 10.16.4.10, fd00:0:1004::a
		restartVMID = 4101 // the simulated guest's address: 10.16.5.10
		typedVMID   = 4102
		legacyVMID  = 4713
	)
	if err := sim.AddVM(pvesim.VM{VMID: legacyVMID, Node: lab.Node, Name: legacyVM, Status: "stopped",
		Config: map[string]string{"memory": "2048", "agent": "1,fstrim_cloned_disks=1,freeze-fs=0"}}); err != nil {
		t.Fatal(err)
	}
	if err := sim.AddVM(pvesim.CloudInitTemplate(9060, "pve", "debian-12-cloud")); err != nil {
		t.Fatal(err)
	}
	// config is the five VMs: the agent VMs with their agent lines, the
	// restart VM with its memory, the adopted VM with its lines; the clone
	// never changes.
	config := func(agent, typed string, memory int, legacy ...string) string {
		return lab.Config(vmHCL(name, lab.Node, fmt.Sprintf("vmid = %d", vmid), `networks = { net0 = { bridge = "vmbr0" } }`, agent) +
			vmAt("typed", typedVM, lab.Node, fmt.Sprintf("vmid = %d", typedVMID), `networks = { net0 = { bridge = "vmbr0" } }`, typed) +
			vmAt("restart", restartVM, lab.Node, fmt.Sprintf("vmid = %d", restartVMID), fmt.Sprintf("memory = %d", memory),
				`networks = { net0 = { bridge = "vmbr0" } }`, `agent = { enabled = true, wait_for_ip = { timeout = "2m" } }`) +
			vmAt("legacy", legacyVM, lab.Node, append([]string{`started = false`, `on_existing = "adopt"`}, legacy...)...) +
			cloudInitAt("clone", cloneVM, `started = true`, `agent = { enabled = true, trim = true }`,
				`cloud_init = { user = "ops", ip_config = { net0 = { ipv4 = { address = "10.0.0.40/24", gateway = "10.0.0.1" } } } }`))
	}
	restartHasAddress := statecheck.ExpectKnownValue(restartAddr, tfjsonpath.New("ipv4_addresses"),
		knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("10.16.5.10")}))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy: resource.ComposeTestCheckFunc(checkNoVMNamed(sim, name), checkNoVMNamed(sim, typedVM), checkNoVMNamed(sim, restartVM),
			checkNoVMNamed(sim, legacyVM), checkNoVMNamed(sim, cloneVM)),
		Steps: []resource.TestStep{
			{
				// The clone's requests are read from here on.
				PreConfig: sim.ResetRequestCounts,
				Config: config(`agent = { enabled = true, wait_for_ip = { timeout = "2m" } }`,
					`agent = { enabled = true, trim = true, wait_for_ip = { timeout = "2m" } }`, 1024),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: append(afterApply(
					agentConfigIs(sim, vmid, "enabled=1"),
					agentConfigIs(sim, typedVMID, "enabled=1,fstrim_cloned_disks=1"),
					agentConfigIs(sim, legacyVMID, "1,fstrim_cloned_disks=1,freeze-fs=0"),
					convergedBeforeFirstStart(t, sim, cloneVM),
					expectConfig(t, sim, cloneVM, map[string]string{"agent": "enabled=1,fstrim_cloned_disks=1", "ciuser": "ops",
						"ipconfig0": "ip=10.0.0.40/24,gw=10.0.0.1"}),
				), stateAfterApply(
					expectAgent(false, "virtio"),
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("ipv4_addresses"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact("10.16.4.10")})),
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("ipv6_addresses"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact("fd00:0:1004::a")})),
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("network_interfaces"), knownvalue.ListSizeExact(2)),
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("network_interfaces").AtSliceIndex(1).AtMapKey("name"),
						knownvalue.StringExact("ens18")),
					restartHasAddress,
					expectAgentAt(legacyAddr, true, "virtio"),
					expectAgentAt(typedAddr, true, "virtio"),
				))},
				// The plans after the adoption are empty: the library checks it.
			},
			{
				// trim applies to the running VM (vmconfig_update_agent);
				// the type waits for the next start: a restart. memory waits for a restart: the apply restarts the restart
				// VM once and waits for the agent's address again. A
				// stopped VM takes the change at once; freeze-fs, which the
				// provider does not manage, stays.
				Config: config(`agent = { enabled = true, trim = true, wait_for_ip = { timeout = "2m" } }`,
					`agent = { enabled = true, trim = true, type = "isa", wait_for_ip = { timeout = "2m" } }`, 2048, `agent = { trim = false }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: append([]plancheck.PlanCheck{
						plancheck.ExpectResourceAction(restartAddr, plancheck.ResourceActionUpdate),
					}, inPlace.PreApply...),
					PostApplyPreRefresh: append(afterApply(
						agentConfigIs(sim, vmid, "enabled=1,fstrim_cloned_disks=1"), restarts(sim, name, 0),
						agentConfigIs(sim, typedVMID, "enabled=1,fstrim_cloned_disks=1,type=isa"), restarts(sim, typedVM, 1),
						restarts(sim, restartVM, 1),
						agentConfigIs(sim, legacyVMID, "enabled=1,freeze-fs=0"),
					), stateAfterApply(
						expectAgent(true, "virtio"),
						expectAgentAt(typedAddr, true, "isa"),
						expectMemoryAt(restartAddr, 2048), restartHasAddress,
						expectAgentAt(legacyAddr, false, "virtio"),
					)),
				},
				// The plans after the apply are empty: the library checks it.
			},
			{
				// Leaving trim and type out keeps what the VMs have: the
				// plans are empty (a plan-only step fails on changes).
				Config: config(`agent = { enabled = true, wait_for_ip = { timeout = "2m" } }`,
					`agent = { enabled = true, wait_for_ip = { timeout = "2m" } }`, 2048, `agent = { trim = false }`),
				PlanOnly: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: []plancheck.PlanCheck{stateAfterApply(
					// An import verifies. Terraform-only settings; the
					// addresses may change while the guest boots again
					// after the restart.
					importVerified(t, lab, typedAddr, typedVM, "agent.wait_for_ip", "ipv4_addresses", "ipv6_addresses", "network_interfaces"),
				)}},
			},
		},
	})
}

// wait_for_ip gives up at its timeout with an error that names the VM and
// what to check; the VM stays in state.
func TestAccVMResource_agentWaitForIPTimeout(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "empty", Agent: pvesim.AgentOptions{BootDelay: time.Hour}})
	sim := lab.RequireSim(t, "guest agent simulation")
	name := acctest.RandomName("noip")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(sim, name),
		Steps: []resource.TestStep{
			{
				Config: lab.Config(vmHCL(name, lab.Node, `agent = { enabled = true, wait_for_ip = { timeout = "3s" } }`)),
				ExpectError: regexp.MustCompile(`(?s)No IP address from the guest agent.*VM \d+ \("` + name +
					`"\) on node pve runs.*within 3s.*QEMU guest agent is not running.*qemu-guest-agent`),
			},
			{
				// Refresh does not wait: the VM is in state, without addresses.
				RefreshState:       true,
				ExpectNonEmptyPlan: true, // tainted by the failed create
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr(vmAddr, "ipv4_addresses.#", "0"),
					func(*terraform.State) error { vmCountIs(t, sim, name, 1); return nil },
				),
			},
		},
	})
}

// A refresh asks the agent once per running VM with the agent enabled, and
// never for a stopped VM or one without the agent; an agent that does not
// answer costs no error.
func TestAccVMResource_agentRefreshCost(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "empty", Agent: pvesim.AgentOptions{BootDelay: time.Hour}})
	sim := lab.RequireSim(t, "guest agent simulation")
	prefix := acctest.RandomName("agentcost")
	config := lab.Config(fmt.Sprintf(`
resource "proxmoxsafe_vm" "agent" {
  name  = "%[1]s-agent"
  node  = %[2]q
  agent = { enabled = true }
}
resource "proxmoxsafe_vm" "plain" {
  name = "%[1]s-plain"
  node = %[2]q
}
resource "proxmoxsafe_vm" "stopped" {
  name    = "%[1]s-stopped"
  node    = %[2]q
  started = false
  agent   = { enabled = true }
}
`, prefix, lab.Node))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: refreshCountSteps(sim, config, func(counts map[string]int) error {
			// Each refresh (plan and the plan check) asks the one agent once.
			status := counts["GET /nodes/{node}/qemu/{vmid}/status/current"]
			refreshes := status / 3
			if status == 0 || status%3 != 0 {
				return fmt.Errorf("%d status reads for 3 VMs: %v", status, counts)
			}
			if n := counts[agentRequests]; n != refreshes {
				t.Errorf("%d agent requests in %d refreshes of one VM with the agent, want %d", n, refreshes, refreshes)
			}
			// Running VMs are read with their pending values, the
			// stopped one with its config: two reads per VM in all.
			if p, c := counts["GET /nodes/{node}/qemu/{vmid}/pending"], counts["GET /nodes/{node}/qemu/{vmid}/config"]; p != 2*refreshes || c != refreshes {
				t.Errorf("%d pending and %d config reads in %d refreshes, want %d and %d", p, c, refreshes, 2*refreshes, refreshes)
			}
			if total := sim.TotalRequests() - counts["GET /version"]; total != 7*refreshes {
				t.Errorf("%d requests in %d refreshes of 3 VMs, want %d: %v", total, refreshes, 7*refreshes, counts)
			}
			return nil
		}),
	})
}
