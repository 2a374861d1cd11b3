#!/usr/bin/env bash
source "$(dirname "$0")/lib.sh"
case "${1:-}" in
mothership)
  work "installing the KOF mothership"
  maybe_fail
  k0flow_state set kof.mothership.installed true
  ;;
regional)
  work "creating the regional cluster"
  maybe_fail
  k0flow_state set kof.regional.installed true
  ;;
uninstall-*)
  work "removing KOF ${1#uninstall-}"
  k0flow_state unset "kof.${1#uninstall-}"
  ;;
esac
