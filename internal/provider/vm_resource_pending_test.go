package provider_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// On a running VM, a memory change without memory hotplug waits in PVE's
// pending section (qemu-server src/PVE/QemuServer.pm
// vmconfig_hotplug_pending: memory hotplugs only with the "memory" hotplug
// feature and NUMA; the default hotplug is "network,disk,usb").

// labClient talks to the lab like a user outside Terraform would.
func labClient(t *testing.T, lab *acctest.Lab) *pve.Client {
	t.Helper()
	conn := lab.Connection()
	c, err := pve.NewClient(context.Background(), pve.Config{
		Endpoint: conn.Endpoint, APIToken: conn.APIToken, Username: conn.Username, Password: conn.Password,
		Insecure: conn.Insecure, CACertificatePEM: conn.CACertPEM,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// vmMemory checks the memory the VM runs (its config without the pending
// section) and what waits.
func vmMemory(sim acctest.Inventory, name string, running, pending string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		vms := sim.VMsNamed(name)
		if len(vms) != 1 {
			return fmt.Errorf("%d VMs named %q", len(vms), name)
		}
		if got := vms[0].Config["memory"]; got != running {
			return fmt.Errorf("VM %d runs memory=%s, want %s", vms[0].VMID, got, running)
		}
		set, _ := sim.PendingConfig(vms[0].VMID)
		if set["memory"] != pending {
			return fmt.Errorf("VM %d has pending memory=%q, want %q", vms[0].VMID, set["memory"], pending)
		}
		return nil
	}
}

// restarts checks how many times the VM named name was restarted (PVE's
// qmreboot tasks) since it was created. Only the simulator of one test
// never recycles a VMID: in a lab, the task list of a VMID also holds the
// tasks of the VMs that had it before, so tests that run there count with a
// restartCounter.
func restarts(sim *pvesim.Server, name string, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		vms := sim.VMsNamed(name)
		if len(vms) != 1 {
			return fmt.Errorf("%d VMs named %q", len(vms), name)
		}
		if n := sim.TaskCount("qmreboot", vms[0].VMID); n != want {
			return fmt.Errorf("VM %d was restarted %d times, want %d", vms[0].VMID, n, want)
		}
		return nil
	}
}

func expectMemory(mb int64) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("memory"), knownvalue.Int64Exact(mb))
}

// With reboot_after_update (the default) a change that waits restarts the
// VM once, and the VM then runs it; a change PVE applies at once does not.
func TestAccVMResource_pendingChangeRestarts(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	name := lab.RandomName("pend")
	restarts := newRestartCounter(t, lab, name)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(lab, name),
		Steps: []resource.TestStep{
			{Config: lab.Config(vmHCL(name, lab.Node, `memory = 1024`))},
			{
				PreConfig: restarts.mark,
				Config:    lab.Config(vmHCL(name, lab.Node, `memory = 2048`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionUpdate),
					},
					PostApplyPreRefresh: afterApply(vmMemory(lab, name, "2048", ""), restarts.expect(1)),
				},
				ConfigStateChecks: []statecheck.StateCheck{expectMemory(2048)},
			},
			{
				// The description applies at once ($fast_plug_option): no restart.
				PreConfig:        restarts.mark,
				Config:           lab.Config(vmHCL(name, lab.Node, `memory = 2048`, `description = "now"`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(restarts.expect(0))},
			},
		},
	})
}

// With reboot_after_update = false the VM keeps running the old value,
// state records what runs, and every plan shows the change until the VM
// restarts; a change reverted while it waits is an update too. After a
// stop/start outside Terraform the plan is clean.
func TestAccVMResource_pendingChangeWaits(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	name := lab.RandomName("pend")
	restarts := newRestartCounter(t, lab, name)
	noReboot := `reboot_after_update = false`
	config := func(memory int) string {
		return lab.Config(vmHCL(name, lab.Node, fmt.Sprintf("memory = %d", memory), noReboot))
	}
	update := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionUpdate),
	}}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(lab, name),
		Steps: []resource.TestStep{
			{Config: config(1024)},
			{
				PreConfig: restarts.mark,
				Config:    config(2048),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPreRefresh: afterApply(vmMemory(lab, name, "1024", "2048"), restarts.expect(0)),
				},
				// Both plans after the apply still show 1024 -> 2048 (the
				// library asserts it: a plan-only step would repeat them).
				ExpectNonEmptyPlan: true,
			},
			{
				Config: config(2048),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:            update.PreApply,
					PostApplyPreRefresh: afterApply(vmMemory(lab, name, "1024", "2048")),
				},
				ConfigStateChecks:  []statecheck.StateCheck{expectMemory(2048)},
				ExpectNonEmptyPlan: true,
			},
			{
				// A change back to what runs, while 2048 waits: not clean,
				// the apply drops what waits.
				Config: config(1024),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:            update.PreApply,
					PostApplyPreRefresh: afterApply(vmMemory(lab, name, "1024", "")),
				},
				ConfigStateChecks: []statecheck.StateCheck{expectMemory(1024)},
			},
			{
				Config:             config(4096),
				ConfigPlanChecks:   resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(vmMemory(lab, name, "1024", "4096"))},
				ExpectNonEmptyPlan: true,
			},
			{
				// Shut down and started outside Terraform: PVE applies what
				// waits, and the plan is clean.
				PreConfig: func() {
					c := labClient(t, lab)
					vmid := onlyVMNamed(t, lab, name).VMID
					if err := c.ShutdownVM(context.Background(), lab.Node, vmid, 0); err != nil {
						t.Fatal(err)
					}
					if err := c.StartVM(context.Background(), lab.Node, vmid); err != nil {
						t.Fatal(err)
					}
				},
				Config: config(4096),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:            []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
					PostApplyPreRefresh: afterApply(vmMemory(lab, name, "4096", "")),
				},
				ConfigStateChecks: []statecheck.StateCheck{expectMemory(4096)},
			},
			{
				Config:             config(8192),
				ConfigPlanChecks:   resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(vmMemory(lab, name, "4096", "8192"))},
				ExpectNonEmptyPlan: true,
			},
			{
				// Switching reboot_after_update on restarts the VM for what waits.
				PreConfig: restarts.mark,
				Config:    lab.Config(vmHCL(name, lab.Node, "memory = 8192")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:            update.PreApply,
					PostApplyPreRefresh: afterApply(vmMemory(lab, name, "8192", ""), restarts.expect(1)),
				},
			},
		},
	})
}

// The plan says which VM will restart and why; with reboot_after_update =
// false it says the change waits. A change PVE applies at once warns
// nothing, and a plan without changes reads no config.
func TestAccVMResource_pendingPlanWarns(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	t.Parallel()
	cli := acctest.NewCLI(t)
	lab := acctest.NewEmpty(t)
	name := lab.RandomName("warn")
	ctx := context.Background()
	dir := cli.Workdir(t, lab.Config(vmHCL(name, lab.Node, `memory = 1024`, `cpu = { cores = 1 }`)))
	if res, err := cli.Run(ctx, dir, "apply", "-auto-approve"); err != nil || res.ExitCode != 0 {
		t.Fatalf("apply: %v\n%s", err, res.Output)
	}
	vmid := onlyVMNamed(t, lab, name).VMID
	plan := func(lines ...string) string {
		t.Helper()
		cli.WriteConfig(t, dir, lab.Config(vmHCL(name, lab.Node, lines...)))
		res, err := cli.Run(ctx, dir, "plan", "-no-color")
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("plan: %v\n%s", err, res.Output)
		}
		return strings.Join(strings.Fields(res.Output), " ")
	}

	out := plan(`memory = 2048`, `cpu = { cores = 2 }`)
	restart := regexp.MustCompile(fmt.Sprintf(`Warning: The VM will restart .*Apply restarts VM %d \(%q\) on node %s once: Proxmox VE cannot change cores, memory of a running VM`, vmid, name, lab.Node))
	if !restart.MatchString(out) {
		t.Errorf("the plan does not warn of the restart:\n%s", out)
	}
	out = plan(`memory = 2048`, `cpu = { cores = 1 }`, `reboot_after_update = false`)
	waits := regexp.MustCompile(fmt.Sprintf(`Warning: Changes wait for a restart of the VM .*Proxmox VE cannot change memory of running VM %d \(%q\) on node %s`, vmid, name, lab.Node))
	if !waits.MatchString(out) {
		t.Errorf("the plan does not say that the change waits:\n%s", out)
	}
	out = plan(`memory = 1024`, `cpu = { cores = 1 }`, `description = "applied at once"`)
	if regexp.MustCompile(`Warning: (The VM will restart|Changes wait)`).MatchString(out) {
		t.Errorf("a description change warns:\n%s", out)
	}
	if lab.Sim != nil {
		lab.Sim.ResetRequestCounts()
	}
	out = plan(`memory = 1024`, `cpu = { cores = 1 }`)
	if !regexp.MustCompile(`No changes`).MatchString(out) {
		t.Errorf("plan without changes:\n%s", out)
	}
	// Counting requests needs the simulator's counters.
	if lab.Sim != nil {
		if n := lab.Sim.RequestCounts()["GET /nodes/{node}/qemu/{vmid}/config"]; n != 0 {
			t.Errorf("a plan without changes read the config %d times", n)
		}
	}
}
