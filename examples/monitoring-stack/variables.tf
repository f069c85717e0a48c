variable "node" {
  description = "Node the VMs are created on."
  type        = string
  default     = "pve"
}

variable "storage" {
  description = "Storage for the VM disks."
  type        = string
  default     = "local-lvm"
}

variable "bridge" {
  description = "Bridge the VMs are attached to."
  type        = string
  default     = "vmbr0"
}

variable "vlan" {
  description = "VLAN tag of the monitoring network; null for an untagged port."
  type        = number
  default     = 20
}

variable "template" {
  description = "Name of the template the bastion host is cloned from."
  type        = string
  default     = "debian-12-template"
}
