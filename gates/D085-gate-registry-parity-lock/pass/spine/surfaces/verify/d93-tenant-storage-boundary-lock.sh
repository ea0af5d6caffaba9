#!/usr/bin/env bash
# TRIAGE: Create ops/bindings/tenant.storage.contract.yaml with boundaries and isolation_mode.
# D93 tenant-storage-boundary-lock (warn-only): storage contract declares boundaries + isolation mode.
set -euo pipefail
SPINE_ROOT="${SPINE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
contract="$SPINE_ROOT/ops/bindings/tenant.storage.contract.yaml"

[[ -f "$contract" ]] || { echo "D93 FAIL: missing ops/bindings/tenant.storage.contract.yaml"; exit 1; }
grep -q '^isolation_mode: ' "$contract" || { echo "D93 FAIL: no isolation_mode"; exit 1; }
grep -q '^boundaries:' "$contract" || { echo "D93 FAIL: no boundaries"; exit 1; }
for b in receipts ledger mailroom loop-scopes; do
  grep -q "^  - id: ${b}\$" "$contract" || { echo "D93 FAIL: boundary '${b}' not declared"; exit 1; }
done
echo "D93 PASS: tenant storage boundaries declared"
