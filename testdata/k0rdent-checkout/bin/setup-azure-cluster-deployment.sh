#!/usr/bin/env bash
set -euo pipefail
source ./etc/k0rdent-config.sh
source ./etc/common-functions.sh
source ./etc/state-management.sh
# The state calls of the project's bin/setup-azure-cluster-deployment.sh.
setup() {
  if state_file_exists && phase_is_completed "setup_azure_children"; then
    [[ "$(get_azure_state "azure_credentials_configured")" == "true" ]] && return 0
    phase_reset_from "setup_azure_children"
  fi
  phase_mark_in_progress "setup_azure_children"
  mkdir -p config && echo "clientSecret: not-a-secret" > config/azure-credentials.yaml
  update_azure_state "azure_credentials_configured" "true"
  update_azure_state "azure_subscription_id" "3f9c2a71-0000-4b8a-9c61-7e2f4d8b1a05"
  update_azure_state "azure_tenant_id" "b41e7d90-0000-4f6e-8d15-9a0c6e3f7b28"
  update_azure_state "azure_client_id" "6d2a8e14-0000-4e03-a5f1-0c8b3d9e2f67"
  add_azure_event "azure_credentials_configured" "Azure credentials configured for cluster deployment"
  phase_mark_completed "setup_azure_children"
}
cleanup() {
  [[ "$(get_azure_state "azure_credentials_configured")" == "true" ]] || return 0
  az ad sp delete --id "$(get_azure_state "azure_client_id")"
  update_azure_state "azure_credentials_configured" "false"
  remove_azure_state_key "azure_subscription_id"
  remove_azure_state_key "azure_tenant_id"
  remove_azure_state_key "azure_client_id"
  add_azure_event "azure_credentials_cleanup" "Azure credentials cleanup completed (auto-mode: ${SKIP_CONFIRMATION:-false})"
  phase_reset_from "setup_azure_children"
}
case "${1:-}" in setup) setup ;; cleanup) cleanup ;; *) exit 2 ;; esac
