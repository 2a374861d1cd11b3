#!/usr/bin/env bash
# run.sh LIBRARY FIXTURE STEPS: runs each step of STEPS in a new bash that
# sources prelude.sh and LIBRARY, in a scratch copy of FIXTURE (a v1 state
# directory, or "none"), and prints, per step, the step, its exit code and
# its stdout, with timestamps replaced by <TS>.
#
# The expected files beside it were made by running the bash project's own
# etc/state-management.sh (with mikefarah yq v4 on PATH) through this
# script; TestShellLibCompat runs k0flow's library through it and compares.
set -uo pipefail
lib=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
fixture=$2
steps=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/state"
if [[ $fixture != none ]]; then
  for f in "$fixture"/*.yaml; do cp "$f" "$work/state/"; done
  if [[ -d $fixture/old_deployments ]]; then cp -r "$fixture/old_deployments" "$work/"; fi
fi
if [[ $fixture == none ]]; then rmdir "$work/state"; fi
cd "$work"
n=0
while IFS= read -r step; do
  [[ -z $step || $step == \#* ]] && continue
  n=$((n + 1))
  out=$(bash -c 'source "$1"; source "$2"; eval "$3"' step "$here/prelude.sh" "$lib" "$step" 2>/dev/null)
  rc=$?
  printf '### %s\nrc=%d\n' "$step" "$rc"
  if [[ -n $out ]]; then
    printf '%s\n' "$out" | sed -E -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z/<TS>/g' \
      -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}-[0-9]{2}-[0-9]{2}/<DATE>/g'
  fi
done < "$steps"
