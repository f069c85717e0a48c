package provider_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// The provider plugin is killed (SIGKILL) at a random moment of an apply
// that creates 5 VMs, then apply runs again. Whatever the moment and the
// policy, the rerun must end with every VM in state, one per name, no
// orphan, and a plan with no changes, without anyone doing anything.
// Before the create marker, a VM whose Create never returned was in no
// state and the rerun refused with "already exists ... import" under
// on_existing = "fail"; before the created marker, so was a VM whose
// create's last request PVE had handled when the kill came (the
// deterministic trials of that window: vm_crash_finished_test.go).
//
// PROXMOXSAFE_CRASH_TRIALS sets the number of trials (make crash: 20),
// PROXMOXSAFE_CRASH_SEED replays a run.
func TestAccVMResource_crashRecovery(t *testing.T) {
	t.Parallel()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	trials := 5
	if n, err := strconv.Atoi(os.Getenv("PROXMOXSAFE_CRASH_TRIALS")); err == nil && n > 0 {
		trials = n
	}
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("PROXMOXSAFE_CRASH_SEED"), 10, 64); err == nil {
		seed = s
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	t.Logf("%d trials, PROXMOXSAFE_CRASH_SEED=%d", trials, seed)

	cli := acctest.NewCLI(t)
	lab := acctest.New(t, pvesim.Options{Scenario: "empty", TaskDuration: 150 * time.Millisecond, StatsLag: time.Second})
	sim := lab.RequireSim(t, "task duration control (150 ms tasks) and its full inventory")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Minute)
	defer cancel()

	const vms = 5
	failed, killed := 0, 0
	for trial := 1; trial <= trials; trial++ {
		policy := []string{"fail", "adopt"}[trial%2]
		prefix := acctest.RandomName("crash")
		dir := cli.Workdir(t, lab.Config(fleetHCL(prefix, lab.Node, vms, `on_existing = "`+policy+`"`)))
		// Spread the kills over the whole apply (plan, creates, the
		// uniqueness check, start, the marker's removal) by counting its
		// API requests, not by the clock: on a loaded machine terraform
		// may not even have started the plugin after a few seconds.
		killAt := 1 + rng.IntN(crashKillRequests)
		base := sim.TotalRequests()
		first, err := cli.RunKillingPluginWhen(ctx, dir, func() bool { return sim.TotalRequests()-base >= killAt }, "apply", "-auto-approve")
		if err != nil {
			t.Fatal(err)
		}
		requests := sim.TotalRequests() - base
		if first.Killed {
			killed++
		}
		existing, creating, created := 0, 0, 0
		for _, vm := range sim.VMs() {
			if strings.HasPrefix(vm.Name, prefix+"-") {
				existing++
				switch tags := vm.Config["tags"]; {
				case strings.Contains(tags, "proxmoxsafe-creating"):
					creating++
				case strings.Contains(tags, "proxmoxsafe-created"):
					created++
				}
			}
		}
		before := stateVMIDs(t, dir)
		inState := len(before)
		var unsaved []int
		for _, vm := range sim.VMs() {
			if strings.HasPrefix(vm.Name, prefix+"-") && before[vm.Name] != vm.VMID {
				unsaved = append(unsaved, vm.VMID)
			}
		}

		start := time.Now()
		rerun, err := cli.Run(ctx, dir, "apply", "-auto-approve")
		if err != nil {
			t.Fatal(err)
		}
		took := time.Since(start).Round(100 * time.Millisecond)
		plan, err := cli.Run(ctx, dir, "plan", "-detailed-exitcode")
		if err != nil {
			t.Fatal(err)
		}
		after := stateVMIDs(t, dir)
		takenBack := 0
		for _, vmid := range unsaved {
			for _, id := range after {
				if id == vmid {
					takenBack++
				}
			}
		}
		outcome := fmt.Sprintf("trial %2d (%s): plugin killed at API request %d of %d (killed: %v, exit %d); then %d/%d VMs existed, %d in state, "+
			"%d marked creating, %d marked created; rerun exit %d in %s, %d of %d unsaved VMs taken back; plan exit %d",
			trial, policy, killAt, requests, first.Killed, first.ExitCode, existing, vms, inState, creating, created,
			rerun.ExitCode, took, takenBack, len(unsaved), plan.ExitCode)
		problems := fleetProblems(t, sim, dir, prefix, vms)
		if rerun.ExitCode != 0 {
			problems = append(problems, "rerun failed:\n"+tail(rerun.Output, 40))
		}
		if plan.ExitCode != 0 {
			problems = append(problems, "the plan after the rerun is not empty:\n"+tail(plan.Output, 40))
		}
		if len(problems) > 0 {
			failed++
			t.Errorf("%s\n%s", outcome, strings.Join(problems, "\n"))
			continue
		}
		t.Log(outcome + ": converged")
	}
	t.Logf("%d trials, %d killed the plugin, %d converged without help, %d failed (seed %d)",
		trials, killed, trials-failed, failed, seed)
	if killed == 0 {
		t.Error("no trial killed the plugin: the test proved nothing")
	}
}

// crashKillRequests bounds the API request at which a crash trial kills the
// plugin: an apply of 5 VMs makes about this many.
const crashKillRequests = 60
