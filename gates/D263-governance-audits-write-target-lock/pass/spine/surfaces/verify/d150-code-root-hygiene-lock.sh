#!/usr/bin/env bash
set -euo pipefail
OUT="$ROOT/receipts/audits"
mkdir -p "$OUT"
