#!/usr/bin/env bash
set -euo pipefail
ss -ltn | grep -q ':8080 ' || { echo "FAIL: port 8080 not listening" >&2; exit 1; }
echo "PASS: port 8080 listening (see D77 for the binding)"
