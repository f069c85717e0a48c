package provider_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// duplicateWatch samples the simulator and records, per name, the longest
// stretch during which more than one VM carried it.
type duplicateWatch struct {
	mu      sync.Mutex
	since   map[string]time.Time
	longest time.Duration
	stop    chan struct{}
	done    chan struct{}
}

func watchDuplicates(sim *pvesim.Server, prefix string) *duplicateWatch {
	w := &duplicateWatch{since: map[string]time.Time{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			now := time.Now()
			count := map[string]int{}
			for _, vm := range sim.VMs() {
				if strings.HasPrefix(vm.Name, prefix+"-") {
					count[strings.ToLower(vm.Name)]++
				}
			}
			w.mu.Lock()
			for name, start := range w.since {
				if count[name] < 2 {
					w.longest = max(w.longest, now.Sub(start))
					delete(w.since, name)
				}
			}
			for name, n := range count {
				if _, open := w.since[name]; n > 1 && !open {
					w.since[name] = now
				}
			}
			w.mu.Unlock()
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// finish stops the watch; a duplicate still open counts up to now.
func (w *duplicateWatch) finish() (longest time.Duration, open []string) {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	for name, start := range w.since {
		w.longest = max(w.longest, time.Since(start))
		open = append(open, name)
	}
	return w.longest, open
}

// Eight applies with separate states create the same three names at once.
// Before, the losers' VMs (still being removed) made other racers report
// "Several VMs already carry this name ... delete the others", and 14 of
// 40 adopt applies failed.
func TestAccVMResource_racingApplies(t *testing.T) {
	t.Parallel()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	// make test: one round of 4 racers; make parallel: PROXMOXSAFE_RACE_ROUNDS
	// rounds of the 8.
	rounds, racers := 1, 4
	if n, err := strconv.Atoi(os.Getenv("PROXMOXSAFE_RACE_ROUNDS")); err == nil && n > 0 {
		rounds, racers = n, 8
	}
	const names = 3
	cli := acctest.NewCLI(t)
	lab := acctest.New(t, pvesim.Options{Scenario: "empty", TaskDuration: 100 * time.Millisecond, StatsLag: 2 * time.Second})
	sim := lab.RequireSim(t, "request gathering and stats lag control")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute+time.Duration(rounds)*5*time.Minute)
	defer cancel()

	for _, policy := range []string{"adopt", "fail"} {
		var longest time.Duration
		for round := 1; round <= rounds; round++ {
			prefix := acctest.RandomName("race")
			dirs := make([]string, racers)
			results := make([]acctest.Result, racers)
			errs := make([]error, racers)
			for i := range dirs {
				dirs[i] = cli.Workdir(t, lab.Config(fleetHCL(prefix, lab.Node, names, "started = false", `on_existing = "`+policy+`"`)))
			}
			watch := watchDuplicates(sim, prefix)
			var wg sync.WaitGroup
			for i := range dirs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i], errs[i] = cli.Run(ctx, dirs[i], "apply", "-auto-approve")
				}()
			}
			wg.Wait()
			dup, open := watch.finish()
			longest = max(longest, dup)

			var problems []string
			succeeded := 0
			for i := range results {
				if errs[i] != nil {
					t.Fatal(errs[i])
				}
				if results[i].ExitCode == 0 {
					succeeded++
				}
			}
			if len(open) > 0 {
				problems = append(problems, fmt.Sprintf("names still duplicated at the end: %v", open))
			}
			holders := map[string]int{}
			for i := range racers {
				for name, vmid := range stateVMIDs(t, dirs[i]) {
					holders[name]++
					vms := sim.VMsNamed(name)
					if len(vms) != 1 || vms[0].VMID != vmid {
						problems = append(problems, fmt.Sprintf("racer %d holds %s as VM %d; VMs with the name: %v", i, name, vmid, vms))
					}
				}
			}
			for n := range names {
				name := fmt.Sprintf("%s-%d", prefix, n)
				vms := sim.VMsNamed(name)
				if len(vms) != 1 {
					problems = append(problems, fmt.Sprintf("%s: %d VMs", name, len(vms)))
					continue
				}
				winner := vms[0].VMID
				switch policy {
				case "adopt":
					if holders[name] != racers {
						problems = append(problems, fmt.Sprintf("%s: %d of %d states hold it", name, holders[name], racers))
					}
				case "fail":
					if holders[name] != 1 {
						problems = append(problems, fmt.Sprintf("%s: %d states hold it, want exactly 1", name, holders[name]))
					}
					for i := range racers {
						// Terraform applies nothing when one resource's plan
						// fails: a racer stopped at plan time by another name
						// never tried this one, and names that name's VM.
						tried := strings.Contains(results[i].Output, fmt.Sprintf("proxmoxsafe_vm.fleet[%d]: Creating...", n))
						if _, ok := stateVMIDs(t, dirs[i])[name]; !ok && tried && !strings.Contains(results[i].Output, fmt.Sprintf("VMID %d", winner)) {
							problems = append(problems, fmt.Sprintf("racer %d failed %s without naming the winner VM %d:\n%s",
								i, name, winner, tail(results[i].Output, 30)))
						}
					}
				}
			}
			for i := range results {
				if results[i].ExitCode != 0 && !strings.Contains(results[i].Output, "VMID ") {
					problems = append(problems, fmt.Sprintf("racer %d failed without naming a VM:\n%s", i, tail(results[i].Output, 30)))
				}
			}
			if policy == "adopt" && succeeded != racers {
				for i := range results {
					if results[i].ExitCode != 0 {
						problems = append(problems, fmt.Sprintf("racer %d failed:\n%s", i, tail(results[i].Output, 30)))
					}
				}
			}
			t.Logf("%s round %d: %d racers x %d names, %d applies succeeded, longest transient duplicate %s",
				policy, round, racers, names, succeeded, dup.Round(time.Millisecond))
			if len(problems) > 0 {
				t.Errorf("%s round %d:\n%s", policy, round, strings.Join(problems, "\n"))
			}
		}
		t.Logf("%s: %d rounds, longest transient duplicate %s", policy, rounds, longest.Round(time.Millisecond))
	}
}
