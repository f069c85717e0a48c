# The configuration of the stack, exactly as it was before the state was
# lost. It does not depend on the recovery below, so it stays as it is.
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
  protection = true
}
