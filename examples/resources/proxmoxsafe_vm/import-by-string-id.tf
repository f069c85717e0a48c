import {
  to = proxmoxsafe_vm.prometheus
  id = "monitoring-prometheus"
}
