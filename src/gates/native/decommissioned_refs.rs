//! D400 decommissioned-vm-not-referenced: a decommissioned guest
//! (`gate_options.D400.statuses`, default `decommissioned`) is no longer
//! referenced by an ssh target, an enabled compose target, an enabled
//! health probe, an enabled backup target, or startup sequencing.
//!
//! A guest is known by its `ssh_target` and hostname, except names that a
//! live guest uses as its own `ssh_target` (hostnames repeat across
//! clusters). Backup targets match by glob prefix `vzdump-<kind>-<id>-` on
//! the guest's cluster (or a non-cluster host such as the NAS). Startup
//! references: the cluster block whose `host_id` is the guest's cluster
//! (`active_vm_ids`, `startup_order`, `shutdown_order`) and phase hosts'
//! `vm_ids` / `lxc_ids` of phases of the guest's site (or untagged phases).
//! One finding per reference, at the reference, with the guest as related.

use super::common::*;
use super::vm_creation_lock::vzdump_prefix_of;
use crate::findings::Finding;
use crate::gates::{GateContext, NativeGate};
use serde_json::Value;
use std::collections::HashSet;

pub struct DecommissionedRefs;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: DecommissionedRefs = DecommissionedRefs;

impl NativeGate for DecommissionedRefs {
    fn name(&self) -> &'static str {
        "decommissioned_refs"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(vm_doc) = spine_doc(cx, VM_LIFECYCLE) else {
            return Ok(Vec::new());
        };
        let statuses = opt_list(cx, "statuses").unwrap_or_else(|| vec!["decommissioned".into()]);
        let all = vms(&vm_doc);
        let dead: Vec<&Vm> = all
            .iter()
            .filter(|v| v.status.as_ref().is_some_and(|s| statuses.contains(s)))
            .collect();
        if dead.is_empty() {
            return Ok(Vec::new());
        }
        let live_ssh: HashSet<&str> = all
            .iter()
            .filter(|v| !v.status.as_ref().is_some_and(|s| statuses.contains(s)))
            .filter_map(|v| v.ssh_target.as_deref())
            .collect();
        let clusters: HashSet<&str> = all.iter().map(|v| v.cluster.as_str()).collect();
        let topo = spine_doc(cx, TOPOLOGY);
        let site_list = topo.as_deref().map(sites).unwrap_or_default();
        let by_cluster = site_by_cluster(&site_list);

        let ssh_doc = spine_doc(cx, SSH_TARGETS);
        let compose_doc = spine_doc(cx, COMPOSE_TARGETS);
        let health_doc = spine_doc(cx, SERVICES_HEALTH);
        let bak_doc = spine_doc(cx, BACKUP_INVENTORY);
        let seq_doc = spine_doc(cx, STARTUP);

        let mut out = Vec::new();
        for vm in dead {
            let names: HashSet<&str> = [vm.ssh_target.as_deref(), vm.hostname.as_deref()]
                .into_iter()
                .flatten()
                .filter(|n| !live_ssh.contains(n))
                .collect();
            let label = vm.label();
            let status = vm.status.clone().unwrap_or_default();
            let related = vm_doc.location(&vm.ptr("status"));
            let rel_msg = format!("{label} is {status} here");
            let mut push = |f: Finding| {
                out.push(
                    f.with_subject(vm.subject())
                        .with_related(related.clone(), rel_msg.clone()),
                )
            };

            if let Some(d) = ssh_doc.as_deref() {
                for t in ssh_targets(d).targets {
                    if names.contains(t.id.as_str()) {
                        push(cx.finding(
                            d,
                            &t.ptr(""),
                            format!(
                                "ssh target `{}` still points at {label}, which is {status}",
                                t.id
                            ),
                        ));
                    }
                }
            }

            if let Some(d) = compose_doc.as_deref() {
                if let Some(map) = d
                    .value()
                    .and_then(|v| v.get("targets"))
                    .and_then(Value::as_object)
                {
                    for (name, ct) in map {
                        let sid = text(ct.get("ssh_target"));
                        if enabled(ct)
                            && (names.contains(name.as_str())
                                || sid.as_deref().is_some_and(|s| names.contains(s)))
                        {
                            push(cx.finding(d, &ptr(&["targets", name]), format!("compose target `{name}` is enabled but runs on {label}, which is {status}")));
                        }
                    }
                }
            }

            if let Some(d) = health_doc.as_deref() {
                for (i, e) in items(d.value(), "endpoints").iter().enumerate() {
                    let host = text(e.get("host"));
                    if enabled(e) && host.as_deref().is_some_and(|h| names.contains(h)) {
                        let which = match text(e.get("id")) {
                            Some(id) => format!("`{id}`"),
                            None => {
                                format!("#{} ({})", i + 1, text(e.get("url")).unwrap_or_default())
                            }
                        };
                        push(cx.finding(d, &format!("/endpoints/{i}"), format!("health probe {which} is still enabled for {label}, which is {status}")));
                    }
                }
            }

            if let (Some(d), Some(prefix)) = (bak_doc.as_deref(), vm.vzdump_prefix()) {
                for b in backup_targets(d) {
                    let same_cluster = b
                        .host
                        .as_deref()
                        .is_none_or(|h| h == vm.cluster || !clusters.contains(h));
                    if b.enabled
                        && same_cluster
                        && b.glob.as_deref().and_then(vzdump_prefix_of).as_deref()
                            == Some(prefix.as_str())
                    {
                        push(cx.finding(d, &b.ptr(""), format!("backup target `{}` is still enabled for {label}, which is {status}", b.name)));
                    }
                }
            }

            if let (Some(d), Some(id)) = (seq_doc.as_deref(), vm.id) {
                let Some(root) = d.value().and_then(Value::as_object) else {
                    continue;
                };
                for (key, block) in root {
                    if text(block.get("host_id")).as_deref() != Some(vm.cluster.as_str()) {
                        continue;
                    }
                    for list in ["active_vm_ids", "startup_order", "shutdown_order"] {
                        for (j, x) in items(Some(block), list).iter().enumerate() {
                            if int(Some(x)) == Some(id) {
                                push(cx.finding(
                                    d,
                                    &ptr(&[key, list, &j.to_string()]),
                                    format!("{label} is {status} but still listed in {key}.{list}"),
                                ));
                            }
                        }
                    }
                }
                let vm_site = by_cluster.get(vm.cluster.as_str()).map(|s| s.id.as_str());
                for (i, p) in items(d.value(), "phases").iter().enumerate() {
                    let psite = text(p.get("site"));
                    if psite.is_some() && vm_site.is_some() && psite.as_deref() != vm_site {
                        continue;
                    }
                    let num = text(p.get("phase")).unwrap_or_else(|| format!("#{}", i + 1));
                    for (h, host) in items(Some(p), "hosts").iter().enumerate() {
                        for list in ["vm_ids", "lxc_ids"] {
                            for (j, x) in items(Some(host), list).iter().enumerate() {
                                if int(Some(x)) == Some(id) {
                                    push(cx.finding(
                                        d,
                                        &format!("/phases/{i}/hosts/{h}/{list}/{j}"),
                                        format!("{label} is {status} but phase {num} still starts it ({list})"),
                                    ));
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const VMS: &str = "vms:\n  - id: 201\n    hostname: media-stack\n    proxmox_host: pve\n    status: decommissioned\n    ssh_target: media-stack\n  - id: 101\n    hostname: immich\n    proxmox_host: proxmox-home\n    status: decommissioned\n    ssh_target: immich\n  - id: 203\n    hostname: immich\n    proxmox_host: pve\n    status: active\n    ssh_target: immich\n";
    const TOPO: &str = "sites:\n  - id: shop\n    proxmox_alias: pve\n  - id: home\n    proxmox_alias: proxmox-home\n";

    fn files(ssh: &str, compose: &str, health: &str, bak: &str, seq: &str) -> Vec<Finding> {
        findings(run_gate(
            "D400",
            &[
                (VM_LIFECYCLE, VMS),
                (TOPOLOGY, TOPO),
                (SSH_TARGETS, ssh),
                (COMPOSE_TARGETS, compose),
                (SERVICES_HEALTH, health),
                (BACKUP_INVENTORY, bak),
                (STARTUP, seq),
            ],
            None,
            None,
        ))
    }

    const CLEAN_SSH: &str = "ssh:\n  targets:\n    - id: immich\n      host: a\n";
    const CLEAN_COMPOSE: &str = "targets:\n  media-stack:\n    ssh_target: media-stack\n    enabled: false\n  immich:\n    ssh_target: immich\n";
    const CLEAN_HEALTH: &str = "endpoints:\n  - id: jf\n    host: media-stack\n    enabled: false\n  - id: im\n    host: immich\n";
    const CLEAN_BAK: &str = "targets:\n  - name: vm-201-final\n    enabled: false\n    host: pve\n    glob: vzdump-qemu-201-*.vma.zst\n  - name: shop-101\n    enabled: true\n    host: pve\n    glob: vzdump-qemu-101-*.vma.zst\n";
    const CLEAN_SEQ: &str = "shop:\n  host_id: pve\n  active_vm_ids: [203]\n  destroyed_vm_ids: [201]\n  startup_order: [203]\nhome:\n  host_id: proxmox-home\n  active_vm_ids: []\nphases:\n  - phase: 1\n    site: shop\n    hosts:\n      - target: pve\n        vm_ids: [203, 101]\n";

    #[test]
    fn disabled_or_live_references_pass() {
        let f = files(CLEAN_SSH, CLEAN_COMPOSE, CLEAN_HEALTH, CLEAN_BAK, CLEAN_SEQ);
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn every_live_reference_is_a_finding_at_the_reference() {
        let ssh = "ssh:\n  targets:\n    - id: immich\n      host: a\n    - id: media-stack\n      host: b\n";
        let compose = CLEAN_COMPOSE.replace("    enabled: false\n", "");
        let health = CLEAN_HEALTH.replace("    enabled: false\n", "    enabled: true\n");
        let bak = CLEAN_BAK.replacen("enabled: false", "enabled: true", 1);
        let seq = CLEAN_SEQ
            .replace("startup_order: [203]", "startup_order: [203, 201]")
            .replace("active_vm_ids: []", "active_vm_ids: [101]")
            .replace("phase: 1\n    site: shop", "phase: 1");
        let f = files(ssh, &compose, &health, &bak, &seq);
        let got: Vec<(&str, usize, &str)> = f
            .iter()
            .map(|f| {
                (
                    f.location.path.as_str(),
                    f.location.line(),
                    f.subject.as_deref().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (SSH_TARGETS, 5, "vm:pve/201"),
                (COMPOSE_TARGETS, 2, "vm:pve/201"),
                (SERVICES_HEALTH, 2, "vm:pve/201"),
                (BACKUP_INVENTORY, 2, "vm:pve/201"),
                (STARTUP, 5, "vm:pve/201"),
                (STARTUP, 8, "vm:proxmox-home/101"),
                (STARTUP, 13, "vm:proxmox-home/101"),
            ],
            "{:#?}",
            summary(&f)
        );
        assert_eq!(f[0].code, "D400");
        assert_eq!(f[0].message, "ssh target `media-stack` still points at VM 201 (media-stack), which is decommissioned");
        assert_eq!(
            f[2].message,
            "health probe `jf` is still enabled for VM 201 (media-stack), which is decommissioned"
        );
        assert_eq!(
            f[4].message,
            "VM 201 (media-stack) is decommissioned but still listed in shop.startup_order"
        );
        assert_eq!(
            f[6].message,
            "VM 101 (immich) is decommissioned but phase 1 still starts it (vm_ids)"
        );
        assert_eq!(f[0].related[0].location.path, VM_LIFECYCLE);
        assert_eq!(f[0].related[0].location.line(), 5);
    }
}
