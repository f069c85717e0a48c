package provider_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
)

// Startup and boot order, one resource per former test in one
// configuration (the simulator reads the VMs' keys and edits them out of
// band):
//
//   - startupRemoved (removed): removing startup from the configuration
//     deletes PVE's startup key (delete=startup) on the running VM without
//     a restart, and the plan is then clean; a startup set outside
//     Terraform while the configuration leaves it out is kept, as for an
//     imported VM.
//   - startupAfterImport (imported): the documented limit of startup after
//     an import: when the configuration of the import already matches the
//     VM's startup, the import plans no change, and Terraform persists
//     nothing a plan without changes computes (terraform
//     internal/terraform/node_resource_apply_instance.go: a NoOp change
//     "doesn't need to re-write the state"). Import and refresh do not see
//     the configuration, so nothing records that the configuration set
//     startup: removing it keeps the VM's value. The first apply that
//     changes the VM records it, and removal then deletes startup.
//   - bootOrderDevices (boot): a boot_order entry naming a device the VM
//     does not have is a plan-time error naming the entry and the devices
//     there are, on create and on update; devices of every kind (disk,
//     CD-ROM, cloud-init drive, network) are accepted.
func TestAccVMResource_startupAndBootOrder(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	sim := lab.RequireSim(t, "reads the VM's startup and boot keys and edits its config out of band")
	removedName, importedName, bootName := acctest.RandomName("startup"), acctest.RandomName("stimp"), acctest.RandomName("boot")
	removed, imported, boot := vmRes("removed"), vmRes("imported"), vmRes("boot")

	// removed
	removedWith := vmAt("removed", removedName, lab.Node, `startup = { order = 2, up = 30 }`)
	removedWithout := vmAt("removed", removedName, lab.Node)
	// imported
	importedWith := func(order int) string {
		return vmAt("imported", importedName, lab.Node, fmt.Sprintf(`startup = { order = %d, up = 30 }`, order))
	}
	importedWithout := vmAt("imported", importedName, lab.Node)
	forgetImported := strings.Replace(forgetVM, vmAddr, imported, 1)
	// boot
	bootVM := func(order string) string {
		return vmAt("boot", bootName, lab.Node, `disks = { scsi0 = { storage = "local-lvm", size = 4 } }`,
			`cdrom = { ide3 = { file = "none" } }`, `networks = { net0 = { bridge = "vmbr0" } }`,
			`cloud_init = { drive = { interface = "ide2", storage = "local-lvm" } }`, "boot_order = "+order)
	}
	bootOK := bootVM(`["scsi0", "ide2", "ide3", "net0"]`)
	// Terraform wraps the detail: any space may be a line break.
	words := func(s string) *regexp.Regexp {
		return regexp.MustCompile(`(?s)` + strings.ReplaceAll(regexp.QuoteMeta(s), " ", `\s+`))
	}
	devices := "The devices it can boot from: ide2 (cloud_init drive), ide3 (cdrom), net0 (networks), scsi0 (disks)."
	config := func(parts ...string) string { return lab.Config(strings.Join(parts, "")) }

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy: resource.ComposeTestCheckFunc(checkNoVMNamed(sim, removedName), checkNoVMNamed(sim, importedName),
			checkNoVMNamed(sim, bootName)),
		Steps: []resource.TestStep{
			// boot: on create.
			{
				Config:      config(removedWith, importedWith(2), bootVM(`["scsi0", "scsi1"]`)),
				PlanOnly:    true,
				ExpectError: words(`boot_order names a device the VM does not have with ` + boot),
			},
			{
				Config:      config(removedWith, importedWith(2), bootVM(`["scsi0", "scsi1"]`)),
				PlanOnly:    true,
				ExpectError: words(`boot_order entry "scsi1" names no device of this VM. ` + devices),
			},
			{
				Config: config(removedWith, importedWith(2), bootOK),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(
					expectConfig(t, sim, removedName, map[string]string{"startup": "order=2,up=30"}),
					expectConfig(t, sim, importedName, map[string]string{"startup": "order=2,up=30"}),
					expectConfig(t, sim, bootName, map[string]string{"boot": "order=scsi0;ide2;ide3;net0"}),
				)},
			},
			// boot: on update.
			{
				Config:      config(removedWith, importedWith(2), bootVM(`["net1", "scsi0"]`)),
				PlanOnly:    true,
				ExpectError: words(`boot_order entry "net1" names no device of this VM. ` + devices),
			},
			{
				// removed: startup deleted on the running VM. imported:
				// dropped from state, the VM kept.
				Config: config(removedWithout, forgetImported, bootOK),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(removed, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(removed, tfjsonpath.New("startup"), knownvalue.Null()),
					},
					PostApplyPreRefresh: append(afterApply(
						expectConfig(t, sim, removedName, map[string]string{"startup": ""}), restarts(sim, removedName, 0),
					), stateAfterApply(statecheck.ExpectKnownValue(removed, tfjsonpath.New("startup"), knownvalue.Null()))),
				},
			},
			{
				// imported: the configuration of the import matches the VM.
				Config: config(removedWithout, importAt("imported", importedName), importedWith(2), bootOK),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(imported, plancheck.ResourceActionNoop),
				}},
			},
			{
				// removed: set outside Terraform after the configuration
				// dropped it: kept. imported: the limit: nothing recorded
				// that the configuration set it. boot: the accepted order
				// plans clean.
				PreConfig: func() {
					if err := sim.SetVMConfig(onlyVMNamed(t, sim, removedName).VMID, "startup", "order=7"); err != nil {
						t.Fatal(err)
					}
				},
				Config: config(removedWithout, importedWithout, bootOK),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
					PostApplyPreRefresh: append(afterApply(
						expectConfig(t, sim, removedName, map[string]string{"startup": "order=7"}),
						expectConfig(t, sim, importedName, map[string]string{"startup": "order=2,up=30"}),
					), stateAfterApply(
						statecheck.ExpectKnownValue(removed, tfjsonpath.New("startup").AtMapKey("order"), knownvalue.Int64Exact(7)),
						statecheck.ExpectKnownValue(imported, tfjsonpath.New("startup").AtMapKey("order"), knownvalue.Int64Exact(2)),
					)),
				},
			},
			{
				// imported: an apply that changes the VM records it...
				Config: config(removedWithout, importedWith(3), bootOK),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(imported, plancheck.ResourceActionUpdate),
					},
					PostApplyPreRefresh: afterApply(expectConfig(t, sim, importedName, map[string]string{"startup": "order=3,up=30"})),
				},
			},
			{
				// ...and removing startup then deletes it.
				Config: config(removedWithout, importedWithout, bootOK),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(imported, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(imported, tfjsonpath.New("startup"), knownvalue.Null()),
					},
					PostApplyPreRefresh: afterApply(expectConfig(t, sim, importedName, map[string]string{"startup": ""})),
				},
			},
		},
	})
}
