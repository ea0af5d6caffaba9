#!/usr/bin/env bash
# TRIAGE: Update ops/bindings/agents.registry.yaml. Every agent needs contract + gates.
# D49 agent-discovery-lock: each registered agent carries a contract path and a gate list.
set -euo pipefail
SPINE_ROOT="${SPINE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
reg="$SPINE_ROOT/ops/bindings/agents.registry.yaml"

[[ -f "$reg" ]] || { echo "D49 FAIL: missing ops/bindings/agents.registry.yaml"; exit 1; }
agents="$(grep -c '^  - id: ' "$reg" || true)"
contracts="$(grep -c '^    contract: ' "$reg" || true)"
gates="$(grep -c '^    gates:' "$reg" || true)"

if [[ "$agents" == "0" ]]; then
  echo "D49 FAIL: agents.registry.yaml lists no agents"; exit 1
fi
if [[ "$contracts" != "$agents" || "$gates" != "$agents" ]]; then
  echo "D49 FAIL: $agents agents but $contracts contract paths and $gates gate lists"; exit 1
fi
echo "D49 PASS: $agents agents registered with contract + gates"
