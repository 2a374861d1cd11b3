#!/usr/bin/env bash
set -euo pipefail
source ./etc/k0rdent-config.sh
source ./etc/common-functions.sh
source ./etc/state-management.sh
# The state calls of the project's bin/install-k0s.sh.
K0SCTL_FILE="./k0sctl-config/${K0RDENT_CLUSTERID}-k0sctl.yaml"
KUBECONFIG_FILE="./k0sctl-config/${K0RDENT_CLUSTERID}-kubeconfig"
deploy() {
  if state_file_exists && phase_is_completed "install_k0s"; then
    return 0
  fi
  phase_mark_in_progress "install_k0s"
  [[ "$(get_wireguard_private_key "mylaptop")" != "null" ]]
  update_state "phase" "k0s_config_generation"
  mkdir -p ./k0sctl-config
  local host
  { echo "hosts:"; for host in "${VM_HOSTS[@]}"; do echo "- {name: $host, address: ${WG_IPS[$host]}}"; done; } > "$K0SCTL_FILE"
  update_state "k0s_config_generated" "true"
  add_event "k0s_config_generated" "k0sctl configuration file generated successfully"
  record_artifact "k0sctl_config" "$K0SCTL_FILE"
  update_state "phase" "k0s_deployment"
  add_event "k0s_deployment_started" "Starting k0s cluster deployment"
  k0sctl apply --config "$K0SCTL_FILE"
  update_state "k0s_cluster_deployed" "true"
  update_state "phase" "k0s_deployed"
  add_event "k0s_deployment_completed" "k0s cluster deployment successful"
  k0sctl kubeconfig --config "$K0SCTL_FILE" > "$KUBECONFIG_FILE"
  add_event "kubeconfig_retrieved" "Kubeconfig successfully retrieved and saved"
  record_artifact "kubeconfig_file" "$KUBECONFIG_FILE"
  phase_mark_completed "install_k0s"
}
uninstall() {
  k0sctl reset --config "$K0SCTL_FILE" --force
  update_state "k0s_cluster_deployed" "false"
  update_state "k0rdent_installed" "false"
  update_state "phase" "vms_ready"
  add_event "k0s_cluster_uninstalled" "k0s cluster successfully reset and uninstalled"
  phase_reset_from "install_k0s"
}
reset() {
  rm -rf ./k0sctl-config
  update_state "k0s_config_generated" "false"
  add_event "k0s_config_reset" "k0sctl configuration and kubeconfig files removed"
  phase_reset_from "install_k0s"
}
case "${1:-}" in deploy) deploy ;; uninstall) uninstall ;; reset) reset ;; *) exit 2 ;; esac
