#!/usr/bin/env bash
# D59 cross-registry-completeness-lock (BASELINE, see _common.sh), the checks
# of driftgate's D59 (gates/D059-*.yaml) as bash + yq, one yq call per field:
# every SERVICE_REGISTRY `hosts` key is an ssh.targets id, and every ssh
# target that is not lan_only, not tagged planned and not the target of a
# decommissioned VM is a SERVICE_REGISTRY host.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
reg="$G/SERVICE_REGISTRY.yaml"
ssh="$B/ssh.targets.yaml"
vml="$B/vm.lifecycle.yaml"
for f in "$reg" "$ssh" "$vml"; do
  [[ -f "$f" ]] || { echo "D59 FAIL: missing ${f#$SPINE_ROOT/}"; exit 1; }
done
ids="$($YQ -r '.ssh.targets[].id' "$ssh")"
hosts="$($YQ -r '.hosts | keys_unsorted[]' "$reg")"
gone="$($YQ -r '.vms[] | select(.status == "decommissioned") | .ssh_target // empty' "$vml")"
fail=0
while IFS= read -r h; do
  [[ -n "$h" ]] || continue
  grep -qxF -- "$h" <<<"$ids" || { echo "D59 FAIL: SERVICE_REGISTRY host '$h' has no ssh target"; fail=1; }
done <<<"$hosts"
count="$($YQ -r '.ssh.targets | length' "$ssh")"
for ((i = 0; i < count; i++)); do
  id="$($YQ -r ".ssh.targets[$i].id" "$ssh")"
  policy="$($YQ -r ".ssh.targets[$i].access_policy // empty" "$ssh")"
  planned="$($YQ -r ".ssh.targets[$i] | any(.tags[]?; . == \"planned\")" "$ssh")"
  [[ "$policy" == "lan_only" || "$planned" == "true" ]] && continue
  grep -qxF -- "$id" <<<"$gone" && continue
  grep -qxF -- "$id" <<<"$hosts" || { echo "D59 FAIL: ssh target '$id' is not a SERVICE_REGISTRY host"; fail=1; }
done
[[ "$fail" == 0 ]] || exit 1
echo "D59 PASS: SERVICE_REGISTRY hosts and ssh targets cover each other"
