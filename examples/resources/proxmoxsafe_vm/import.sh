# By VM name (must be unique in the cluster):
terraform import proxmoxsafe_vm.prometheus monitoring-prometheus

# By VMID, wherever the VM runs:
terraform import proxmoxsafe_vm.prometheus 123

# By node and VMID, e.g. to pick one of several VMs with the same name:
terraform import proxmoxsafe_vm.prometheus pve/123
