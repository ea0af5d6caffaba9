#!/usr/bin/env bash
# TRIAGE: Keep backup.inventory.yaml free of credentials; reference secrets by name.
# D19 backup-drift: backup inventory present, targets declared, no credentials inline.
set -euo pipefail
SPINE_ROOT="${SPINE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
inv="$SPINE_ROOT/ops/bindings/backup.inventory.yaml"

[[ -f "$inv" ]] || { echo "D19 FAIL: missing ops/bindings/backup.inventory.yaml"; exit 1; }
grep -q '^targets:' "$inv" || { echo "D19 FAIL: backup.inventory.yaml has no targets"; exit 1; }
if grep -Eqi '^[[:space:]]*(password|secret|token|api_key)[[:space:]]*:' "$inv"; then
  echo "D19 FAIL: credential-looking key in backup.inventory.yaml"
  exit 1
fi
count="$(grep -c '^  - name: ' "$inv")"
echo "D19 PASS: $count backup targets declared, no inline credentials"
