package provider_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// fleetHCL is `count` VMs named prefix-0 ... prefix-(count-1).
func fleetHCL(prefix, node string, count int, lines ...string) string {
	return fmt.Sprintf("resource \"proxmoxsafe_vm\" \"fleet\" {\n  count = %d\n  name  = \"%s-${count.index}\"\n"+
		"  node  = %q\n  %s\n}\n", count, prefix, node, strings.Join(lines, "\n  "))
}

// stateVMIDs reads the local state in dir: VMID by VM name.
func stateVMIDs(t *testing.T, dir string) map[string]int {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "terraform.tfstate"))
	if os.IsNotExist(err) || err == nil && len(raw) == 0 {
		// A terraform killed before it wrote a state leaves an empty file.
		return map[string]int{}
	}
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Resources []struct {
			Type      string
			Instances []struct {
				Attributes struct {
					Name string
					VMID int
				}
			}
		}
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatalf("state in %s: %v", dir, err)
	}
	out := map[string]int{}
	for _, r := range st.Resources {
		if r.Type != "proxmoxsafe_vm" {
			continue
		}
		for _, in := range r.Instances {
			if _, dup := out[in.Attributes.Name]; dup {
				t.Fatalf("state in %s holds %q twice", dir, in.Attributes.Name)
			}
			out[in.Attributes.Name] = in.Attributes.VMID
		}
	}
	return out
}

// fleetProblems lists what is wrong after an apply of fleetHCL(prefix, n):
// every name must be in state, on exactly one VM, the one state names,
// and no other VM may carry the prefix (no orphan).
func fleetProblems(t *testing.T, sim *pvesim.Server, dir, prefix string, n int) []string {
	t.Helper()
	state := stateVMIDs(t, dir)
	byName := map[string][]int{}
	for _, vm := range sim.VMs() {
		if strings.HasPrefix(vm.Name, prefix+"-") {
			byName[vm.Name] = append(byName[vm.Name], vm.VMID)
		}
	}
	var problems []string
	for i := range n {
		name := fmt.Sprintf("%s-%d", prefix, i)
		vmids := byName[name]
		delete(byName, name)
		switch {
		case len(vmids) != 1:
			problems = append(problems, fmt.Sprintf("%s: %d VMs %v", name, len(vmids), vmids))
		case state[name] != vmids[0]:
			problems = append(problems, fmt.Sprintf("%s: VM %d, state says %d", name, vmids[0], state[name]))
		}
	}
	for name, vmids := range byName {
		problems = append(problems, fmt.Sprintf("orphan %s: %v", name, vmids))
	}
	return problems
}

// fleetSizes: the figures with PROXMOXSAFE_ACC_FLEET=full (make
// parallel), a smaller always-on version otherwise.
func fleetSizes() (oneApply, applies, perApply int) {
	if os.Getenv("PROXMOXSAFE_ACC_FLEET") == "full" {
		return 100, 4, 25
	}
	return 30, 2, 12
}

// Every resource of a big apply used to get the same VMID from
// /cluster/nextid: "unable to create VM 137 - VM 137 already exists", and
// five retries were not enough.
func TestAccVMResource_parallelCreates(t *testing.T) {
	t.Parallel()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	cli := acctest.NewCLI(t)
	lab := acctest.New(t, pvesim.Options{Scenario: "empty", TaskDuration: 20 * time.Millisecond, StatsLag: time.Second})
	sim := lab.RequireSim(t, "task duration control and request counters")
	oneApply, applies, perApply := fleetSizes()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	t.Run(fmt.Sprintf("%d VMs at parallelism 20", oneApply), func(t *testing.T) {
		prefix := acctest.RandomName("par")
		dir := cli.Workdir(t, lab.Config(fleetHCL(prefix, lab.Node, oneApply, "started = false")))
		sim.ResetRequestCounts()
		start := time.Now()
		res, err := cli.Run(ctx, dir, "apply", "-auto-approve", "-parallelism=20")
		if err != nil {
			t.Fatal(err)
		}
		creates := sim.RequestCounts()["POST /nodes/{node}/qemu"]
		t.Logf("%d VMs in one apply at -parallelism=20: exit %d in %s, %d create requests",
			oneApply, res.ExitCode, time.Since(start).Round(100*time.Millisecond), creates)
		if res.ExitCode != 0 {
			t.Fatalf("apply failed:\n%s", tail(res.Output, 60))
		}
		if p := fleetProblems(t, sim, dir, prefix, oneApply); len(p) > 0 {
			t.Fatalf("after the apply:\n%s", strings.Join(p, "\n"))
		}
		if creates != oneApply {
			t.Errorf("%d create requests for %d VMs: one process handed out a VMID twice", creates, oneApply)
		}
	})

	t.Run(fmt.Sprintf("%d applies of %d VMs at once", applies, perApply), func(t *testing.T) {
		type run struct {
			prefix, dir string
			res         acctest.Result
			err         error
		}
		runs := make([]*run, applies)
		for i := range runs {
			prefix := acctest.RandomName(fmt.Sprintf("team%d", i))
			runs[i] = &run{prefix: prefix, dir: cli.Workdir(t, lab.Config(fleetHCL(prefix, lab.Node, perApply, "started = false")))}
		}
		sim.ResetRequestCounts()
		start := time.Now()
		var wg sync.WaitGroup
		for _, r := range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.res, r.err = cli.Run(ctx, r.dir, "apply", "-auto-approve")
			}()
		}
		wg.Wait()
		creates := sim.RequestCounts()["POST /nodes/{node}/qemu"]
		t.Logf("%d applies of %d VMs at once: %s, %d create requests for %d VMs (the rest collided across processes and were retried)",
			applies, perApply, time.Since(start).Round(100*time.Millisecond), creates, applies*perApply)
		for i, r := range runs {
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.res.ExitCode != 0 {
				t.Errorf("apply %d failed:\n%s", i, tail(r.res.Output, 40))
				continue
			}
			if p := fleetProblems(t, sim, r.dir, r.prefix, perApply); len(p) > 0 {
				t.Errorf("apply %d:\n%s", i, strings.Join(p, "\n"))
			}
		}
	})
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Ten clones of one template at -parallelism=10, where the simulator's
// storage lock (held far longer than a clone waits for it) makes all but one
// clone fail at first with "can't lock file ... got timeout": the provider
// retries them within the create timeout and all ten are created once.
func TestAccVMResource_parallelClonesContend(t *testing.T) {
	t.Parallel()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	cli := acctest.NewCLI(t)
	lab := acctest.New(t, pvesim.Options{Scenario: "empty", TaskDuration: 20 * time.Millisecond, StatsLag: time.Second,
		Locks: pvesim.LockOptions{StorageTimeout: 50 * time.Millisecond, CloneTimeout: 50 * time.Millisecond,
			ConfigTimeout: 50 * time.Millisecond, StorageHold: 300 * time.Millisecond}})
	sim := lab.RequireSim(t, "storage and clone lock timeouts and request counters")
	if err := sim.AddVM(pvesim.VM{VMID: 9000, Node: lab.Node, Name: "tmpl-debian", Template: true, Config: map[string]string{
		"scsi0": "local-lvm:base-9000-disk-0,size=2G", "net0": "virtio=BC:24:11:00:00:90,bridge=vmbr0",
	}}); err != nil {
		t.Fatal(err)
	}
	prefix := acctest.RandomName("cl")
	dir := cli.Workdir(t, lab.Config(fleetHCL(prefix, lab.Node, 10, "started = false", `clone = { source = "tmpl-debian", full = true }`)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	sim.ResetRequestCounts()
	start := time.Now()
	res, err := cli.Run(ctx, dir, "apply", "-auto-approve", "-parallelism=10")
	if err != nil {
		t.Fatal(err)
	}
	clones := sim.RequestCounts()["POST /nodes/{node}/qemu/{vmid}/clone"]
	t.Logf("10 clones at -parallelism=10: exit %d in %s, %d clone requests (the others met the lock and were retried)",
		res.ExitCode, time.Since(start).Round(100*time.Millisecond), clones)
	if res.ExitCode != 0 {
		t.Fatalf("apply failed:\n%s", tail(res.Output, 60))
	}
	if p := fleetProblems(t, sim, dir, prefix, 10); len(p) > 0 {
		t.Fatalf("after the apply:\n%s", strings.Join(p, "\n"))
	}
	if clones <= 10 {
		t.Fatalf("%d clone requests: the lock never contended, the test proves nothing", clones)
	}
}
