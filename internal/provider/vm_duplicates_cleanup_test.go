package provider_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// The monitoring stack as its configuration describes it. The VMs match
// what the incident's repeated applies created.
const cleanupMonitoring = `
data "proxmoxsafe_vm_duplicates" "monitoring" {
  name_regex = "^monitoring-"
}

resource "proxmoxsafe_vm" "monitoring" {
  for_each = toset(["monitoring-grafana", "monitoring-prometheus"])

  name   = each.key
  node   = "pve"
  tags   = ["monitoring"]
  memory = 2048
  cpu = {
    cores   = 2
    sockets = 1
  }
  disks = {
    scsi0 = { storage = "local-lvm", size = 32 }
  }
  networks = {
    net0 = { bridge = "vmbr0", firewall = true }
  }
}
`

// Take the VM to keep of each name back into state.
const cleanupImportKept = `
import {
  for_each = { for g in data.proxmoxsafe_vm_duplicates.monitoring.groups : g.name => g }
  to       = proxmoxsafe_vm.monitoring[each.key]
  id       = each.value.keep_import_id
}
`

// Import every other member into a resource of its own, keyed by VMID, as
// it is; removing that resource from the configuration destroys them.
const cleanupImportExtras = `
locals {
  extra_vms = merge([
    for g in data.proxmoxsafe_vm_duplicates.monitoring.groups : {
      for m in g.members : tostring(m.vmid) => m if !m.keep
    }
  ]...)
}

import {
  for_each = local.extra_vms
  to       = proxmoxsafe_vm.extra[each.key]
  id       = each.value.import_id
}

resource "proxmoxsafe_vm" "extra" {
  for_each = local.extra_vms

  name    = each.value.name
  node    = each.value.node
  started = false

  lifecycle {
    ignore_changes = all
  }
}
`

// vmidsNamed asserts which VMs carry name in the simulator. It is a state
// check because the legacy Check functions cannot shim for_each instances.
func vmidsNamed(sim *pvesim.Server, name string, want ...int) statecheck.StateCheck {
	return simCheck(func() error {
		var got []int
		for _, vm := range sim.VMsNamed(name) {
			got = append(got, vm.VMID)
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("VMs named %s: %v, want %v", name, got, want)
		}
		return nil
	})
}

// expectImported checks that the plan imports addr and neither creates nor
// destroys it. (An in-place update is allowed: ignore_changes does not stop
// the provider from filling schema defaults.)
type expectImported string

func (e expectImported) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != string(e) {
			continue
		}
		switch {
		case rc.Change.Importing == nil:
			resp.Error = fmt.Errorf("%s is not imported: %v", e, rc.Change.Actions)
		case rc.Change.Actions.Create() || rc.Change.Actions.Delete() || rc.Change.Actions.Replace():
			resp.Error = fmt.Errorf("%s is imported but planned for %v", e, rc.Change.Actions)
		}
		return
	}
	resp.Error = fmt.Errorf("%s is not in the plan", e)
}

// simCheck runs an assertion on the simulator after a step's apply.
type simCheck func() error

func (c simCheck) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = c()
}

// The recovery after the incident, done with Terraform: the duplicates data
// source drives the imports, and Terraform destroys the extra VMs. Two of
// them (108, 111) have a disk on the ZFS pool that cannot be imported: as in
// Proxmox VE (qemu-server QemuServer.pm destroy_vm), their destroy still
// succeeds, and only those volumes stay behind on the broken pool, for the
// operator to free (`pvesm free <volid>`) once the pool is back.
func TestAccVMDuplicatesCleanup(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "incident", StatsLag: 0})
	sim := lab.RequireSim(t, "incident scenario and broken storage (leftover volumes)")
	grafana := `proxmoxsafe_vm.monitoring["monitoring-grafana"]`
	prometheus := `proxmoxsafe_vm.monitoring["monitoring-prometheus"]`
	extras := []int{108, 110, 111, 112, 115, 116, 117, 121, 122}

	var importExtras []plancheck.PlanCheck
	for _, id := range extras {
		importExtras = append(importExtras, expectImported(fmt.Sprintf("proxmoxsafe_vm.extra[%q]", fmt.Sprint(id))))
	}
	var destroyExtras []plancheck.PlanCheck
	for _, id := range extras {
		destroyExtras = append(destroyExtras,
			plancheck.ExpectResourceAction(fmt.Sprintf("proxmoxsafe_vm.extra[%q]", fmt.Sprint(id)), plancheck.ResourceActionDestroy))
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// Without the imports, the plan refuses to create a third
				// VM of either name.
				Config:      lab.Config(cleanupMonitoring),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Several VMs already carry this name`),
			},
			{
				// The running VM of each name comes back under management.
				Config: lab.Config(cleanupMonitoring + cleanupImportKept),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(grafana, tfjsonpath.New("vmid"), knownvalue.Int64Exact(126)),
					statecheck.ExpectKnownValue(prometheus, tfjsonpath.New("vmid"), knownvalue.Int64Exact(123)),
					statecheck.ExpectKnownValue(grafana, tfjsonpath.New("status"), knownvalue.StringExact("running")),
					vmidsNamed(sim, "monitoring-grafana", 110, 111, 115, 117, 122, 126),
					vmidsNamed(sim, "monitoring-prometheus", 108, 112, 116, 121, 123),
				},
			},
			{
				// The others are imported as they are.
				Config:           lab.Config(cleanupMonitoring + cleanupImportExtras),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: importExtras},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(`proxmoxsafe_vm.extra["110"]`, tfjsonpath.New("name"), knownvalue.StringExact("monitoring-grafana")),
					statecheck.ExpectKnownValue(`proxmoxsafe_vm.extra["108"]`, tfjsonpath.New("name"), knownvalue.StringExact("monitoring-prometheus")),
				},
			},
			{
				// Dropping them from the configuration destroys them, the
				// two with a disk on the missing pool included: their VMs
				// go, the volumes on the pool stay behind.
				Config:           lab.Config(cleanupMonitoring),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: destroyExtras},
				ConfigStateChecks: []statecheck.StateCheck{
					vmidsNamed(sim, "monitoring-grafana", 126),
					vmidsNamed(sim, "monitoring-prometheus", 123),
					simCheck(func() error {
						want := []string{"downloads:vm-108-disk-1", "downloads:vm-111-disk-1"}
						if got := sim.LeftoverVolumes(); !slices.Equal(slices.Sorted(slices.Values(got)), want) {
							return fmt.Errorf("volumes left on the broken pool %v, want %v", got, want)
						}
						return nil
					}),
				},
			},
			{
				// One VM per name: nothing left to report, and the kept
				// VMs are still managed, unchanged.
				Config:           lab.Config(cleanupMonitoring),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.proxmoxsafe_vm_duplicates.monitoring", tfjsonpath.New("groups"), knownvalue.ListSizeExact(0)),
					statecheck.ExpectKnownValue(grafana, tfjsonpath.New("vmid"), knownvalue.Int64Exact(126)),
					statecheck.ExpectKnownValue(prometheus, tfjsonpath.New("vmid"), knownvalue.Int64Exact(123)),
					vmidsNamed(sim, "monitoring-grafana", 126),
					vmidsNamed(sim, "monitoring-prometheus", 123),
				},
			},
			{
				// The test harness cannot read for_each instances back at
				// the end, so forget the kept VMs without destroying them.
				Config: lab.Config(`
removed {
  from = proxmoxsafe_vm.monitoring
  lifecycle {
    destroy = false
  }
}
`),
				ConfigStateChecks: []statecheck.StateCheck{
					vmidsNamed(sim, "monitoring-grafana", 126),
					vmidsNamed(sim, "monitoring-prometheus", 123),
				},
			},
		},
	})
}
