#!/usr/bin/env bash
set -euo pipefail
if git remote get-url origin >/dev/null 2>&1; then
  git fetch --prune origin
fi
{
  echo "auto_apply_safe=$safe"
  echo "held_local_branches=$held"
} > "$OUT/summary.env"
