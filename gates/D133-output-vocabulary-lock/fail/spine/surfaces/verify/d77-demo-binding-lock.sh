#!/usr/bin/env bash
set -euo pipefail
ROOT="${SPINE_ROOT:-$HOME/code/demo}"
fail() { echo "D77 FAIL: $*" >&2; exit 1; }
[[ -f "$ROOT/ops/demo.yaml" ]] || fail "demo binding missing"
echo "D77 PASS: demo binding present"
