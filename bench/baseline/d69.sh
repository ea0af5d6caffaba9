#!/usr/bin/env bash
# D69 vm-creation-governance-lock (BASELINE, see _common.sh), the checks of
# driftgate's D69 (gates/D069-*.yaml) as bash + yq, one yq call per field:
# every active VM of the shop site (proxmox_host == the site's proxmox_alias
# in topology.sites.yaml) has an ssh.targets entry (id = ssh_target, else
# hostname) whose host equals its lan_ip and whose tailscale_ip matches; a
# SERVICE_REGISTRY hosts entry whose tailscale_ip and vmid agree; a
# backup.inventory target on its cluster whose glob starts with
# vzdump-qemu-<id>- (vzdump-lxc-<id>- for LXC); and an enabled
# services.health endpoint on its ssh target unless health_probe_policy is none.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
vml="$B/vm.lifecycle.yaml"
top="$B/topology.sites.yaml"
ssh="$B/ssh.targets.yaml"
reg="$G/SERVICE_REGISTRY.yaml"
bak="$B/backup.inventory.yaml"
hlt="$B/services.health.yaml"
for f in "$vml" "$top" "$ssh" "$reg" "$bak" "$hlt"; do
  [[ -f "$f" ]] || { echo "D69 FAIL: missing ${f#$SPINE_ROOT/}"; exit 1; }
done

cluster="$($YQ -r '.sites[] | select(.id == "shop") | .proxmox_alias' "$top")"
fail=0
checked=0
count="$($YQ -r '.vms | length' "$vml")"
for ((i = 0; i < count; i++)); do
  status="$($YQ -r ".vms[$i].status" "$vml")"
  [[ "$status" == "active" ]] || continue
  px="$($YQ -r ".vms[$i].proxmox_host // empty" "$vml")"
  [[ "$px" == "$cluster" ]] || continue
  checked=$((checked + 1))
  id="$($YQ -r ".vms[$i].id // .vms[$i].vmid" "$vml")"
  host="$($YQ -r ".vms[$i].hostname" "$vml")"
  target="$($YQ -r ".vms[$i].ssh_target // .vms[$i].hostname" "$vml")"
  lan="$($YQ -r ".vms[$i].lan_ip // empty" "$vml")"
  ts="$($YQ -r ".vms[$i].tailscale_ip // empty" "$vml")"
  bt="$($YQ -r ".vms[$i].backup_target // empty" "$vml")"
  vmtype="$($YQ -r ".vms[$i].vm_type // empty" "$vml")"
  policy="$($YQ -r ".vms[$i].health_probe_policy // empty" "$vml")"

  # ssh target: host == lan_ip, tailscale_ip matches
  thost="$($YQ -r --arg t "$target" '[.ssh.targets[] | select(.id == $t) | .host] | first // empty' "$ssh")"
  tts="$($YQ -r --arg t "$target" '[.ssh.targets[] | select(.id == $t) | .tailscale_ip] | first // empty' "$ssh")"
  if [[ -z "$thost" ]]; then
    echo "D69 FAIL: VM $id ($host): no ssh target '$target'"; fail=1
  else
    [[ "$thost" == "$lan" ]] || { echo "D69 FAIL: VM $id ($host): ssh host $thost != lan_ip $lan"; fail=1; }
    [[ -z "$tts" || "$tts" == "$ts" ]] || { echo "D69 FAIL: VM $id ($host): ssh tailscale_ip $tts != $ts"; fail=1; }
  fi
  # SERVICE_REGISTRY hosts entry: tailscale_ip and vmid agree
  rts="$($YQ -r --arg h "$host" '.hosts[$h].tailscale_ip // empty' "$reg")"
  rid="$($YQ -r --arg h "$host" '.hosts[$h].vmid // empty' "$reg")"
  if [[ -z "$rts$rid" ]]; then
    echo "D69 FAIL: VM $id ($host): no SERVICE_REGISTRY hosts entry"; fail=1
  else
    [[ -z "$rts" || "$rts" == "$ts" ]] || { echo "D69 FAIL: VM $id ($host): registry tailscale_ip $rts != $ts"; fail=1; }
    [[ -z "$rid" || "$rid" == "$id" ]] || { echo "D69 FAIL: VM $id ($host): registry vmid $rid"; fail=1; }
  fi
  # backup target on the cluster with the right glob
  kind="qemu"; [[ "$vmtype" == "lxc" ]] && kind="lxc"
  bhost="$($YQ -r --arg n "$bt" '[.targets[] | select(.name == $n) | .host] | first // empty' "$bak")"
  bglob="$($YQ -r --arg n "$bt" '[.targets[] | select(.name == $n) | .glob] | first // empty' "$bak")"
  if [[ -z "$bhost" ]]; then
    echo "D69 FAIL: VM $id ($host): backup target '$bt' not in backup.inventory.yaml"; fail=1
  elif [[ "$bhost" != "$cluster" || "$bglob" != "vzdump-$kind-$id-"* ]]; then
    echo "D69 FAIL: VM $id ($host): backup target '$bt' is $bhost:$bglob"; fail=1
  fi
  # enabled health endpoint on the ssh target
  if [[ "$policy" != "none" ]]; then
    probes="$($YQ -r --arg t "$target" '[.endpoints[] | select(.host == $t and .enabled != false)] | length' "$hlt")"
    [[ "$probes" != "0" ]] || { echo "D69 FAIL: VM $id ($host): no enabled services.health endpoint on '$target'"; fail=1; }
  fi
done
[[ "$fail" == 0 ]] || exit 1
echo "D69 PASS: $checked active shop VMs are wired into every companion binding"
