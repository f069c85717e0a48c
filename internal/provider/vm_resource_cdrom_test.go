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

func expectDriveValue(t *testing.T, inv acctest.Inventory, name, key, want string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := onlyVMNamed(t, inv, name).Config[key]; got != want {
			return fmt.Errorf("%s = %q, want %q", key, got, want)
		}
		return nil
	}
}

func expectDriveMatches(t *testing.T, inv acctest.Inventory, name, key, pattern string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := onlyVMNamed(t, inv, name).Config[key]; !regexp.MustCompile(pattern).MatchString(got) {
			return fmt.Errorf("%s = %q, want it to match %s", key, got, pattern)
		}
		return nil
	}
}

// CD-ROM drives on a running VM: created with an ISO image, the medium
// changed without a restart (QemuServer.pm vmconfig_update_disk:
// change_medium), a new sata drive applied by one restart (new ide and sata
// drives are not hotplugged), an ISO image missing from its storage refused
// at plan time with what the storage has.
func TestAccVMResource_cdrom(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	name := lab.RandomName("cd")
	restarts := newRestartCounter(t, lab, name)
	iso := fmt.Sprintf(`cdrom = { ide3 = { file = %q } }`, lab.ISO)
	isoStorage, _, _ := strings.Cut(lab.ISO, ":")
	missing := isoStorage + ":iso/" + name + ".iso"
	empty := `cdrom = { ide3 = { file = "none" } }`
	two := `cdrom = { ide3 = { file = "none" }, sata1 = { file = "cdrom" } }`

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(lab, name),
		Steps: []resource.TestStep{
			{
				Config: lab.Config(vmHCL(name, lab.Node, iso)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("cdrom").AtMapKey("ide3").AtMapKey("file"),
						knownvalue.StringExact(lab.ISO)),
				},
				// create_disks writes the image's size into the drive. The
				// plans after the apply are empty: the library checks it.
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(
					expectDriveMatches(t, lab, name, "ide3", `^`+regexp.QuoteMeta(lab.ISO)+`,media=cdrom,size=\d+[KMGT]?$`),
				)},
			},
			{
				PreConfig: restarts.mark,
				Config:    lab.Config(vmHCL(name, lab.Node, empty)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:            inPlace.PreApply,
					PostApplyPreRefresh: afterApply(expectDriveValue(t, lab, name, "ide3", "none,media=cdrom"), restarts.expect(0)),
				},
			},
			{
				PreConfig: restarts.mark,
				Config:    lab.Config(vmHCL(name, lab.Node, two)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:            inPlace.PreApply,
					PostApplyPreRefresh: afterApply(expectDriveValue(t, lab, name, "sata1", "cdrom,media=cdrom"), restarts.expect(1)),
				},
			},
			{
				Config:      lab.Config(vmHCL(name, lab.Node, fmt.Sprintf(`cdrom = { ide3 = { file = %q } }`, missing))),
				ExpectError: regexp.MustCompile(`ISO image not found(.|\n)*` + regexp.QuoteMeta(missing) + `(.|\n)*ISO images(.|\n)*there:(.|\n)*` + regexp.QuoteMeta(lab.ISO)),
			},
			{
				Config:      lab.Config(vmHCL(name, lab.Node, `cdrom = { ide3 = { file = "none" } }`, `disks = { ide3 = { storage = "local-lvm", size = 1 } }`)),
				ExpectError: regexp.MustCompile(`Interface used twice`),
			},
			{
				ResourceName:            vmAddr,
				ImportState:             true,
				ImportStateId:           name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				// Removing the drives from the configuration keeps them; an
				// empty map removes them.
				Config:           lab.Config(vmHCL(name, lab.Node)),
				ConfigPlanChecks: noop,
			},
			{
				Config: lab.Config(vmHCL(name, lab.Node, `cdrom = {}`, `started = false`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(func(*terraform.State) error {
					vm := onlyVMNamed(t, lab, name)
					if _, has := vm.Config["ide3"]; has {
						return fmt.Errorf("ide3 still there: %q", vm.Config["ide3"])
					}
					return nil
				})},
			},
		},
	})
}
