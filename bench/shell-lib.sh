#!/usr/bin/env bash
# Times state updates from bash: 200 update_runtime_state calls through the
# generated library on a state with 100 runs of history, against baselines
# measured in the same invocation (starting k0flow at all; a read). The v1
# library spent tens of milliseconds per update (several yq processes).
#   bench/shell-lib.sh [path/to/k0flow]
set -euo pipefail
k0flow=$(realpath "${1:-bin/k0flow}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cat > deploy.hcl <<'HCL'
workflow "bench" {}
phase "one" {
  run = ["true"]
}
phase "two" {
  run = ["true"]
}
phase "three" {
  run = ["true"]
}
HCL
for _ in $(seq 100); do "$k0flow" apply --fresh >/dev/null; done
export K0FLOW_BIN=$k0flow
source <("$k0flow" shell-lib)

# per_call N CMD... prints the mean wall time of CMD in milliseconds.
per_call() {
  local n=$1 start end
  shift
  start=$(date +%s%N)
  for ((i = 0; i < n; i++)); do "$@" >/dev/null; done
  end=$(date +%s%N)
  awk -v ns=$((end - start)) -v n="$n" 'BEGIN { printf "%.2f", ns / n / 1e6 }'
}

runs=$("$k0flow" status --output json | sed -n 's/.*"runs": \([0-9]*\).*/\1/p')
size=$(wc -c < state/deployment-state.yaml)
start=$(per_call 200 "$k0flow" version)
read=$(per_call 200 get_state wireguard.connected)
update=$(per_call 200 update_runtime_state wireguard.connected true)
echo "state: $runs runs, $((size / 1024)) KiB"
echo "update_runtime_state: $update ms/call (200 calls)"
echo "baseline get_state:   $read ms/call"
echo "baseline k0flow version (process start): $start ms/call"
