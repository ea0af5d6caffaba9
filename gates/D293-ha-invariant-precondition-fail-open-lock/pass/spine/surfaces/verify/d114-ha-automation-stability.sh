#!/usr/bin/env bash
set -euo pipefail
precondition_fail() {
  echo "D114 FAIL: $1" >&2
  exit 1
}
[[ -n "${HA_TOKEN:-}" ]] || precondition_fail "no token"
echo "D114 PASS: demo probe ok"
