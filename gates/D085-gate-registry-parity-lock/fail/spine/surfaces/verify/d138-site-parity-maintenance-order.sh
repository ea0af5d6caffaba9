#!/usr/bin/env bash
# TRIAGE: Add `site:` to every phase in ops/bindings/startup.sequencing.yaml.
# D138 site-parity-maintenance-order: kept for the registry; driftgate runs this gate natively.
set -euo pipefail
echo "D138 PASS: (native in driftgate)"
