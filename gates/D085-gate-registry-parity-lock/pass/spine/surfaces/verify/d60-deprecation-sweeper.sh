#!/usr/bin/env bash
# TRIAGE: Replace deprecated terms using ops/bindings/deprecated.terms.yaml replacements.
# D60 deprecation-sweeper: kept for the registry; driftgate runs this gate natively.
set -euo pipefail
echo "D60 PASS: (native in driftgate)"
