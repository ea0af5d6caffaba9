#!/usr/bin/env bash
# D86 vm-operating-profile-parity-lock (BASELINE, see _common.sh): every
# active VM in vm.lifecycle.yaml has a vm.operating.profile.yaml entry with
# the same id and hostname. One yq call per field.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
vml="$B/vm.lifecycle.yaml"
prof="$B/vm.operating.profile.yaml"
for f in "$vml" "$prof"; do
  [[ -f "$f" ]] || { echo "D86 FAIL: missing ${f#$SPINE_ROOT/}"; exit 1; }
done
fail=0
active=0
count="$($YQ -r '.vms | length' "$vml")"
for ((i = 0; i < count; i++)); do
  status="$($YQ -r ".vms[$i].status" "$vml")"
  [[ "$status" == "active" ]] || continue
  active=$((active + 1))
  id="$($YQ -r ".vms[$i].id // .vms[$i].vmid" "$vml")"
  host="$($YQ -r ".vms[$i].hostname" "$vml")"
  phost="$($YQ -r --argjson id "$id" '[.profiles[] | select((.id // .vmid) == $id) | .hostname] | first // empty' "$prof")"
  if [[ -z "$phost" ]]; then
    echo "D86 FAIL: active VM $id ($host) has no operating profile"; fail=1
  elif [[ "$phost" != "$host" ]]; then
    echo "D86 FAIL: VM $id: profile hostname $phost != $host"; fail=1
  fi
done
[[ "$fail" == 0 ]] || exit 1
echo "D86 PASS: $active active VMs have an operating profile"
