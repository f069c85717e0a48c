package provider_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
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

// Disk options on a running VM: set on create in PVE's spelling, PVE's
// defaults for a disk that sets none, backup changed online (no restart),
// cache left pending by Proxmox VE (QemuServer.pm vmconfig_update_disk:
// "skip") and applied by one restart; bus-specific options checked at plan
// time.
func TestAccVMResource_diskOptions(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	name := lab.RandomName("disks")
	restarts := newRestartCounter(t, lab, name)
	disks := func(scsi0 string) string {
		return `disks = { scsi0 = { storage = "local-lvm", size = 8` + scsi0 + ` }, virtio0 = { storage = "local-lvm", size = 1 } }`
	}
	all := `, discard = true, iothread = true, ssd = true, cache = "none", backup = false, replicate = false`
	scsi0 := tfjsonpath.New("disks").AtMapKey("scsi0")

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(lab, name),
		Steps: []resource.TestStep{
			{
				Config: lab.Config(vmHCL(name, lab.Node, disks(all))),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(vmAddr, scsi0, knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"discard": knownvalue.Bool(true), "iothread": knownvalue.Bool(true), "ssd": knownvalue.Bool(true),
						"cache": knownvalue.StringExact("none"), "backup": knownvalue.Bool(false), "replicate": knownvalue.Bool(false),
					})),
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("disks").AtMapKey("virtio0"), knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"discard": knownvalue.Bool(false), "iothread": knownvalue.Bool(false), "ssd": knownvalue.Bool(false),
						"cache": knownvalue.Null(), "backup": knownvalue.Bool(true), "replicate": knownvalue.Bool(true),
					})),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(
					expectDrive(t, lab, name, "scsi0", []string{"discard=on", "iothread=1", "ssd=1", "cache=none", "backup=0", "replicate=0", "size=8G"}, nil),
					expectDrive(t, lab, name, "virtio0", []string{"size=1G"}, []string{"discard", "iothread", "ssd", "cache", "backup", "replicate"}),
				)},
			},
			{
				// backup is not among the options vmconfig_update_disk skips.
				PreConfig: restarts.mark,
				Config:    lab.Config(vmHCL(name, lab.Node, disks(`, discard = true, iothread = true, ssd = true, cache = "none", backup = true, replicate = false`))),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: inPlace.PreApply,
					PostApplyPreRefresh: afterApply(
						expectDrive(t, lab, name, "scsi0", []string{"discard=on", "iothread=1", "ssd=1", "cache=none", "replicate=0", "size=8G"}, []string{"backup"}),
						restarts.expect(0),
					),
				},
			},
			{
				Config:      lab.Config(vmHCL(name, lab.Node, `disks = { virtio0 = { storage = "local-lvm", size = 1, ssd = true } }`)),
				ExpectError: regexp.MustCompile(`No SSD emulation on virtio`),
			},
			{
				Config:      lab.Config(vmHCL(name, lab.Node, `disks = { sata0 = { storage = "local-lvm", size = 1, iothread = true } }`)),
				ExpectError: regexp.MustCompile(`No iothread on this bus`),
			},
			{
				// cache waits for the next start: one restart applies it,
				// and the options left out stay as they are.
				PreConfig: restarts.mark,
				Config:    lab.Config(vmHCL(name, lab.Node, disks(`, cache = "writeback"`))),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: inPlace.PreApply,
					PostApplyPreRefresh: afterApply(
						expectDrive(t, lab, name, "scsi0", []string{"discard=on", "iothread=1", "ssd=1", "cache=writeback", "replicate=0"}, []string{"backup"}),
						restarts.expect(1),
					),
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(vmAddr, scsi0.AtMapKey("cache"), knownvalue.StringExact("writeback")),
					statecheck.ExpectKnownValue(vmAddr, scsi0.AtMapKey("ssd"), knownvalue.Bool(true)),
				},
			},
			{
				ResourceName:            vmAddr,
				ImportState:             true,
				ImportStateId:           name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			// The plans after each apply are empty (the library checks it,
			// so no step repeats a configuration to expect a no-op), and
			// the destroy at the end runs with the last valid configuration.
		},
	})
}
