package provider_test

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

var (
	net0Path = tfjsonpath.New("networks").AtMapKey("net0")
	noop     = resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionNoop)}}
	inPlace  = resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionUpdate)}}
)

// legacyHardwareVM seeds a VM made outside Terraform with protection, an
// e1000 NIC behind the firewall with an MTU and a rate limit, disk options
// and a CD-ROM drive holding the lab's ISO: everything a configuration may
// leave out. It returns the VM's VMID and those keys as the VM has them (a
// lab picks the VMID and the disk's volume, see Lab.AddVM).
func legacyHardwareVM(t *testing.T, lab *acctest.Lab, vmid int, node, name string) (int, map[string]string) {
	t.Helper()
	conf := map[string]string{
		"protection": "1",
		"net0":       "e1000=BC:24:11:AA:BB:01,bridge=vmbr0,firewall=1,mtu=1400,queues=2,rate=12.5",
		"scsi0":      "local-lvm:vm-" + fmt.Sprint(vmid) + "-disk-0,backup=0,cache=writeback,discard=on,iothread=1,size=8G,ssd=1",
		"ide3":       lab.ISO + ",media=cdrom",
	}
	vm := lab.AddVM(t, pvesim.VM{VMID: vmid, Node: node, Name: name, Status: "stopped", Config: conf})
	for k := range conf {
		conf[k] = vm.Config[k]
	}
	return vm.VMID, conf
}

// legacyHardwareUntouched checks that Terraform rewrote none of it.
func legacyHardwareUntouched(inv acctest.Inventory, vmid int, want map[string]string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		vm, ok := inv.VM(vmid)
		if !ok {
			return fmt.Errorf("VM %d is gone", vmid)
		}
		for k, v := range want {
			if vm.Config[k] != v {
				return fmt.Errorf("VM %d has %s=%q, want %q untouched", vmid, k, vm.Config[k], v)
			}
		}
		return nil
	}
}
