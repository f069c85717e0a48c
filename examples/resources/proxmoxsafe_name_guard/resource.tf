terraform {
  required_providers {
    proxmoxsafe = {
      source = "proxmoxsafe/proxmoxsafe"
    }
  }
}

# Claims the name before another provider creates the VM. Give that VM
#   name = proxmoxsafe_name_guard.prometheus.name
# (and its node = proxmoxsafe_name_guard.prometheus.node) so that Terraform
# creates the guard first: if any VM in the cluster already carries the name,
# the plan stops before a second one is created.
resource "proxmoxsafe_name_guard" "prometheus" {
  name = "monitoring-prometheus"
  node = "pve"
}

# Recorded on refresh once the other provider created the VM.
output "prometheus_vmid" {
  value = proxmoxsafe_name_guard.prometheus.vmid
}
