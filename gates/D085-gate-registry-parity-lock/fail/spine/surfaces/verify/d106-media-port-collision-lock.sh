#!/usr/bin/env bash
# TRIAGE: Give each service on a host its own port in docs/governance/SERVICE_REGISTRY.yaml.
# D106 media-port-collision-lock: kept for the registry; driftgate runs this gate natively.
set -euo pipefail
echo "D106 PASS: (native in driftgate)"
