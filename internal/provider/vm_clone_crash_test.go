package provider_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// A clone gets its create marker with the clone request (in its
// description: PVE's clone takes no tags), so a plugin killed while the
// clone task runs, or before the marker moved to the tags, leaves a clone
// the rerun recognises as its own unfinished create and takes back under
// on_existing = "fail", without an import. Before, the marker was written
// only after the clone task ended, and the rerun refused with "already
// exists ... import".
//
// While the clone task runs, PVE's new VM is only the temporary config
// "# qmclone temporary file\nlock: clone\n" (qemu-server API2/Qemu.pm
// clone_vm, $clonefn's file_set_contents; parse_vm_config reads the comment
// as the description): no name and no marker until write_config after
// the disk is cloned, together with the lock's release for a one-disk VM.
// The first case therefore kills the plugin when any VM is locked by a
// clone.
func TestAccVMResource_killedCloneIsTakenBack(t *testing.T) {
	t.Parallel()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	cli := acctest.NewCLI(t)
	// Tasks of 2 s keep the clone task running for a while after the kill.
	lab := acctest.New(t, pvesim.Options{Scenario: "empty", TaskDuration: 2 * time.Second, StatsLag: time.Second})
	sim := lab.RequireSim(t, "request counters to kill the plugin at a chosen request")
	if err := sim.AddVM(pvesim.VM{VMID: 9000, Node: lab.Node, Name: "tmpl-debian", Template: true, Config: map[string]string{
		"scsi0": "local-lvm:base-9000-disk-0,size=2G", "net0": "virtio=BC:24:11:00:00:90,bridge=vmbr0",
		"description": "golden image",
	}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	clone := func(name string) (pvesim.VM, bool) {
		vms := sim.VMsNamed(name)
		if len(vms) != 1 {
			return pvesim.VM{}, false
		}
		return vms[0], true
	}
	tests := []struct {
		name   string
		before func()
		// killAt is the moment of the first apply at which the plugin dies.
		killAt func(vm pvesim.VM) bool
		// nameless: the VM to watch is the clone in progress, which has no
		// name yet.
		nameless bool
	}{
		{
			name:     "while the clone task runs",
			killAt:   func(vm pvesim.VM) bool { return vm.Lock == "clone" },
			nameless: true,
		},
		{
			name: "after the clone task, before the marker moved to the tags",
			before: func() {
				// The marker's move never lands: the plugin dies first.
				sim.InjectFault(pvesim.Fault{Method: "PUT", Path: "/nodes/{node}/qemu/{vmid}/config",
					Delay: time.Minute, Status: 500, Message: "never answered"})
			},
			killAt: func(vm pvesim.VM) bool { return vm.Lock == "" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer sim.ClearFaults()
			name := acctest.RandomName("clonecrash")
			dir := cli.Workdir(t, lab.Config(vmHCL(name, lab.Node, `clone = { source = "tmpl-debian", full = true }`,
				`started = false`, `memory = 1024`, `on_existing = "fail"`)))
			if tt.before != nil {
				tt.before()
			}
			var killedAt pvesim.VM
			first, err := cli.RunKillingPluginWhen(ctx, dir, func() bool {
				vm, ok := clone(name)
				if tt.nameless {
					vm, ok = lockedByClone(sim)
				}
				if ok && tt.killAt(vm) {
					killedAt = vm
					return true
				}
				return false
			}, "apply", "-auto-approve")
			if err != nil {
				t.Fatal(err)
			}
			if !first.Killed {
				t.Fatalf("the plugin was not killed (exit %d):\n%s", first.ExitCode, tail(first.Output, 30))
			}
			if len(stateVMIDs(t, dir)) != 0 {
				t.Fatal("the killed apply saved the clone in state; the test proves nothing")
			}
			if tt.nameless {
				if len(killedAt.Config) != 2 || killedAt.Config["description"] != " qmclone temporary file" || killedAt.Name != "" {
					t.Errorf("at the kill, the clone in progress is not PVE's temporary config: %+v", killedAt.Config)
				}
			} else if !strings.Contains(killedAt.Config["description"], "proxmoxsafe-creating.") {
				t.Errorf("at the kill, the clone's description carries no create marker: %q", killedAt.Config["description"])
			}
			sim.ClearFaults()

			rerun, err := cli.Run(ctx, dir, "apply", "-auto-approve")
			if err != nil {
				t.Fatal(err)
			}
			if rerun.ExitCode != 0 {
				t.Fatalf("rerun failed:\n%s", tail(rerun.Output, 40))
			}
			if !strings.Contains(rerun.Output, "Taking back a VM an interrupted apply created") {
				t.Errorf("the rerun did not warn that it took the clone back:\n%s", tail(rerun.Output, 40))
			}
			vm := onlyVMNamed(t, sim, name)
			if vm.VMID != killedAt.VMID || stateVMIDs(t, dir)[name] != vm.VMID {
				t.Errorf("state holds %v; the killed apply's clone is VM %d, the only VM named %s is %d",
					stateVMIDs(t, dir), killedAt.VMID, name, vm.VMID)
			}
			if strings.Contains(vm.Config["tags"]+vm.Config["description"], "proxmoxsafe-creating") ||
				vm.Config["description"] != "golden image" || vm.Config["memory"] != "1024" {
				t.Errorf("the clone taken back is not finished: tags %q, description %q, memory %s",
					vm.Config["tags"], vm.Config["description"], vm.Config["memory"])
			}
			plan, err := cli.Run(ctx, dir, "plan", "-detailed-exitcode")
			if err != nil {
				t.Fatal(err)
			}
			if plan.ExitCode != 0 {
				t.Errorf("the plan after the rerun is not empty:\n%s", tail(plan.Output, 40))
			}
		})
	}
}

// lockedByClone returns the VM a running clone task is writing.
func lockedByClone(sim *pvesim.Server) (pvesim.VM, bool) {
	for _, vm := range sim.VMs() {
		if vm.Lock == "clone" {
			return vm, true
		}
	}
	return pvesim.VM{}, false
}
