import {
  to = proxmoxsafe_name_guard.prometheus
  id = "monitoring-prometheus"
}
