resource "proxmoxsafe_vm" "prometheus" {
  name  = "monitoring-prometheus"
  node  = var.node
  clone = { source = var.template, full = true, storage = "local-lvm" }

  cpu    = { cores = 2 }
  memory = 4096

  # Grown from the template's size before the first boot; smaller is a plan error.
  disks = {
    scsi0 = { storage = "local-lvm", size = 32 }
  }
  networks = {
    net0 = { bridge = "vmbr0" }
  }

  cloud_init = {
    user                = "ops"
    ssh_keys            = [var.ssh_public_key]
    password_wo         = var.ops_password
    password_wo_version = 1 # change it to send the password again
    dns                 = { servers = ["10.0.0.1"], domain = "example.com" }
    ip_config = {
      net0 = {
        ipv4 = { address = "10.0.0.20/24", gateway = "10.0.0.1" }
        ipv6 = { address = "auto" }
      }
    }
    upgrade = false
  }
}

output "vmid" {
  value = proxmoxsafe_vm.prometheus.vmid
}
