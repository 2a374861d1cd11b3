# Computed values (the project's etc/config-internal.sh).
CLUSTERID_FILE="./.clusterid"
if [[ -f "$CLUSTERID_FILE" ]]; then
  K0RDENT_CLUSTERID=$(cat "$CLUSTERID_FILE")
else
  K0RDENT_CLUSTERID="k0rdent-$(head -c 64 /dev/urandom | base64 | tr -dc 'a-z0-9' | head -c 8)"
  echo "$K0RDENT_CLUSTERID" > "$CLUSTERID_FILE"
fi
RG="${K0RDENT_CLUSTERID}-resgrp"
VNET_NAME="${K0RDENT_CLUSTERID}-vnet"
NSG_NAME="${K0RDENT_CLUSTERID}-nsg"
SSH_KEY_NAME="${K0RDENT_CLUSTERID}-admin"
MANIFEST_DIR="./azure-resources"
WG_DIR="./wireguard"
CLOUD_INIT_DIR="./cloud-init-yaml"
VM_HOSTS=()
for ((i = 1; i <= K0S_CONTROLLER_COUNT; i++)); do VM_HOSTS+=("k0s-controller-$i"); done
for ((i = 1; i <= K0S_WORKER_COUNT; i++)); do VM_HOSTS+=("k0s-worker-$i"); done

declare -A WG_IPS
if ! command -v get_wireguard_ip &>/dev/null; then
  source ./etc/state-management.sh
fi
if [[ -f "$DEPLOYMENT_STATE_FILE" ]]; then
  populate_wg_ips_array
else
  wg_base=$(echo "$WG_NETWORK" | cut -d/ -f1 | cut -d. -f1-3)
  WG_IPS["mylaptop"]="${wg_base}.1"
  n=1
  for host in "${VM_HOSTS[@]}"; do WG_IPS["$host"]="${wg_base}.$((10 + n))"; n=$((n + 1)); done
fi
