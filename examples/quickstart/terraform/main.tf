# Stand-ins for the Azure network and VMs: only the built-in terraform_data
# resource, so init, apply and output run offline in seconds.
variable "controller_count" {
  type    = number
  default = 3
}

variable "worker_count" {
  type    = number
  default = 2
}

locals {
  names = concat(
    [for i in range(var.controller_count) : "k0s-controller-${i + 1}"],
    [for i in range(var.worker_count) : "k0s-worker-${i + 1}"],
  )
}

resource "terraform_data" "vm" {
  for_each = { for i, n in local.names : n => i }
  input = {
    public_ip  = "20.0.0.${each.value + 10}"
    private_ip = "10.0.1.${each.value + 4}"
    zone       = tostring(each.value % 3 + 1)
  }
}

output "controller_ips" {
  value = [for n in local.names : terraform_data.vm[n].output.private_ip if startswith(n, "k0s-controller")]
}

output "worker_ips" {
  value = [for n in local.names : terraform_data.vm[n].output.private_ip if startswith(n, "k0s-worker")]
}

output "vm_details" {
  value = { for n in local.names : n => terraform_data.vm[n].output }
}

output "wg_preshared_key" {
  value     = "c2VjcmV0LXByZXNoYXJlZA=="
  sensitive = true
}
