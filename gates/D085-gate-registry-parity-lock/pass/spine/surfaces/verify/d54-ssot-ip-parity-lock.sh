#!/usr/bin/env bash
# TRIAGE: Ensure IPs match across DEVICE_IDENTITY, shop server SSOT, and bindings.
# D54 ssot-ip-parity-lock: every row of the "Shop VM LAN IPs" table in
# DEVICE_IDENTITY_SSOT.md matches the `host` of the same id in ssh.targets.yaml.
set -euo pipefail
SPINE_ROOT="${SPINE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
doc="$SPINE_ROOT/docs/governance/DEVICE_IDENTITY_SSOT.md"
targets="$SPINE_ROOT/ops/bindings/ssh.targets.yaml"

for f in "$doc" "$targets"; do
  [[ -f "$f" ]] || { echo "D54 FAIL: missing ${f#$SPINE_ROOT/}"; exit 1; }
done

# name<TAB>ip for each data row of the section
rows="$(awk -F'|' '
  /^### / { insec = ($0 ~ /^### Shop VM LAN IPs/); next }
  insec && /^\|/ && $0 !~ /^\|[- ]*\|/ && $3 !~ /Canonical Name/ {
    name = $3; ip = $4
    gsub(/[` ]/, "", name); gsub(/ /, "", ip)
    print name "\t" ip
  }
' "$doc")"

[[ -n "$rows" ]] || { echo "D54 FAIL: no Shop VM LAN IPs table in DEVICE_IDENTITY_SSOT.md"; exit 1; }

checked=0
while IFS=$'\t' read -r name ip; do
  host="$(awk -v id="$name" '
    $0 ~ "^    - id: \"" id "\"$" { found = 1; next }
    found && /^      host: / { gsub(/"/, "", $2); print $2; exit }
    found && /^    - id: / { exit }
  ' "$targets")"
  if [[ -z "$host" ]]; then
    echo "D54 FAIL: ${name} has no ssh target"; exit 1
  fi
  if [[ "$host" != "$ip" ]]; then
    echo "D54 FAIL: ${name} is ${ip} in DEVICE_IDENTITY_SSOT.md but ${host} in ssh.targets.yaml"; exit 1
  fi
  checked=$((checked + 1))
done <<< "$rows"
echo "D54 PASS: ${checked} shop identities agree between DEVICE_IDENTITY_SSOT.md and ssh.targets.yaml"
