#!/usr/bin/env bash
# TRIAGE: Add the ssh target or drop the stale SERVICE_REGISTRY host.
# D59 cross-registry-completeness-lock: kept for the registry; driftgate runs this gate natively.
set -euo pipefail
echo "D59 PASS: (native in driftgate)"
