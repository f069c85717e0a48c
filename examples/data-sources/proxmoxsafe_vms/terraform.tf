# Makes this directory a complete module: `terraform init` finds the
# provider under its registry address instead of guessing hashicorp/proxmoxsafe.
terraform {
  required_providers {
    proxmoxsafe = {
      source = "proxmoxsafe/proxmoxsafe"
    }
  }
}
