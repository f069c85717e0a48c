package provider_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

const vmAddr = "proxmoxsafe_vm.test"

// vmHCL is a proxmoxsafe_vm named test with the given attribute lines.
func vmHCL(name, node string, lines ...string) string {
	return fmt.Sprintf("resource \"proxmoxsafe_vm\" \"test\" {\n  name = %q\n  node = %q\n  %s\n}\n",
		name, node, strings.Join(lines, "\n  "))
}

// forgetVM drops the VM from state without destroying it, as
// `terraform state rm` did in the incident.
const forgetVM = `
removed {
  from = proxmoxsafe_vm.test
  lifecycle {
    destroy = false
  }
}
`

// expectVMCount asserts how many VMs in the simulator carry name.
func expectVMCount(sim acctest.Inventory, name string, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := len(sim.VMsNamed(name)); got != want {
			return fmt.Errorf("%d VMs named %q in the cluster, want %d: %+v", got, name, want, sim.VMsNamed(name))
		}
		return nil
	}
}

func vmCountIs(t *testing.T, sim acctest.Inventory, name string, want int) {
	t.Helper()
	if err := expectVMCount(sim, name, want)(nil); err != nil {
		t.Fatal(err)
	}
}

func onlyVMNamed(t *testing.T, sim acctest.Inventory, name string) pvesim.VM {
	t.Helper()
	vms := sim.VMsNamed(name)
	if len(vms) != 1 {
		t.Fatalf("%d VMs named %q, want 1", len(vms), name)
	}
	return vms[0]
}

func checkNoVMNamed(sim acctest.Inventory, name string) resource.TestCheckFunc {
	return expectVMCount(sim, name, 0)
}

// reLifecycleTags are the user's tags of the lifecycle test's new VM with
// the created marker (proxmoxsafe-created.<unix>.<pid>.<workspace>.<host>)
// between them, as PVE sorts tags.
var reLifecycleTags = regexp.MustCompile(`^prod;proxmoxsafe-created\.[0-9]+\.[0-9]+\.[0-9a-f]{12}\.[a-z0-9_\-+.]+;web$`)

// A VM's life: create, update in place, import by name, VMID and
// node/VMID. Beside it, a VM replaced on another storage (block "moved"),
// and defaultNode (block "nodeless"): a VM without node is a plan-time
// error unless the provider sets default_node, which then places it.
func TestAccVMResource_lifecycle(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "empty", Nodes: []string{"pve", "pve2"}})
	name := lab.RandomName("web")
	nodeless := lab.RandomName("nodeless")
	// The simulator's second node proves default_node, not the first node,
	// placed the VM; a lab offers the node it names.
	defaultNode := "pve2"
	if lab.Sim == nil {
		defaultNode = lab.Node
	}
	moved := lab.RandomName("moved")
	nodelessVM := fmt.Sprintf("resource \"proxmoxsafe_vm\" \"nodeless\" {\n  name = %q\n  started = false\n}\n", nodeless)
	config := func(movedStorage string, lines ...string) string {
		return lab.Config(vmHCL(name, lab.Node, lines...)+nodelessVM+
			vmAt("moved", moved, lab.Node, `started = false`, fmt.Sprintf(`disks = { scsi0 = { storage = %q, size = 4 } }`, movedStorage)),
			fmt.Sprintf(`default_node = %q`, defaultNode))
	}
	sameVM := statecheck.CompareValue(compare.ValuesSame())
	newVM := statecheck.CompareValue(compare.ValuesDiffer())
	sameMAC := statecheck.CompareValue(compare.ValuesSame())
	macPath := tfjsonpath.New("networks").AtMapKey("net0").AtMapKey("mac")

	base := []string{
		`description = "managed by terraform"`,
		`memory = 1024`,
		`cpu = { cores = 2 }`,
		`tags = ["Web", "prod"]`,
		fmt.Sprintf(`disks = { scsi0 = { storage = %q, size = 8 } }`, lab.Storage),
		fmt.Sprintf(`networks = { net0 = { bridge = %q, vlan = 10 } }`, lab.Bridge),
	}
	updated := []string{
		`description = "resized"`,
		`memory = 2048`,
		`cpu = { cores = 4, sockets = 2, type = "host" }`,
		`tags = ["web", "prod", "db"]`,
		fmt.Sprintf(`disks = { scsi0 = { storage = %q, size = 16 } }`, lab.Storage),
		fmt.Sprintf(`networks = { net0 = { bridge = %q, vlan = 20, firewall = true } }`, lab.Bridge),
		`started = false`,
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy: resource.ComposeTestCheckFunc(
			checkNoVMNamed(lab, name), checkNoVMNamed(lab, nodeless), checkNoVMNamed(lab, moved)),
		Steps: []resource.TestStep{
			{
				Config:      lab.Config(nodelessVM),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Missing node.*default_node`),
			},
			{
				Config: config(lab.Storage, base...),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionCreate),
						plancheck.ExpectUnknownValue(vmAddr, tfjsonpath.New("vmid")),
						plancheck.ExpectKnownValue(vmAddr, tfjsonpath.New("status"), knownvalue.StringExact("running")),
					},
					// The plan without refresh reads no VM: the marker is still there.
					PostApplyPreRefresh: append(afterApply(
						expectVMCount(lab, name, 1),
						func(*terraform.State) error {
							vm := lab.VMsNamed(name)[0]
							// Until the first refresh confirms it, the new VM
							// also carries the created marker (Create's last
							// request); the next step's exact tags prove that
							// the refresh removed it.
							if !reLifecycleTags.MatchString(vm.Config["tags"]) || vm.Config["memory"] != "1024" || vm.Status != "running" {
								return fmt.Errorf("VM not configured as planned: %+v", vm)
							}
							return nil
						},
						func(*terraform.State) error {
							if vm := onlyVMNamed(t, lab, nodeless); vm.Node != defaultNode {
								return fmt.Errorf("VM created on %s, want %s", vm.Node, defaultNode)
							}
							return nil
						},
					), stateAfterApply(
						statecheck.ExpectKnownValue(vmRes("nodeless"), tfjsonpath.New("node"), knownvalue.StringExact(defaultNode)),
						sameVM.AddStateValue(vmAddr, tfjsonpath.New("uuid")),
						newVM.AddStateValue(vmRes("moved"), tfjsonpath.New("uuid")),
						sameMAC.AddStateValue(vmAddr, macPath),
						statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("name"), knownvalue.StringExact(name)),
						statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("node"), knownvalue.StringExact(lab.Node)),
						statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("status"), knownvalue.StringExact("running")),
						statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("on_existing"), knownvalue.StringExact("fail")),
						statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("tags"),
							knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("Web"), knownvalue.StringExact("prod")})),
						statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("created_at"),
							knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT`))),
						statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("disks").AtMapKey("scsi0").AtMapKey("volume"),
							knownvalue.StringRegexp(regexp.MustCompile(`^vm-\d+-disk-0$`))),
						statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("networks").AtMapKey("net0").AtMapKey("mac"),
							knownvalue.StringRegexp(regexp.MustCompile(`^BC:24:11(:[0-9A-F]{2}){3}$`))),
					)),
				},
			},
			{
				// "moved": another storage cannot be reached in place:
				// replace, and the guard must not mistake our own VM for a
				// stranger.
				Config: config(lab.OtherStorage, updated...),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction(vmRes("moved"), plancheck.ResourceActionDestroyBeforeCreate),
					},
					PostApplyPreRefresh: append(afterApply(func(*terraform.State) error {
						vm := lab.VMsNamed(name)[0]
						if vm.Config["cores"] != "4" || vm.Config["sockets"] != "2" || vm.Config["tags"] != "db;prod;web" ||
							!strings.Contains(vm.Config["scsi0"], "size=16G") || !strings.Contains(vm.Config["net0"], "tag=20") {
							return fmt.Errorf("VM not updated in place: %+v", vm.Config)
						}
						return nil
					}, expectVMCount(lab, moved, 1)), stateAfterApply(
						newVM.AddStateValue(vmRes("moved"), tfjsonpath.New("uuid")),
						sameVM.AddStateValue(vmAddr, tfjsonpath.New("uuid")),
						sameMAC.AddStateValue(vmAddr, macPath),
						statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("memory"), knownvalue.Int64Exact(2048)),
						statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("status"), knownvalue.StringExact("stopped")),
						statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("disks").AtMapKey("scsi0").AtMapKey("size"), knownvalue.Int64Exact(16)),
					)),
				},
			},
			{
				ResourceName:            vmAddr,
				ImportState:             true,
				ImportStateId:           name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				ResourceName: vmAddr,
				ImportState:  true,
				ImportStateIdFunc: func(s *terraform.State) (string, error) {
					return s.RootModule().Resources[vmAddr].Primary.Attributes["vmid"], nil
				},
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				ResourceName: vmAddr,
				ImportState:  true,
				ImportStateIdFunc: func(s *terraform.State) (string, error) {
					a := s.RootModule().Resources[vmAddr].Primary.Attributes
					return a["node"] + "/" + a["vmid"], nil
				},
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
		},
	})
}

// Parallel applies with separate states and one VM name end with one VM:
// the earliest created wins, the others remove their own and adopt it.
//
// The simulator holds every racer's create request until all racers sent
// one, so each of them passed its apply-time check and creates a VM, however
// busy the machine is: the test never depends on who happens to be first.
// The racers are plain `terraform apply` runs with their own provider
// processes and states, started at once; make parallel runs
// PROXMOXSAFE_RACE_ROUNDS rounds, make test one.
func TestAccVMResource_concurrentApplies(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcceptance(t)
	cli := acctest.NewCLI(t)
	lab := acctest.New(t, pvesim.Options{StatsLag: 10 * time.Second, TaskDuration: 300 * time.Millisecond})
	sim := lab.RequireSim(t, "request gathering (holds every racer's create until all sent one) and request counters")
	const racers = 4
	rounds := 1
	if n, err := strconv.Atoi(os.Getenv("PROXMOXSAFE_RACE_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rounds)*10*time.Minute)
	defer cancel()
	for round := 1; round <= rounds; round++ {
		name := acctest.RandomName(fmt.Sprintf("race%d", round))
		dirs := make([]string, racers)
		for i := range dirs {
			// The held create must not time out while the others start.
			dirs[i] = cli.Workdir(t, lab.Config(vmHCL(name, lab.Node, `started = false`, `on_existing = "adopt"`), "request_timeout = 300"))
		}
		sim.ResetRequestCounts()
		sim.InjectFault(pvesim.Fault{Method: "POST", Path: "/nodes/{node}/qemu", Count: racers, Gather: racers})
		results := make([]acctest.Result, racers)
		errs := make([]error, racers)
		var wg sync.WaitGroup
		for i := range dirs {
			wg.Go(func() { results[i], errs[i] = cli.Run(ctx, dirs[i], "apply", "-auto-approve") })
		}
		wg.Wait()
		vmids := map[int]bool{}
		for i := range results {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if results[i].ExitCode != 0 {
				t.Fatalf("round %d: racer %d failed:\n%s", round, i, tail(results[i].Output, 30))
			}
			vmids[stateVMIDs(t, dirs[i])[name]] = true
		}
		creates := sim.RequestCounts()["POST /nodes/{node}/qemu"]
		t.Logf("round %d: %d racers, %d VMs created, 1 survives (VMID %v)", round, racers, creates, vmids)
		if creates < racers {
			t.Fatalf("round %d: %d create requests, want one per racer at least: the racers did not all race", round, creates)
		}
		vmCountIs(t, sim, name, 1)
		if len(vmids) != 1 {
			t.Fatalf("round %d: the racers' states hold different VMs: %v", round, vmids)
		}
		if winner := onlyVMNamed(t, sim, name).VMID; !vmids[winner] {
			t.Fatalf("round %d: states hold %v, the surviving VM is %d", round, vmids, winner)
		}
	}
}

// Refresh cost grows with the managed VMs, not with the cluster: a plan
// reads each VM where state says it is and never lists the cluster.
func TestAccVMResource_refreshCost(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	sim := lab.RequireSim(t, "request counters")
	prefix := acctest.RandomName("cost")
	config := lab.Config(fmt.Sprintf(`
resource "proxmoxsafe_vm" "test" {
  count   = 3
  name    = "%s-${count.index}"
  node    = "pve2"
  started = false
}
`, prefix))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: refreshCountSteps(sim, config, func(counts map[string]int) error {
			if n := counts["GET /cluster/resources"]; n != 0 {
				t.Errorf("refresh listed the whole cluster %d times", n)
			}
			cfg, status := counts["GET /nodes/{node}/qemu/{vmid}/config"], counts["GET /nodes/{node}/qemu/{vmid}/status/current"]
			if cfg == 0 || cfg%3 != 0 || cfg != status {
				t.Errorf("per-VM reads: %d config, %d status for 3 VMs", cfg, status)
			}
			for key, n := range counts {
				if !strings.Contains(key, "/qemu/{vmid}/config") && !strings.Contains(key, "/status/current") &&
					key != "GET /version" {
					t.Errorf("unexpected request during refresh: %s (%d)", key, n)
				}
			}
			return nil
		}),
	})
}

// refreshCountSteps creates what config declares, then plans it again
// without changes and passes check the requests of that plan-only step,
// counted after both of its plans (without and with refresh).
func refreshCountSteps(sim *pvesim.Server, config string, check func(counts map[string]int) error) []resource.TestStep {
	return []resource.TestStep{
		{Config: config},
		{
			PreConfig: sim.ResetRequestCounts,
			Config:    config,
			PlanOnly:  true,
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: afterApply(func(*terraform.State) error {
				return check(sim.RequestCounts())
			})},
		},
	}
}

// The answer to the create request is lost after PVE did the work: the
// provider finds the VM it asked for and carries on, creating nothing twice.
func TestAccVMResource_lostCreateAnswer(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	sim := lab.RequireSim(t, "dropped-answer fault and request counters")
	name := acctest.RandomName("unheard")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(sim, name),
		Steps: []resource.TestStep{{
			PreConfig: func() {
				sim.InjectFault(pvesim.Fault{Method: "POST", Path: "/nodes/{node}/qemu", DropAfterHandling: true})
			},
			Config: lab.Config(vmHCL(name, lab.Node, `started = false`)),
			Check: resource.ComposeTestCheckFunc(expectVMCount(sim, name, 1), func(s *terraform.State) error {
				want := strconv.Itoa(onlyVMNamed(t, sim, name).VMID)
				if got := s.RootModule().Resources[vmAddr].Primary.Attributes["vmid"]; got != want {
					return fmt.Errorf("state holds VMID %s, the VM is %s", got, want)
				}
				if n := sim.RequestCounts()["POST /nodes/{node}/qemu"]; n != 1 {
					return fmt.Errorf("create sent %d times, want once", n)
				}
				return nil
			}),
		}},
	})
}

// State lost (the incident: `terraform state rm`, or a refused
// create_before_destroy) and what each way back does. One VM per former test:
//   - importBlockAfterStateLoss (block "imported"): an import block takes the
//     same VM back with nothing to do;
//   - stateLossFails ("fails"): the same configuration applied again fails,
//     names the VM and says how to import it, creates nothing;
//   - stateLossAdopts ("adopted"): on_existing = "adopt" takes it back and
//     converges memory;
//   - adoptionRefusesDataLoss ("shrunk"): adoption refuses to shrink a disk;
//   - createBeforeDestroyRejected ("cbd"): a create_before_destroy
//     replacement is refused at apply, and the recovery the error describes
//     (forget, import) works;
//   - a configuration that fixes the VMID of its lost VM ("pinned", seeded
//     as the lost VM): the name guard judges it like the others (fails with
//     the import advice, adopts), not the VMID check ("VMID already in use",
//     which refused the adoption too).
//
// Names of fresh VMs are missing from /cluster/resources for a minute here;
// the guard must still see every one.
func TestAccVMResource_stateLoss(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	imported, adopted := lab.RandomName("db"), lab.RandomName("monitoring-grafana")
	fails, shrunk, cbd := lab.RandomName("monitoring-prometheus"), lab.RandomName("files"), lab.RandomName("cbd")
	lost := lab.AddVM(t, pvesim.VM{VMID: 4400, Name: lab.RandomName("pinned"), Status: "stopped"})
	pinnedVM := func(lines ...string) string {
		return vmAt("pinned", lost.Name, lab.Node, append([]string{`started = false`, fmt.Sprintf("vmid = %d", lost.VMID)}, lines...)...)
	}
	sameImported := statecheck.CompareValue(compare.ValuesSame())
	sameAdopted := statecheck.CompareValue(compare.ValuesSame())
	disk := func(storage string, size int) string {
		return fmt.Sprintf(`disks = { scsi0 = { storage = %q, size = %d } }`, storage, size)
	}
	importedVM := vmAt("imported", imported, lab.Node, `memory = 768`, `started = false`)
	failsVM := vmAt("fails", fails, lab.Node, `started = false`)
	cbdVM := func(storage string) string {
		return vmAt("cbd", cbd, lab.Node, `started = false`, disk(storage, 4), "lifecycle {\n    create_before_destroy = true\n  }")
	}
	created := importedVM + failsVM + cbdVM("local-lvm") +
		vmAt("adopted", adopted, lab.Node, `memory = 1024`) +
		vmAt("shrunk", shrunk, lab.Node, disk(lab.Storage, 20), `started = false`)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy: resource.ComposeTestCheckFunc(
			checkNoVMNamed(lab, imported), checkNoVMNamed(lab, adopted), checkNoVMNamed(lab, cbd), checkNoVMNamed(lab, lost.Name)),
		Steps: []resource.TestStep{
			{
				Config: lab.Config(created),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: []plancheck.PlanCheck{
					stateAfterApply(
						sameImported.AddStateValue(vmRes("imported"), tfjsonpath.New("vmid")),
						sameAdopted.AddStateValue(vmRes("adopted"), tfjsonpath.New("vmid")),
					),
					clusterCheck(expectVMCount(lab, fails, 1)),
				}},
			},
			{
				// createBeforeDestroyRejected: refused at apply time, nothing is created.
				Config:      lab.Config(strings.Replace(created, cbdVM("local-lvm"), cbdVM("local"), 1)),
				ExpectError: regexp.MustCompile(`(?s)already exists.*create_before_destroy.*deposed object`),
			},
			{
				// State lost; for "cbd" the recovery the error describes: forget the deposed VM.
				Config: lab.Config(forgetVMs("imported", "adopted", "fails", "shrunk", "cbd")),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(
					expectVMCount(lab, imported, 1), expectVMCount(lab, cbd, 1), expectVMCount(lab, fails, 1))},
			},
			{
				// stateLossFails: the same configuration again.
				Config: lab.Config(failsVM),
				ExpectError: regexp.MustCompile(`(?s)A VM with this name already exists.*VMID \d+ on node ` + lab.Node +
					`.*terraform import <resource address> ` + fails + `.*import \{.*id = "` + fails + `"`),
			},
			{
				// The same with the lost VM's VMID in the configuration.
				Config:      lab.Config(pinnedVM()),
				ExpectError: regexp.MustCompile(fmt.Sprintf(`(?s)A VM with this name already exists.*VMID %d on node %s`, lost.VMID, lab.Node)),
			},
			{
				// adoptionRefusesDataLoss: adopting would shrink its 20 GiB disk.
				Config:      lab.Config(vmAt("shrunk", shrunk, lab.Node, disk(lab.Storage, 10), `started = false`, `on_existing = "adopt"`)),
				ExpectError: regexp.MustCompile(`(?s)Refusing to adopt the existing VM.*disk scsi0: 20 GiB, configuration says 10 GiB`),
			},
			{
				// importBlockAfterStateLoss and createBeforeDestroyRejected: an
				// import block takes the VM back unchanged. stateLossAdopts:
				// adoption converges what can change without data loss.
				Config: lab.Config(importAt("imported", imported) + importedVM +
					importAt("cbd", cbd) + vmAt("cbd", cbd, lab.Node, `started = false`, disk(lab.Storage, 4)) +
					vmAt("adopted", adopted, lab.Node, `memory = 2048`, `on_existing = "adopt"`) + pinnedVM(`on_existing = "adopt"`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmRes("pinned"), plancheck.ResourceActionCreate),
						plancheck.ExpectResourceAction(vmRes("imported"), plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction(vmRes("cbd"), plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction(vmRes("adopted"), plancheck.ResourceActionCreate),
						plancheck.ExpectKnownValue(vmRes("adopted"), tfjsonpath.New("vmid"), knownvalue.NotNull()),
					},
					PostApplyPreRefresh: append(afterApply(
						expectVMCount(lab, imported, 1), expectVMCount(lab, cbd, 1),
						// The failed apply and the refused adoption created nothing.
						expectVMCount(lab, fails, 1), expectVMCount(lab, shrunk, 1),
						expectVMCount(lab, adopted, 1), expectVMCount(lab, lost.Name, 1), func(*terraform.State) error {
							if got := lab.VMsNamed(adopted)[0].Config["memory"]; got != "2048" {
								return fmt.Errorf("adopted VM has memory %s, want 2048", got)
							}
							return nil
						}), stateAfterApply(
						sameImported.AddStateValue(vmRes("imported"), tfjsonpath.New("vmid")),
						sameAdopted.AddStateValue(vmRes("adopted"), tfjsonpath.New("vmid")),
						statecheck.ExpectKnownValue(vmRes("adopted"), tfjsonpath.New("memory"), knownvalue.Int64Exact(2048)),
						statecheck.ExpectKnownValue(vmRes("pinned"), tfjsonpath.New("uuid"), knownvalue.StringExact(lost.UUID)),
					)),
				},
			},
		},
	})
}

// A create_before_destroy replacement of a VM with on_existing = "adopt":
// the new object adopts the old VM (the only one with its name), and the
// destroy of the old object that follows leaves that VM, with a warning,
// instead of destroying what the new state holds. Before, the apply ended
// with the VM gone and in state. (Under "fail" the replacement is refused:
// stateLoss, createBeforeDestroyRejected.)
func TestAccVMResource_createBeforeDestroyAdopts(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "empty"})
	name := lab.RandomName("cbdadopt")
	config := lab.Config(vmAt("keep", name, lab.Node, `started = false`, `on_existing = "adopt"`,
		"lifecycle {\n    create_before_destroy = true\n  }"))
	sameVM := statecheck.CompareValue(compare.ValuesSame())
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(lab, name),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: []plancheck.PlanCheck{
					stateAfterApply(sameVM.AddStateValue(vmRes("keep"), tfjsonpath.New("uuid"))),
				}},
			},
			{
				Taint:  []string{vmRes("keep")},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmRes("keep"), plancheck.ResourceActionCreateBeforeDestroy),
					},
					// The plans after the apply are empty: the library checks it.
					PostApplyPreRefresh: append(afterApply(expectVMCount(lab, name, 1)),
						stateAfterApply(sameVM.AddStateValue(vmRes("keep"), tfjsonpath.New("uuid")))),
				},
			},
		},
	})
}

// Refusals at plan time (and the create-time ones of new VMs): each leaves
// the cluster and the managed VMs as they were. Two managed VMs, "precious"
// (protected) and "app", stay in every configuration; the refused block is
// added to them. Former tests:
//   - protectionRefusesDestroyAtPlan: destroying or replacing (another VMID)
//     the protected VM is refused, until protection = false;
//   - planTimeRefusals: a shrinking disk, a rename to a name another VM has
//     (case aside), a name that is no DNS name;
//   - vmidTaken: a VMID another VM holds;
//   - neverAdoptsTemplate: on_existing = "adopt" never takes a template;
//   - incidentDuplicatesRefused (fail, adopt): several VMs with the name;
//   - twoResourcesOneName: two blocks, one name (case aside);
//   - importAmbiguousName: importing a name two VMs carry.
func TestAccVMResource_refusals(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	precious, app := lab.RandomName("precious"), lab.RandomName("app")
	taken := lab.AddVM(t, pvesim.VM{VMID: 777, Name: lab.RandomName("taken-name"), Status: "stopped"})
	holder := lab.AddVM(t, pvesim.VM{VMID: 4321, Name: lab.RandomName("holder"), Status: "stopped"})
	fixed := lab.RandomName("fixed")
	tmpl := lab.AddVM(t, pvesim.VM{VMID: 9000, Name: lab.RandomName("debian-12-template"), Status: "stopped", Template: true})
	dup := lab.RandomName("monitoring-prometheus")
	first := lab.AddVM(t, pvesim.VM{VMID: 108, Name: dup, Status: "stopped"})
	second := lab.AddVM(t, pvesim.VM{VMID: 123, Name: dup, Status: "stopped"})
	twin := lab.RandomName("twin")
	ambiguous := lab.RandomName("monitoring-grafana")
	var ambiguousIDs []string
	for _, vmid := range []int{110, 111} {
		vm := lab.AddVM(t, pvesim.VM{VMID: vmid, Name: ambiguous, Status: "stopped"})
		ambiguousIDs = append(ambiguousIDs, regexp.QuoteMeta(fmt.Sprintf("%s/%d", vm.Node, vm.VMID)))
	}

	disk := func(size int) string {
		return fmt.Sprintf(`disks = { scsi0 = { storage = %q, size = %d } }`, lab.Storage, size)
	}
	preciousVM := func(lines ...string) string {
		return vmAt("precious", precious, lab.Node, append([]string{`started = false`}, lines...)...)
	}
	appVM := vmAt("app", app, lab.Node, disk(8), `started = false`)
	managed := lab.Config(preciousVM(`protection = true`) + appVM)
	// with is the managed VMs (unchanged) and body.
	with := func(body string) string { return managed + body }
	duplicates := func(policy string) resource.TestStep {
		return resource.TestStep{
			Config: with(vmAt("dup", dup, lab.Node, fmt.Sprintf("on_existing = %q", policy))),
			ExpectError: regexp.MustCompile(fmt.Sprintf(`(?s)Several VMs already carry this name.*2\s+VMs\s+named\s+%q.*`+
				`VMID %[2]d on node %[4]s.*VMID %[3]d on node %[4]s.*%[4]s/%[2]d.*proxmoxsafe_vm_duplicates`,
				dup, first.VMID, second.VMID, lab.Node)),
		}
	}
	dupFail, dupAdopt := duplicates("fail"), duplicates("adopt")
	dupAdopt.PreConfig = func() { vmCountIs(t, lab, dup, 2) }

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeTestCheckFunc(checkNoVMNamed(lab, precious), checkNoVMNamed(lab, app)),
		Steps: []resource.TestStep{
			{Config: managed},
			{
				Config:      managed,
				Destroy:     true,
				ExpectError: regexp.MustCompile(`(?s)The VM is protected.*set\s+protection\s+=\s+false`),
			},
			{
				// Another VMID is another VM: a replacement, refused as well.
				Config:      lab.Config(preciousVM(`protection = true`, `vmid = 999`) + appVM),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)The VM is protected and would be replaced.*set\s+protection\s+=\s+false`),
			},
			{
				Config:      lab.Config(preciousVM(`protection = true`) + vmAt("app", app, lab.Node, disk(4), `started = false`)),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Disks cannot shrink.*8 GiB.*4 GiB`),
			},
			{
				Config:      lab.Config(preciousVM(`protection = true`) + vmAt("app", strings.ToUpper(taken.Name), lab.Node, disk(8), `started = false`)),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(fmt.Sprintf(`(?s)Another VM already has the new name.*VMID %d`, taken.VMID)),
			},
			{
				Config:      with(vmAt("dns", "not_a_dns_name", lab.Node)),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`valid DNS name`),
			},
			{
				Config:      with(vmAt("fixed", fixed, lab.Node, fmt.Sprintf(`vmid = %d`, holder.VMID))),
				ExpectError: regexp.MustCompile(fmt.Sprintf(`(?s)VMID already in use.*%d.*%s`, holder.VMID, holder.Name)),
			},
			{
				Config:      with(vmAt("template", tmpl.Name, lab.Node, `on_existing = "adopt"`)),
				ExpectError: regexp.MustCompile(fmt.Sprintf(`(?s)Refusing to adopt a template.*VMID %d`, tmpl.VMID)),
			},
			dupFail,
			dupAdopt,
			{
				Config: with(fmt.Sprintf("resource \"proxmoxsafe_vm\" \"a\" {\n  name = %[1]q\n  node = %[2]q\n}\n"+
					"resource \"proxmoxsafe_vm\" \"b\" {\n  name = upper(%[1]q)\n  node = %[2]q\n}\n", twin, lab.Node)),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?si)Two proxmoxsafe_vm resources have the same name.*` + twin),
			},
			{
				Config:        lab.Config(vmAt("ambiguous", ambiguous, lab.Node, `started = false`)),
				ResourceName:  vmRes("ambiguous"),
				ImportState:   true,
				ImportStateId: ambiguous,
				ExpectError: regexp.MustCompile(fmt.Sprintf(`(?s)"%s" is ambiguous: 2\s+VMs\s+carry\s+it.*%s`,
					regexp.QuoteMeta(ambiguous), strings.Join(ambiguousIDs, `,\s+`))),
			},
			{
				// The managed VMs came through the refusals: protection off,
				// "app" as it was.
				Config: lab.Config(preciousVM(`protection = false`) + appVM),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(
					expectVMCount(lab, precious, 1), expectVMCount(lab, app, 1))},
			},
		},
	})
	if vm, _ := lab.VM(taken.VMID); vm.Name != taken.Name {
		t.Fatalf("the other VM was changed: %+v", vm)
	}
	vmCountIs(t, lab, fixed, 0)
	if vm, _ := lab.VM(tmpl.VMID); !vm.Template || len(lab.VMsNamed(tmpl.Name)) != 1 {
		t.Fatalf("the template was changed or duplicated: %+v", vm)
	}
	vmCountIs(t, lab, dup, 2)
	vmCountIs(t, lab, twin, 0)
}

// The incident's cluster, one block per former test:
//   - clone ("clone"): two VMs named like a source, neither on the target
//     node, make the name ambiguous; one of them on the target node is
//     preferred; the clone converges and gets its own identity; another
//     source later changes nothing;
//   - destroyOnBrokenStorage ("orphan"): a disk on a storage PVE cannot
//     activate does not stop a destroy (qemu-server QemuServer.pm
//     destroy_vm only warns "Could not remove disk ..."): the VM is gone
//     from the cluster and from state, and the volume is left behind on the
//     broken pool for the operator to free.
func TestAccVMResource_cloneAndBrokenStorage(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	sim := lab.RequireSim(t, "second node pve2 (clone sources off the target node), the incident's template 9000 and broken storage (downloads)")
	name, orphan := acctest.RandomName("clone"), acctest.RandomName("orphan")
	clone := func(source string) string {
		return lab.Config(vmAt("clone", name, "pve",
			fmt.Sprintf("clone = { source = %q }", source), `memory = 1024`, `started = false`) +
			vmAt("orphan", orphan, "pve", `started = false`))
	}
	for _, vmid := range []int{9100, 9101} {
		if err := sim.AddVM(pvesim.VM{VMID: vmid, Node: "pve2", Name: "base-image", Status: "stopped", Template: true}); err != nil {
			t.Fatal(err)
		}
	}
	var volume string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy: resource.ComposeTestCheckFunc(checkNoVMNamed(sim, name), func(*terraform.State) error {
			if got := sim.VMsNamed(orphan); len(got) != 0 {
				return fmt.Errorf("VM still in the cluster after destroy: %+v", got)
			}
			if left := sim.LeftoverVolumes(); !slices.Contains(left, volume) {
				return fmt.Errorf("leftover volumes %v, want %s among them", left, volume)
			}
			return nil
		}),
		Steps: []resource.TestStep{
			{
				Config:      clone("base-image"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)clone source "base-image" is ambiguous.*none of\s+them is on the target node pve.*VMID 9100.*VMID 9101`),
			},
			{
				PreConfig: func() {
					if err := sim.AddVM(pvesim.VM{VMID: 9102, Node: "pve", Name: "base-image", Status: "stopped", Template: true}); err != nil {
						t.Fatal(err)
					}
				},
				Config: clone("base-image"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: append(afterApply(func(*terraform.State) error {
					vm := onlyVMNamed(t, sim, name)
					tmpl, _ := sim.VM(9102)
					if vm.Template || vm.Config["memory"] != "1024" || vm.UUID == tmpl.UUID || vm.Node != "pve" {
						return fmt.Errorf("clone not converged, not on pve or shares the template's identity: %+v", vm)
					}
					return nil
				}), stateAfterApply(
					statecheck.ExpectKnownValue(vmRes("clone"), tfjsonpath.New("memory"), knownvalue.Int64Exact(1024)),
					// Write-only: a create-time instruction, never stored.
					statecheck.ExpectKnownValue(vmRes("clone"), tfjsonpath.New("clone"), knownvalue.Null()),
				))},
			},
			{
				// "orphan" gets a disk on the ZFS pool that cannot be
				// imported; refresh records it and the destroy that ends the
				// test meets it.
				PreConfig: func() {
					id := onlyVMNamed(t, sim, orphan).VMID
					volume = fmt.Sprintf("downloads:vm-%d-disk-1", id)
					if err := sim.SetVMConfig(id, "scsi1", volume+",size=4G"); err != nil {
						t.Fatal(err)
					}
				},
				// Another clone source later changes nothing: the VM exists.
				Config: clone("debian-12-template"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmRes("clone"), plancheck.ResourceActionNoop),
					},
					PostApplyPreRefresh: afterApply(expectVMCount(sim, name, 1)),
				},
			},
		},
	})
}

// A failed step after the VM exists leaves it in state (tainted), never
// orphaned; the next apply replaces it. One block per former test:
//   - failedStartTaints ("flaky"): the first start fails; the replacement
//     runs; tainting by hand plans a replacement of our own VM, which the
//     guard must not mistake for a stranger;
//   - createTimeoutKeepsVM ("slow"): a create that outlives its timeout
//     leaves the VM in state as tainted, even while PVE is still creating
//     it. Its VMID is fixed: the replacement plans a create of that VMID
//     while the tainted VM still holds it, and keeps it.
//
// The first create of "slow" is held (HoldTask) until the second step:
// it outlives its 1 s create timeout however fast or busy the machine is.
func TestAccVMResource_failedCreateTaints(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "empty"})
	sim := lab.RequireSim(t, "task fault injection (a failing qmstart) and a held qmcreate")
	flaky, slow := acctest.RandomName("flaky"), acctest.RandomName("slow")
	const slowVMID = 4300
	flakyVM := vmAt("flaky", flaky, lab.Node)
	slowVM := func(lines ...string) string {
		return vmAt("slow", slow, lab.Node, append([]string{fmt.Sprintf("vmid = %d", slowVMID), `started = false`}, lines...)...)
	}
	releaseSlow := sim.HoldTask("qmcreate", strconv.Itoa(slowVMID))
	t.Cleanup(releaseSlow)
	startFailed := `start VM.*start failed: QEMU exited with code 1`
	createTimedOut := `finish creating VM \d+.*kept in state as tainted`
	var firstVMID int
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeTestCheckFunc(checkNoVMNamed(sim, flaky), checkNoVMNamed(sim, slow)),
		Steps: []resource.TestStep{
			{
				PreConfig: func() { sim.FailTasks("qmstart", 1, "start failed: QEMU exited with code 1") },
				Config:    lab.Config(flakyVM + slowVM(`timeouts = { create = "1s" }`)),
				// Both fail, in either order.
				ExpectError: regexp.MustCompile(`(?s)(` + startFailed + `.*` + createTimedOut + `|` + createTimedOut + `.*` + startFailed + `)`),
			},
			{
				PreConfig: func() {
					firstVMID = onlyVMNamed(t, sim, flaky).VMID
					if vm, _ := sim.VM(slowVMID); vm.Lock != "create" {
						t.Fatalf("the first create of %q (VM %d) is not running any more: %+v", slow, slowVMID, vm)
					}
					// Let PVE finish the first create of "slow".
					releaseSlow()
					deadline := time.Now().Add(20 * time.Second)
					for time.Now().Before(deadline) {
						if vms := sim.VMsNamed(slow); len(vms) == 1 && vms[0].Lock == "" {
							return
						}
						time.Sleep(20 * time.Millisecond)
					}
					t.Fatalf("the first VM never finished: %+v", sim.VMs())
				},
				// The create that timed out could not mark its VM (PVE
				// was still creating it): the refresh of the state that
				// holds it takes the creating marker off, so no other
				// working directory takes it for an interrupted create.
				RefreshState:       true,
				ExpectNonEmptyPlan: true, // both tainted
				Check: func(*terraform.State) error {
					if vm, _ := sim.VM(slowVMID); strings.Contains(vm.Config["tags"], "proxmoxsafe-") {
						return fmt.Errorf("VM %d still carries a create marker after the refresh: tags %q", slowVMID, vm.Config["tags"])
					}
					return nil
				},
			},
			{
				Config: lab.Config(flakyVM + slowVM()),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmRes("flaky"), plancheck.ResourceActionDestroyBeforeCreate),
						plancheck.ExpectResourceAction(vmRes("slow"), plancheck.ResourceActionDestroyBeforeCreate),
					},
					PostApplyPreRefresh: afterApply(expectVMCount(sim, slow, 1), expectVMCount(sim, flaky, 1), func(*terraform.State) error {
						if vm := sim.VMsNamed(flaky)[0]; vm.Status != "running" || vm.UUID == "" {
							return fmt.Errorf("replacement not running: %+v (first VMID %d)", vm, firstVMID)
						}
						if vm := sim.VMsNamed(slow)[0]; vm.VMID != slowVMID {
							return fmt.Errorf("the replacement of %q has VMID %d, not its fixed %d", slow, vm.VMID, slowVMID)
						}
						return nil
					}),
				},
			},
			{
				Taint:  []string{vmRes("flaky")},
				Config: lab.Config(flakyVM + slowVM()),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmRes("flaky"), plancheck.ResourceActionDestroyBeforeCreate),
					},
					PostApplyPreRefresh: afterApply(expectVMCount(sim, flaky, 1)),
				},
			},
		},
	})
}

// A create that cannot be proven safe ends in an error and leaves no VM of
// ours behind. Each step has its own cluster:
//   - failsClosed, name unreadable on an offline node: the guard cannot see
//     every VM, refuses to create and says why;
//   - failsClosed, token without VM.Audit on /vms: the same;
//   - raceLoserRemovesOwnVM: another apply creates the same name while ours
//     is creating it, and its VM is older: ours loses, removes only its own
//     VM and fails with on_existing = "fail". The competitor is untouched.
func TestAccVMResource_failsClosedAndRaceLost(t *testing.T) {
	t.Parallel()
	offline := acctest.New(t, pvesim.Options{Nodes: []string{"pve", "pve2"}, StatsLag: time.Hour})
	offlineSim := offline.RequireSim(t, "offline node control (pve2 unreachable)")
	if err := offlineSim.AddVM(pvesim.VM{VMID: 321, Node: "pve2", Name: "fresh", Status: "running", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	offlineSim.SetNodeOffline("pve2", true)
	blind := acctest.RandomName("blind")

	narrow := acctest.New(t, pvesim.Options{Scenario: "incident"})
	narrowSim := narrow.RequireSim(t, "extra API token that sees only VMs 100 and 101")
	const limited = "ci@pve!narrow=99999999-0000-4000-8000-000000000000"
	narrowSim.AddToken(limited, []int{100, 101})
	partial := acctest.RandomName("partial")

	race := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	raceSim := race.RequireSim(t, "request delay fault and request counters")
	contested := acctest.RandomName("contested")
	const rival = 4000

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      offline.Config(vmHCL(blind, "pve")),
				ExpectError: regexp.MustCompile(`(?s)Cannot verify that the VM name is unique.*VMIDs 321`),
			},
			{
				Config:      strings.Replace(narrow.Config(vmHCL(partial, "pve")), strconv.Quote(narrow.Token()), strconv.Quote(limited), 1),
				ExpectError: regexp.MustCompile(`(?s)cannot see every VM.*VM\.Audit on /vms`),
			},
			{
				PreConfig: func() {
					raceSim.InjectFault(pvesim.Fault{Method: "POST", Path: "/nodes/{node}/qemu", Delay: 3 * time.Second})
					go func() {
						// As soon as our create request arrives, the rival appears.
						for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
							if raceSim.RequestCounts()["POST /nodes/{node}/qemu"] > 0 {
								_ = raceSim.AddVM(pvesim.VM{VMID: rival, Node: "pve", Name: contested, Status: "stopped",
									CTime: time.Now().Unix() - 60, CreatedAt: time.Now()})
								return
							}
						}
					}()
				},
				Config:      race.Config(vmHCL(contested, race.Node, `started = false`)),
				ExpectError: regexp.MustCompile(`(?s)A concurrent apply created this VM name first.*VMID 4000.*removed its own VM \d+`),
			},
		},
	})
	vmCountIs(t, offlineSim, blind, 0)
	vmCountIs(t, narrowSim, partial, 0)
	if vms := raceSim.VMsNamed(contested); len(vms) != 1 || vms[0].VMID != rival {
		t.Fatalf("want only the rival %d named %q, got %+v", rival, contested, vms)
	}
}
