terraform {
  # for_each in import blocks (used to recover this stack) needs 1.7.
  required_version = ">= 1.7"

  required_providers {
    proxmoxsafe = {
      source = "proxmoxsafe/proxmoxsafe"
    }
  }
}

# Endpoint, token and CA come from PROXMOX_VE_ENDPOINT, PROXMOX_VE_API_TOKEN
# and PROXMOX_VE_CA_CERTIFICATE.
provider "proxmoxsafe" {
  default_node = var.node
}
