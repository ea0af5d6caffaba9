#!/usr/bin/env bash
set -euo pipefail
MODE="${HA_GATE_MODE:-enforce}"
precondition_fail() {
  echo "D114 REPORT: $1 (precondition, not judged)"
  exit 0
}
[[ -n "${HA_TOKEN:-}" ]] || precondition_fail "no token"
echo "D114 PASS: demo probe ok"
