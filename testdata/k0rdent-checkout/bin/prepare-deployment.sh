#!/usr/bin/env bash
set -euo pipefail
source ./etc/k0rdent-config.sh
source ./etc/common-functions.sh
source ./etc/state-management.sh
# The state calls of the project's bin/prepare-deployment.sh.
deploy() {
  if ! state_file_exists; then
    init_deployment_state "$K0RDENT_CLUSTERID"
    add_event "preparation_started" "Beginning deployment preparation"
  elif phase_is_completed "prepare_deployment"; then
    print_success "Deployment preparation already complete. Nothing to do."
    return 0
  fi
  phase_mark_in_progress "prepare_deployment"
  assign_wireguard_ips "${VM_HOSTS[@]}"
  local port
  port=$(get_state "config.wireguard_port")
  if [[ "$port" == "null" ]]; then
    port=$((RANDOM % 34001 + 30000))
    update_state "config.wireguard_port" "$port"
  fi
  mkdir -p "$WG_DIR"
  local host priv pub
  for host in "${!WG_IPS[@]}"; do
    priv=$(wg genkey)
    pub=$(printf '%s' "$priv" | wg pubkey)
    update_wireguard_peer "$host" "$priv" "$pub"
  done
  update_state "wg_keys_generated" "true"
  add_event "wireguard_keys_generated" "WireGuard keys generated successfully"
  [[ "$(get_wireguard_private_key "mylaptop")" != "null" ]] || { print_error "no laptop key"; exit 1; }
  mkdir -p "$CLOUD_INIT_DIR"
  for host in "${VM_HOSTS[@]}"; do
    printf 'host: %s\nwg_ip: %s\nport: %s\nhub_key: %s\n' "$host" "$(get_wireguard_ip "$host")" \
      "$(get_state config.wireguard_port)" "$(get_wireguard_public_key mylaptop)" > "$CLOUD_INIT_DIR/$host-cloud-init.yaml"
  done
  add_event "cloud_init_generated" "Cloud-init files generated successfully"
  record_artifact "cloud_init_directory" "$CLOUD_INIT_DIR"
  record_artifact "wireguard_keys_directory" "$WG_DIR"
  phase_mark_completed "prepare_deployment"
}
reset() {
  rm -rf "$WG_DIR" "$CLOUD_INIT_DIR"
  update_state "wg_keys_generated" "false"
  add_event "preparation_reset" "WireGuard keys and cloud-init files removed"
  cleanup_deployment_state "reset"
}
case "${1:-}" in deploy) deploy ;; reset) reset ;; *) echo "usage: $0 deploy|reset" >&2; exit 2 ;; esac
