# Central configuration (the project's etc/k0rdent-config.sh): the config
# file (K0RDENT_CONFIG_FILE overrides), then the computed values.
CONFIG_YAML="./config/k0rdent.conf"
if [[ -n "${K0RDENT_CONFIG_FILE:-}" ]]; then
  [[ -f "$K0RDENT_CONFIG_FILE" ]] || { echo "ERROR: Custom config file not found: $K0RDENT_CONFIG_FILE"; exit 1; }
  CONFIG_YAML="$K0RDENT_CONFIG_FILE"
fi
source "$CONFIG_YAML"
echo "==> Loading configuration: $CONFIG_YAML"
source ./etc/config-internal.sh
CLUSTERID_SUFFIX="${K0RDENT_CLUSTERID#k0rdent-}"
WG_CONFIG_FILE="$WG_DIR/wgk0${CLUSTERID_SUFFIX}.conf"
echo "==> k0rdent configuration loaded (cluster ID: $K0RDENT_CLUSTERID, region: $AZURE_LOCATION)"
