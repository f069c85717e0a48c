package provider_test

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// cloudInitDriveAt checks, for cloudInitDriveMove (in
// TestAccVMResource_cloudInit: moving the cloud-init drive to another
// interface is an in-place update: on a stopped VM two config updates, on a
// running one the same with one stop and start; the plan is clean after
// each), that the only VM named name has its cloud-init
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
