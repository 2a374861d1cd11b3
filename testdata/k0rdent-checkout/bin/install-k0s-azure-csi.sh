#!/usr/bin/env bash
set -euo pipefail
source ./etc/k0rdent-config.sh
source ./etc/common-functions.sh
source ./etc/state-management.sh
# The state calls of the project's bin/install-k0s-azure-csi.sh.
deploy() {
  if state_file_exists && phase_is_completed "install_azure_csi"; then
    return 0
  fi
  phase_mark_in_progress "install_azure_csi"
  [[ -f config/azure-credentials.yaml ]] || { print_error "config/azure-credentials.yaml not found"; exit 1; }
  helm install install-k0s-azure-csi oci://example/install-k0s-azure-csi
  update_state "azure_csi_installed" "true"
  add_event "azure_csi_installed" "install-k0s-azure-csi installed"
  phase_mark_completed "install_azure_csi"
}
case "${1:-}" in deploy) deploy ;; *) exit 2 ;; esac
