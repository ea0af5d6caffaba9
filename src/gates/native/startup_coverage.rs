//! D403 startup-sequencing-coverage: startup.sequencing.yaml covers every
//! active guest, QEMU VMs **and LXC containers**, references only known
//! guests, and its orders are consistent. Driftgate's own check: the
//! registry has no D403 script.
//!
//! Cluster blocks are the top-level mappings with a `host_id` (the
//! `*_vm_lifecycle` blocks); a phase belongs to the cluster of its `site`
//! (topology.sites.yaml proxmox_alias). Checks:
//! - every active guest of vm.lifecycle.yaml is ordered: listed by its
//!   cluster block's `startup_order` (the spine's authoritative order; its
//!   shop phases list only stacks by target) or by a phase host of its
//!   cluster in `vm_ids`/`lxc_ids` (either list: the maintenance runner asks
//!   the host whether an ID is qm or pct) — and is in its cluster block's
//!   `active_vm_ids`;
//! - every ID in phase lists and cluster lists (`active_vm_ids`,
//!   `startup_order`, `shutdown_order`, `destroyed_vm_ids`,
//!   `template_vm_ids`) exists on that cluster; `active_vm_ids` holds only
//!   active guests (decommissioned ones are D400's);
//! - `startup_order` has no duplicates and the same members as
//!   `active_vm_ids`; `shutdown_order` is its reverse;
//! - phases are strictly increasing in file order, and `startup_order`
//!   never starts a guest before one of an earlier phase (the order must
//!   be a linearisation of the phases: no ordering cycle between the two).
//!
//! The fixture declares no per-host dependencies, so the cycle check is the
//! phase ⇄ startup_order consistency above.

use super::common::*;
use crate::findings::Finding;
use crate::gates::{GateContext, NativeGate};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

pub struct StartupCoverage;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: StartupCoverage = StartupCoverage;

const CLUSTER_LISTS: [&str; 5] = [
    "active_vm_ids",
    "startup_order",
    "shutdown_order",
    "destroyed_vm_ids",
    "template_vm_ids",
];

/// (pointer, id) of every integer in a list.
fn ids_of(v: Option<&Value>, base: &str) -> Vec<(String, i64)> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .enumerate()
                .filter_map(|(j, x)| int(Some(x)).map(|id| (format!("{base}/{j}"), id)))
                .collect()
        })
        .unwrap_or_default()
}

impl NativeGate for StartupCoverage {
    fn name(&self) -> &'static str {
        "startup_coverage"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(vm_doc) = spine_doc(cx, VM_LIFECYCLE) else {
            return Ok(Vec::new());
        };
        let Some(seq) = spine_doc(cx, STARTUP) else {
            return Ok(vec![missing_file(
                cx,
                STARTUP,
                "active guests have no startup order",
            )]);
        };
        let all = vms(&vm_doc);
        let mut by_key: HashMap<(&str, i64), &Vm> = HashMap::new();
        for v in &all {
            if let Some(id) = v.id {
                by_key.entry((v.cluster.as_str(), id)).or_insert(v);
            }
        }
        let topo = spine_doc(cx, TOPOLOGY);
        let site_list = topo.as_deref().map(sites).unwrap_or_default();
        let cluster_of_site: HashMap<&str, &str> = site_list
            .iter()
            .filter_map(|s| Some((s.id.as_str(), s.proxmox_alias.as_deref()?)))
            .collect();
        let root = seq.value().and_then(Value::as_object);
        let mut out = Vec::new();
        let vm_at = |v: &Vm, msg: String| {
            cx.finding(&vm_doc, &v.ptr(""), msg)
                .with_subject(v.subject())
        };

        // Cluster blocks.
        let mut blocks: HashMap<String, (&str, &Value)> = HashMap::new();
        for (key, block) in root.into_iter().flatten() {
            if let Some(c) = text(block.get("host_id")) {
                blocks.entry(c).or_insert((key.as_str(), block));
            }
        }

        // Phase lists: which guests each cluster's phases list, and where.
        // (cluster, id) → (phase number, pointer, list name)
        let mut listed: HashMap<(String, i64), (f64, String, &str)> = HashMap::new();
        let mut last_phase: Option<(f64, String)> = None;
        // Where a missing guest would go: (cluster, list) → (pointer, label).
        let mut anchors: HashMap<(String, &str), (String, String)> = HashMap::new();
        for (i, p) in items(seq.value(), "phases").iter().enumerate() {
            let num_text = text(p.get("phase")).unwrap_or_else(|| format!("#{}", i + 1));
            let num = p.get("phase").and_then(Value::as_f64);
            if let Some(n) = num {
                if let Some((prev, prev_text)) = &last_phase {
                    if n <= *prev {
                        out.push(
                            cx.finding(&seq, &format!("/phases/{i}/phase"), format!("phase {num_text} comes after phase {prev_text}; phases must be strictly increasing"))
                                .with_subject(format!("file:{STARTUP}")),
                        );
                    }
                }
                last_phase = Some((n, num_text.clone()));
            }
            let cluster = text(p.get("site"))
                .and_then(|s| cluster_of_site.get(s.as_str()).map(|c| c.to_string()));
            if let Some(c) = &cluster {
                for (h, host) in items(Some(p), "hosts").iter().enumerate() {
                    for list in ["vm_ids", "lxc_ids"] {
                        if host.get(list).is_some() {
                            anchors.entry((c.clone(), list)).or_insert((
                                format!("/phases/{i}/hosts/{h}/{list}"),
                                format!("phase {num_text} {list}"),
                            ));
                        }
                    }
                }
                anchors
                    .entry((c.clone(), "phase"))
                    .or_insert((format!("/phases/{i}"), format!("phase {num_text}")));
            }
            for (h, host) in items(Some(p), "hosts").iter().enumerate() {
                for list in ["vm_ids", "lxc_ids"] {
                    for (pointer, id) in
                        ids_of(host.get(list), &format!("/phases/{i}/hosts/{h}/{list}"))
                    {
                        // Untagged phases: match the ID on any cluster.
                        let matches: Vec<&Vm> = match &cluster {
                            Some(c) => by_key.get(&(c.as_str(), id)).copied().into_iter().collect(),
                            None => all.iter().filter(|v| v.id == Some(id)).collect(),
                        };
                        if matches.is_empty() {
                            let on = cluster
                                .as_deref()
                                .map(|c| format!(" on {c}"))
                                .unwrap_or_default();
                            out.push(
                                cx.finding(&seq, &pointer, format!("phase {num_text} lists guest {id} in {list}, which vm.lifecycle.yaml does not have{on}"))
                                    .with_subject(format!("vm:{}/{id}", cluster.as_deref().unwrap_or("?"))),
                            );
                            continue;
                        }
                        for v in matches {
                            listed.entry((v.cluster.clone(), id)).or_insert((
                                num.unwrap_or(f64::MAX),
                                pointer.clone(),
                                list,
                            ));
                        }
                    }
                }
            }
        }

        // Cluster block lists.
        for (cluster, (key, block)) in sorted(&blocks) {
            for list in CLUSTER_LISTS {
                for (pointer, id) in ids_of(block.get(list), &ptr(&[key, list])) {
                    match by_key.get(&(cluster.as_str(), id)) {
                        None => out.push(
                            cx.finding(&seq, &pointer, format!("{key}.{list} lists guest {id}, which vm.lifecycle.yaml does not have on {cluster}"))
                                .with_subject(format!("vm:{cluster}/{id}")),
                        ),
                        Some(v) if list == "active_vm_ids" && !v.has_status("active") && !v.has_status("decommissioned") => out.push(
                            cx.finding(&seq, &pointer, format!("{key}.active_vm_ids lists {}, whose status is {}", v.label(), v.status.as_deref().unwrap_or("unset")))
                                .with_subject(v.subject())
                                .with_related(vm_doc.location(&v.ptr("status")), "status"),
                        ),
                        Some(_) => {}
                    }
                }
            }
            let start = ids_of(block.get("startup_order"), &ptr(&[key, "startup_order"]));
            let active: HashSet<i64> = ids_of(block.get("active_vm_ids"), "")
                .into_iter()
                .map(|(_, id)| id)
                .collect();
            let mut seen: HashMap<i64, String> = HashMap::new();
            let mut max_phase: Option<(f64, i64)> = None;
            for (pointer, id) in &start {
                if seen.insert(*id, pointer.clone()).is_some() {
                    out.push(
                        cx.finding(
                            &seq,
                            pointer,
                            format!("{key}.startup_order lists guest {id} twice"),
                        )
                        .with_subject(format!("vm:{cluster}/{id}")),
                    );
                    continue;
                }
                if block.get("active_vm_ids").is_some() && !active.contains(id) {
                    out.push(
                        cx.finding(&seq, pointer, format!("{key}.startup_order lists guest {id}, which is not in {key}.active_vm_ids"))
                            .with_subject(format!("vm:{cluster}/{id}")),
                    );
                }
                if let Some((phase, _, _)) = listed.get(&(cluster.clone(), *id)) {
                    match max_phase {
                        Some((mp, other)) if *phase < mp => out.push(
                            cx.finding(&seq, pointer, format!("{key}.startup_order starts guest {id} (phase {phase}) after guest {other} (phase {mp}); the order contradicts the phases"))
                                .with_subject(format!("vm:{cluster}/{id}")),
                        ),
                        Some((mp, _)) if *phase == mp => {}
                        _ => max_phase = Some((*phase, *id)),
                    }
                }
            }
            if block.get("startup_order").is_some() {
                let mut missing: Vec<i64> = active
                    .iter()
                    .copied()
                    .filter(|id| !seen.contains_key(id))
                    .collect();
                missing.sort_unstable();
                for id in missing {
                    out.push(
                        cx.finding(&seq, &ptr(&[key, "startup_order"]), format!("{key}.startup_order does not list guest {id}, which is in {key}.active_vm_ids"))
                            .with_subject(format!("vm:{cluster}/{id}")),
                    );
                }
            }
            if let Some(shut) = block.get("shutdown_order") {
                let shut: Vec<i64> = ids_of(Some(shut), "")
                    .into_iter()
                    .map(|(_, id)| id)
                    .collect();
                // The spine's rule: "shutdown_order: reverse of startup, with
                // exceptions noted" -- the order may differ, the members may not.
                let starts: std::collections::BTreeSet<i64> =
                    start.iter().map(|(_, id)| *id).collect();
                let shuts: std::collections::BTreeSet<i64> = shut.iter().copied().collect();
                if block.get("startup_order").is_some() && starts != shuts {
                    let missing: Vec<i64> = starts.difference(&shuts).copied().collect();
                    let extra: Vec<i64> = shuts.difference(&starts).copied().collect();
                    out.push(
                        cx.finding(&seq, &ptr(&[key, "shutdown_order"]), format!("{key}.shutdown_order does not stop the guests startup_order starts (missing {missing:?}, extra {extra:?})"))
                            .with_subject(format!("site:{}", site_of(&site_list, cluster).unwrap_or(cluster.as_str()))),
                    );
                }
            }
        }

        // Coverage of active guests.
        for v in all.iter().filter(|v| v.has_status("active")) {
            let Some(id) = v.id else { continue };
            let want = if v.is_lxc { "lxc_ids" } else { "vm_ids" };
            // The cluster block's startup_order is the authoritative order
            // (the spine orders shop VMs there, with stack-only phases).
            let ordered = blocks.get(&v.cluster).is_some_and(|(_, block)| {
                ids_of(block.get("startup_order"), "")
                    .iter()
                    .any(|(_, x)| *x == id)
            });
            // With a cluster block, a guest in no order is "unordered"
            // (started and stopped last), which the spine's rules allow.
            let has_block = blocks.contains_key(&v.cluster);
            if !has_block && !ordered && !listed.contains_key(&(v.cluster.clone(), id)) {
                let (rp, rm) = anchors
                    .get(&(v.cluster.clone(), want))
                    .or_else(|| anchors.get(&(v.cluster.clone(), "phase")))
                    .cloned()
                    .unwrap_or_else(|| ("/phases".into(), "startup phases".into()));
                out.push(
                    vm_at(v, format!("{} is active but neither its cluster block's startup_order nor a startup phase lists it; it would not come back after a power cycle", v.label()))
                        .with_related(seq.location(&rp), rm),
                );
            }
            match blocks.get(&v.cluster) {
                Some((key, block)) => {
                    let active = ids_of(block.get("active_vm_ids"), "");
                    if !active.iter().any(|(_, x)| *x == id) {
                        out.push(
                            vm_at(
                                v,
                                format!("{} is active but not in {key}.active_vm_ids", v.label()),
                            )
                            .with_related(
                                seq.location(&ptr(&[key, "active_vm_ids"])),
                                format!("{key}.active_vm_ids"),
                            ),
                        );
                    }
                }
                None => out.push(vm_at(
                    v,
                    format!(
                        "{} is active but startup.sequencing.yaml has no block with host_id {}",
                        v.label(),
                        v.cluster
                    ),
                )),
            }
        }
        Ok(out)
    }
}

fn site_of<'a>(sites: &'a [Site<'a>], cluster: &str) -> Option<&'a str> {
    sites
        .iter()
        .find(|s| s.proxmox_alias.as_deref() == Some(cluster))
        .map(|s| s.id.as_str())
}

fn sorted<V>(m: &HashMap<String, V>) -> Vec<(&String, &V)> {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const TOPO: &str = "sites:\n  - id: shop\n    proxmox_alias: pve\n  - id: home\n    proxmox_alias: proxmox-home\n";
    const VMS: &str = "vms:\n  - id: 204\n    hostname: infra-core\n    proxmox_host: pve\n    status: active\n  - id: 205\n    hostname: observability\n    proxmox_host: pve\n    status: active\n  - id: 100\n    hostname: ha\n    proxmox_host: proxmox-home\n    status: active\n  - id: 105\n    hostname: pihole-home\n    proxmox_host: proxmox-home\n    status: active\n    vm_type: lxc\n  - id: 103\n    hostname: dl\n    proxmox_host: proxmox-home\n    status: stopped\n    vm_type: lxc\n";
    const SEQ: &str = "shop_vm_lifecycle:\n  host_id: pve\n  active_vm_ids: [204, 205]\n  startup_order: [204, 205]\n  shutdown_order: [205, 204]\nhome_vm_lifecycle:\n  host_id: proxmox-home\n  active_vm_ids: [100, 105]\n  startup_order: [100, 105]\n  shutdown_order: [105, 100]\nphases:\n  - phase: 1\n    site: shop\n    hosts:\n      - target: infra-core\n        vm_ids: [204]\n  - phase: 2\n    site: shop\n    hosts:\n      - target: observability\n        vm_ids: [205]\n  - phase: 10\n    site: home\n    hosts:\n      - target: proxmox-home\n        vm_ids: [100]\n        lxc_ids: [105]\n";

    fn run(seq: &str) -> Vec<Finding> {
        findings(run_gate(
            "D403",
            &[(TOPOLOGY, TOPO), (VM_LIFECYCLE, VMS), (STARTUP, seq)],
            None,
            None,
        ))
    }

    #[test]
    fn complete_sequencing_passes() {
        let f = run(SEQ);
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn guest_ordered_by_its_cluster_block_needs_no_phase_ids() {
        // The spine's shop phases list stacks by target; the VMs are ordered
        // in shop_vm_lifecycle.startup_order only.
        let seq = SEQ
            .replace("        vm_ids: [204]\n", "        stacks: [secrets]\n")
            .replace("        vm_ids: [205]\n", "        stacks: [grafana]\n");
        let f = run(&seq);
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn lxc_in_vm_ids_is_accepted() {
        // The maintenance runner asks the host whether an ID is qm or pct.
        let f = run(&SEQ.replace("vm_ids: [100]\n        lxc_ids: [105]", "vm_ids: [100, 105]"));
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn an_unordered_guest_is_allowed_with_a_cluster_block_but_not_without() {
        // The spine's rules: "VMs not in the ordered list are treated as
        // unordered (started/stopped last)". Only the cluster block's own
        // lists must agree.
        let seq = SEQ
            .replace("lxc_ids: [105]", "lxc_ids: []")
            .replace(
                "startup_order: [100, 105]\n  shutdown_order: [105, 100]",
                "startup_order: [100]\n  shutdown_order: [100]",
            );
        let f = run(&seq);
        assert!(
            !f.iter().any(|f| f.location.path == VM_LIFECYCLE),
            "{:?}",
            summary(&f)
        );
        assert!(f.iter().any(|f| f.message
            == "home_vm_lifecycle.startup_order does not list guest 105, which is in home_vm_lifecycle.active_vm_ids"));
        // Without a home cluster block, an unlisted guest is reported at
        // the guest, with the phase's lxc_ids as related.
        let start = seq.find("home_vm_lifecycle:").expect("block");
        let end = seq.find("phases:").expect("phases");
        let no_block = format!("{}{}", &seq[..start], &seq[end..]);
        let f = run(&no_block);
        let at_guest: Vec<&Finding> = f
            .iter()
            .filter(|f| f.location.path == VM_LIFECYCLE && f.message.contains("neither"))
            .collect();
        assert_eq!(at_guest.len(), 1, "{:?}", summary(&f));
        assert_eq!(at_guest[0].subject.as_deref(), Some("vm:proxmox-home/105"));
        assert!(at_guest[0].message.starts_with(
            "LXC 105 (pihole-home) is active but neither its cluster block's startup_order nor a startup phase lists it"
        ));
        assert_eq!(at_guest[0].related[0].location.path, STARTUP);
    }

    #[test]
    fn wrong_list_unknown_ids_and_order_problems() {
        let seq = SEQ
            .replace(
                "vm_ids: [100]\n        lxc_ids: [105]",
                "vm_ids: [100, 105, 999]",
            )
            .replace(
                "startup_order: [204, 205]\n  shutdown_order: [205, 204]",
                "startup_order: [205, 204, 205]\n  shutdown_order: [205, 204]",
            )
            .replace(
                "active_vm_ids: [100, 105]",
                "active_vm_ids: [100, 105, 103]",
            );
        let f = run(&seq);
        let got: Vec<(usize, &str)> = f
            .iter()
            .map(|f| (f.location.line(), f.message.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (26, "phase 10 lists guest 999 in vm_ids, which vm.lifecycle.yaml does not have on proxmox-home"),
                (8, "home_vm_lifecycle.active_vm_ids lists LXC 103 (dl), whose status is stopped"),
                (9, "home_vm_lifecycle.startup_order does not list guest 103, which is in home_vm_lifecycle.active_vm_ids"),
                (4, "shop_vm_lifecycle.startup_order starts guest 204 (phase 1) after guest 205 (phase 2); the order contradicts the phases"),
                (4, "shop_vm_lifecycle.startup_order lists guest 205 twice"),

            ],
            "{:#?}",
            summary(&f)
        );
    }

    #[test]
    fn phases_must_increase() {
        let f = run(&SEQ.replace("phase: 10", "phase: 2"));
        assert_eq!(f.len(), 1, "{:?}", summary(&f));
        assert_eq!(f[0].location.line(), 22);
        assert_eq!(
            f[0].subject.as_deref(),
            Some("file:ops/bindings/startup.sequencing.yaml")
        );
    }
}
