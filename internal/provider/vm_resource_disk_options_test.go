package provider_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
)

// powerTaskTypes are the tasks of a VM's start, stop, shutdown, reboot and
// reset (qemu-server API2/Qemu.pm vm_start, vm_stop, vm_shutdown,
// vm_reboot, vm_reset fork_worker); in steps where the VM runs before and
// after, each is a restart.
var powerTaskTypes = []string{"qmstart", "qmstop", "qmshutdown", "qmreboot", "qmreset"}

// restartCounter counts the power tasks of the VM named name since mark,
// through the task list, so it works against a real cluster too.
type restartCounter struct {
	t      *testing.T
	inv    acctest.Inventory
	name   string
	before int
}

func newRestartCounter(t *testing.T, inv acctest.Inventory, name string) *restartCounter {
	return &restartCounter{t: t, inv: inv, name: name}
}

func (c *restartCounter) count() int {
	vmid := onlyVMNamed(c.t, c.inv, c.name).VMID
	n := 0
	for _, typ := range powerTaskTypes {
		n += c.inv.TaskCount(typ, vmid)
	}
	return n
}

// mark starts counting (a PreConfig).
func (c *restartCounter) mark() { c.before = c.count() }

// expect checks the restarts since mark.
func (c *restartCounter) expect(want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if n := c.count() - c.before; n != want {
			return fmt.Errorf("VM %q: %d start, stop, shutdown or reboot tasks, want %d", c.name, n, want)
		}
		return nil
	}
}

// expectDrive checks a drive's config value: want options present, unwanted
// absent.
func expectDrive(t *testing.T, sim acctest.Inventory, name, key string, want, unwanted []string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		vm := onlyVMNamed(t, sim, name)
		opts := strings.Split(vm.Config[key], ",")
		for _, w := range want {
			if !contains(opts, w) {
				return fmt.Errorf("%s = %q, missing %s", key, vm.Config[key], w)
			}
		}
		for _, u := range unwanted {
			for _, o := range opts {
				if strings.HasPrefix(o, u) {
					return fmt.Errorf("%s = %q, has %s", key, vm.Config[key], o)
				}
			}
		}
		if set, del := sim.PendingConfig(vm.VMID); len(set) != 0 || len(del) != 0 {
			return fmt.Errorf("VM %d still has pending changes %v %v", vm.VMID, set, del)
		}
		return nil
	}
}

func contains(items []string, s string) bool {
	for _, it := range items {
		if it == s {
			return true
		}
	}
	return false
}
