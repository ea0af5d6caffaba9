#!/usr/bin/env bash
# TRIAGE: Re-IP the guest to 192.168.1.<vmid> or declare it in vm.ip.parity.policy.yaml exceptions.
# D52 udr6-gateway-assertion: kept for the registry; driftgate runs this gate natively.
set -euo pipefail
echo "D52 PASS: (native in driftgate)"
