# deploy.hcl for the k0rdent-azure-setup bash project: drop it into the
# project's checkout and run `k0flow apply` instead of
# `./deploy-k0rdent.sh deploy`. The eleven phases of deploy-k0rdent.sh run
# the same bin/*.sh scripts in the same order; the validators of
# deploy-k0rdent.sh are the checks that let a completed phase be reused;
# the reset and uninstall commands are what `k0flow destroy` runs, in
# reverse order. The scripts keep calling get_state, update_state and
# phase_mark_completed: write `k0flow shell-lib > etc/state-management.sh`.

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
  description = "Install KOF (was --with-kof): the Azure CSI driver, the mothership and a regional cluster."
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

locals {
  # The scripts run unattended: k0flow gives them no terminal.
  yes = "-y"
}

# The checks are deploy-k0rdent.sh's validators, written with the shell
# library the scripts already use.

phase "prepare_deployment" {
  description = "Generate WireGuard keys and cloud-init files"
  run         = ["bash", "bin/prepare-deployment.sh", "deploy", local.yes]
  check       = "source <(\"$K0FLOW_BIN\" shell-lib); [[ $(get_state wg_keys_generated) == true ]] && compgen -G 'cloud-init-yaml/*-cloud-init.yaml' >/dev/null"
  destroy     = ["bash", "bin/prepare-deployment.sh", "reset", local.yes]
  timeout     = "15m"
}

phase "setup_network" {
  description = "Create the resource group, network, security group and SSH key"
  run         = ["bash", "bin/setup-azure-network.sh", "deploy", local.yes]
  check       = "source <(\"$K0FLOW_BIN\" shell-lib); for k in azure_rg_status azure_network_status azure_ssh_key_status; do [[ $(get_state $k) == created ]] || exit 1; done"
  destroy     = ["bash", "bin/setup-azure-network.sh", "reset", local.yes]
  timeout     = "20m"
}

phase "create_vms" {
  description = "Create the controller and worker VMs"
  run         = ["bash", "bin/create-azure-vms.sh", "deploy", local.yes]
  destroy     = ["bash", "bin/create-azure-vms.sh", "reset", local.yes]
  timeout     = "45m"
}

phase "setup_vpn" {
  description = "Write the laptop's WireGuard configuration"
  run         = ["bash", "bin/manage-vpn.sh", "setup", local.yes]
  check       = "source <(\"$K0FLOW_BIN\" shell-lib); [[ $(get_state wg_laptop_config_created) == true ]] && compgen -G 'wireguard/wgk0*.conf' >/dev/null"
  destroy     = ["bash", "bin/manage-vpn.sh", "reset", local.yes]
}

phase "connect_vpn" {
  description = "Bring the WireGuard tunnel up"
  run         = ["bash", "bin/manage-vpn.sh", "connect", local.yes]
  check       = "source <(\"$K0FLOW_BIN\" shell-lib); [[ $(get_state wg_vpn_connected) == true ]] && { ! command -v wg >/dev/null || wg show >/dev/null; }"
  destroy     = ["bash", "bin/manage-vpn.sh", "disconnect", local.yes]
}

phase "install_k0s" {
  description = "Install k0s with k0sctl"
  run         = ["bash", "bin/install-k0s.sh", "deploy", local.yes]
  check       = "source <(\"$K0FLOW_BIN\" shell-lib); [[ $(get_state k0s_cluster_deployed) == true ]] && compgen -G 'k0sctl-config/*-kubeconfig' >/dev/null"
  destroy     = "bash bin/install-k0s.sh uninstall -y && bash bin/install-k0s.sh reset -y"
  timeout     = "45m"
}

phase "install_k0rdent" {
  description = "Install k0rdent with Helm"
  run         = ["bash", "bin/install-k0rdent.sh", "deploy", local.yes]
  check       = "source <(\"$K0FLOW_BIN\" shell-lib); [[ $(get_state k0rdent_installed) == true ]]"
  destroy     = ["bash", "bin/install-k0rdent.sh", "uninstall", local.yes]
  timeout     = "30m"
}

phase "setup_azure_children" {
  description = "Configure Azure credentials for child clusters"
  when        = var.azure_children_enabled
  run         = ["bash", "bin/setup-azure-cluster-deployment.sh", "setup", local.yes]
  destroy     = ["bash", "bin/setup-azure-cluster-deployment.sh", "cleanup", local.yes]
}

phase "install_azure_csi" {
  description = "Install the Azure Disk CSI driver"
  when        = var.kof_enabled
  run         = ["bash", "bin/install-k0s-azure-csi.sh", "deploy", local.yes]
  destroy     = ["bash", "bin/install-k0s-azure-csi.sh", "uninstall", local.yes]

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
  destroy     = ["bash", "bin/install-kof-mothership.sh", "uninstall", local.yes]
  timeout     = "30m"
}

phase "install_kof_regional" {
  description = "Create the KOF regional cluster"
  when        = var.kof_enabled
  run         = ["bash", "bin/install-kof-regional.sh", "deploy", local.yes]
  destroy     = ["bash", "bin/install-kof-regional.sh", "uninstall", local.yes]
  timeout     = "60m"
}
