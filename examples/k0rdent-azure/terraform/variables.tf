variable "cluster_id" {
  type        = string
  default     = ""
  description = "The deployment id, e.g. k0rdent-4f2a9c1e (default: the checkout's .clusterid, which k0flow writes): every resource is named after it, as the bash scripts named theirs."
}

variable "location" {
  type    = string
  default = "westus2"
}

variable "controller_count" {
  type    = number
  default = 1
}

variable "worker_count" {
  type    = number
  default = 1
}

variable "controller_vm_size" {
  type    = string
  default = "Standard_D2s_v5"
}

variable "worker_vm_size" {
  type    = string
  default = "Standard_D2s_v5"
}

variable "zones" {
  type        = list(string)
  default     = ["1"]
  description = "Availability zones; VMs are spread over them in turn."
}

variable "admin_username" {
  type    = string
  default = "k0rdent"
}

variable "ssh_public_key_file" {
  type        = string
  default     = ""
  description = "The SSH public key the VMs accept (default: ../azure-resources/<cluster_id>-ssh-key.pub, the pair the scripts use as SSH_PRIVATE_KEY, which the preflight makes). The private key never goes into Terraform."
}

variable "cloud_init_dir" {
  type        = string
  default     = "../cloud-init-yaml"
  description = "Where prepare_deployment wrote <host>-cloud-init.yaml (WireGuard keys and config for each VM)."
}

variable "vnet_prefix" {
  type    = string
  default = "10.0.0.0/16"
}

variable "subnet_prefix" {
  type    = string
  default = "10.0.1.0/24"
}

variable "wireguard_ports" {
  type        = string
  default     = "30000-64000"
  description = "UDP ports open for WireGuard: prepare_deployment picks the port at random in this range."
}

variable "image" {
  type = object({ publisher = string, offer = string, sku = string, version = string })
  default = {
    publisher = "Debian"
    offer     = "debian-12"
    sku       = "12-gen2"
    version   = "latest"
  }
}
