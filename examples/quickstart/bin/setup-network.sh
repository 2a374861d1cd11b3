#!/usr/bin/env bash
source "$(dirname "$0")/lib.sh"
work "creating resource group ${CLUSTER}-resgrp"
work "creating virtual network and security group"
maybe_fail
k0flow_state set network.resource_group "${CLUSTER}-resgrp"
