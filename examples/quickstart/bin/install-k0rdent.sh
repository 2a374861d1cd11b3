#!/usr/bin/env bash
source "$(dirname "$0")/lib.sh"
case "${1:-deploy}" in
deploy)
  work "helm install kcm into kcm-system (API at ${API_HOST})"
  maybe_fail
  k0flow_state set k0rdent.helm_release kcm
  k0flow_state set k0rdent.namespace kcm-system
  ;;
uninstall)
  work "helm uninstall kcm"
  k0flow_state unset k0rdent
  ;;
esac
