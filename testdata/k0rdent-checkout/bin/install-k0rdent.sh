#!/usr/bin/env bash
set -euo pipefail
source ./etc/k0rdent-config.sh
source ./etc/common-functions.sh
source ./etc/state-management.sh
# The state calls of the project's bin/install-k0rdent.sh.
deploy() {
  if state_file_exists && phase_is_completed "install_k0rdent"; then
    return 0
  fi
  phase_mark_in_progress "install_k0rdent"
  update_state "phase" "k0rdent_installation"
  add_event "k0rdent_installation_started" "Starting k0rdent installation process"
  local controller_ip
  controller_ip=$(get_wireguard_ip "k0s-controller-1")
  ssh "k0rdent@$controller_ip" "helm install kcm oci://ghcr.io/k0rdent/kcm/charts/kcm -n kcm-system"
  update_state "k0rdent_installed" "true"
  update_state "phase" "k0rdent_deployed"
  add_event "k0rdent_installation_completed" "k0rdent successfully installed via Helm"
  update_state "k0rdent_ready" "true"
  update_state "k0rdent_ready_partial" "false"
  add_event "k0rdent_ready" "All k0rdent components verified running and ready"
  phase_mark_completed "install_k0rdent"
  complete_deployment "k0rdent_deployed"
}
uninstall() {
  ssh "k0rdent@$(get_wireguard_ip "k0s-controller-1")" "helm uninstall kcm -n kcm-system"
  update_state "k0rdent_installed" "false"
  update_state "phase" "k0s_deployed"
  add_event "k0rdent_uninstalled" "k0rdent successfully uninstalled from cluster"
  phase_reset_from "install_k0rdent"
}
case "${1:-}" in deploy) deploy ;; uninstall) uninstall ;; *) exit 2 ;; esac
