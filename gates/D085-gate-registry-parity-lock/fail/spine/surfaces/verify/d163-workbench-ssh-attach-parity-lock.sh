#!/usr/bin/env bash
# TRIAGE: Regenerate the workbench ssh config from ops/bindings/ssh.targets.yaml.
# D163 workbench-ssh-attach-parity-lock: kept for the registry; driftgate runs this gate natively.
set -euo pipefail
echo "D163 PASS: (native in driftgate)"
