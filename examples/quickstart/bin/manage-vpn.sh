#!/usr/bin/env bash
source "$(dirname "$0")/lib.sh"
case "${1:-}" in
setup)
  for ip in ${PEER_IPS}; do work "adding peer $ip to ${WG_NETWORK}"; done
  maybe_fail
  k0flow_state set wireguard.laptop_config_created true
  ;;
connect)
  work "bringing up the tunnel"
  maybe_fail
  k0flow_state set wireguard.connected true
  ;;
verify) [[ "$(k0flow_state get wireguard.connected)" == "true" ]] ;;
disconnect)
  work "bringing the tunnel down"
  k0flow_state set wireguard.connected false
  ;;
reset)
  work "removing the laptop configuration"
  k0flow_state set wireguard.laptop_config_created false
  ;;
esac
