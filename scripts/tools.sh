#!/usr/bin/env bash
# Makes sure the tests have a terraform of 1.5 or later: the one on PATH
# (the Makefile puts .tools/bin first), else the pinned version built from
# the Go module proxy into .tools/bin, once (a few minutes on 2 cores).
set -euo pipefail
tools=$1
pinned=1.5.7
mkdir -p "$tools/bin"

version_of() {
  "$1" version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p'
}

# Azurite, the Azure Blob Storage emulator the team-state tests run
# against: pinned (3.35.0 is the newest that runs on Node 20), installed
# with npm into .tools/azurite. Without npm the tests that need it say so,
# and fail under CI=true.
azurite_version=3.35.0
azurite() {
  local dir=$tools/azurite bin=$tools/azurite/node_modules/.bin/azurite-blob
  if [ -x "$bin" ] && grep -q "\"version\": \"$azurite_version\"" "$dir/node_modules/azurite/package.json" 2>/dev/null; then
    echo "tools: azurite $azurite_version at $bin"
    return
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "tools: npm not found: the Azure Blob Storage tests need Azurite (npm install azurite@$azurite_version)"
    return
  fi
  echo "tools: installing azurite $azurite_version into $dir"
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --silent "azurite@$azurite_version"
  echo "tools: azurite $azurite_version at $bin"
}

if tf=$(command -v terraform 2>/dev/null); then
  v=$(version_of "$tf")
  if [ -n "$v" ] && [ "$(printf '%s\n' 1.5.0 "$v" | sort -V | head -n1)" = 1.5.0 ]; then
    echo "tools: terraform $v at $tf"
    azurite
    exit 0
  fi
  echo "tools: $tf is terraform ${v:-of unknown version}; 1.5 or later is needed"
fi
azurite
echo "tools: building terraform v$pinned into $tools/bin (once; a few minutes)"
GOBIN="$(cd "$tools" && pwd)/bin" GOFLAGS=-mod=mod go install "github.com/hashicorp/terraform@v$pinned"
echo "tools: terraform $(version_of "$tools/bin/terraform") at $tools/bin/terraform"
