package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

const act4HCL = `data "proxmoxsafe_vm_duplicates" "monitoring" {
  name_regex = "^monitoring-"
}

locals {
  keep = { for g in data.proxmoxsafe_vm_duplicates.monitoring.groups : g.name => g }
}

# Take the VM to keep of each name back under management.
import {
  for_each = local.keep
  to       = proxmoxsafe_vm.monitoring[each.key]
  id       = each.value.keep_import_id
}

# The stack as it is meant to be: fixed names, not derived from the
# duplicates (once they are gone, the groups are empty).
resource "proxmoxsafe_vm" "monitoring" {
  for_each = toset(["monitoring-grafana", "monitoring-prometheus"])

  name   = each.key
  node   = "pve"
  memory = 2048
  tags   = ["monitoring"]

  lifecycle {
    # The CPU, disks and NICs of the imported VMs stay as they are.
    ignore_changes = [cpu, disks, networks]
  }
}

output "managed" {
  value = { for k, vm in proxmoxsafe_vm.monitoring : k => vm.vmid }
}
`

// actCleanup imports the VM to keep of every duplicated name.
func (d *demo) actCleanup(ctx context.Context) error {
	d.say("Rebuild the lost state from the cluster: import blocks driven by the data source\nimport the VM to keep of each name.")
	dir, err := d.writeConfig("act4", act4HCL)
	if err != nil {
		return err
	}
	res, err := d.tf.run(ctx, dir, "apply", "-auto-approve", "-no-color")
	if err != nil {
		return err
	}
	d.show(summary(res.Output))
	imported := regexp.MustCompile(fmt.Sprintf(`Resources: %d imported, 0 added, \d+ changed, 0 destroyed`, len(incident)))
	if !d.expect(res.ok() && imported.MatchString(res.Output), "terraform apply imports %d VMs and creates or destroys none", len(incident)) {
		d.show(res.Output)
		return nil
	}
	outs, err := d.tf.outputs(ctx, dir)
	if err != nil {
		return err
	}
	var managed map[string]int
	if err := json.Unmarshal(outs["managed"], &managed); err != nil {
		return fmt.Errorf("reading output managed: %w", err)
	}
	for _, want := range incident {
		d.expect(managed[want.name] == want.keep, "%s is managed by Terraform again: VMID %d", want.name, managed[want.name])
	}
	if err := d.expectNoChanges(ctx, dir); err != nil {
		return err
	}
	return d.removeExtras(ctx, dir)
}

// act4ExtrasHCL imports every other VM of each group as it is, so that
// removing the resource from the configuration destroys them.
const act4ExtrasHCL = `
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

  name = each.value.name
  node = each.value.node

  lifecycle {
    ignore_changes = all
  }
}
`

// removeExtras imports the other VMs of every group, then removes them from
// the configuration so that Terraform destroys them. Two have a disk on the
// pool that cannot be imported: as in Proxmox VE, their destroy succeeds
// with a warning that names the volume left behind and how to free it.
func (d *demo) removeExtras(ctx context.Context, dir string) error {
	extras := 0
	for _, g := range incident {
		extras += len(g.vmids) - 1
	}
	d.say("Import the other VMs of each group as they are, then drop them from the\nconfiguration: Terraform destroys them.")
	if err := d.rewriteConfig(dir, act4HCL+act4ExtrasHCL); err != nil {
		return err
	}
	res, err := d.tf.run(ctx, dir, "apply", "-auto-approve", "-no-color")
	if err != nil {
		return err
	}
	d.show(summary(res.Output))
	imported := regexp.MustCompile(fmt.Sprintf(`Resources: %d imported, 0 added, \d+ changed, 0 destroyed`, extras))
	if !d.expect(res.ok() && imported.MatchString(res.Output), "terraform apply imports the %d other VMs", extras) {
		d.show(res.Output)
		return nil
	}
	d.say("Drop the extras from the configuration.")
	if err := d.rewriteConfig(dir, act4HCL); err != nil {
		return err
	}
	if res, err = d.tf.run(ctx, dir, "apply", "-auto-approve", "-no-color"); err != nil {
		return err
	}
	d.show(summary(res.Output))
	destroyed := fmt.Sprintf("Resources: 0 added, 0 changed, %d destroyed", extras)
	if !d.expect(res.ok() && strings.Contains(res.Output, destroyed), "terraform apply destroys the %d other VMs", extras) {
		d.show(res.Output)
		return nil
	}
	leftNote := regexp.MustCompile(`(?s)Warning: VM destroyed, disks left behind.*pvesm free downloads:vm-1(08|11)-disk-1`)
	if d.expect(leftNote.MatchString(res.Output), "the two VMs with a disk on the broken pool are gone; the warning names the volumes and the command to free them") {
		d.show(warningBlocks(res.Output, "Warning: VM destroyed, disks left behind"))
	}
	for _, g := range incident {
		d.expect(slices.Equal(d.vmids(g.name), []int{g.keep}), "one VM named %s is left: %d", g.name, g.keep)
	}
	return d.expectNoChanges(ctx, dir)
}
