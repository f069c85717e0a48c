# Every VM that shares its name with another VM, in VMID order.
list "proxmoxsafe_vm" "duplicates" {
  provider = proxmoxsafe
  config {
    duplicates_only = true
  }
}

# The monitoring VMs on node pve, with the resource object that
# `terraform query -generate-config-out=generated.tf` turns into configuration.
list "proxmoxsafe_vm" "monitoring" {
  provider         = proxmoxsafe
  include_resource = true
  config {
    name = "monitoring-*"
    node = "pve"
    tags = ["monitoring"]
  }
}
