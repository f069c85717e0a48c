package provider_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
)

// A boot_order entry naming a device the VM does not have is a plan-time
// error naming the entry and the devices there are, on create and on
// update; devices of every kind (disk, CD-ROM, cloud-init drive, network)
// are accepted.
func TestAccVMResource_bootOrderDevices(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	sim := lab.RequireSim(t, "cluster inventory")
	name := acctest.RandomName("boot")
	vm := func(order string) string {
		return lab.Config(vmHCL(name, lab.Node, `disks = { scsi0 = { storage = "local-lvm", size = 4 } }`,
			`cdrom = { ide3 = { file = "none" } }`, `networks = { net0 = { bridge = "vmbr0" } }`,
			`cloud_init = { drive = { interface = "ide2", storage = "local-lvm" } }`, "boot_order = "+order))
	}
	// Terraform wraps the detail: any space may be a line break.
	words := func(s string) *regexp.Regexp {
		return regexp.MustCompile(`(?s)` + strings.ReplaceAll(regexp.QuoteMeta(s), " ", `\s+`))
	}
	devices := "The devices it can boot from: ide2 (cloud_init drive), ide3 (cdrom), net0 (networks), scsi0 (disks)."
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(sim, name),
		Steps: []resource.TestStep{
			{
				Config:      vm(`["scsi0", "scsi1"]`),
				PlanOnly:    true,
				ExpectError: words(`boot_order names a device the VM does not have with proxmoxsafe_vm.test`),
			},
			{
				Config:      vm(`["scsi0", "scsi1"]`),
				PlanOnly:    true,
				ExpectError: words(`boot_order entry "scsi1" names no device of this VM. ` + devices),
			},
			{
				Config:           vm(`["scsi0", "ide2", "ide3", "net0"]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(expectConfig(t, sim, name, map[string]string{"boot": "order=scsi0;ide2;ide3;net0"}))},
			},
			{
				Config:      vm(`["net1", "scsi0"]`),
				PlanOnly:    true,
				ExpectError: words(`boot_order entry "net1" names no device of this VM. ` + devices),
			},
			{
				Config:           vm(`["scsi0", "ide2", "ide3", "net0"]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}
