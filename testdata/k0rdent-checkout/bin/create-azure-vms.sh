#!/usr/bin/env bash
set -euo pipefail
source ./etc/k0rdent-config.sh
source ./etc/common-functions.sh
source ./etc/state-management.sh
# The state calls of the project's bin/create-azure-vms.sh.
deploy() {
  if state_file_exists && phase_is_completed "create_vms"; then
    print_success "VMs already created."
    return 0
  fi
  phase_mark_in_progress "create_vms"
  local host ip n=0
  for host in "${VM_HOSTS[@]}"; do
    az vm create --resource-group "$RG" --name "$host" --custom-data "$CLOUD_INIT_DIR/${host}-cloud-init.yaml" >/dev/null
    update_vm_state "$host" "" "" "Creating"
    add_event "vm_creation_started" "Started creation of VM: $host"
  done
  for host in "${VM_HOSTS[@]}"; do
    ip=$(az vm list --resource-group "$RG" --show-details --output yaml | awk -v h="$host" '$2 == h { f = 1 } f && /publicIps/ { print $2; exit }')
    update_vm_state "$host" "$ip" "" "Succeeded"
  done
  refresh_all_vm_data
  for host in "${VM_HOSTS[@]}"; do
    [[ "$(get_vm_info "$host" "state")" == Succeeded ]] || { print_error "$host not ready"; exit 1; }
    [[ "$(get_vm_info "$host" "private_ip")" != "" ]] || { print_error "$host has no private IP"; exit 1; }
  done
  update_state "phase" "vms_ready"
  phase_mark_completed "create_vms"
}
case "${1:-}" in deploy) deploy ;; *) exit 2 ;; esac
