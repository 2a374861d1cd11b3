#!/usr/bin/env bash
source "$(dirname "$0")/lib.sh"
case "${1:-deploy}" in
deploy)
  work "k0sctl apply: controllers ${CONTROLLER_IPS}, workers ${WORKER_IPS}"
  maybe_fail
  k0flow_state set k0s.kubeconfig k0sctl-config/quickstart-kubeconfig
  ;;
reset)
  work "k0sctl reset"
  k0flow_state unset k0s
  ;;
esac
