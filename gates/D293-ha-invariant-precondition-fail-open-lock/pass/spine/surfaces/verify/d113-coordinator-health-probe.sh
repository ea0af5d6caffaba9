#!/usr/bin/env bash
set -euo pipefail
precondition_fail() {
  echo "D113 FAIL: $1" >&2
  exit 1
}
[[ -n "${HA_TOKEN:-}" ]] || precondition_fail "no token"
echo "D113 PASS: demo probe ok"
