# The quickstart: a k0s + k0rdent deployment played by stand-in scripts that
# sleep, print and record runtime values, on "VMs" that Terraform creates with
# the built-in terraform_data resource. It runs offline in seconds:
# `make demo`, or `k0flow apply` in this directory.

workflow "quickstart" {
  state_dir = "state"
  flags = {
    kof = var.kof_enabled
  }

  precondition {
    condition     = var.controller_count % 2 == 1
    error_message = "controller_count must be odd so that etcd keeps quorum."
  }
}

variable "kof_enabled" {
  type        = bool
  default     = false
  description = "Install KOF observability (the mothership and a regional cluster)."
}

variable "controller_count" {
  type    = number
  default = 3
}

variable "worker_count" {
  type    = number
  default = 2
}

variable "wireguard_network" {
  type    = string
  default = "192.168.100.0/24"
}

locals {
  hosts = concat(
    [for i in range(var.controller_count) : "k0s-controller-${i + 1}"],
    [for i in range(var.worker_count) : "k0s-worker-${i + 1}"],
  )
}

terraform {
  dir     = "terraform"
  max_age = "1h"
}

phase "prepare_deployment" {
  description = "Generate WireGuard keys and cloud-init files"
  run         = ["bash", "bin/prepare-deployment.sh", "deploy"]
  check       = ["bash", "bin/prepare-deployment.sh", "verify"]
  destroy     = ["bash", "bin/prepare-deployment.sh", "reset"]
  env         = { HOSTS = join(" ", local.hosts) }
  timeout     = "5m"
}

phase "infrastructure" {
  description = "Create the network and the VMs with Terraform"
  terraform   = "apply"
  vars = {
    controller_count = var.controller_count
    worker_count     = var.worker_count
  }
}

phase "setup_vpn" {
  description = "Write the laptop's WireGuard configuration"
  run         = ["bash", "bin/manage-vpn.sh", "setup"]
  destroy     = ["bash", "bin/manage-vpn.sh", "reset"]
  env = {
    PEER_IPS   = join(" ", concat(infra.controller_ips, infra.worker_ips))
    WG_NETWORK = var.wireguard_network
  }
}

phase "connect_vpn" {
  description = "Bring the WireGuard tunnel up"
  run         = ["bash", "bin/manage-vpn.sh", "connect"]
  check       = ["bash", "bin/manage-vpn.sh", "verify"]
  destroy     = ["bash", "bin/manage-vpn.sh", "disconnect"]
}

phase "install_k0s" {
  description = "Install k0s on every VM with k0sctl"
  run         = ["bash", "bin/install-k0s.sh", "deploy"]
  destroy     = ["bash", "bin/install-k0s.sh", "reset"]
  env = {
    CONTROLLER_IPS = join(" ", infra.controller_ips)
    WORKER_IPS     = join(" ", infra.worker_ips)
  }
  timeout = "30m"
}

phase "install_k0rdent" {
  description = "Install k0rdent with Helm"
  run         = ["bash", "bin/install-k0rdent.sh", "deploy"]
  destroy     = ["bash", "bin/install-k0rdent.sh", "uninstall"]
  env         = { API_HOST = infra.vm_details["k0s-controller-1"].public_ip }
}

phase "install_kof_mothership" {
  description = "Install the KOF mothership"
  when        = var.kof_enabled
  run         = ["bash", "bin/install-kof.sh", "mothership"]
  destroy     = ["bash", "bin/install-kof.sh", "uninstall-mothership"]
}

phase "install_kof_regional" {
  description = "Create a KOF regional cluster"
  when        = var.kof_enabled
  run         = ["bash", "bin/install-kof.sh", "regional"]
  destroy     = ["bash", "bin/install-kof.sh", "uninstall-regional"]
}
