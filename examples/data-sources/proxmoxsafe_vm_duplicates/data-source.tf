# Every VM name that more than one VM carries, cluster-wide.
data "proxmoxsafe_vm_duplicates" "all" {}

output "duplicated_names" {
  value = {
    for g in data.proxmoxsafe_vm_duplicates.all.groups :
    g.name => { keep = g.keep_vmid, remove = g.remove_vmids }
  }
}

output "vms_in_excess" {
  value = data.proxmoxsafe_vm_duplicates.all.vms_in_excess
}

# Recovery after a lost state. The duplicates of the monitoring stack, keeping
# the newest running VM of each name (the default policy).
data "proxmoxsafe_vm_duplicates" "monitoring" {
  name_regex = "^monitoring-"
  tags       = ["monitoring"]
}

# The configuration of the stack itself does not depend on the data source,
# so it stays the same once the duplicates are gone.
resource "proxmoxsafe_vm" "monitoring" {
  for_each = toset(["monitoring-grafana", "monitoring-prometheus"])

  name   = each.key
  node   = "pve"
  tags   = ["monitoring"]
  memory = 2048
  cpu = {
    cores = 2
  }
  disks = {
    scsi0 = { storage = "local-lvm", size = 32 }
  }
  networks = {
    net0 = { bridge = "vmbr0", firewall = true }
  }
}

# Step 1: take the VM to keep of each name back under management. Import
# blocks for instances already in state do nothing, so this can stay.
import {
  for_each = { for g in data.proxmoxsafe_vm_duplicates.monitoring.groups : g.name => g }
  to       = proxmoxsafe_vm.monitoring[each.key]
  id       = each.value.keep_import_id
}

# Step 2: import every other member as it is, keyed by VMID...
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

# Step 3: ...then delete the import block and the "extra" resource above and
# apply: Terraform destroys the extra VMs and the names are unique again.
