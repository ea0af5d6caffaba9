#!/usr/bin/env bash
# TRIAGE: Add /spine/<site> to ops/bindings/secrets.namespace.policy.yaml namespaces.
# D43 secrets-namespace-lock: every active site in topology.sites.yaml has a
# /spine/<site> namespace in secrets.namespace.policy.yaml.
set -euo pipefail
SPINE_ROOT="${SPINE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
topo="$SPINE_ROOT/ops/bindings/topology.sites.yaml"
policy="$SPINE_ROOT/ops/bindings/secrets.namespace.policy.yaml"

[[ -f "$topo" ]] || { echo "D43 FAIL: missing ops/bindings/topology.sites.yaml"; exit 1; }
[[ -f "$policy" ]] || { echo "D43 FAIL: missing ops/bindings/secrets.namespace.policy.yaml"; exit 1; }

# "  - id: <site>" followed (within the same item) by "    status: active"
active_sites="$(awk '
  /^  - id: / { id = $3; next }
  /^    status: active/ { if (id != "") print id; id = "" }
' "$topo")"

missing=()
for site in $active_sites; do
  if ! grep -Eq "^[[:space:]]*- path: \"?/spine/${site}\"?[[:space:]]*(#.*)?$" "$policy"; then
    missing+=("$site")
  fi
done

if (( ${#missing[@]} > 0 )); then
  echo "D43 FAIL: no /spine/<site> namespace for active site(s): ${missing[*]}"
  exit 1
fi
echo "D43 PASS: every active site has a secrets namespace ($(echo $active_sites))"
