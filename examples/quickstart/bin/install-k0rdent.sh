#!/usr/bin/env bash
source "$(dirname "$0")/lib.sh"
work "helm install kcm into kcm-system"
maybe_fail
k0flow_state set k0rdent.helm_release kcm
k0flow_state set k0rdent.namespace kcm-system
