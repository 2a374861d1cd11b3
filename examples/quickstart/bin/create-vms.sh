#!/usr/bin/env bash
source "$(dirname "$0")/lib.sh"
for h in ${HOSTS}; do work "creating VM $h"; done
maybe_fail
k0flow_state set vms.created "$(echo ${HOSTS} | wc -w | tr -d ' ')"
