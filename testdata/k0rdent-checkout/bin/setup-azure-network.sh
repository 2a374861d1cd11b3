#!/usr/bin/env bash
set -euo pipefail
source ./etc/k0rdent-config.sh
source ./etc/common-functions.sh
source ./etc/state-management.sh
# The state calls of the project's bin/setup-azure-network.sh.
deploy() {
  if state_file_exists && phase_is_completed "setup_network"; then
    print_success "Network already set up."
    return 0
  fi
  phase_mark_in_progress "setup_network"
  local port
  port=$(get_state "config.wireguard_port")
  if [[ "$(get_state "azure_rg_status" 2>/dev/null)" != "created" ]]; then
    az group create --name "$RG" --location "$AZURE_LOCATION" >/dev/null
    update_state "azure_rg_status" "created"
    add_event "azure_rg_created" "Resource group created: $RG"
  fi
  mkdir -p ./azure-resources
  [[ -f ./azure-resources/$K0RDENT_CLUSTERID-ssh-key ]] || ssh-keygen -t rsa -N "" -f "./azure-resources/$K0RDENT_CLUSTERID-ssh-key" >/dev/null
  if [[ "$(get_state "azure_ssh_key_status" 2>/dev/null)" != "created" ]]; then
    az sshkey create --name "$SSH_KEY_NAME" --resource-group "$RG" --public-key "@./azure-resources/$K0RDENT_CLUSTERID-ssh-key.pub"
    update_state "azure_ssh_key_status" "created"
    add_event "azure_ssh_key_created" "SSH key imported to Azure: $SSH_KEY_NAME"
  fi
  if [[ "$(get_state "azure_network_status" 2>/dev/null)" != "created" ]]; then
    az network vnet create --name "$VNET_NAME" --resource-group "$RG" >/dev/null
    az network nsg create --name "$NSG_NAME" --resource-group "$RG" >/dev/null
    az network nsg rule create --nsg-name "$NSG_NAME" --resource-group "$RG" --name WireGuard --destination-port-ranges "$port" >/dev/null
    update_state "azure_network_status" "created"
    add_event "azure_network_created" "Virtual network and subnet created: $VNET_NAME"
  fi
  add_event "azure_setup_completed" "Azure network infrastructure deployment completed"
  record_artifact "azure_ssh_private_key" "./azure-resources/$K0RDENT_CLUSTERID-ssh-key"
  record_artifact "azure_ssh_public_key" "./azure-resources/$K0RDENT_CLUSTERID-ssh-key.pub"
  phase_mark_completed "setup_network"
}
reset() {
  if state_file_exists && check_azure_resource_exists "group" "$RG"; then
    az group delete --name "$RG" --yes --no-wait
  fi
  update_state "azure_rg_status" "deleted"
  update_state "azure_network_status" "deleted"
  update_state "azure_ssh_key_status" "deleted"
  update_state "vm_states" "{}"
  update_state "phase" "reset"
  add_event "azure_infrastructure_reset" "All Azure resources deleted and cleaned up"
}
case "${1:-}" in deploy) deploy ;; reset) reset ;; *) exit 2 ;; esac
