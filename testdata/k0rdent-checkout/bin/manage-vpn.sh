#!/usr/bin/env bash
set -euo pipefail
source ./etc/k0rdent-config.sh
source ./etc/common-functions.sh
source ./etc/state-management.sh
# The state calls of the project's bin/manage-vpn.sh.
setup() {
  if state_file_exists && phase_is_completed "setup_vpn"; then
    return 0
  fi
  phase_mark_in_progress "setup_vpn"
  [[ "$(get_wireguard_private_key "mylaptop")" != "null" ]] || { print_error "keys first"; exit 1; }
  local port host
  port=$(get_state "config.wireguard_port")
  if ! state_file_exists || [[ $(get_state "vm_states" | grep -c 'public_ip:') -eq 0 ]]; then
    print_error "No VMs in state"; exit 1
  fi
  mkdir -p "$WG_DIR"
  {
    printf '[Interface]\nPrivateKey = %s\nAddress = %s/32\n' "$(get_wireguard_private_key mylaptop)" "${WG_IPS[mylaptop]}"
    for host in "${VM_HOSTS[@]}"; do
      printf '[Peer]\nPublicKey = %s\nAllowedIPs = %s/32\nEndpoint = %s:%s\n' "$(get_wireguard_public_key "$host")" \
        "${WG_IPS[$host]}" "$(get_vm_info "$host" public_ip)" "$port"
    done
  } > "$WG_CONFIG_FILE"
  chmod 600 "$WG_CONFIG_FILE"
  update_state "wg_setup_method" "cli"
  update_state "wg_laptop_config_created" "true"
  add_event "vpn_config_generated" "WireGuard laptop configuration generated"
  record_artifact "wireguard_laptop_config" "$WG_CONFIG_FILE"
  phase_mark_completed "setup_vpn"
}
connect() {
  if state_file_exists && phase_is_completed "connect_vpn"; then
    return 0
  fi
  phase_mark_in_progress "connect_vpn"
  wg-quick up "$WG_CONFIG_FILE"
  update_state "wg_vpn_connected" "true"
  add_event "vpn_connected" "WireGuard VPN connected successfully"
  phase_mark_completed "connect_vpn"
}
disconnect() {
  wg-quick down "$WG_CONFIG_FILE" || true
  update_state "wg_vpn_connected" "false"
  add_event "vpn_disconnected" "WireGuard VPN disconnected"
  phase_mark_pending "connect_vpn"
}
reset() {
  disconnect
  if state_file_exists; then
    phase_reset_from "setup_vpn"
  fi
  rm -f "$WG_CONFIG_FILE"
  update_state "wg_laptop_config_created" "false"
}
case "${1:-}" in setup) setup ;; connect) connect ;; disconnect) disconnect ;; reset) reset ;; *) exit 2 ;; esac
