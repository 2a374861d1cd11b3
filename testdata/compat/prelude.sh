# Sourced before the library in every compatibility step: what the bash
# project's etc/common-functions.sh and config files give a script (the
# print_* helpers write to stdout, as the project's do) and the loaded
# configuration that init_deployment_state records.
print_header() { echo; echo "=== $1 ==="; }
print_success() { echo "✓ $1"; }
print_warning() { echo "⚠ $1"; }
print_error() { echo "✗ $1"; }
print_info() { echo "==> $1"; }
AZURE_LOCATION=westus2
K0S_CONTROLLER_COUNT=1
K0S_WORKER_COUNT=2
WG_NETWORK=192.168.100.0/24
CONFIG_YAML=./config/k0rdent.yaml
