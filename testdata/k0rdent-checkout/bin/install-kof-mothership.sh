#!/usr/bin/env bash
set -euo pipefail
source ./etc/k0rdent-config.sh
source ./etc/common-functions.sh
source ./etc/state-management.sh
# The state calls of the project's bin/install-kof-mothership.sh.
source ./etc/kof-functions.sh
deploy() {
  if ! check_kof_enabled; then
    print_error "KOF is not enabled in the configuration"; exit 1
  fi
  if state_file_exists && phase_is_completed "install_kof_mothership"; then
    return 0
  fi
  phase_mark_in_progress "install_kof_mothership"
  [[ -f config/azure-credentials.yaml ]] || { print_error "config/azure-credentials.yaml not found"; exit 1; }
  helm install install-kof-mothership oci://example/install-kof-mothership
  update_state "kof_mothership_installed" "true"
  add_event "kof_mothership_installed" "install-kof-mothership installed"
  phase_mark_completed "install_kof_mothership"
}
case "${1:-}" in deploy) deploy ;; *) exit 2 ;; esac
