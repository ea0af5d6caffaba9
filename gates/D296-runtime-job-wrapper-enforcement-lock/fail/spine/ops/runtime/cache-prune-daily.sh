#!/usr/bin/env bash
set -euo pipefail
ROOT="${SPINE_ROOT:-$HOME/code/agentic-spine}"
source "$ROOT/ops/runtime/lib/job-wrapper.sh"
prune() { find "$ROOT/.cache" -type f -mtime +7 -delete; }
spine_job_run cache-prune-daily prune
