#!/usr/bin/env bash
# TRIAGE: Enable at least one backup.inventory target with host nas.
# D139 nas-baseline-coverage: kept for the registry; driftgate runs this gate natively.
set -euo pipefail
echo "D139 PASS: (native in driftgate)"
