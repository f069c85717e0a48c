package acctest

// This file is how a test sees and seeds the cluster behind a Lab: straight
// from the simulator's memory when the Lab owns one, through the Proxmox VE
// API (go-proxmox) against a real cluster. Every VM a lab-mode test seeds or
// names through its Lab is removed when the test ends, pass or fail.

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// Inventory is what a check reads about the cluster: the simulator and a
// Lab both answer it, so helpers work against either.
type Inventory interface {
	VM(vmid int) (pvesim.VM, bool)
	VMsNamed(name string) []pvesim.VM
	// PendingConfig is what waits for the VM's next start: values set and
	// keys deleted.
	PendingConfig(vmid int) (set map[string]string, del []string)
	// TaskCount counts the VMID's tasks of a type (e.g. "qmreboot"). In a
	// lab a recycled VMID's count includes its earlier VMs' tasks: compare
	// counts taken while the VM exists.
	TaskCount(typ string, vmid int) int
	// PoolOf is the resource pool the VM belongs to ("" for none).
	PoolOf(vmid int) string
}

var (
	_ Inventory = (*pvesim.Server)(nil)
	_ Inventory = (*Lab)(nil)
)

// labOpTimeout bounds one seeding or cleanup operation against a real
// cluster (a task included); real clusters under load take their time.
const labOpTimeout = 5 * time.Minute

// RandomName is a VM name no other test uses. In lab mode it starts with
// the run's prefix (see RunPrefix) and the Lab removes every VM that carries
// it when the test ends.
func (l *Lab) RandomName(prefix string) string {
	if l.Sim != nil {
		return RandomName(prefix)
	}
	name := RunPrefix() + RandomName(prefix)
	l.mu.Lock()
	l.names = append(l.names, name)
	l.mu.Unlock()
	return name
}

// VM reads one guest.
func (l *Lab) VM(vmid int) (pvesim.VM, bool) {
	if l.Sim != nil {
		return l.Sim.VM(vmid)
	}
	ctx, cancel := context.WithTimeout(context.Background(), labOpTimeout)
	defer cancel()
	guests, err := l.api.guests(ctx)
	if err != nil {
		l.t.Errorf("listing the lab's VMs: %s", err)
		return pvesim.VM{}, false
	}
	for _, g := range guests {
		if g.VMID == vmid {
			vm, err := l.api.read(ctx, g)
			if err != nil {
				l.t.Errorf("reading VM %d on %s: %s", g.VMID, g.Node, err)
				return pvesim.VM{}, false
			}
			return vm, true
		}
	}
	return pvesim.VM{}, false
}

// VMsNamed returns the guests whose name matches case-insensitively, sorted
// by VMID. Against a real cluster names are read live from each node's VM
// list (labAPI.liveGuests), never from /cluster/resources, which can show a
// VM under the name of the VM that held its VMID before.
func (l *Lab) VMsNamed(name string) []pvesim.VM {
	if l.Sim != nil {
		return l.Sim.VMsNamed(name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), labOpTimeout)
	defer cancel()
	vms, err := l.api.named(ctx, func(n string) bool { return strings.EqualFold(n, name) })
	if err != nil {
		l.t.Errorf("looking up VMs named %q in the lab: %s", name, err)
	}
	return vms
}

// AddVM seeds a guest as another tool would. Against the simulator it is
// pvesim.Server.AddVM; against a real cluster the VM is created through the
// API on vm.Node (default: the lab's node) with vm.Config, made a template
// or started as vm asks, with a VMID from /cluster/nextid: vm.VMID is only
// a wish there, so tests use the returned VM's VMID and config (disks named
// by volume ID become new disks of their size: allocateSeededVolumes). A container cannot be
// seeded in a lab (it needs an OS template): the test is skipped.
func (l *Lab) AddVM(t *testing.T, vm pvesim.VM) pvesim.VM {
	t.Helper()
	if vm.Node == "" {
		vm.Node = l.Node
	}
	if l.Sim != nil {
		if err := l.Sim.AddVM(vm); err != nil {
			t.Fatal(err)
		}
		got, _ := l.Sim.VM(vm.VMID)
		return got
	}
	if vm.Type == "lxc" {
		t.Skip("needs the simulator's container seeding (a container needs an OS template in a real cluster); runs against the simulator only")
	}
	// Cleanup finds a test's VMs by name: a fixed name could be anyone's.
	if !strings.HasPrefix(vm.Name, RunPrefix()) {
		t.Fatalf("seeding %q in a lab: name seeded VMs with lab.RandomName, so that cleanup finds them", vm.Name)
	}
	vm.Config = allocateSeededVolumes(vm.Config)
	ctx, cancel := context.WithTimeout(context.Background(), labOpTimeout)
	defer cancel()
	vmid, err := l.api.create(ctx, vm)
	if err != nil {
		t.Fatalf("seeding VM %q on %s in the lab: %s", vm.Name, vm.Node, err)
	}
	got, ok := l.VM(vmid)
	if !ok {
		t.Fatalf("the lab lost VM %d right after creating it", vmid)
	}
	return got
}

// ReuseVMID removes guest vmid and creates vm under the same VMID, as
// someone who deleted a VM and then made another with its number would.
// vm is named by lab.RandomName in a lab, as for AddVM. In a lab another
// create could take the freed VMID in between: tests that use it do not
// call t.Parallel, so no other test of the run creates a VM meanwhile.
func (l *Lab) ReuseVMID(t *testing.T, vmid int, vm pvesim.VM) pvesim.VM {
	t.Helper()
	if vm.Node == "" {
		vm.Node = l.Node
	}
	vm.VMID = vmid
	if l.Sim != nil {
		l.Sim.RemoveVM(vmid)
		return l.AddVM(t, vm)
	}
	if !strings.HasPrefix(vm.Name, RunPrefix()) {
		t.Fatalf("seeding %q in a lab: name seeded VMs with lab.RandomName, so that cleanup finds them", vm.Name)
	}
	l.RemoveVM(t, vmid)
	vm.Config = allocateSeededVolumes(vm.Config)
	ctx, cancel := context.WithTimeout(context.Background(), labOpTimeout)
	defer cancel()
	if err := l.api.createAt(ctx, vm, vmid); err != nil {
		t.Fatalf("creating VM %q under VMID %d on %s in the lab: %s", vm.Name, vmid, vm.Node, err)
	}
	got, ok := l.VM(vmid)
	if !ok {
		t.Fatalf("the lab lost VM %d right after creating it", vmid)
	}
	return got
}

// RemoveVM deletes a guest out of band, as someone using the GUI would.
func (l *Lab) RemoveVM(t *testing.T, vmid int) {
	t.Helper()
	if l.Sim != nil {
		l.Sim.RemoveVM(vmid)
		return
	}
	vm, ok := l.VM(vmid)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), labOpTimeout)
	defer cancel()
	if err := l.api.destroy(ctx, vm); err != nil {
		t.Fatalf("removing VM %d on %s from the lab: %s", vmid, vm.Node, err)
	}
}

// SetVMConfig changes one config key out of band; an empty value deletes it.
func (l *Lab) SetVMConfig(t *testing.T, vmid int, key, value string) {
	t.Helper()
	if l.Sim != nil {
		if err := l.Sim.SetVMConfig(vmid, key, value); err != nil {
			t.Fatal(err)
		}
		return
	}
	vm, ok := l.VM(vmid)
	if !ok {
		t.Fatalf("no VM %d in the lab", vmid)
	}
	ctx, cancel := context.WithTimeout(context.Background(), labOpTimeout)
	defer cancel()
	if err := l.api.setConfig(ctx, vm, key, value); err != nil {
		t.Fatalf("setting %s on VM %d in the lab: %s", key, vmid, err)
	}
}

// cleanUp removes, at the end of a lab-mode test, every VM named by the
// test's RandomName (seeded ones included), whatever the test left, then
// the pools it created.
func (l *Lab) cleanUp() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*labOpTimeout)
	defer cancel()
	defer l.removePools(ctx)
	l.mu.Lock()
	ours := map[string]bool{}
	for _, n := range l.names {
		ours[strings.ToLower(n)] = true
	}
	l.mu.Unlock()
	vms, err := l.api.named(ctx, func(n string) bool { return ours[strings.ToLower(n)] })
	if err != nil {
		l.t.Errorf("cleanup: listing the lab's VMs: %s", err)
		return
	}
	for _, vm := range vms {
		if err := l.api.destroy(ctx, vm); err != nil {
			l.t.Errorf("cleanup: VM %d (%s) on %s is left in the lab: %s; remove it with `qm destroy %d --purge`",
				vm.VMID, vm.Name, vm.Node, err, vm.VMID)
		}
	}
}

// SweepLab removes every VM whose name starts with prefix, then every pool
// whose ID does, from the cluster described by PROXMOX_VE_*: the sweeper of
// lab runs that could not clean up (a killed test binary).
func SweepLab(prefix string) error {
	api, err := labAPIFromEnvironment()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*labOpTimeout)
	defer cancel()
	vms, err := api.named(ctx, func(n string) bool { return strings.HasPrefix(strings.ToLower(n), strings.ToLower(prefix)) })
	if err != nil {
		return err
	}
	var failed []string
	for _, vm := range vms {
		if err := api.destroy(ctx, vm); err != nil {
			failed = append(failed, fmt.Sprintf("VM %d (%s) on %s: %s", vm.VMID, vm.Name, vm.Node, err))
		}
	}
	// Pools go after the VMs: a pool that holds one cannot be deleted.
	pools, err := api.sweepPools(ctx, prefix)
	if err != nil {
		return err
	}
	failed = append(failed, pools...)
	if len(failed) > 0 {
		return fmt.Errorf("could not remove %d VMs or pools: %s", len(failed), strings.Join(failed, "; "))
	}
	return nil
}

// SweepAfterRun wraps a test binary's run: in lab mode, after every test
// ended, it looks for VMs of this run (RunPrefix) that a test's cleanup
// missed, removes them and fails the run, since a leak is a bug. In every
// mode it then removes the provider binaries the run built.
func SweepAfterRun(m interface{ Run() int }) interface{ Run() int } {
	return sweepingRun{m}
}

type sweepingRun struct{ m interface{ Run() int } }

func (r sweepingRun) Run() int {
	defer removeBuilds()
	code := r.m.Run()
	if !TargetLab() {
		return code
	}
	api, err := labAPIFromEnvironment()
	if err != nil {
		fmt.Fprintf(os.Stderr, "lab sweep: %s\n", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*labOpTimeout)
	defer cancel()
	left, err := api.named(ctx, func(n string) bool { return strings.HasPrefix(strings.ToLower(n), RunPrefix()) })
	if err != nil {
		fmt.Fprintf(os.Stderr, "lab sweep: %s\n", err)
		return 1
	}
	for _, vm := range left {
		fmt.Fprintf(os.Stderr, "lab sweep: VM %d (%s) on %s was left behind by a test; removing it\n", vm.VMID, vm.Name, vm.Node)
		if err := api.destroy(ctx, vm); err != nil {
			fmt.Fprintf(os.Stderr, "lab sweep: %s; remove it with `qm destroy %d --purge`\n", err, vm.VMID)
		}
	}
	pools, err := api.poolsNamed(ctx, RunPrefix())
	if err != nil {
		fmt.Fprintf(os.Stderr, "lab sweep: %s\n", err)
		return 1
	}
	if len(left) == 0 && len(pools) == 0 {
		fmt.Fprintf(os.Stderr, "lab sweep: no VM or pool named %s* is left in the lab\n", RunPrefix())
		return code
	}
	if len(pools) > 0 {
		fmt.Fprintf(os.Stderr, "lab sweep: pools %s were left behind by tests; removing them\n", strings.Join(pools, ", "))
		failed, _ := api.sweepPools(ctx, RunPrefix())
		for _, f := range failed {
			fmt.Fprintf(os.Stderr, "lab sweep: %s\n", f)
		}
	}
	return 1
}
