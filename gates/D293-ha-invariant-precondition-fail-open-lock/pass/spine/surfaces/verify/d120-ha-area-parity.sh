#!/usr/bin/env bash
set -euo pipefail
precondition_fail() {
  echo "D120 FAIL: $1" >&2
  exit 1
}
[[ -n "${HA_TOKEN:-}" ]] || precondition_fail "no token"
echo "D120 PASS: demo probe ok"
