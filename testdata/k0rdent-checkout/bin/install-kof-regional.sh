#!/usr/bin/env bash
set -euo pipefail
source ./etc/k0rdent-config.sh
source ./etc/common-functions.sh
source ./etc/state-management.sh
# The state calls of the project's bin/install-kof-regional.sh.
source ./etc/kof-functions.sh
deploy() {
  check_kof_enabled || { print_error "KOF is not enabled in the configuration"; exit 1; }
  if state_file_exists && phase_is_completed "install_kof_regional"; then
    return 0
  fi
  phase_mark_in_progress "install_kof_regional"
  update_state "phase" "kof_regional_deployment"
  [[ "$(get_azure_state "azure_credentials_configured")" == "true" ]] || { print_error "no Azure credentials"; exit 1; }
  local name="kof-regional-${K0RDENT_CLUSTERID#k0rdent-}-westus2"
  kubectl apply -f - <<< "kind: ClusterDeployment"
  add_cluster_event "$name" "kof_regional_cluster_ready" "KOF regional cluster deployment completed successfully"
  add_cluster_event "$name" "kof_regional_configured" "Domain: kof.example.net, Admin: ops@example.com"
  update_state "kof_regional_installed" "true"
  update_state "kof_regional_version" "1.1.0"
  update_state "kof_regional_cluster_name" "$name"
  update_state "kof_regional_domain" "kof.example.net"
  add_event "kof_regional_deployment_completed" "KOF regional cluster '$name' deployed successfully"
  phase_mark_completed "install_kof_regional"
}
case "${1:-}" in deploy) deploy ;; *) exit 2 ;; esac
