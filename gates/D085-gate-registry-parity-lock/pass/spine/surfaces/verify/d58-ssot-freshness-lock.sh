#!/usr/bin/env bash
# TRIAGE: Re-verify the binding and bump last_verified (max age 21 days).
# D58 ssot-freshness-lock: kept for the registry; driftgate runs this gate natively.
set -euo pipefail
echo "D58 PASS: (native in driftgate)"
