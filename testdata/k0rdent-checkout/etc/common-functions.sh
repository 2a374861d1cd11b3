# Helpers the scripts share (the project's etc/common-functions.sh).
print_header() { echo; echo "=== $1 ==="; }
print_success() { echo "✓ $1"; }
print_warning() { echo "⚠ $1"; }
print_error() { echo "✗ $1"; }
print_info() { echo "==> $1"; }
get_deployer_identity() { DEPLOYER_IDENTITY="ops@example.com"; }
check_vpn_connectivity() {
  [[ -f "$WG_CONFIG_FILE" ]] || return 1
  local host
  for host in "${VM_HOSTS[@]}"; do
    ping -c 1 -W 2000 "${WG_IPS[$host]}" >/dev/null 2>&1 && return 0
  done
  return 1
}
check_azure_resource_exists() { # TYPE NAME [GROUP]
  case $1 in
    group) az group show --name "$2" >/dev/null 2>&1 ;;
    vm) az vm show --name "$2" --resource-group "$3" >/dev/null 2>&1 ;;
    vnet) az network vnet show --name "$2" --resource-group "$3" >/dev/null 2>&1 ;;
    nsg) az network nsg show --name "$2" --resource-group "$3" >/dev/null 2>&1 ;;
    sshkey) az sshkey show --name "$2" --resource-group "$3" >/dev/null 2>&1 ;;
  esac
}
run_wg_command() { # wg-show [IFACE]
  wg show ${2:+"$2"}
}
