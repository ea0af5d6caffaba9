#!/usr/bin/env bash
# TRIAGE: Register proxmox_alias values in ssh.targets.yaml and keep compose_targets aligned with docker.compose.targets.yaml.
# D173 site-topology-parity-lock: kept for the registry; driftgate runs this gate natively.
set -euo pipefail
echo "D173 PASS: (native in driftgate)"
