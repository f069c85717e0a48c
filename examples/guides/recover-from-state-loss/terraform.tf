terraform {
  # for_each in import blocks needs Terraform 1.7 or later.
  required_version = ">= 1.7"

  required_providers {
    proxmoxsafe = {
      source = "proxmoxsafe/proxmoxsafe"
    }
  }
}
