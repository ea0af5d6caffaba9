#!/usr/bin/env bash
set -euo pipefail
BRAIN_DIR="${SPINE_ROOT}/docs/brain"
echo "context from $BRAIN_DIR"
