# Terraform 1.12 and later. uuid is optional; with it, the import is refused
# if VMID 121 has been given to another VM since the identity was recorded.
import {
  to = proxmoxsafe_vm.prometheus
  identity = {
    vmid = 121
    uuid = "5f0c2b7e-8d4a-4c1e-9b6a-2f3d4e5a6b7c"
  }
}
