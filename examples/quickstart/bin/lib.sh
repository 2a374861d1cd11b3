# Shared by the stand-in scripts. Each step sleeps a little, like the real
# thing would for much longer, and can be made to fail for a demonstration:
#   DEMO_FAIL_PHASE=install_k0s k0flow apply
# DEMO_DELAY sets the pause in seconds (default 0.2).
set -euo pipefail

k0flow_state() { "${K0FLOW_BIN:-k0flow}" state "$@"; }

work() {
  echo "  $*"
  sleep "${DEMO_DELAY:-0.2}"
}

maybe_fail() {
  if [[ "${DEMO_FAIL_PHASE:-}" == "${K0FLOW_PHASE:-}" ]]; then
    echo "  simulated failure in ${K0FLOW_PHASE} (DEMO_FAIL_PHASE is set)" >&2
    exit 3
  fi
}
