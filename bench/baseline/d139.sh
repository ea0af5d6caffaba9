#!/usr/bin/env bash
# D139 nas-baseline-coverage (BASELINE, see _common.sh), the checks of
# driftgate's D139 (gates/D139-*.yaml) as bash + yq, one yq call per field:
# home.device.registry.yaml has a device `nas` with ip and role; every active
# site's proxmox_alias (topology.sites.yaml) and the NAS have at least one
# enabled backup.inventory target (enabled absent = true); targets on the NAS
# keep base_path under /volume1.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
dev="$B/home.device.registry.yaml"
bak="$B/backup.inventory.yaml"
top="$B/topology.sites.yaml"
for f in "$dev" "$bak" "$top"; do
  [[ -f "$f" ]] || { echo "D139 FAIL: missing ${f#$SPINE_ROOT/}"; exit 1; }
done
fail=0
ip="$($YQ -r '[.devices[] | select(.id == "nas") | .ip] | first // empty' "$dev")"
role="$($YQ -r '[.devices[] | select(.id == "nas") | .role] | first // empty' "$dev")"
[[ -n "$ip" && -n "$role" ]] || { echo "D139 FAIL: device 'nas' needs ip and role in home.device.registry.yaml"; fail=1; }
declare -A enabled=()
need=(nas)
nsites="$($YQ -r '.sites | length' "$top")"
for ((i = 0; i < nsites; i++)); do
  st="$($YQ -r ".sites[$i].status" "$top")"
  [[ "$st" == "active" ]] || continue
  need+=("$($YQ -r ".sites[$i].proxmox_alias" "$top")")
done
count="$($YQ -r '.targets | length' "$bak")"
for ((i = 0; i < count; i++)); do
  host="$($YQ -r ".targets[$i].host" "$bak")"
  en="$($YQ -r ".targets[$i].enabled != false" "$bak")"
  [[ "$en" == "true" ]] && enabled[$host]=1
  if [[ "$host" == "nas" ]]; then
    base="$($YQ -r ".targets[$i].base_path // empty" "$bak")"
    [[ "$base" == /volume1/* ]] || { echo "D139 FAIL: NAS target $i base_path '$base' is outside /volume1"; fail=1; }
  fi
done
for h in "${need[@]}"; do
  [[ -n "${enabled[$h]:-}" ]] || { echo "D139 FAIL: no enabled backup target on host '$h'"; fail=1; }
done
[[ "$fail" == 0 ]] || exit 1
echo "D139 PASS: NAS $ip registered; ${#need[@]} hosts have enabled backup targets"
