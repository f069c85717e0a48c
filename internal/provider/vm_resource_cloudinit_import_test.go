package provider_test

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// Importing a cloud-init VM with a configuration that leaves cloud_init out
// plans no change: cloud_init is Optional and Computed (computedWithWriteOnly),
// so the VM's cloud-init settings the import recorded are kept, and nothing
// is written to the VM.
func TestAccVMResource_cloudInitImportWithoutCloudInit(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	sim := lab.RequireSim(t, "incident scenario, a seeded cloud-init VM and request counts")
	name := acctest.RandomName("ciimp")
	vm := pvesim.CloudInitTemplate(4810, "pve", name)
	vm.Template, vm.Config["ide2"] = false, "local-lvm:vm-4810-cloudinit,media=cdrom"
	vm.Config["ciuser"] = "ops"
	if err := sim.AddVM(vm); err != nil {
		t.Fatal(err)
	}
	body := vmHCL(name, "pve", `started = false`)
	configWrites := func(*terraform.State) error {
		counts := sim.RequestCounts()
		if n := counts["PUT /nodes/{node}/qemu/{vmid}/config"] + counts["POST /nodes/{node}/qemu/{vmid}/config"]; n != 0 {
			return fmt.Errorf("the import wrote the config %d times", n)
		}
		if v, _ := sim.VM(4810); v.Config["ciuser"] != "ops" || v.Config["ide2"] == "" {
			return fmt.Errorf("the import changed the VM's cloud-init: %v", v.Config)
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: sim.ResetRequestCounts,
				Config:    lab.Config(fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", vmAddr, name) + body),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionNoop),
					},
					PostApplyPreRefresh: afterApply(configWrites),
				},
			},
			{
				Config:           lab.Config(body),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{Config: lab.Config(forgetVM)},
		},
	})
}
