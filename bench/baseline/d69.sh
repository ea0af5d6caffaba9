#!/usr/bin/env bash
# D69 vm-creation-governance-lock (BASELINE, see _common.sh): every active VM
# in vm.lifecycle.yaml has an ssh.targets entry (for shop VMs on `pve`, its
# host equals the VM's lan_ip), a SERVICE_REGISTRY hosts entry, a
# backup.inventory target named by backup_target, and a services.health probe.
# One yq call per field, as the real gate scripts do.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
vml="$B/vm.lifecycle.yaml"
ssh="$B/ssh.targets.yaml"
reg="$G/SERVICE_REGISTRY.yaml"
bak="$B/backup.inventory.yaml"
hlt="$B/services.health.yaml"
for f in "$vml" "$ssh" "$reg" "$bak" "$hlt"; do
  [[ -f "$f" ]] || { echo "D69 FAIL: missing ${f#$SPINE_ROOT/}"; exit 1; }
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
  target="$($YQ -r ".vms[$i].ssh_target // empty" "$vml")"
  lan="$($YQ -r ".vms[$i].lan_ip // empty" "$vml")"
  px="$($YQ -r ".vms[$i].proxmox_host // empty" "$vml")"
  bt="$($YQ -r ".vms[$i].backup_target // empty" "$vml")"

  if [[ -z "$target" ]]; then
    echo "D69 FAIL: VM $id ($host) has no ssh_target"; fail=1
  else
    thost="$($YQ -r --arg t "$target" '[.ssh.targets[] | select(.id == $t) | .host] | first // empty' "$ssh")"
    if [[ -z "$thost" ]]; then
      echo "D69 FAIL: VM $id ($host): ssh target '$target' not in ssh.targets.yaml"; fail=1
    elif [[ "$px" == "pve" && "$thost" != "$lan" ]]; then
      echo "D69 FAIL: VM $id ($host): ssh host $thost != lan_ip $lan"; fail=1
    fi
    probes="$($YQ -r --arg t "$target" '[.endpoints[] | select(.host == $t)] | length' "$hlt")"
    if [[ "$probes" == "0" ]]; then
      echo "D69 FAIL: VM $id ($host): no services.health probe for '$target'"; fail=1
    fi
  fi
  reg_host="$($YQ -r --arg h "$host" '.hosts[$h] // empty | .ssh // empty' "$reg")"
  if [[ -z "$reg_host" ]]; then
    echo "D69 FAIL: VM $id ($host): no SERVICE_REGISTRY hosts entry"; fail=1
  fi
  if [[ -z "$bt" ]]; then
    echo "D69 FAIL: VM $id ($host) has no backup_target"; fail=1
  else
    found="$($YQ -r --arg n "$bt" '[.targets[] | select(.name == $n)] | length' "$bak")"
    if [[ "$found" == "0" ]]; then
      echo "D69 FAIL: VM $id ($host): backup target '$bt' not in backup.inventory.yaml"; fail=1
    fi
  fi
done
[[ "$fail" == 0 ]] || exit 1
echo "D69 PASS: $active active VMs have SSH, registry, backup and health entries"
