# A monitoring stack of three VMs and a bastion host cloned from a template.
# Nothing here uses cloud-init: the guests are configured by whatever the
# template or your image pipeline provides.

locals {
  monitoring = {
    "monitoring-prometheus"   = { cores = 4, memory = 8192, disk_gb = 100 }
    "monitoring-grafana"      = { cores = 2, memory = 4096, disk_gb = 32 }
    "monitoring-alertmanager" = { cores = 1, memory = 1024, disk_gb = 16 }
  }
}

resource "proxmoxsafe_vm" "monitoring" {
  for_each = local.monitoring

  name        = each.key
  description = "Monitoring stack, managed by Terraform"
  tags        = ["monitoring", "terraform"]

  cpu    = { cores = each.value.cores, type = "x86-64-v2-AES" }
  memory = each.value.memory

  disks = {
    scsi0 = { storage = var.storage, size = each.value.disk_gb }
  }
  networks = {
    net0 = { bridge = var.bridge, vlan = var.vlan, firewall = true }
  }

  started = true
  on_boot = true
  # Proxmox VE refuses to delete a protected VM, and so does terraform
  # destroy, at plan time.
  protection = true
}

resource "proxmoxsafe_vm" "bastion" {
  name = "monitoring-bastion"
  tags = ["monitoring", "terraform"]

  clone = {
    source  = var.template
    full    = true
    storage = var.storage
  }
  memory = 1024
  networks = {
    net0 = { bridge = var.bridge, vlan = var.vlan, firewall = true }
  }

  timeouts = {
    create = "20m"
  }
}

# Fails the plan's checks (as a warning, it never blocks an apply) when any
# name of this stack is carried by more than one VM, for example after someone
# created VMs by hand or with another tool.
check "monitoring_names_unique" {
  data "proxmoxsafe_vm_duplicates" "monitoring" {
    name_regex = "^monitoring-"
  }

  assert {
    condition     = data.proxmoxsafe_vm_duplicates.monitoring.names_duplicated == 0
    error_message = "Several VMs carry a monitoring-* name; see the guide \"Recovering from a lost or reset state\"."
  }
}
