#!/usr/bin/env bash
source "$(dirname "$0")/lib.sh"
case "${1:-}" in
setup)
  work "writing laptop WireGuard configuration for ${WG_NETWORK}"
  maybe_fail
  k0flow_state set wireguard.laptop_config_created true
  ;;
connect)
  work "bringing up the tunnel"
  maybe_fail
  k0flow_state set wireguard.connected true
  ;;
verify) [[ "$(k0flow_state get wireguard.connected)" == "true" ]] ;;
disconnect) k0flow_state set wireguard.connected false ;;
esac
