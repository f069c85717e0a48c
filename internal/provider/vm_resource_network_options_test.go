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
// and a CD-ROM drive: everything a configuration may leave out.
func legacyHardwareVM(t *testing.T, sim *pvesim.Server, vmid int, node, name string) {
	t.Helper()
	if err := sim.AddVM(pvesim.VM{VMID: vmid, Node: node, Name: name, Status: "stopped", Config: map[string]string{
		"protection": "1",
		"net0":       "e1000=BC:24:11:AA:BB:01,bridge=vmbr0,firewall=1,mtu=1400,queues=2,rate=12.5",
		"scsi0":      "local-lvm:vm-" + fmt.Sprint(vmid) + "-disk-0,backup=0,cache=writeback,discard=on,iothread=1,size=8G,ssd=1",
		"ide3":       "local:iso/debian-12.iso,media=cdrom,size=628M",
	}}); err != nil {
		t.Fatal(err)
	}
}

// legacyHardwareUntouched checks that Terraform rewrote none of it.
func legacyHardwareUntouched(sim *pvesim.Server, vmid int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		vm, ok := sim.VM(vmid)
		if !ok {
			return fmt.Errorf("VM %d is gone", vmid)
		}
		want := map[string]string{
			"protection": "1",
			"net0":       "e1000=BC:24:11:AA:BB:01,bridge=vmbr0,firewall=1,mtu=1400,queues=2,rate=12.5",
			"scsi0":      "local-lvm:vm-" + fmt.Sprint(vmid) + "-disk-0,backup=0,cache=writeback,discard=on,iothread=1,size=8G,ssd=1",
			"ide3":       "local:iso/debian-12.iso,media=cdrom,size=628M",
		}
		for k, v := range want {
			if vm.Config[k] != v {
				return fmt.Errorf("VM %d has %s=%q, want %q untouched", vmid, k, vm.Config[k], v)
			}
		}
		return nil
	}
}

// Importing a VM with protection, an e1000 NIC behind the firewall, an
// MTU, a rate limit, disk options and a CD-ROM plans no change when the
// configuration leaves them out (it used to plan protection true -> false,
// model e1000 -> virtio and firewall true -> false). Setting one of them
// changes only that; protection goes off last, so the VM can be destroyed.
func TestAccVMResource_importKeepsHardwareDefaults(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	sim := lab.RequireSim(t, "VMs seeded with legacy hardware out of band")
	name := acctest.RandomName("legacy")
	const vmid = 4721
	legacyHardwareVM(t, sim, vmid, lab.Node, name)
	importBlock := fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", vmAddr, name)
	leftOut := []string{`started = false`, `disks = { scsi0 = { storage = "local-lvm", size = 8 } }`, `networks = { net0 = { bridge = "vmbr0" } }`}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(sim, name),
		Steps: []resource.TestStep{
			{
				Config:           lab.Config(importBlock + vmHCL(name, lab.Node, leftOut...)),
				ConfigPlanChecks: noop,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("protection"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(vmAddr, net0Path, knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"model": knownvalue.StringExact("e1000"), "firewall": knownvalue.Bool(true),
						"mtu": knownvalue.Int64Exact(1400), "rate": knownvalue.Float64Exact(12.5),
					})),
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("disks").AtMapKey("scsi0"), knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"discard": knownvalue.Bool(true), "iothread": knownvalue.Bool(true), "ssd": knownvalue.Bool(true),
						"cache": knownvalue.StringExact("writeback"), "backup": knownvalue.Bool(false), "replicate": knownvalue.Bool(true),
					})),
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("cdrom"), knownvalue.MapExact(map[string]knownvalue.Check{
						"ide3": knownvalue.ObjectExact(map[string]knownvalue.Check{"file": knownvalue.StringExact("local:iso/debian-12.iso")}),
					})),
				},
				Check: legacyHardwareUntouched(sim, vmid),
			},
			{
				// Setting what the VM already has plans no change either.
				Config: lab.Config(vmHCL(name, lab.Node, `started = false`, `protection = true`,
					`disks = { scsi0 = { storage = "local-lvm", size = 8, ssd = true, backup = false } }`,
					`networks = { net0 = { bridge = "vmbr0", model = "e1000", firewall = true, rate = 12.5 } }`,
					`cdrom = { ide3 = { file = "local:iso/debian-12.iso" } }`)),
				ConfigPlanChecks: noop,
				Check:            legacyHardwareUntouched(sim, vmid),
			},
			{
				// The firewall goes off in place; model, MTU, rate and the
				// device's queues stay.
				Config:           lab.Config(vmHCL(name, lab.Node, `started = false`, `disks = { scsi0 = { storage = "local-lvm", size = 8 } }`, `networks = { net0 = { bridge = "vmbr0", firewall = false } }`)),
				ConfigPlanChecks: inPlace,
				Check: func(*terraform.State) error {
					vm, _ := sim.VM(vmid)
					if got, want := vm.Config["net0"], "e1000=BC:24:11:AA:BB:01,bridge=vmbr0,mtu=1400,queues=2,rate=12.5"; got != want {
						return fmt.Errorf("net0 = %q, want %q", got, want)
					}
					return nil
				},
			},
			{
				ResourceName:            vmAddr,
				ImportState:             true,
				ImportStateId:           name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				Config:           lab.Config(vmHCL(name, lab.Node, append(leftOut, `protection = false`)...)),
				ConfigPlanChecks: inPlace,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("protection"), knownvalue.Bool(false)),
				},
			},
		},
	})
}

// Adopting that VM with a configuration that leaves it all out changes
// nothing and then plans clean.
func TestAccVMResource_adoptionKeepsHardwareDefaults(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Minute})
	sim := lab.RequireSim(t, "VMs seeded with legacy hardware out of band")
	name := acctest.RandomName("legacy")
	const vmid = 4722
	legacyHardwareVM(t, sim, vmid, lab.Node, name)
	vm := []string{`started = false`, `on_existing = "adopt"`, `disks = { scsi0 = { storage = "local-lvm", size = 8 } }`, `networks = { net0 = { bridge = "vmbr0" } }`}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(sim, name),
		Steps: []resource.TestStep{
			{
				Config: lab.Config(vmHCL(name, lab.Node, vm...)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("vmid"), knownvalue.Int64Exact(vmid)),
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("protection"), knownvalue.Bool(true)),
				},
				Check: legacyHardwareUntouched(sim, vmid),
			},
			{
				Config:           lab.Config(vmHCL(name, lab.Node, vm...)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				Config: lab.Config(vmHCL(name, lab.Node, append(vm, `protection = false`)...)),
			},
		},
	})
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
				Check: func(*terraform.State) error {
					vm := onlyVMNamed(t, lab, name)
					if !strings.HasSuffix(vm.Config["net0"], ",bridge=vmbr0,mtu=1") || vm.Config["protection"] != "0" {
						return fmt.Errorf("net0 = %q, protection = %q", vm.Config["net0"], vm.Config["protection"])
					}
					return nil
				},
			},
			{Config: lab.Config(vmHCL(name, lab.Node, net(`, mtu = 1`))), ConfigPlanChecks: noop},
			{
				PreConfig:        restarts.mark,
				Config:           lab.Config(vmHCL(name, lab.Node, net(`, mtu = 1, rate = 100.5`))),
				ConfigPlanChecks: inPlace,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(vmAddr, net0Path.AtMapKey("rate"), knownvalue.Float64Exact(100.5)),
				},
				Check: func(*terraform.State) error {
					vm := onlyVMNamed(t, lab, name)
					if !strings.HasSuffix(vm.Config["net0"], ",bridge=vmbr0,mtu=1,rate=100.5") {
						return fmt.Errorf("net0 = %q", vm.Config["net0"])
					}
					return restarts.expect(0)(nil)
				},
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
				ResourceName:            vmAddr,
				ImportState:             true,
				ImportStateId:           name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			// The destroy at the end runs with a valid configuration.
			{Config: lab.Config(vmHCL(name, lab.Node, net(`, mtu = 1, rate = 100.5`))), ConfigPlanChecks: noop},
		},
	})
}
