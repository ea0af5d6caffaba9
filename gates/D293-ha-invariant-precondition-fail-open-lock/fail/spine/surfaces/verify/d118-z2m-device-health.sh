#!/usr/bin/env bash
set -euo pipefail
fail_pre() { echo "D118 FAIL: $1" >&2; exit 1; }
echo "D118 PASS: demo probe ok"
