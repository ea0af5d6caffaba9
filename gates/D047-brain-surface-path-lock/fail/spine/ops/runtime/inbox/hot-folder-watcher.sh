#!/usr/bin/env bash
set -euo pipefail
# old location: ~/.brain/inbox
WATCH="${SPINE_ROOT}/docs/brain/inbox"
echo "watching $WATCH"
