# Recovery after a lost or reset state. Delete this file once the plan shows
# "No changes" (step 4 of the guide).

# Every name of the stack that more than one VM carries, with the VM to keep:
# the most recently created running one (keep = "newest_running", the default).
data "proxmoxsafe_vm_duplicates" "monitoring" {
  name_regex = "^monitoring-"
  tags       = ["monitoring"]
}

locals {
  # The VMs that are not kept, by VMID.
  extra_vms = merge([
    for g in data.proxmoxsafe_vm_duplicates.monitoring.groups : {
      for m in g.members : tostring(m.vmid) => m if !m.keep
    }
  ]...)
}

# Step 1: the VM to keep of each duplicated name goes back under the address
# the configuration already has for it. (A name carried by one VM only is not
# a duplicate: import it with an import block by name, id = "<name>".)
import {
  for_each = { for g in data.proxmoxsafe_vm_duplicates.monitoring.groups : g.name => g }
  to       = proxmoxsafe_vm.monitoring[each.key]
  id       = each.value.keep_import_id
}

# Step 1, continued: every other VM carrying the name is imported as it is,
# keyed by VMID. Step 2 deletes these two blocks and Terraform destroys them.
import {
  for_each = local.extra_vms
  to       = proxmoxsafe_vm.extra[each.key]
  id       = each.value.import_id
}

resource "proxmoxsafe_vm" "extra" {
  for_each = local.extra_vms

  name = each.value.name
  node = each.value.node
  # Cleared on import so that step 2 may destroy the VM.
  protection = false

  lifecycle {
    # Leave everything else as it is: no restart, no resize, no new NIC.
    ignore_changes = [cpu, memory, disks, networks, started, on_boot, tags, description]
  }
}
