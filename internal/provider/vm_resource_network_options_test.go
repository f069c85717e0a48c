package provider_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
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

// A new NIC without model or firewall gets virtio and no firewall, as a new
// VM gets no protection; MTU and rate are set on create, the rate changes
// on the running VM without a restart (QemuServer.pm vmconfig_update_net
// changes it online), and an MTU on an e1000 device is refused at plan time
// (Proxmox VE would silently ignore it).
func TestAccVMResource_networkOptions(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	name := lab.RandomName("net")
	restarts := newRestartCounter(t, lab, name)
	net := func(opts string) string { return `networks = { net0 = { bridge = "vmbr0"` + opts + ` } }` }

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(lab, name),
		Steps: []resource.TestStep{
			{
				Config: lab.Config(vmHCL(name, lab.Node, net(`, mtu = 1`))),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("protection"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(vmAddr, net0Path, knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"model": knownvalue.StringExact("virtio"), "firewall": knownvalue.Bool(false),
						"mtu": knownvalue.Int64Exact(1), "rate": knownvalue.Null(),
					})),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(func(*terraform.State) error {
					vm := onlyVMNamed(t, lab, name)
					if !strings.HasSuffix(vm.Config["net0"], ",bridge=vmbr0,mtu=1") || vm.Config["protection"] != "0" {
						return fmt.Errorf("net0 = %q, protection = %q", vm.Config["net0"], vm.Config["protection"])
					}
					return nil
				})},
			},
			{
				Config:      lab.Config(vmHCL(name, lab.Node, net(`, model = "e1000", mtu = 1500`))),
				ExpectError: regexp.MustCompile(`(?s)MTU needs a VirtIO device.*Proxmox VE applies mtu to VirtIO devices\s+only`),
			},
			{
				Config:      lab.Config(vmHCL(name, lab.Node, net(`, mtu = 500`))),
				ExpectError: regexp.MustCompile(`(?s)mtu.*value must be`),
			},
			{
				PreConfig: restarts.mark,
				Config:    lab.Config(vmHCL(name, lab.Node, net(`, mtu = 1, rate = 100.5`))),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: inPlace.PreApply,
					PostApplyPreRefresh: afterApply(func(*terraform.State) error {
						vm := onlyVMNamed(t, lab, name)
						if !strings.HasSuffix(vm.Config["net0"], ",bridge=vmbr0,mtu=1,rate=100.5") {
							return fmt.Errorf("net0 = %q", vm.Config["net0"])
						}
						return restarts.expect(0)(nil)
					}),
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(vmAddr, net0Path.AtMapKey("rate"), knownvalue.Float64Exact(100.5)),
				},
			},
			{
				ResourceName:            vmAddr,
				ImportState:             true,
				ImportStateId:           name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			// The plans after each apply are empty (the library checks it),
			// and the destroy at the end runs with the last valid
			// configuration: the plan-time errors come before it.
		},
	})
}
