//! D173 site-topology-parity-lock: every guest, SSH target and compose
//! target belongs to a site of topology.sites.yaml (site membership only;
//! VMID ranges are D406).
//!
//! - a site's `proxmox_alias` is an ssh.targets id;
//! - a VM's `proxmox_host` is some site's `proxmox_alias`, and its
//!   `site_scope` (when set) names that site;
//! - an ssh target maps to a site: it is a VM's ssh target (→ the VM's
//!   site), a site's proxmox_alias / tailscale_anchor, or carries a tag equal
//!   to a site id; when both a derived site and site tags exist they agree;
//! - site `compose_targets` exist in docker.compose.targets.yaml, every
//!   compose target is listed by exactly one site, and that site is the one
//!   its ssh target's VM runs on.

use super::common::*;
use crate::findings::Finding;
use crate::gates::{GateContext, NativeGate};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

pub struct SiteTopologyParity;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: SiteTopologyParity = SiteTopologyParity;

impl NativeGate for SiteTopologyParity {
    fn name(&self) -> &'static str {
        "site_topology_parity"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(topo) = spine_doc(cx, TOPOLOGY) else {
            return Ok(vec![missing_file(
                cx,
                TOPOLOGY,
                "nothing can be mapped to a site",
            )]);
        };
        let site_list = sites(&topo);
        let by_cluster = site_by_cluster(&site_list);
        let site_ids: HashSet<&str> = site_list.iter().map(|s| s.id.as_str()).collect();
        let vm_doc = spine_doc(cx, VM_LIFECYCLE);
        let all_vms = vm_doc.as_deref().map(vms).unwrap_or_default();
        let ssh_doc = spine_doc(cx, SSH_TARGETS);
        let ssh = ssh_doc.as_deref().map(ssh_targets);
        let compose_doc = spine_doc(cx, COMPOSE_TARGETS);
        let mut out = Vec::new();

        // ssh target id → the VM reached through it (live guests first).
        let mut vm_by_ssh: HashMap<&str, &Vm> = HashMap::new();
        let gone = |v: &Vm| matches!(v.status.as_deref(), Some("decommissioned" | "abandoned"));
        for v in all_vms
            .iter()
            .filter(|v| !gone(v))
            .chain(all_vms.iter().filter(|v| gone(v)))
        {
            if let Some(s) = v.ssh_target.as_deref() {
                vm_by_ssh.entry(s).or_insert(v);
            }
        }
        let mut hostname_count: HashMap<&str, usize> = HashMap::new();
        for v in &all_vms {
            if let Some(h) = v.hostname.as_deref() {
                *hostname_count.entry(h).or_default() += 1;
            }
        }
        let vm_for_target = |id: &str| -> Option<&Vm> {
            vm_by_ssh.get(id).copied().or_else(|| {
                (hostname_count.get(id) == Some(&1))
                    .then(|| all_vms.iter().find(|v| v.hostname.as_deref() == Some(id)))
                    .flatten()
            })
        };

        // 1. site proxmox_alias is an ssh target
        if let (Some(ssh), Some(sdoc)) = (&ssh, ssh_doc.as_deref()) {
            let ids = ssh.by_id();
            for s in &site_list {
                if let Some(a) = &s.proxmox_alias {
                    if !ids.contains_key(a.as_str()) {
                        out.push(
                            cx.finding(&topo, &s.ptr("proxmox_alias"), format!("site `{}` has proxmox_alias `{a}`, which ssh.targets.yaml does not define", s.id))
                                .with_subject(format!("site:{}", s.id))
                                .with_related(sdoc.location("/ssh/targets"), "ssh targets are declared here"),
                        );
                    }
                }
            }
        }

        // 2. VMs belong to a site
        if let Some(vdoc) = vm_doc.as_deref() {
            for v in &all_vms {
                match by_cluster.get(v.cluster.as_str()) {
                    None => out.push(
                        cx.finding(vdoc, &v.ptr("proxmox_host"), format!("{} runs on `{}`, which is not the proxmox_alias of any site in topology.sites.yaml", v.label(), v.cluster))
                            .with_subject(v.subject()),
                    ),
                    Some(site) => {
                        if let Some(scope) = &v.site_scope {
                            if scope != &site.id {
                                out.push(
                                    cx.finding(vdoc, &v.ptr("site_scope"), format!("{} has site_scope `{scope}`, but runs on {} (site `{}`)", v.label(), v.cluster, site.id))
                                        .with_subject(v.subject())
                                        .with_related(topo.location(&site.ptr("proxmox_alias")), format!("site `{}`", site.id)),
                                );
                            }
                        }
                    }
                }
            }
        }

        // 3. ssh targets belong to a site
        if let (Some(ssh), Some(sdoc)) = (&ssh, ssh_doc.as_deref()) {
            for t in &ssh.targets {
                let tag_sites: Vec<&str> = t
                    .tags
                    .iter()
                    .map(String::as_str)
                    .filter(|x| site_ids.contains(x))
                    .collect();
                let vm = vm_for_target(&t.id);
                let derived: Option<(&str, String)> = match vm {
                    Some(v) => by_cluster.get(v.cluster.as_str()).map(|s| {
                        (
                            s.id.as_str(),
                            format!("the ssh target of {} on {}", v.label(), v.cluster),
                        )
                    }),
                    None => site_list
                        .iter()
                        .find(|s| {
                            s.proxmox_alias.as_deref() == Some(t.id.as_str())
                                || s.tailscale_anchor.as_deref() == Some(t.id.as_str())
                        })
                        .map(|s| {
                            (
                                s.id.as_str(),
                                format!("the hypervisor or Tailscale anchor of site `{}`", s.id),
                            )
                        }),
                };
                let subject = format!("ssh_host:{}", t.id);
                match derived {
                    Some((site, why)) if !tag_sites.is_empty() && !tag_sites.contains(&site) => out.push(
                        cx.finding(sdoc, &t.ptr("tags"), format!("ssh target `{}` is tagged {} but is {why} (site `{site}`)", t.id, tag_sites.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")))
                            .with_subject(subject),
                    ),
                    Some(_) => {}
                    None if !tag_sites.is_empty() => {}
                    None if vm.is_some() => {} // its VM's cluster is reported above
                    None => out.push(
                        cx.finding(sdoc, &t.ptr(""), format!("ssh target `{}` belongs to no site: it is no VM's ssh target, no site's proxmox_alias or tailscale_anchor, and none of its tags names a site", t.id))
                            .with_subject(subject),
                    ),
                }
            }
        }

        // 4. compose targets ↔ site compose_targets
        let Some(cdoc) = compose_doc.as_deref() else {
            out.push(missing_file(
                cx,
                COMPOSE_TARGETS,
                "site compose_targets cannot be checked",
            ));
            return Ok(out);
        };
        let compose = cdoc
            .value()
            .and_then(|v| v.get("targets"))
            .and_then(Value::as_object);
        let mut listed: HashMap<&str, (&Site, usize)> = HashMap::new();
        for s in &site_list {
            for (j, name) in &s.compose_targets {
                let p = format!("{}/{j}", s.ptr("compose_targets"));
                let subject = format!("compose_target:{name}");
                let Some(ct) = compose.and_then(|c| c.get(name)) else {
                    out.push(
                        cx.finding(&topo, &p, format!("site `{}` lists compose target `{name}`, which docker.compose.targets.yaml does not define", s.id))
                            .with_subject(subject),
                    );
                    continue;
                };
                if let Some((other, k)) = listed.get(name.as_str()) {
                    out.push(
                        cx.finding(
                            &topo,
                            &p,
                            format!(
                                "compose target `{name}` is listed by both site `{}` and site `{}`",
                                other.id, s.id
                            ),
                        )
                        .with_subject(subject)
                        .with_related(
                            topo.location(&format!("{}/{k}", other.ptr("compose_targets"))),
                            format!("listed by site `{}`", other.id),
                        ),
                    );
                    continue;
                }
                listed.insert(name, (s, *j));
                let sid = text(ct.get("ssh_target")).unwrap_or_else(|| name.clone());
                if let Some(v) = vm_for_target(&sid) {
                    if let Some(vsite) = by_cluster.get(v.cluster.as_str()) {
                        if vsite.id != s.id {
                            out.push(
                                cx.finding(&topo, &p, format!("site `{}` lists compose target `{name}`, but its ssh target `{sid}` is {} on {} (site `{}`)", s.id, v.label(), v.cluster, vsite.id))
                                    .with_subject(subject),
                            );
                        }
                    }
                }
            }
        }
        for name in compose.map(|c| c.keys()).into_iter().flatten() {
            if !listed.contains_key(name.as_str())
                && !site_list
                    .iter()
                    .any(|s| s.compose_targets.iter().any(|(_, n)| n == name))
            {
                out.push(
                    cx.finding(cdoc, &ptr(&["targets", name]), format!("compose target `{name}` is not listed in the compose_targets of any site in topology.sites.yaml"))
                        .with_subject(format!("compose_target:{name}")),
                );
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const TOPO: &str = "sites:\n  - id: shop\n    status: active\n    proxmox_alias: pve\n    compose_targets: [immich]\n  - id: home\n    status: active\n    proxmox_alias: proxmox-home\n    tailscale_anchor: proxmox-home\n    compose_targets: [immich-home]\n";
    const VMS: &str = "vms:\n  - id: 203\n    hostname: immich\n    proxmox_host: pve\n    status: active\n    ssh_target: immich\n  - id: 101\n    hostname: immich\n    proxmox_host: proxmox-home\n    status: active\n    ssh_target: immich-home\n    site_scope: home\n";
    const SSH: &str = "ssh:\n  targets:\n    - id: pve\n      host: a\n      tags: [shop]\n    - id: proxmox-home\n      host: b\n    - id: immich\n      host: c\n      tags: [photos, shop]\n    - id: immich-home\n      host: d\n      tags: [home]\n    - id: nas\n      host: e\n      tags: [storage, home]\n";
    const COMPOSE: &str = "targets:\n  immich:\n    ssh_target: immich\n  immich-home:\n    ssh_target: immich-home\n";

    fn run(topo: &str, vms: &str, ssh: &str, compose: &str) -> Vec<Finding> {
        findings(run_gate(
            "D173",
            &[
                (TOPOLOGY, topo),
                (VM_LIFECYCLE, vms),
                (SSH_TARGETS, ssh),
                (COMPOSE_TARGETS, compose),
            ],
            None,
            None,
        ))
    }

    #[test]
    fn consistent_topology_passes() {
        let f = run(TOPO, VMS, SSH, COMPOSE);
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn membership_drift_is_reported_where_it_is() {
        let topo = TOPO
            .replace(
                "compose_targets: [immich]",
                "compose_targets: [immich-home, ghost]",
            )
            .replace("compose_targets: [immich-home]", "compose_targets: []");
        let vms = format!(
            "{VMS}  - id: 102\n    hostname: vw\n    proxmox_host: pve-shop\n    status: active\n"
        );
        let ssh = SSH.replace("tags: [home]", "tags: [shop]") + "    - id: orphan\n      host: f\n";
        let f = run(&topo, &vms, &ssh, COMPOSE);
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
                (VM_LIFECYCLE, 15, "vm:pve-shop/102"),
                (SSH_TARGETS, 13, "ssh_host:immich-home"),
                (SSH_TARGETS, 17, "ssh_host:orphan"),
                (TOPOLOGY, 5, "compose_target:immich-home"),
                (TOPOLOGY, 5, "compose_target:ghost"),
                (COMPOSE_TARGETS, 2, "compose_target:immich"),
            ],
            "{:#?}",
            summary(&f)
        );
        assert_eq!(f[0].code, "D173");
        assert_eq!(f[1].message, "ssh target `immich-home` is tagged `shop` but is the ssh target of VM 101 (immich) on proxmox-home (site `home`)");
        assert_eq!(f[3].message, "site `shop` lists compose target `immich-home`, but its ssh target `immich-home` is VM 101 (immich) on proxmox-home (site `home`)");
    }

    #[test]
    fn alias_missing_from_ssh_targets_and_wrong_site_scope() {
        let vms = VMS.replace("site_scope: home", "site_scope: shop");
        let ssh = SSH.replace(
            "- id: proxmox-home\n      host: b\n",
            "- id: beelink\n      host: b\n      tags: [home]\n",
        );
        let f = run(TOPO, &vms, &ssh, COMPOSE);
        let msgs: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            msgs,
            vec![
                "site `home` has proxmox_alias `proxmox-home`, which ssh.targets.yaml does not define",
                "VM 101 (immich) has site_scope `shop`, but runs on proxmox-home (site `home`)",
            ]
        );
        assert_eq!(f[1].location.line(), 12);
    }
}
