terraform {
  required_providers {
    proxmoxsafe = {
      source = "proxmoxsafe/proxmoxsafe"
    }
  }
}

# Credentials usually come from the environment:
#   PROXMOX_VE_ENDPOINT, PROXMOX_VE_API_TOKEN (user@realm!tokenid=secret),
#   PROXMOX_VE_CA_CERTIFICATE (PEM text or a path to a PEM file).
provider "proxmoxsafe" {
  endpoint = "https://pve.example.com:8006/"
  # The cluster's own CA, copied from /etc/pve/pve-root-ca.pem on any node.
  ca_certificate = file("${path.module}/pve-root-ca.pem")

  # What proxmoxsafe_vm does when a VM with its name exists but is not in
  # state: "fail" (default) or "adopt". Each resource can override it.
  on_existing = "fail"

  default_node = "pve"
}
