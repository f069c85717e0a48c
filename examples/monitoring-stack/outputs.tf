output "vms" {
  description = "VMID and node of every VM of the stack, by name."
  value = merge(
    { for name, vm in proxmoxsafe_vm.monitoring : name => { vmid = vm.vmid, node = vm.node } },
    { (proxmoxsafe_vm.bastion.name) = { vmid = proxmoxsafe_vm.bastion.vmid, node = proxmoxsafe_vm.bastion.node } },
  )
}
