resource "proxmoxsafe_vm" "prometheus" {
  name        = "monitoring-prometheus"
  node        = "pve"
  description = "Prometheus, managed by Terraform"
  tags        = ["monitoring", "prod"]

  cpu    = { cores = 2, type = "host" }
  memory = 4096

  disks = {
    scsi0 = { storage = "local-lvm", size = 32 }
  }
  networks = {
    net0 = { bridge = "vmbr0", vlan = 20, firewall = true }
  }

  started    = true
  on_boot    = true
  protection = true
}

# A clone of a template, adopting an existing VM of the same name if a
# previous state was lost.
resource "proxmoxsafe_vm" "grafana" {
  name        = "monitoring-grafana"
  node        = "pve"
  on_existing = "adopt"

  clone = {
    source = "debian-12-template"
    full   = true
  }
  memory = 2048

  timeouts = {
    create = "15m"
  }
}
