#!/usr/bin/env bash
# D409 service-port-unique-per-host (BASELINE, see _common.sh): as driftgate's D409, no two
# SERVICE_REGISTRY services on the same host share a port (retired services
# ignored). One yq call per field (host, port, status, per service).
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
reg="$G/SERVICE_REGISTRY.yaml"
[[ -f "$reg" ]] || { echo "D409 FAIL: missing docs/governance/SERVICE_REGISTRY.yaml"; exit 1; }
declare -A seen=()
fail=0
n=0
while IFS= read -r svc; do
  [[ -n "$svc" ]] || continue
  host="$($YQ -r --arg s "$svc" '.services[$s].host // empty' "$reg")"
  port="$($YQ -r --arg s "$svc" '.services[$s].port // empty' "$reg")"
  status="$($YQ -r --arg s "$svc" '.services[$s].status // empty' "$reg")"
  [[ -n "$port" && "$status" != "retired" ]] || continue
  n=$((n + 1))
  key="$host:$port"
  if [[ -n "${seen[$key]:-}" ]]; then
    echo "D409 FAIL: port $port on $host used by ${seen[$key]} and $svc"; fail=1
  else
    seen[$key]="$svc"
  fi
done < <($YQ -r '.services | keys_unsorted[]' "$reg")
[[ "$fail" == 0 ]] || exit 1
echo "D409 PASS: $n service ports, no collision per host"
