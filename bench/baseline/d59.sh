#!/usr/bin/env bash
# D59 cross-registry-completeness-lock (BASELINE, see _common.sh): every
# SERVICE_REGISTRY service host resolves to an ssh.targets entry. One yq call
# per field.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
reg="$G/SERVICE_REGISTRY.yaml"
ssh="$B/ssh.targets.yaml"
for f in "$reg" "$ssh"; do
  [[ -f "$f" ]] || { echo "D59 FAIL: missing ${f#$SPINE_ROOT/}"; exit 1; }
done
ids="$($YQ -r '.ssh.targets[].id' "$ssh")"
fail=0
n=0
while IFS= read -r svc; do
  [[ -n "$svc" ]] || continue
  n=$((n + 1))
  host="$($YQ -r --arg s "$svc" '.services[$s].host // empty' "$reg")"
  if ! grep -qxF -- "$host" <<<"$ids"; then
    echo "D59 FAIL: service $svc: host '$host' is not an ssh.targets id"; fail=1
  fi
done < <($YQ -r '.services | keys_unsorted[]' "$reg")
[[ "$fail" == 0 ]] || exit 1
echo "D59 PASS: $n SERVICE_REGISTRY services resolve to ssh targets"
