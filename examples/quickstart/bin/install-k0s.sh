#!/usr/bin/env bash
source "$(dirname "$0")/lib.sh"
work "generating k0sctl configuration for ${CONTROLLERS} controllers"
work "running k0sctl apply"
maybe_fail
k0flow_state set k0s.kubeconfig "k0sctl-config/quickstart-kubeconfig"
