# By the VM name the guard claims:
terraform import proxmoxsafe_name_guard.prometheus monitoring-prometheus
