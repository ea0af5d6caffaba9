#!/usr/bin/env bash
# TRIAGE: Update ops/bindings/vm.operating.profile.yaml to cover all active VMs.
# D86 vm-operating-profile-parity-lock: kept for the registry; driftgate runs this gate natively.
set -euo pipefail
echo "D86 PASS: (native in driftgate)"
