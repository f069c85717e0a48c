# Every running VM on node pve2 tagged "monitoring".
data "proxmoxsafe_vms" "monitoring" {
  node   = "pve2"
  status = "running"
  tags   = ["monitoring"]
}

output "monitoring_vms" {
  value = [for vm in data.proxmoxsafe_vms.monitoring.vms : "${vm.vmid} ${vm.name}"]
}

# Every template whose name starts with "tpl-".
data "proxmoxsafe_vms" "templates" {
  name_regex = "^tpl-"
  template   = true
}

output "templates" {
  value = { for vm in data.proxmoxsafe_vms.templates.vms : vm.name => vm.vmid }
}

# Bring the web servers that already exist under management after a lost
# state; the ones that do not exist yet are created.
locals {
  web_servers = toset(["web-01", "web-02", "web-03"])
}

data "proxmoxsafe_vms" "web" {
  name_regex = "^web-[0-9]+$"
  template   = false
}

import {
  for_each = {
    for vm in data.proxmoxsafe_vms.web.vms : vm.name => vm
    if contains(local.web_servers, vm.name)
  }
  to = proxmoxsafe_vm.web[each.key]
  id = each.value.import_id
}

resource "proxmoxsafe_vm" "web" {
  for_each = local.web_servers

  name   = each.key
  node   = "pve"
  memory = 4096
  cpu = {
    cores = 2
  }
}
