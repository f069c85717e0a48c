package provider_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// cloudInitDriveAt checks that the only VM named name has its cloud-init
// drive at iface alone, with no unused volume left (PVE frees a removed
// cloud-init drive), and how often it was shut down.
func cloudInitDriveAt(t *testing.T, sim *pvesim.Server, name, iface string, shutdowns int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		vm := onlyVMNamed(t, sim, name)
		want := fmt.Sprintf("local-lvm:vm-%d-cloudinit,media=cdrom", vm.VMID)
		for k, v := range vm.Config {
			switch {
			case k == iface && v != want:
				return fmt.Errorf("VM %d %s = %q, want %q", vm.VMID, k, v, want)
			case k != iface && (v == want || len(k) > 6 && k[:6] == "unused"):
				return fmt.Errorf("VM %d still has %s = %q", vm.VMID, k, v)
			}
		}
		if _, ok := vm.Config[iface]; !ok {
			return fmt.Errorf("VM %d has no %s: %v", vm.VMID, iface, vm.Config)
		}
		if n := sim.TaskCount("qmshutdown", vm.VMID); n != shutdowns {
			return fmt.Errorf("VM %d was shut down %d times, want %d", vm.VMID, n, shutdowns)
		}
		return nil
	}
}

// Moving the cloud-init drive to another interface is an in-place update:
// on a stopped VM two config updates, on a running one the same with one
// stop and start (the plan warns); the plan is clean after each.
func TestAccVMResource_cloudInitDriveMove(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	sim := lab.RequireSim(t, "cloud-init drive simulation")
	name := acctest.RandomName("cimove")
	vm := func(started bool, iface string, more ...string) string {
		return lab.Config(vmHCL(name, lab.Node, append([]string{fmt.Sprintf("started = %t", started),
			`disks = { scsi0 = { storage = "local-lvm", size = 4 } }`, `networks = { net0 = { bridge = "vmbr0" } }`,
			fmt.Sprintf(`cloud_init = { drive = { interface = %q, storage = "local-lvm" }, user = "ops" }`, iface)}, more...)...))
	}
	driveIs := func(iface string) statecheck.StateCheck {
		return statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("cloud_init").AtMapKey("drive").AtMapKey("interface"), knownvalue.StringExact(iface))
	}
	update := []plancheck.PlanCheck{plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionUpdate)}
	// The plans after each apply are empty: the library checks it, so no
	// step repeats a configuration to expect that.
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(sim, name),
		Steps: []resource.TestStep{
			{
				Config:           vm(false, "ide2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(cloudInitDriveAt(t, sim, name, "ide2", 0))},
			},
			{
				Config: vm(false, "scsi1"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:            update,
					PostApplyPreRefresh: afterApply(cloudInitDriveAt(t, sim, name, "scsi1", 0)),
				},
				ConfigStateChecks: []statecheck.StateCheck{driveIs("scsi1")},
			},
			{
				Config:           vm(true, "scsi1"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(cloudInitDriveAt(t, sim, name, "scsi1", 0))},
			},
			{
				// Running: stopped for the move and started again.
				Config: vm(true, "ide2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:            update,
					PostApplyPreRefresh: afterApply(cloudInitDriveAt(t, sim, name, "ide2", 1), restarts(sim, name, 0)),
				},
				ConfigStateChecks: []statecheck.StateCheck{driveIs("ide2"),
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("status"), knownvalue.StringExact("running"))},
			},
			{
				// reboot_after_update = false forbids the restart: a plan-time error.
				Config:      vm(true, "scsi1", "reboot_after_update = false"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Moving the cloud-init drive needs a restart.*from ide2.*reboot_after_update\s+= false`),
			},
		},
	})
}
