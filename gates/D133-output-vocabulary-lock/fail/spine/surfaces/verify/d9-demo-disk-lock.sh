#!/usr/bin/env bash
set -euo pipefail
# D9: disk lock
df -P / | awk 'NR==2 && $5+0 > 90 {exit 1}'
echo "disk ok"
