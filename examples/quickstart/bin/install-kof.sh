#!/usr/bin/env bash
source "$(dirname "$0")/lib.sh"
work "installing the KOF mothership"
work "creating the regional cluster"
maybe_fail
k0flow_state set kof.installed true
