terraform {
  # Import blocks with identity need Terraform 1.12 or later.
  required_version = ">= 1.12.0"

  required_providers {
    proxmoxsafe = {
      source = "proxmoxsafe/proxmoxsafe"
    }
  }
}
