# The quickstart: the phases of a k0s + k0rdent deployment, played by small
# stand-in scripts that sleep, print and record runtime values. It runs
# offline in a few seconds: `make demo`, or `k0flow apply` in this directory.

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
  cluster = "quickstart"
  hosts = concat(
    [for i in range(var.controller_count) : "k0s-controller-${i + 1}"],
    [for i in range(var.worker_count) : "k0s-worker-${i + 1}"],
  )
}

phase "prepare_deployment" {
  description = "Generate WireGuard keys and cloud-init files"
  run         = ["bash", "bin/prepare-deployment.sh", "deploy"]
  check       = ["bash", "bin/prepare-deployment.sh", "verify"]
  destroy     = ["bash", "bin/prepare-deployment.sh", "reset"]
  env         = { HOSTS = join(" ", local.hosts) }
  timeout     = "5m"
}

phase "setup_network" {
  description = "Create the resource group, network and SSH key"
  run         = ["bash", "bin/setup-network.sh", "deploy"]
  env         = { CLUSTER = local.cluster }
}

phase "create_vms" {
  description = "Create the controller and worker VMs"
  run         = ["bash", "bin/create-vms.sh", "deploy"]
  env         = { HOSTS = join(" ", local.hosts) }
  timeout     = "30m"
}

phase "setup_vpn" {
  description = "Write the laptop's WireGuard configuration"
  run         = ["bash", "bin/manage-vpn.sh", "setup"]
  env         = { WG_NETWORK = var.wireguard_network }
}

phase "connect_vpn" {
  description = "Bring the WireGuard tunnel up"
  run         = ["bash", "bin/manage-vpn.sh", "connect"]
  check       = ["bash", "bin/manage-vpn.sh", "verify"]
}

phase "install_k0s" {
  description = "Install k0s on every VM with k0sctl"
  run         = ["bash", "bin/install-k0s.sh", "deploy"]
  env         = { CONTROLLERS = var.controller_count }
  timeout     = "30m"
}

phase "install_k0rdent" {
  description = "Install k0rdent with Helm"
  run         = ["bash", "bin/install-k0rdent.sh", "deploy"]
}

phase "install_kof" {
  description = "Install the KOF mothership and a regional cluster"
  when        = var.kof_enabled
  run         = ["bash", "bin/install-kof.sh", "deploy"]
}
