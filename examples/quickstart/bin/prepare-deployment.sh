#!/usr/bin/env bash
source "$(dirname "$0")/lib.sh"
case "${1:-deploy}" in
deploy)
  for h in ${HOSTS}; do work "generating WireGuard key and cloud-init for $h"; done
  maybe_fail
  mkdir -p .k0flow-demo && touch .k0flow-demo/keys
  k0flow_state set wireguard.keys_generated true
  ;;
verify) [[ -f .k0flow-demo/keys ]] ;;
reset)
  work "removing keys and cloud-init files"
  rm -rf .k0flow-demo
  k0flow_state set wireguard.keys_generated false
  ;;
esac
