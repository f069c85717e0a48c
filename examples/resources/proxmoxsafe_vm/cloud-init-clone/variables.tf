variable "node" {
  description = "Node the VM runs on. The template may sit on any node; one on this node is preferred."
  type        = string
  default     = "pve"
}

variable "template" {
  description = "Name (or VMID) of the cloud-init template to clone."
  type        = string
  default     = "debian-12-cloud"
}

variable "ssh_public_key" {
  description = "OpenSSH public key of the ops user, e.g. file(\"~/.ssh/id_ed25519.pub\")."
  type        = string
}

variable "ops_password" {
  description = "Password of the ops user. Ephemeral: Terraform keeps it out of plan and state files."
  type        = string
  sensitive   = true
  ephemeral   = true
}
