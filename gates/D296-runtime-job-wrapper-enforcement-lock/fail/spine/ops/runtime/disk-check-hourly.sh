#!/usr/bin/env bash
set -euo pipefail
ROOT="${SPINE_ROOT:-$HOME/code/agentic-spine}"
source "$ROOT/ops/runtime/lib/job-wrapper.sh"
df -h / >/dev/null
