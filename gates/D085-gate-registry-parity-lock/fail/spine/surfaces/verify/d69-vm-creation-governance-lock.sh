#!/usr/bin/env bash
# TRIAGE: New VMs need entries in SSH targets, SERVICE_REGISTRY, backup, and health checks.
# D69 vm-creation-governance-lock: kept for the registry; driftgate runs this gate natively.
set -euo pipefail
echo "D69 PASS: (native in driftgate)"
