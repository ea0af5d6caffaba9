#!/usr/bin/env bash
# TRIAGE: Normalize the binding to ops/bindings/spine.schema.conventions.yaml rules.
# D129 spine-schema-conventions-lock: kept for the registry; driftgate runs this gate natively.
set -euo pipefail
echo "D129 PASS: (native in driftgate)"
