#!/usr/bin/env bash
# k0flow-phases.sh STEP: what deploy-k0rdent.sh did around the bin/*.sh
# scripts, for deploy.hcl and deploy-terraform.hcl: the preflight before
# the first phase, the validators that let a completed phase be reused
# (check-*), and the steps of its full reset (destroy-*), with the same
# conditions. Copy it into the checkout's root beside deploy.hcl; k0flow
# runs phases there. Like the scripts, it loads the project's own
# configuration and functions, so its checks see what they see.
set -euo pipefail
step=${1:?usage: k0flow-phases.sh preflight|check-PHASE|destroy-STEP}

source ./etc/k0rdent-config.sh >&2
source ./etc/common-functions.sh
source ./etc/state-management.sh

azure_ready() { command -v az >/dev/null 2>&1; }
vpn_up() { check_vpn_connectivity >/dev/null 2>&1; }
skip() { print_warning "$1"; exit 0; }

case $step in
preflight)
  # deploy-k0rdent.sh checked the tools before anything else ...
  bash bin/check-prerequisites.sh
  # ... and install-kof-*.sh want kof.enabled in the configuration as well
  # as the flag: say so now, not 40 minutes in.
  if [[ ${KOF_ENABLED:-false} == true ]]; then
    source ./etc/kof-functions.sh
    if ! check_kof_enabled; then
      print_error "kof_enabled is true, but $CONFIG_YAML does not set kof.enabled: true (bin/install-kof-*.sh require both)"
      exit 1
    fi
  fi
  # With Terraform making the VMs (deploy-terraform.hcl), its counts must
  # be the configuration's: the scripts expect exactly its VM_HOSTS.
  if [[ -n ${TF_CONTROLLER_COUNT:-} ]] &&
    [[ $TF_CONTROLLER_COUNT != "$K0S_CONTROLLER_COUNT" || $TF_WORKER_COUNT != "$K0S_WORKER_COUNT" ]]; then
    print_error "-var controller_count=$TF_CONTROLLER_COUNT worker_count=$TF_WORKER_COUNT, but $CONFIG_YAML has $K0S_CONTROLLER_COUNT controllers and $K0S_WORKER_COUNT workers: make them agree"
    exit 1
  fi
  # ... and setup-azure-network.sh's SSH key pair, which every later
  # script logs in with and whose public half Terraform gives the VMs, is
  # made here as it made it.
  if [[ ${MAKE_SSH_KEY:-false} == true && ! -f "$MANIFEST_DIR/${K0RDENT_CLUSTERID}-ssh-key" ]]; then
    mkdir -p "$MANIFEST_DIR"
    ssh-keygen -t rsa -b 4096 -f "$MANIFEST_DIR/${K0RDENT_CLUSTERID}-ssh-key" -N "" -C "k0rdent-${K0RDENT_CLUSTERID}" >&2
  fi
  # Every deploy was recorded in old_deployments/deployment-history.yaml,
  # which `./deploy-k0rdent.sh history` shows.
  get_deployer_identity
  record_deployment_history "$K0RDENT_CLUSTERID" "$CONFIG_YAML" "${DEPLOYER_IDENTITY:-unknown}"
  ;;

# --- the validators: exit 0 when the phase's work is still there ---------
check-prepare)
  [[ $(get_state wg_keys_generated) == true ]]
  for host in "${VM_HOSTS[@]}"; do
    [[ -f "$CLOUD_INIT_DIR/${host}-cloud-init.yaml" ]]
  done
  ;;
check-network)
  for key in azure_rg_status azure_network_status azure_ssh_key_status; do
    [[ $(get_state "$key") == created ]]
  done
  azure_ready || exit 0
  check_azure_resource_exists group "$RG"
  check_azure_resource_exists vnet "$VNET_NAME" "$RG"
  check_azure_resource_exists nsg "$NSG_NAME" "$RG"
  check_azure_resource_exists sshkey "$SSH_KEY_NAME" "$RG"
  ;;
check-vms)
  count=$(get_state vm_states | yq 'length')
  ((count >= ${#VM_HOSTS[@]}))
  azure_ready || exit 0
  for host in "${VM_HOSTS[@]}"; do
    check_azure_resource_exists vm "$host" "$RG"
  done
  ;;
check-vpn-setup)
  [[ $(get_state wg_laptop_config_created) == true && -f "$WG_CONFIG_FILE" ]]
  ;;
check-vpn-connected)
  [[ $(get_state wg_vpn_connected) == true ]]
  command -v wg >/dev/null 2>&1 || exit 0
  if [[ $(uname) == Darwin ]]; then
    run_wg_command wg-show >/dev/null 2>&1
  else
    run_wg_command wg-show "$(basename "$WG_CONFIG_FILE" .conf)" >/dev/null 2>&1
  fi
  ;;
check-k0s)
  [[ $(get_state k0s_cluster_deployed) == true && -f "./k0sctl-config/${K0RDENT_CLUSTERID}-kubeconfig" ]]
  ;;
check-k0rdent)
  [[ $(get_state k0rdent_installed) == true ]]
  ;;

# --- the full reset, step by step: failures it ignored are ignored -------
destroy-kof-regional)
  kubeconfig="./k0sctl-config/${K0RDENT_CLUSTERID}-kubeconfig"
  vpn_up && [[ -f $kubeconfig ]] || skip "Cannot remove KOF regional clusters - VPN not connected or kubeconfig missing"
  export KUBECONFIG=$kubeconfig
  clusters=$(kubectl get clusterdeployments -n kcm-system -l "k0rdent.mirantis.com/kof-cluster-role=regional" \
    --no-headers -o name 2>/dev/null || true)
  while IFS= read -r cluster; do
    [[ -n $cluster ]] || continue
    print_info "Deleting KOF regional cluster: $(basename "$cluster")"
    kubectl delete clusterdeployment "$(basename "$cluster")" -n kcm-system --wait=false 2>/dev/null || true
  done <<< "$clusters"
  ;;
destroy-azure-children)
  [[ -f $AZURE_STATE_FILE && $(get_azure_state azure_credentials_configured) == true ]] ||
    skip "No Azure credentials to clean up"
  SKIP_CONFIRMATION=true bash ./bin/setup-azure-cluster-deployment.sh cleanup ||
    print_warning "Azure credentials cleanup encountered issues; manual cleanup: ./bin/setup-azure-cluster-deployment.sh cleanup"
  ;;
destroy-k0rdent)
  [[ -d ./k0sctl-config ]] || skip "No k0rdent to uninstall"
  vpn_up || skip "Skipping k0rdent uninstall: the VPN is not connected"
  bash bin/install-k0rdent.sh uninstall -y || true
  ;;
destroy-k0s)
  [[ -d ./k0sctl-config ]] || skip "No k0s cluster to remove"
  if vpn_up; then
    bash bin/install-k0s.sh uninstall -y
  else
    print_warning "Skipping k0s uninstall: the VPN is not connected"
  fi
  bash bin/install-k0s.sh reset -y
  ;;
destroy-vpn)
  [[ -f $WG_CONFIG_FILE ]] || skip "No WireGuard VPN configuration to remove"
  bash bin/manage-vpn.sh reset -y
  ;;
destroy-network)
  bash bin/setup-azure-network.sh reset -y
  ;;
destroy-prepare)
  if [[ -d $CLOUD_INIT_DIR || -d $WG_DIR ]]; then
    bash bin/prepare-deployment.sh reset -y
  fi
  rm -rf ./logs
  ;;
*)
  echo "k0flow-phases.sh: unknown step $step" >&2
  exit 2
  ;;
esac
