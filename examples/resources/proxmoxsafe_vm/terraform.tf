# Makes this directory a complete module: `terraform init` finds the
# provider under its registry address instead of guessing hashicorp/proxmoxsafe.
terraform {
  # clone is write-only (Terraform 1.11 or later).
  required_version = ">= 1.11"
  required_providers {
    proxmoxsafe = {
      source = "proxmoxsafe/proxmoxsafe"
    }
  }
}
