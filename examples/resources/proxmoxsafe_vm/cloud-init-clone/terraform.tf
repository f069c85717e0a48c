# A complete module: a VM cloned from a cloud-init template and set up
# before its first boot. Terraform 1.11 or later: clone and
# cloud_init.password_wo are write-only.
terraform {
  required_version = ">= 1.11"
  required_providers {
    proxmoxsafe = {
      source = "proxmoxsafe/proxmoxsafe"
    }
  }
}
