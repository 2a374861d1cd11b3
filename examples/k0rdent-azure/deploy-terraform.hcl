# deploy-terraform.hcl: deploy.hcl with Terraform owning the
# infrastructure. setup_network and create_vms become one terraform phase
# over terraform/ (an azurerm module: resource group, network, security
# group, SSH key and VMs named as the scripts name them); the phases after
# it read its outputs through infra.*, and get_vm_info and
# `get_state vm_states` in the scripts read the same cache. Run it with
# `k0flow apply deploy-terraform.hcl`; `k0flow destroy deploy-terraform.hcl`
# runs the reset's other steps and, in the infrastructure phase's place,
# `terraform destroy` in terraform/. The SSH key pair in azure-resources/
# is kept (Terraform reads its public half to destroy too).
# Otherwise as deploy.hcl:
# - The same bin/*.sh scripts run in the same order, unchanged; the
#   prerequisites check runs first, on every apply.
# - The validators of deploy-k0rdent.sh are the checks that let a completed
#   phase be reused (k0flow-phases.sh check-*).
# - `k0flow destroy` is the full reset: its steps in its order, with its
#   conditions (VPN-dependent steps are skipped when the VPN is down, the
#   steps it ran with `|| true` do not stop the teardown); then k0flow
#   archives the state and removes .clusterid, as reset did.
# - --with-kof is -var kof_enabled=true (the configuration must also set
#   kof.enabled: true, which the preflight checks), --with-azure-children is
#   -var azure_children_enabled=true, --config FILE is -var config_file=FILE.

workflow "k0rdent" {
  state_dir = "state"
  # The scripts name resources by ./.clusterid: the deployment's id is
  # that file's, and k0flow writes a new one there for a new deployment.
  id_file = ".clusterid"
  flags = {
    kof            = var.kof_enabled
    azure_children = var.azure_children_enabled
  }
}

variable "kof_enabled" {
  type        = bool
  default     = false
  description = "Install KOF (was --with-kof): the Azure CSI driver, the mothership and a regional cluster. The configuration must set kof.enabled: true too."
}

variable "azure_children_enabled" {
  type        = bool
  default     = false
  description = "Set up Azure child cluster deployment (was --with-azure-children)."
}

variable "azure_credentials_ready" {
  type        = bool
  default     = false
  description = "config/azure-credentials.yaml exists already (made by hand with bin/setup-azure-cluster-deployment.sh setup)."
}

variable "config_file" {
  type        = string
  default     = ""
  description = "The configuration YAML (was --config FILE, K0RDENT_CONFIG_FILE); empty: config/k0rdent.yaml, else config/k0rdent-default.yaml."
}

# The VM counts Terraform makes; they must be the configuration's
# cluster.controllers.count and cluster.workers.count (the preflight
# checks). The defaults are config/k0rdent-default.yaml's.
variable "controller_count" {
  type    = number
  default = 1
}

variable "worker_count" {
  type    = number
  default = 1
}

terraform {
  dir     = "terraform"
  max_age = "1h"
}

locals {
  # The scripts run unattended: k0flow gives them no terminal.
  yes = "-y"
  # Every script loads the configuration, so every phase gets the file and
  # is re-run when it changes.
  env = var.config_file == "" ? {} : { K0RDENT_CONFIG_FILE = var.config_file }
}

phase "preflight" {
  description = "Check the prerequisites and the VM counts, make the SSH key, record the deploy in old_deployments/"
  reuse       = false
  run         = ["bash", "k0flow-phases.sh", "preflight"]
  env = merge(local.env, {
    KOF_ENABLED         = var.kof_enabled
    TF_CONTROLLER_COUNT = var.controller_count
    TF_WORKER_COUNT     = var.worker_count
    MAKE_SSH_KEY        = true
  })
}

phase "prepare_deployment" {
  description = "Generate WireGuard keys and cloud-init files"
  run         = ["bash", "bin/prepare-deployment.sh", "deploy", local.yes]
  env         = local.env
  check       = ["bash", "k0flow-phases.sh", "check-prepare"]
  destroy     = ["bash", "k0flow-phases.sh", "destroy-prepare"]
  timeout     = "15m"
}

phase "infrastructure" {
  description = "Create the network and VMs with Terraform"
  terraform   = "apply"
  vars = {
    controller_count = var.controller_count
    worker_count     = var.worker_count
  }
  timeout = "45m"
}

phase "setup_vpn" {
  description = "Write the laptop's WireGuard configuration"
  run         = ["bash", "bin/manage-vpn.sh", "setup", local.yes]
  env         = merge(local.env, { CONTROLLER_IPS = join(" ", infra.controller_ips), WORKER_IPS = join(" ", infra.worker_ips) })
  check       = ["bash", "k0flow-phases.sh", "check-vpn-setup"]
  destroy     = ["bash", "k0flow-phases.sh", "destroy-vpn"]
}

phase "connect_vpn" {
  description = "Bring the WireGuard tunnel up"
  run         = ["bash", "bin/manage-vpn.sh", "connect", local.yes]
  env         = local.env
  check       = ["bash", "k0flow-phases.sh", "check-vpn-connected"]
  # No destroy: the VPN reset (setup_vpn) disconnects, as reset did.
}

phase "install_k0s" {
  description = "Install k0s with k0sctl"
  run         = ["bash", "bin/install-k0s.sh", "deploy", local.yes]
  env         = local.env
  check       = ["bash", "k0flow-phases.sh", "check-k0s"]
  destroy     = ["bash", "k0flow-phases.sh", "destroy-k0s"]
  timeout     = "45m"
}

phase "install_k0rdent" {
  description = "Install k0rdent with Helm"
  run         = ["bash", "bin/install-k0rdent.sh", "deploy", local.yes]
  env         = local.env
  check       = ["bash", "k0flow-phases.sh", "check-k0rdent"]
  destroy     = ["bash", "k0flow-phases.sh", "destroy-k0rdent"]
  timeout     = "30m"
}

phase "setup_azure_children" {
  description = "Configure Azure credentials for child clusters"
  when        = var.azure_children_enabled
  run         = ["bash", "bin/setup-azure-cluster-deployment.sh", "setup", local.yes]
  env         = local.env
  destroy     = ["bash", "k0flow-phases.sh", "destroy-azure-children"]
}

phase "install_azure_csi" {
  description = "Install the Azure Disk CSI driver"
  when        = var.kof_enabled
  run         = ["bash", "bin/install-k0s-azure-csi.sh", "deploy", local.yes]
  env         = local.env
  # No destroy: reset never uninstalled it; it goes with the cluster.

  # The CSI driver reads config/azure-credentials.yaml, which only the
  # azure-children phase writes: the bash project failed here 30 minutes in.
  precondition {
    condition     = var.azure_children_enabled || var.azure_credentials_ready
    error_message = "KOF needs Azure credentials (config/azure-credentials.yaml), which setup_azure_children creates: add -var azure_children_enabled=true, or -var azure_credentials_ready=true if you made them by hand."
  }
}

phase "install_kof_mothership" {
  description = "Install the KOF mothership"
  when        = var.kof_enabled
  run         = ["bash", "bin/install-kof-mothership.sh", "deploy", local.yes]
  env         = local.env
  # No destroy: reset never uninstalled it; it goes with the cluster.
  timeout = "30m"
}

phase "install_kof_regional" {
  description = "Create the KOF regional cluster"
  when        = var.kof_enabled
  run         = ["bash", "bin/install-kof-regional.sh", "deploy", local.yes]
  env         = local.env
  destroy     = ["bash", "k0flow-phases.sh", "destroy-kof-regional"]
  timeout     = "60m"
}
