#!/usr/bin/env bash
# TRIAGE: Keep caddy/authentik/vaultwarden/infisical/cloudflared registered on infra-core.
# D149 infra-core-service-parity-lock: required infra-core services are registered on
# infra-core in SERVICE_REGISTRY and the HTTP ones have a health probe.
set -euo pipefail
SPINE_ROOT="${SPINE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
reg="$SPINE_ROOT/docs/governance/SERVICE_REGISTRY.yaml"
health="$SPINE_ROOT/ops/bindings/services.health.yaml"

for f in "$reg" "$health"; do
  [[ -f "$f" ]] || { echo "D149 FAIL: missing ${f#$SPINE_ROOT/}"; exit 1; }
done

for svc in caddy authentik vaultwarden infisical cloudflared; do
  if ! grep -A1 "^  ${svc}:\$" "$reg" | grep -q '^    host: infra-core$'; then
    echo "D149 FAIL: ${svc} is not registered on infra-core in SERVICE_REGISTRY.yaml"
    exit 1
  fi
done
for svc in authentik vaultwarden infisical; do
  if ! grep -q "^  - id: ${svc}\$" "$health"; then
    echo "D149 FAIL: no services.health probe for ${svc}"
    exit 1
  fi
done
echo "D149 PASS: infra-core services registered and probed"
