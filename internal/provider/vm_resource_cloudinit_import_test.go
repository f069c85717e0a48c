package provider_test

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// importWithoutCloudInitVM is the VM of cloudInitImportWithoutCloudInit
// (in TestAccVMResource_cloudInit): importing a cloud-init VM with a
// configuration that leaves cloud_init out plans no change: cloud_init is
// Optional and Computed (computedWithWriteOnly), so the VM's cloud-init
// settings the import recorded are kept, and nothing is written to the VM.
func importWithoutCloudInitVM() (string, pvesim.VM) {
	name := acctest.RandomName("ciimp")
	vm := pvesim.CloudInitTemplate(4810, "pve", name)
	vm.Template, vm.Config["ide2"] = false, "local-lvm:vm-4810-cloudinit,media=cdrom"
	vm.Config["ciuser"] = "ops"
	return name, vm
}

// importWritesNothing checks that no VM config was written since the
// request counts were reset, and that VM 4810 kept its cloud-init.
func importWritesNothing(sim *pvesim.Server) resource.TestCheckFunc {
	return func(*terraform.State) error {
		counts := sim.RequestCounts()
		if n := counts["PUT /nodes/{node}/qemu/{vmid}/config"] + counts["POST /nodes/{node}/qemu/{vmid}/config"]; n != 0 {
			return fmt.Errorf("cloudInitImportWithoutCloudInit: the import wrote the config %d times", n)
		}
		if v, _ := sim.VM(4810); v.Config["ciuser"] != "ops" || v.Config["ide2"] == "" {
			return fmt.Errorf("cloudInitImportWithoutCloudInit: the import changed the VM's cloud-init: %v", v.Config)
		}
		return nil
	}
}
