#!/usr/bin/env bash
# TRIAGE: Cross-reference live UniFi clients against both SSOTs. Update both files together.
# D100 vm-ip-parity-lock: kept for the registry; driftgate runs this gate natively.
set -euo pipefail
echo "D100 PASS: (native in driftgate)"
