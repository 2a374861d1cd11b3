# A stand-in for examples/k0rdent-azure/terraform with the identical output
# contract (controller_ips, worker_ips, vm_details with public_ip,
# private_ip, zone, role and state; resource_group, subnet_id,
# security_group_id, ssh_key_name) and the same variables, made of the
# built-in terraform_data resource so that it applies offline.
variable "cluster_id" {
  type    = string
  default = ""
}

variable "controller_count" {
  type    = number
  default = 1
}

variable "worker_count" {
  type    = number
  default = 1
}

variable "ssh_public_key_file" {
  type    = string
  default = ""
}

variable "zones" {
  type    = list(string)
  default = ["1"]
}

locals {
  cluster_id = var.cluster_id != "" ? var.cluster_id : trimspace(file("${path.module}/../.clusterid"))
  ssh_public_key_file = var.ssh_public_key_file != "" ? var.ssh_public_key_file : "${path.module}/../azure-resources/${local.cluster_id}-ssh-key.pub"
  names = concat(
    [for i in range(var.controller_count) : "k0s-controller-${i + 1}"],
    [for i in range(var.worker_count) : "k0s-worker-${i + 1}"],
  )
}

# The real module gives the VMs this key: like it, fail when it is missing.
resource "terraform_data" "ssh_key" {
  input = trimspace(file(local.ssh_public_key_file))
}

resource "terraform_data" "vm" {
  for_each = { for i, n in local.names : n => i }
  input = {
    public_ip  = "20.0.0.${each.value + 10}"
    private_ip = "10.0.1.${each.value + 4}"
    zone       = var.zones[each.value % length(var.zones)]
    role       = startswith(each.key, "k0s-controller") ? "controller" : "worker"
    state      = "Succeeded"
  }
  depends_on = [terraform_data.ssh_key]
}

output "controller_ips" {
  value = [for n in local.names : terraform_data.vm[n].output.public_ip if startswith(n, "k0s-controller")]
}

output "worker_ips" {
  value = [for n in local.names : terraform_data.vm[n].output.public_ip if startswith(n, "k0s-worker")]
}

output "vm_details" {
  value = { for n in local.names : n => terraform_data.vm[n].output }
}

output "resource_group" {
  value = "${local.cluster_id}-resgrp"
}

output "subnet_id" {
  value = "/subscriptions/0/resourceGroups/${local.cluster_id}-resgrp/providers/Microsoft.Network/virtualNetworks/${local.cluster_id}-vnet/subnets/${local.cluster_id}-subnet"
}

output "security_group_id" {
  value = "/subscriptions/0/resourceGroups/${local.cluster_id}-resgrp/providers/Microsoft.Network/networkSecurityGroups/${local.cluster_id}-nsg"
}

output "ssh_key_name" {
  value = "${local.cluster_id}-admin"
}
