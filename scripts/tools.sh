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

if tf=$(command -v terraform 2>/dev/null); then
  v=$(version_of "$tf")
  if [ -n "$v" ] && [ "$(printf '%s\n' 1.5.0 "$v" | sort -V | head -n1)" = 1.5.0 ]; then
    echo "tools: terraform $v at $tf"
    exit 0
  fi
  echo "tools: $tf is terraform ${v:-of unknown version}; 1.5 or later is needed"
fi
echo "tools: building terraform v$pinned into $tools/bin (once; a few minutes)"
GOBIN="$(cd "$tools" && pwd)/bin" GOFLAGS=-mod=mod go install "github.com/hashicorp/terraform@v$pinned"
echo "tools: terraform $(version_of "$tools/bin/terraform") at $tools/bin/terraform"
