# Look a VM up by name. Fails, listing the candidates, when several VMs carry
# the name.
data "proxmoxsafe_vm" "grafana" {
  name = "monitoring-grafana"
}

# Look a VM up by VMID.
data "proxmoxsafe_vm" "template" {
  vmid = 9000
}

output "grafana" {
  value = {
    node       = data.proxmoxsafe_vm.grafana.node
    vmid       = data.proxmoxsafe_vm.grafana.vmid
    status     = data.proxmoxsafe_vm.grafana.status
    created_at = data.proxmoxsafe_vm.grafana.created_at
    cores      = data.proxmoxsafe_vm.grafana.cpu.cores
    memory_mb  = data.proxmoxsafe_vm.grafana.memory
  }
}

# Clone a new VM from the template found above.
resource "proxmoxsafe_vm" "web" {
  name = "web-01"
  node = data.proxmoxsafe_vm.template.node
  clone = {
    source = tostring(data.proxmoxsafe_vm.template.vmid)
  }
}
