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

func expectMemoryAt(addr string, mb int64) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(addr, tfjsonpath.New("memory"), knownvalue.Int64Exact(mb))
}

// actions expects each resource's planned action (a per-VM empty or
// non-empty plan in a step where other VMs change).
func actions(want map[string]plancheck.ResourceActionType) []plancheck.PlanCheck {
	checks := make([]plancheck.PlanCheck, 0, len(want)) // full: appends copy
	for addr, action := range want {
		checks = append(checks, plancheck.ExpectResourceAction(addr, action))
	}
	return checks
}

// Changes that wait for a restart, five scenarios on five VMs in one
// configuration (one terraform run per step for all):
//
//   - proxmoxsafe_vm.restart (was TestAccVMResource_pendingChangeRestarts):
//     with reboot_after_update (the default) a change that waits restarts
//     the VM once, and the VM then runs it; a change PVE applies at once
//     (the description) does not restart it.
//   - proxmoxsafe_vm.waits (was TestAccVMResource_pendingChangeWaits,
//     steps 1-3): with reboot_after_update = false the VM keeps running the
//     old value, state records the configuration, and every plan shows the
//     change until the VM restarts; applying it again changes nothing.
//   - proxmoxsafe_vm.reverts (pendingChangeWaits, step 4): a change back
//     to what runs, while another value waits, is an update that drops
//     what waits.
//   - proxmoxsafe_vm.outside (pendingChangeWaits, steps 5-6): after a
//     stop/start outside Terraform, PVE runs what waited and the plan is
//     clean.
//   - proxmoxsafe_vm.switch (pendingChangeWaits, steps 7-8): switching
//     reboot_after_update on restarts the VM once for what waits.
func TestAccVMResource_pendingChanges(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	const (
		restartAddr = "proxmoxsafe_vm.restart"
		waitsAddr   = "proxmoxsafe_vm.waits"
		revertsAddr = "proxmoxsafe_vm.reverts"
		outsideAddr = "proxmoxsafe_vm.outside"
		switchAddr  = "proxmoxsafe_vm.switch"
	)
	restartVM, waitsVM, revertsVM := lab.RandomName("pend"), lab.RandomName("pendwait"), lab.RandomName("pendrev")
	outsideVM, switchVM := lab.RandomName("pendout"), lab.RandomName("pendsw")
	restartRestarts := newRestartCounter(t, lab, restartVM)
	waitsRestarts := newRestartCounter(t, lab, waitsVM)
	switchRestarts := newRestartCounter(t, lab, switchVM)
	noReboot := `reboot_after_update = false`
	memory := func(mb int) string { return fmt.Sprintf("memory = %d", mb) }
	// config is the five VMs; restart takes its own lines, the others a
	// memory size and reboot_after_update = false (switch: unless
	// switchReboots).
	config := func(restart []string, waits, reverts, outside, switchMB int, switchReboots bool) string {
		switchLines := []string{memory(switchMB), noReboot}
		if switchReboots {
			switchLines = switchLines[:1]
		}
		return lab.Config(vmAt("restart", restartVM, lab.Node, restart...) +
			vmAt("waits", waitsVM, lab.Node, memory(waits), noReboot) +
			vmAt("reverts", revertsVM, lab.Node, memory(reverts), noReboot) +
			vmAt("outside", outsideVM, lab.Node, memory(outside), noReboot) +
			vmAt("switch", switchVM, lab.Node, switchLines...))
	}
	// What the plans after an apply show, per VM: clean once the VM runs
	// its configuration, an update while a change waits.
	afterStep2 := actions(map[string]plancheck.ResourceActionType{
		restartAddr: plancheck.ResourceActionNoop,
		waitsAddr:   plancheck.ResourceActionUpdate,
		revertsAddr: plancheck.ResourceActionUpdate,
		outsideAddr: plancheck.ResourceActionUpdate,
		switchAddr:  plancheck.ResourceActionUpdate,
	})
	afterStep3 := actions(map[string]plancheck.ResourceActionType{
		restartAddr: plancheck.ResourceActionNoop,
		waitsAddr:   plancheck.ResourceActionUpdate,
		revertsAddr: plancheck.ResourceActionNoop,
		outsideAddr: plancheck.ResourceActionNoop,
		switchAddr:  plancheck.ResourceActionNoop,
	})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy: resource.ComposeTestCheckFunc(checkNoVMNamed(lab, restartVM), checkNoVMNamed(lab, waitsVM),
			checkNoVMNamed(lab, revertsVM), checkNoVMNamed(lab, outsideVM), checkNoVMNamed(lab, switchVM)),
		Steps: []resource.TestStep{
			{Config: config([]string{memory(1024)}, 1024, 1024, 1024, 1024, false)},
			{
				PreConfig: func() { restartRestarts.mark(); waitsRestarts.mark() },
				Config:    config([]string{memory(2048)}, 2048, 2048, 4096, 8192, false),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(restartAddr, plancheck.ResourceActionUpdate),
					},
					PostApplyPreRefresh: append(afterApply(
						vmMemory(lab, restartVM, "2048", ""), restartRestarts.expect(1),
						vmMemory(lab, waitsVM, "1024", "2048"), waitsRestarts.expect(0),
						vmMemory(lab, revertsVM, "1024", "2048"),
						vmMemory(lab, outsideVM, "1024", "4096"),
						vmMemory(lab, switchVM, "1024", "8192"),
					), append(afterStep2, stateAfterApply(expectMemoryAt(restartAddr, 2048)))...),
					PostApplyPostRefresh: afterStep2,
				},
				// Both plans after the apply show the restarted VM clean
				// and the changes that wait still to do.
				ExpectNonEmptyPlan: true,
			},
			{
				// Shut down and started outside Terraform: PVE applies
				// what waits.
				PreConfig: func() {
					restartRestarts.mark()
					switchRestarts.mark()
					c := labClient(t, lab)
					vmid := onlyVMNamed(t, lab, outsideVM).VMID
					if err := c.ShutdownVM(context.Background(), lab.Node, vmid, 0); err != nil {
						t.Fatal(err)
					}
					if err := c.StartVM(context.Background(), lab.Node, vmid); err != nil {
						t.Fatal(err)
					}
				},
				// The description applies at once ($fast_plug_option); the
				// waits VM applies its change again; the reverts VM goes
				// back to what runs while 2048 waits: not clean, the apply
				// drops what waits; the switch VM turns
				// reboot_after_update on.
				Config: config([]string{memory(2048), `description = "now"`}, 2048, 1024, 4096, 8192, true),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: actions(map[string]plancheck.ResourceActionType{
						waitsAddr:   plancheck.ResourceActionUpdate,
						revertsAddr: plancheck.ResourceActionUpdate,
						outsideAddr: plancheck.ResourceActionNoop,
						switchAddr:  plancheck.ResourceActionUpdate,
					}),
					PostApplyPreRefresh: append(afterApply(
						restartRestarts.expect(0),
						vmMemory(lab, waitsVM, "1024", "2048"),
						vmMemory(lab, revertsVM, "1024", ""),
						vmMemory(lab, outsideVM, "4096", ""),
						vmMemory(lab, switchVM, "8192", ""), switchRestarts.expect(1),
					), append(afterStep3, stateAfterApply(expectMemoryAt(waitsAddr, 2048), expectMemoryAt(revertsAddr, 1024),
						expectMemoryAt(outsideAddr, 4096)))...),
					PostApplyPostRefresh: afterStep3,
				},
				// Only the waits VM's change still waits.
				ExpectNonEmptyPlan: true,
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
