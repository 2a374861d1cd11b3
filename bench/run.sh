#!/usr/bin/env bash
# bench/run.sh K0FLOW: the storage benchmarks, each against baselines
# measured in the same invocation, written to bench/results.md:
#   process start vs a hello-world Go binary;
#   state set / state get (a script run by hand) vs the v1 library's yq
#   processes (two `yq eval -i` per update, one `yq eval` per read) on a
#   realistic v1 file, at 10 and 1,000 runs of history;
#   the library inside apply (update_runtime_state, get_state) vs the same;
#   status and history at 10, 1,000 and 10,000 runs;
#   apply of 100 phases vs a bash loop running the same commands, fresh and
#   at 10 and 1,000 runs of history, and (with terraform on PATH) of 100
#   phases reading infra.*, whose outputs cache is checked before each.
# No timing is asserted: the figures are reported.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
k0flow=$(realpath "${1:-$root/bin/k0flow}")
yq=${YQ:-$root/.tools/bin/yq}
out=${BENCH_OUT:-$root/bench/results.md}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export NO_COLOR=1 K0FLOW_PROGRESS_INTERVAL=0

# per_call N CMD...: mean wall time of CMD in milliseconds. CMD runs once
# first, untimed, and must succeed: a command that fails at once (a usage
# error) would otherwise be timed as a fast one.
per_call() {
  local n=$1 start end i
  shift
  if ! "$@" >/dev/null 2>"$work/per_call.err"; then
    echo "bench: $* failed:" >&2
    cat "$work/per_call.err" >&2
    exit 1
  fi
  start=$(date +%s%N)
  for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1 || true; done
  end=$(date +%s%N)
  awk -v ns=$((end - start)) -v n="$n" 'BEGIN { printf "%.2f", ns / n / 1e6 }'
}

(cd "$root" && go build -o "$work/hello" ./bench/hello && go build -o "$work/gen" ./bench/gen)
for n in 10 1000 10000; do
  mkdir -p "$work/h$n" && "$work/gen" -dir "$work/h$n/state" -runs $n
done
fixture=$root/testdata/legacy/completed-kof/deployment-state.yaml
cp "$fixture" "$work/v1.yaml"

v1_update() { "$yq" eval '.k0rdent_installed = true' -i "$work/v1.yaml" && "$yq" eval '.last_updated = "2026-01-01T00:00:00Z"' -i "$work/v1.yaml"; }
v1_read() { "$yq" eval '.k0rdent_installed' "$work/v1.yaml"; }
# Each k0flow command runs as the yq baselines do, with no subshell or sh
# process of its own around it (a subshell's fork costs about a millisecond
# here, which the figures once included).
set_at() { "$k0flow" state set --state-dir "$work/h$1/state" wireguard.connected true; }
get_at() { "$k0flow" state get --state-dir "$work/h$1/state" wireguard.connected; }

hello=$(per_call 200 "$work/hello")
version=$(per_call 200 "$k0flow" version)
v1u=$(per_call 40 v1_update)
v1r=$(per_call 100 v1_read)
set10=$(per_call 50 set_at 10)
set1000=$(per_call 50 set_at 1000)
get10=$(per_call 50 get_at 10)
get1000=$(per_call 50 get_at 1000)
status10=$(per_call 50 "$k0flow" status --state-dir "$work/h10/state")
status1000=$(per_call 50 "$k0flow" status --state-dir "$work/h1000/state")
status10000=$(per_call 10 "$k0flow" status --state-dir "$work/h10000/state")
history10=$(per_call 20 "$k0flow" history --state-dir "$work/h10/state")
history1000=$(per_call 5 "$k0flow" history --state-dir "$work/h1000/state")
history10000=$(per_call 2 "$k0flow" history --state-dir "$work/h10000/state")

# apply of 100 phases against a bash loop running the same commands.
mkdir -p "$work/apply"
{
  echo 'workflow "bench" {}'
  for i in $(seq 100); do printf 'phase "p%d" {\n  run = ["true"]\n}\n' "$i"; done
} > "$work/apply/deploy.hcl"
bash_procs() { for i in $(seq 100); do /bin/true; done; }
apply_fresh() { rm -rf "$work/apply/state" && (cd "$work/apply" && "$k0flow" apply); }
# apply_at N [DIR]: apply in $work/DIR (apply) with N runs of history.
# The history is copied in and synced first (the copy's writeback would
# otherwise land in the run's first fsync), and that time subtracted.
copy_in() { rm -rf "$work/${2:-apply}/state" && cp -r "$work/h$1/state" "$work/${2:-apply}/state" && sync; }
apply_at() { copy_in "$1" "${2:-apply}" && (cd "$work/${2:-apply}" && "$k0flow" apply --fresh); }
loop=$(per_call 3 bash_procs)
fresh=$(per_call 3 apply_fresh)
hist10=$(per_call 3 apply_at 10)
copy10=$(per_call 3 copy_in 10)
hist=$(per_call 3 apply_at 1000)
copy=$(per_call 3 copy_in 1000)

# apply of 100 phases that read infra.*: the outputs cache is checked
# against the Terraform state before each (terraform_data runs offline).
infra_rows="| apply of 100 phases reading \`infra.*\` | not measured: terraform is not on PATH (make tools installs it) | | | |"
if command -v terraform >/dev/null; then
  mkdir -p "$work/infra/tf"
  cat > "$work/infra/tf/main.tf" <<'TF'
resource "terraform_data" "vm" {
  input = "10.0.0.1"
}
output "controller_ip" {
  value = terraform_data.vm.output
}
TF
  (cd "$work/infra/tf" && terraform init -input=false >/dev/null && terraform apply -auto-approve -input=false >/dev/null)
  {
    echo 'workflow "bench" {}'
    printf 'terraform {\n  dir = "tf"\n}\n'
    for i in $(seq 100); do printf 'phase "p%d" {\n  run = ["true"]\n  env = { IP = infra.controller_ip }\n}\n' "$i"; done
  } > "$work/infra/deploy.hcl"
  infra10=$(per_call 3 apply_at 10 infra)
  infra1000=$(per_call 3 apply_at 1000 infra)
fi

# the library inside apply: a phase script making 200 updates and 200 reads
# of 50 keys.
mkdir -p "$work/lib" && cp -r "$work/h10/state" "$work/lib/state"
cat > "$work/lib/deploy.hcl" <<'HCL'
workflow "lib" {}
phase "script" {
  run = ["bash", "script.sh"]
}
HCL
cat > "$work/lib/script.sh" <<'SH'
source <("$K0FLOW_BIN" shell-lib)
start=$(date +%s%N)
for i in $(seq 200); do update_runtime_state "bench.k$((i % 50))" "v$i"; done
mid=$(date +%s%N)
for i in $(seq 200); do get_state "bench.k$((i % 50))" >/dev/null; done
end=$(date +%s%N)
echo "$(( (mid - start) / 200 )) $(( (end - mid) / 200 ))" >> times.txt
SH
# Three applies of 200 updates and 200 reads each; the median of each.
rm -f "$work/lib/times.txt"
for _ in 1 2 3; do (cd "$work/lib" && "$k0flow" apply --fresh >/dev/null); done
libu=$(cut -d' ' -f1 "$work/lib/times.txt" | sort -n | sed -n 2p)
libr=$(cut -d' ' -f2 "$work/lib/times.txt" | sort -n | sed -n 2p)
libu=$(awk -v ns="$libu" 'BEGIN { printf "%.2f", ns / 1e6 }')
libr=$(awk -v ns="$libr" 'BEGIN { printf "%.2f", ns / 1e6 }')

# The shared state on Azure Blob Storage (a real Azurite, when make tools
# installed it): state set, and apply's per-phase overhead, local vs remote.
remote_rows=""
azurite_bin=$root/.tools/azurite/node_modules/.bin/azurite-blob
if [ -x "$azurite_bin" ]; then
  port=0
  for p in $(shuf -i 20000-60000 -n 20); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
  done
  "$azurite_bin" --blobHost 127.0.0.1 --blobPort "$port" --inMemoryPersistence --disableTelemetry --skipApiVersionCheck >/dev/null 2>&1 &
  az_pid=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  export AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$port/devstoreaccount1;"
  remote() { K0FLOW_STATE_BACKEND=azurerm K0FLOW_AZURERM_CONTAINER_NAME=bench K0FLOW_AZURERM_KEY_PREFIX="$1" "${@:2}"; }
  (cd "$work/apply" && remote setset "$k0flow" apply --only p1 >/dev/null)
  (cd "$work/apply" && rm -rf state && "$k0flow" apply --only p1 >/dev/null)
  set_local() { (cd "$work/apply" && "$k0flow" state set wireguard.connected true); }
  set_remote() { (cd "$work/apply" && remote setset "$k0flow" state set wireguard.connected true); }
  runs=0
  apply_remote() { runs=$((runs + 1)); (cd "$work/apply" && remote "run$runs-$RANDOM" "$k0flow" apply); }
  setl=$(per_call 20 set_local)
  setr=$(per_call 20 set_remote)
  applyr=$(per_call 2 apply_remote)
  kill "$az_pid" 2>/dev/null; wait "$az_pid" 2>/dev/null || true
  remote_rows="| \`state set\`, state on Azure Blob Storage (Azurite) | ${setr} ms | ${setl} ms | the same, state in a local directory | overhead $(awk -v a="$setr" -v b="$setl" 'BEGIN { printf "%.2f", a - b }') ms |
| apply of 100 phases, state on Azure Blob Storage (Azurite) | ${applyr} ms | ${fresh} ms | the same apply, state in a local directory | overhead $(awk -v a="$applyr" -v b="$fresh" 'BEGIN { printf "%.2f", (a - b) / 100 }') ms a phase over local |"
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
per_phase() { awk -v a="$1" -v b="$2" -v c="${3:-0}" 'BEGIN { printf "%.2f", (a - b - c) / 100 }'; }
if [ -n "${infra10-}" ]; then
  infra_rows="| apply of 100 phases reading \`infra.*\`, 10 runs of history | ${infra10} ms | ${loop} ms | the same loop (and ${copy10} ms to copy the state in, subtracted) | overhead $(per_phase "$infra10" "$loop" "$copy10") ms a phase |
| apply of 100 phases reading \`infra.*\`, 1,000 runs of history | ${infra1000} ms | ${loop} ms | the same loop (and ${copy} ms to copy the state in, subtracted) | overhead $(per_phase "$infra1000" "$loop" "$copy") ms a phase |"
fi
size() {
  local f r
  f=$(wc -c < "$work/h$1/state/deployment-state.yaml" | awk '{ printf "%.0f KiB", $1 / 1024 }')
  r=$(find "$work/h$1/state/runs" -name '*.yaml' 2>/dev/null | wc -l)
  echo "$f (+ $r run files)"
}

cat > "$out" <<MD
# k0flow benchmarks

Measured by \`make bench\` (bench/run.sh) at $(cd "$root" && git rev-parse --short HEAD) on $(date -u +%Y-%m-%d), $(nproc) cores.
Every figure is a mean wall time (the library inside apply: the median of three means); each baseline was measured in the same invocation.
State file sizes: 10 runs $(size 10), 1,000 runs $(size 1000), 10,000 runs $(size 10000).

| what | k0flow | baseline | baseline is | ratio (baseline / k0flow) |
|---|---|---|---|---|
| process start | ${version} ms | ${hello} ms | a hello-world Go binary | $(ratio "$hello" "$version") |
| \`state set\`, 10 runs | ${set10} ms | ${v1u} ms | v1 update: two \`yq eval -i\` | $(ratio "$v1u" "$set10") |
| \`state set\`, 1,000 runs | ${set1000} ms | ${v1u} ms | v1 update | $(ratio "$v1u" "$set1000") |
| \`state get\`, 10 runs | ${get10} ms | ${v1r} ms | v1 read: one \`yq eval\` | $(ratio "$v1r" "$get10") |
| \`state get\`, 1,000 runs | ${get1000} ms | ${v1r} ms | v1 read | $(ratio "$v1r" "$get1000") |
| library in apply: \`update_runtime_state\` | ${libu} ms | ${v1u} ms | v1 update | $(ratio "$v1u" "$libu") |
| library in apply: \`get_state\` | ${libr} ms | ${v1r} ms | v1 read | $(ratio "$v1r" "$libr") |
| \`status\`, 10 / 1,000 / 10,000 runs | ${status10} / ${status1000} / ${status10000} ms | | | |
| \`history\`, 10 / 1,000 / 10,000 runs | ${history10} / ${history1000} / ${history10000} ms | | | |
| apply of 100 phases, fresh | ${fresh} ms | ${loop} ms | a bash loop running \`/bin/true\` 100 times | overhead $(per_phase "$fresh" "$loop") ms a phase |
| apply of 100 phases, 10 runs of history | ${hist10} ms | ${loop} ms | the same loop (and ${copy10} ms to copy the state in, subtracted) | overhead $(per_phase "$hist10" "$loop" "$copy10") ms a phase |
| apply of 100 phases, 1,000 runs of history | ${hist} ms | ${loop} ms | the same loop (and ${copy} ms to copy the state in, subtracted) | overhead $(per_phase "$hist" "$loop" "$copy") ms a phase |
${infra_rows}
${remote_rows}
MD
cat "$out"
