#!/usr/bin/env bash
# D139 nas-baseline-coverage (BASELINE, see _common.sh): the NAS is in the
# home device registry with an IP, and backup.inventory.yaml has at least one
# enabled target on host `nas`. One yq call per field.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
dev="$B/home.device.registry.yaml"
bak="$B/backup.inventory.yaml"
for f in "$dev" "$bak"; do
  [[ -f "$f" ]] || { echo "D139 FAIL: missing ${f#$SPINE_ROOT/}"; exit 1; }
done
ip="$($YQ -r '[.devices[] | select(.id == "nas") | .ip] | first // empty' "$dev")"
[[ -n "$ip" ]] || { echo "D139 FAIL: no device 'nas' with an ip in home.device.registry.yaml"; exit 1; }
enabled=0
count="$($YQ -r '.targets | length' "$bak")"
for ((i = 0; i < count; i++)); do
  host="$($YQ -r ".targets[$i].host" "$bak")"
  [[ "$host" == "nas" ]] || continue
  en="$($YQ -r ".targets[$i].enabled" "$bak")"
  [[ "$en" == "true" ]] && enabled=$((enabled + 1))
done
[[ "$enabled" -gt 0 ]] || { echo "D139 FAIL: no enabled backup target on the NAS"; exit 1; }
echo "D139 PASS: NAS $ip has $enabled enabled backup targets"
