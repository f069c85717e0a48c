package provider_test

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
)

// Adding a disk or a network card to an existing VM used to fail with
// "Provider produced inconsistent result after apply": the new disk's
// volume and the new card's MAC were unknown in the plan and came back
// null.
func TestAccVMResource_addDiskAndNIC(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	name := acctest.RandomName("grow")
	one := lab.Config(vmHCL(name, lab.Node, `started = false`,
		`disks = { scsi0 = { storage = "local-lvm", size = 4 } }`,
		`networks = { net0 = { bridge = "vmbr0" } }`))
	two := lab.Config(vmHCL(name, lab.Node, `started = false`,
		`disks = { scsi0 = { storage = "local-lvm", size = 4 }, scsi1 = { storage = "local-lvm", size = 2 } }`,
		`networks = { net0 = { bridge = "vmbr0" }, net1 = { bridge = "vmbr0" } }`))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: one},
			{
				Config: two,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("disks").AtMapKey("scsi1").AtMapKey("volume"),
						knownvalue.StringRegexp(regexp.MustCompile(`^vm-[0-9]+-disk-[0-9]+$`))),
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("networks").AtMapKey("net1").AtMapKey("mac"),
						knownvalue.StringRegexp(regexp.MustCompile(`^[0-9A-F]{2}(:[0-9A-F]{2}){5}$`))),
				},
				// The plans after the apply are empty: the library checks it.
			},
		},
	})
}
