#!/usr/bin/env bash
# drift-gate.sh — host for the small inline gates (registry: inline: true).
# Usage: drift-gate.sh [GATE_ID]   (default: run every inline gate)
set -euo pipefail
SPINE_ROOT="${SPINE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

gate_d8() {
  local hits
  hits="$(find "$SPINE_ROOT/ops" "$SPINE_ROOT/surfaces" -type f \( -name '*.bak' -o -name '*fix_bak*' \) 2>/dev/null | wc -l | tr -d ' ')"
  if [[ "$hits" != "0" ]]; then
    echo "D8 FAIL: $hits backup clutter file(s) under ops/ or surfaces/"
    return 1
  fi
  echo "D8 PASS: no .bak / fix_bak clutter"
}

case "${1:-all}" in
  D8|all) gate_d8 ;;
  *) echo "drift-gate: unknown inline gate '$1'" >&2; exit 2 ;;
esac
