#!/usr/bin/env bash
set -euo pipefail
auto_apply_enabled="$(yq e '.auto_apply.enabled' "$CONTRACT")"
source "$OUT/summary.env"
if [[ "$auto_apply_enabled" == true && "$auto_apply_safe" == 1 && "$total_candidates" -gt 0 ]]; then
  "$ROOT/ops/commands/nightly-closeout.sh" --apply
else
  echo "SKIPPED: auto-apply conditions not met"
fi
