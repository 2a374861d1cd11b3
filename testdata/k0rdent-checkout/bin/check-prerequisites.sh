#!/usr/bin/env bash
# The project's bin/check-prerequisites.sh: the tools must be there.
missing=0
for tool in az wg wg-quick k0sctl kubectl helm ssh ssh-keygen; do
  command -v "$tool" >/dev/null || { echo "✗ $tool is not installed"; missing=1; }
done
[[ $missing == 0 ]] && echo "✓ All required prerequisites are satisfied!"
exit $missing
