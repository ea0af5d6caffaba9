//! D69 vm-creation-governance-lock: every active guest of the scoped sites
//! (default: `shop`) is wired into every companion binding.
//!
//! For each active VM whose `proxmox_host` is the proxmox_alias of a scoped
//! site (topology.sites.yaml; in older spines without it, `shop` is `pve`
//! and `home` is `proxmox-home`, as the registry's scripts have it):
//! - an ssh.targets entry (id = `ssh_target`, else hostname) whose `host`
//!   equals `lan_ip` and whose `tailscale_ip` equals the VM's;
//! - a SERVICE_REGISTRY `hosts` entry (by hostname, else ssh target) whose
//!   `tailscale_ip` and `vmid` agree;
//! - a backup.inventory target whose glob starts `vzdump-qemu-<id>-`
//!   (`vzdump-lxc-` for LXC) on the VM's cluster (or a non-cluster host);
//! - a services.health endpoint (enabled or not, as the script counts) whose `host` is the VM's ssh
//!   target, unless `health_probe_policy: none` or the VM is listed in
//!   `gate_options.D69.health_exempt` (hostname, ssh target, VMID or
//!   `cluster/VMID`);
//! - no `PENDING_*` placeholder anywhere in the VM's entry.

use super::common::*;
use crate::findings::Finding;
use crate::gates::{GateContext, NativeGate};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

pub struct VmCreationLock;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: VmCreationLock = VmCreationLock;

impl NativeGate for VmCreationLock {
    fn name(&self) -> &'static str {
        "vm_creation_lock"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(vm_doc) = spine_doc(cx, VM_LIFECYCLE) else {
            return Ok(Vec::new());
        };
        let (wanted_sites, clusters) = scoped_clusters(cx, &["shop".to_string()])?;
        let all_vms = vms(&vm_doc);
        let known_clusters: HashSet<&str> = all_vms.iter().map(|v| v.cluster.as_str()).collect();
        let mut out = Vec::new();

        let ssh_doc = spine_doc(cx, SSH_TARGETS);
        let reg_doc = spine_doc(cx, SERVICE_REGISTRY);
        let bak_doc = spine_doc(cx, BACKUP_INVENTORY);
        let health_doc = spine_doc(cx, SERVICES_HEALTH);
        for (doc, path, what) in [
            (
                &ssh_doc,
                SSH_TARGETS,
                "VMs cannot be checked for SSH targets",
            ),
            (
                &reg_doc,
                SERVICE_REGISTRY,
                "VMs cannot be checked for service registry hosts",
            ),
            (
                &bak_doc,
                BACKUP_INVENTORY,
                "VMs cannot be checked for backups",
            ),
            (
                &health_doc,
                SERVICES_HEALTH,
                "VMs cannot be checked for health probes",
            ),
        ] {
            if doc.is_none() {
                out.push(missing_file(cx, path, what));
            }
        }

        let ssh = ssh_doc.as_deref().map(ssh_targets);
        let ssh_by_id = ssh.as_ref().map(|s| s.by_id()).unwrap_or_default();
        let reg_hosts = reg_doc
            .as_deref()
            .and_then(|d| d.value())
            .and_then(|v| v.get("hosts"))
            .and_then(Value::as_object);
        let backups = bak_doc.as_deref().map(backup_targets).unwrap_or_default();
        // vzdump prefix → hosts holding a target for it.
        let mut backup_prefixes: HashMap<String, Vec<Option<&str>>> = HashMap::new();
        for b in &backups {
            if let Some(g) = &b.glob {
                if let Some(prefix) = vzdump_prefix_of(g) {
                    backup_prefixes
                        .entry(prefix)
                        .or_default()
                        .push(b.host.as_deref());
                }
            }
        }
        let mut probes: HashMap<String, usize> = HashMap::new();
        for e in items(health_doc.as_deref().and_then(|d| d.value()), "endpoints") {
            // As the script: any endpoint naming the host counts, enabled
            // or not (`[.endpoints[] | select(.host == $h)] | length`).
            if let Some(h) = text(e.get("host")) {
                *probes.entry(h).or_default() += 1;
            }
        }
        let media_hosts: Vec<String> = opt_list(cx, "media_hosts").unwrap_or_else(|| {
            DEFAULT_MEDIA_HOSTS.iter().map(|s| s.to_string()).collect()
        });
        let exempt: HashSet<String> = opt_list(cx, "health_exempt")
            .unwrap_or_default()
            .into_iter()
            .collect();

        for vm in &all_vms {
            if !vm.has_status("active") || !clusters.contains(&vm.cluster) {
                continue;
            }
            if let Some(scope) = &vm.site_scope {
                if !wanted_sites.is_empty() && !wanted_sites.contains(scope) {
                    continue;
                }
            }
            let label = vm.label();
            let subject = vm.subject();
            let at = |ptr: &str, msg: String| cx.finding(&vm_doc, ptr, msg).with_subject(&subject);
            // A mismatch sits on the companion's field (the SSOT is
            // vm.lifecycle.yaml), with the VM's field as related span.
            let elsewhere =
                |doc: &crate::documents::Document, p: &str, msg: String, field: &str| {
                    cx.finding(doc, p, msg).with_subject(&subject).with_related(
                        vm_doc.location(&vm.ptr(field)),
                        format!("{label} `{field}` in vm.lifecycle.yaml"),
                    )
                };

            // 1. PENDING_* placeholders anywhere in the entry.
            pending(vm.value, &vm.ptr(""), &mut |p, field, val| {
                out.push(at(
                    p,
                    format!("{label}: placeholder value `{val}` in `{field}`; the VM was registered before its identity was known"),
                ));
            });

            // 2. ssh.targets
            if let (Some(ssh_doc), Some(sid)) = (ssh_doc.as_deref(), vm.ssh_id()) {
                match ssh_by_id.get(sid) {
                    None => out.push(
                        at(
                            &vm.ptr(""),
                            format!("{label}: no ssh.targets entry with id `{sid}`"),
                        )
                        .with_related(
                            ssh_doc.location("/ssh/targets"),
                            "ssh targets are declared here",
                        ),
                    ),
                    Some(t) => {
                        if let (Some(lan), Some(host)) = (&vm.lan_ip, &t.host) {
                            if lan != host {
                                out.push(elsewhere(
                                    ssh_doc,
                                    &t.ptr("host"),
                                    format!("{label}: ssh target `{sid}` has host {host}, but lan_ip is {lan}"),
                                    "lan_ip",
                                ));
                            }
                        }
                        if let Some(ts) = &vm.tailscale_ip {
                            if t.tailscale_ip.as_deref() != Some(ts.as_str()) {
                                let (have, at_ptr) = match &t.tailscale_ip {
                                    Some(x) => (format!("tailscale_ip {x}"), t.ptr("tailscale_ip")),
                                    None => ("no tailscale_ip".to_string(), t.ptr("")),
                                };
                                out.push(elsewhere(
                                    ssh_doc,
                                    &at_ptr,
                                    format!("{label}: ssh target `{sid}` has {have}, but vm.lifecycle has tailscale_ip {ts}"),
                                    "tailscale_ip",
                                ));
                            }
                        }
                    }
                }
            }

            // 3. SERVICE_REGISTRY hosts
            if let Some(reg_doc) = reg_doc.as_deref() {
                let key = [vm.hostname.as_deref(), vm.ssh_id()]
                    .into_iter()
                    .flatten()
                    .find(|k| reg_hosts.is_some_and(|h| h.contains_key(*k)));
                match key.and_then(|k| reg_hosts.and_then(|h| h.get(k)).map(|v| (k, v))) {
                    None => out.push(
                        at(
                            &vm.ptr(""),
                            format!(
                                "{label}: no SERVICE_REGISTRY hosts entry `{}`",
                                vm.hostname.as_deref().or(vm.ssh_id()).unwrap_or("?")
                            ),
                        )
                        .with_related(
                            reg_doc.location("/hosts"),
                            "registry hosts are declared here",
                        ),
                    ),
                    Some((k, h)) => {
                        let hp = |f: &str| ptr(&["hosts", k, f]);
                        if let (Some(ts), Some(rts)) =
                            (&vm.tailscale_ip, text(h.get("tailscale_ip")))
                        {
                            if *ts != rts {
                                out.push(elsewhere(
                                    reg_doc,
                                    &hp("tailscale_ip"),
                                    format!("{label}: SERVICE_REGISTRY host `{k}` has tailscale_ip {rts}, but vm.lifecycle has {ts}"),
                                    "tailscale_ip",
                                ));
                            }
                        }
                        if let (Some(id), Some(rid)) = (vm.id, h.get("vmid")) {
                            if int(Some(rid)) != Some(id) {
                                out.push(elsewhere(
                                    reg_doc,
                                    &hp("vmid"),
                                    format!(
                                        "{label}: SERVICE_REGISTRY host `{k}` has vmid {}, but the VM's id is {id}",
                                        text(Some(rid)).unwrap_or_else(|| "?".into())
                                    ),
                                    vm.id_key,
                                ));
                            }
                        }
                    }
                }
            }

            // 4. backup.inventory
            if let (Some(bdoc), Some(prefix)) = (bak_doc.as_deref(), vm.vzdump_prefix()) {
                let covered = backup_prefixes.get(&prefix).is_some_and(|hosts| {
                    hosts.iter().any(|h| match h {
                        Some(h) => *h == vm.cluster || !known_clusters.contains(h),
                        None => true,
                    })
                });
                if !covered {
                    out.push(
                        at(
                            &vm.ptr(""),
                            format!("{label}: no backup.inventory target on {} with a glob for {prefix}*", vm.cluster),
                        )
                        .with_related(bdoc.location("/targets"), "backup targets are declared here"),
                    );
                }
            }

            // 4b. backup model metadata: a runtime_units entry of kind vm for
            // the hostname with every backup-model field set; media hosts
            // exclude /mnt/media.
            if let (Some(bdoc), Some(host)) = (bak_doc.as_deref(), vm.hostname.as_deref()) {
                let units: Vec<(usize, &Value)> = items(bdoc.value(), "runtime_units")
                    .iter()
                    .enumerate()
                    .filter(|(_, u)| {
                        text(u.get("kind")).as_deref() == Some("vm")
                            && text(u.get("hostname")).as_deref() == Some(host)
                    })
                    .collect();
                let complete = units.iter().any(|(_, u)| {
                    BACKUP_MODEL_FIELDS
                        .iter()
                        .all(|f| text(u.get(*f)).is_some_and(|x| !x.is_empty()))
                });
                // Related span of both findings: the VM's unit, else the list.
                let (rp, rm) = match units.first() {
                    Some((i, _)) => (format!("/runtime_units/{i}"), format!("runtime unit of `{host}`")),
                    None => ("/runtime_units".to_string(), "runtime units are declared here".to_string()),
                };
                if !complete {
                    out.push(
                        at(
                            &vm.ptr(""),
                            format!("{label}: no backup.inventory runtime_units entry (kind vm, hostname `{host}`) with backup_profile, data_class, destination_lane, schedule_class and restore_class"),
                        )
                        .with_related(bdoc.location(&rp), rm.clone()),
                    );
                }
                if media_hosts.iter().any(|m| m == host) {
                    let excluded = units.iter().any(|(_, u)| {
                        u.get("exclude_paths")
                            .and_then(Value::as_array)
                            .is_some_and(|a| {
                                a.iter().filter_map(|x| x.as_str()).any(|x| {
                                    x == "/mnt/media" || x.starts_with("/mnt/media/")
                                })
                            })
                    });
                    if !excluded {
                        out.push(
                            at(
                                &vm.ptr(""),
                                format!("{label}: media host's backup runtime unit does not exclude /mnt/media"),
                            )
                            .with_related(bdoc.location(&rp), rm),
                        );
                    }
                }
            }

            // 5. services.health
            if let (Some(hdoc), Some(sid)) = (health_doc.as_deref(), vm.ssh_id()) {
                // `has_docker: false` (nothing to probe) exempts, as in the
                // script; so do health_probe_policy none and the option.
                let policy_none =
                    text(vm.value.get("health_probe_policy")).as_deref() == Some("none")
                        || vm.value.get("has_docker") == Some(&serde_json::Value::Bool(false));
                let is_exempt = policy_none
                    || [
                        vm.hostname.clone(),
                        Some(sid.to_string()),
                        Some(vm.id_text()),
                        Some(format!("{}/{}", vm.cluster, vm.id_text())),
                    ]
                    .into_iter()
                    .flatten()
                    .any(|k| exempt.contains(&k));
                if !is_exempt && probes.get(sid).copied().unwrap_or(0) == 0 {
                    out.push(
                        at(
                            &vm.ptr(""),
                            format!(
                                "{label}: no services.health endpoint with host `{sid}`"
                            ),
                        )
                        .with_related(
                            hdoc.location("/endpoints"),
                            "health endpoints are declared here",
                        ),
                    );
                }
            }
        }
        Ok(out)
    }
}

/// `vzdump-qemu-204-*.vma.zst` → `vzdump-qemu-204-`.
/// The backup-model fields a VM's runtime unit must set (D69 script, check 4b).
const BACKUP_MODEL_FIELDS: [&str; 5] = [
    "backup_profile",
    "data_class",
    "destination_lane",
    "schedule_class",
    "restore_class",
];

/// Hosts whose runtime unit must exclude /mnt/media (the script names
/// them; `gate_options.D69.media_hosts` overrides).
const DEFAULT_MEDIA_HOSTS: [&str; 2] = ["download-stack", "streaming-stack"];

pub(crate) fn vzdump_prefix_of(glob: &str) -> Option<String> {
    let rest = glob.strip_prefix("vzdump-")?;
    let (kind, rest) = rest.split_once('-')?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || !rest[digits.len()..].starts_with('-') {
        return None;
    }
    Some(format!("vzdump-{kind}-{digits}-"))
}

/// Calls `f(pointer, field, value)` for every string value starting with
/// `PENDING_` under `v`.
fn pending(v: &Value, at: &str, f: &mut dyn FnMut(&str, &str, &str)) {
    match v {
        Value::String(s) if s.trim().starts_with("PENDING_") => {
            let field = at.rsplit('/').next().unwrap_or_default();
            f(at, field, s.trim());
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pending(x, &format!("{at}/{i}"), f);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                pending(
                    x,
                    &format!("{at}/{}", crate::documents::pointer_escape(k)),
                    f,
                );
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const TOPO: &str = "sites:\n  - id: shop\n    status: active\n    proxmox_alias: pve\n  - id: home\n    status: active\n    proxmox_alias: proxmox-home\n";

    fn vm_file(lan: &str, extra: &str) -> String {
        format!(
            "vms:\n  - id: 215\n    hostname: immich\n    proxmox_host: pve\n    status: active\n    lan_ip: {lan}\n    tailscale_ip: 100.1.1.1\n    ssh_target: immich\n{extra}  - id: 101\n    hostname: immich\n    proxmox_host: proxmox-home\n    status: active\n    lan_ip: 10.0.0.101\n    ssh_target: immich-home\n"
        )
    }

    const SSH: &str = "ssh:\n  targets:\n    - id: immich\n      host: \"192.168.1.215\"\n      tailscale_ip: \"100.1.1.1\"\n";
    const REG: &str =
        "hosts:\n  immich:\n    tailscale_ip: 100.1.1.1\n    vmid: 215\n    proxmox_host: pve\n";
    const BAK: &str = "targets:\n  - name: vm-215\n    enabled: true\n    host: pve\n    glob: \"vzdump-qemu-215-*.vma.zst\"\nruntime_units:\n  - kind: vm\n    hostname: immich\n    backup_profile: p\n    data_class: d\n    destination_lane: l\n    schedule_class: s\n    restore_class: r\n";
    const HEALTH: &str =
        "endpoints:\n  - id: immich\n    host: immich\n    url: http://192.168.1.215:2283/\n";

    fn files<'a>(vm: &'a str, ssh: &'a str, reg: &'a str, bak: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![
            (TOPOLOGY, TOPO),
            (VM_LIFECYCLE, vm),
            (SSH_TARGETS, ssh),
            (SERVICE_REGISTRY, reg),
            (BACKUP_INVENTORY, bak),
            (SERVICES_HEALTH, HEALTH),
        ]
    }

    #[test]
    fn a_fully_wired_shop_vm_passes_and_home_vms_are_out_of_scope() {
        let vm = vm_file("192.168.1.215", "");
        let f = findings(run_gate("D69", &files(&vm, SSH, REG, BAK), None, None));
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn ssh_host_mismatch_points_at_the_target_host_with_related_lan_ip() {
        let vm = vm_file("192.168.1.50", "");
        let f = findings(run_gate("D69", &files(&vm, SSH, REG, BAK), None, None));
        assert_eq!(f.len(), 1, "{:?}", summary(&f));
        assert_eq!(f[0].code, "D69");
        assert_eq!(f[0].subject.as_deref(), Some("vm:pve/215"));
        assert_eq!(
            f[0].message,
            "VM 215 (immich): ssh target `immich` has host 192.168.1.215, but lan_ip is 192.168.1.50"
        );
        assert_eq!(f[0].location.path, SSH_TARGETS);
        assert_eq!(f[0].location.line(), 4);
        assert_eq!(f[0].related[0].location.path, VM_LIFECYCLE);
        assert_eq!(f[0].related[0].location.line(), 6);
    }

    #[test]
    fn every_missing_companion_is_its_own_finding() {
        let vm = vm_file("192.168.1.215", "");
        let f = findings(run_gate(
            "D69",
            &[
                (TOPOLOGY, TOPO),
                (VM_LIFECYCLE, &vm),
                (SSH_TARGETS, "ssh:\n  targets: []\n"),
                (SERVICE_REGISTRY, "hosts: {}\n"),
                (BACKUP_INVENTORY, "targets:\n  - name: other\n    host: proxmox-home\n    glob: vzdump-qemu-215-*.vma.zst\n"),
                (SERVICES_HEALTH, "endpoints:\n  - id: x\n    host: other\n    enabled: true\n"),
            ],
            None,
            None,
        ));
        let msgs: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            msgs,
            vec![
                "VM 215 (immich): no ssh.targets entry with id `immich`",
                "VM 215 (immich): no SERVICE_REGISTRY hosts entry `immich`",
                "VM 215 (immich): no backup.inventory target on pve with a glob for vzdump-qemu-215-*",
                "VM 215 (immich): no backup.inventory runtime_units entry (kind vm, hostname `immich`) with backup_profile, data_class, destination_lane, schedule_class and restore_class",
                "VM 215 (immich): no services.health endpoint with host `immich`",
            ]
        );
        assert!(
            f.iter().all(|f| f.location.line() == 2),
            "{:?}",
            summary(&f)
        );
    }

    #[test]
    fn backup_runtime_unit_must_be_complete_and_media_hosts_exclude_media() {
        let vm = vm_file("192.168.1.215", "");
        let bak = BAK.replace("    restore_class: r\n", "    restore_class: \"\"\n    exclude_paths: [/srv]\n");
        let opts = serde_json::json!({"media_hosts": ["immich"]});
        let f = findings(run_gate(
            "D69",
            &files(&vm, SSH, REG, &bak),
            None,
            Some(opts),
        ));
        let got: Vec<(usize, &str, usize)> = f
            .iter()
            .map(|f| (f.location.line(), f.message.as_str(), f.related[0].location.line()))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, "VM 215 (immich): no backup.inventory runtime_units entry (kind vm, hostname `immich`) with backup_profile, data_class, destination_lane, schedule_class and restore_class", 7),
                (2, "VM 215 (immich): media host's backup runtime unit does not exclude /mnt/media", 7),
            ],
            "{:?}",
            summary(&f)
        );
    }

    #[test]
    fn registry_mismatches_and_placeholders() {
        let vm = vm_file("192.168.1.215", "    os: PENDING_OS\n");
        let reg = "hosts:\n  immich:\n    tailscale_ip: 100.9.9.9\n    vmid: 216\n";
        let f = findings(run_gate("D69", &files(&vm, SSH, reg, BAK), None, None));
        let got: Vec<(&str, usize, &str)> = f
            .iter()
            .map(|f| {
                (
                    f.location.path.as_str(),
                    f.location.line(),
                    f.message.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (VM_LIFECYCLE, 9, "VM 215 (immich): placeholder value `PENDING_OS` in `os`; the VM was registered before its identity was known"),
                (SERVICE_REGISTRY, 3, "VM 215 (immich): SERVICE_REGISTRY host `immich` has tailscale_ip 100.9.9.9, but vm.lifecycle has 100.1.1.1"),
                (SERVICE_REGISTRY, 4, "VM 215 (immich): SERVICE_REGISTRY host `immich` has vmid 216, but the VM's id is 215"),
            ]
        );
        assert_eq!(f[2].related[0].location.path, VM_LIFECYCLE);
        assert_eq!(f[2].related[0].location.line(), 2);
    }

    #[test]
    fn health_exemption_from_options_and_sites_option() {
        let vm = vm_file("192.168.1.215", "");
        let mut fs = files(&vm, SSH, REG, BAK);
        fs[5] = (SERVICES_HEALTH, "endpoints: []\n");
        let f = findings(run_gate(
            "D69",
            &fs,
            None,
            Some(serde_json::json!({"health_exempt": ["pve/215"]})),
        ));
        assert!(f.is_empty(), "{:?}", summary(&f));
        // Scoping the gate to the home site checks VM 101 instead.
        let f = findings(run_gate(
            "D69",
            &fs,
            None,
            Some(serde_json::json!({"sites": ["home"]})),
        ));
        assert!(!f.is_empty());
        assert!(f
            .iter()
            .all(|f| f.subject.as_deref() == Some("vm:proxmox-home/101")));
    }

    #[test]
    fn without_topology_shop_vms_are_those_on_pve_and_vmid_entries_count() {
        // Older spines: no topology.sites.yaml, guests keyed `vmid:`.
        let vm = vm_file("192.168.1.50", "").replace("  - id: ", "  - vmid: ");
        let fs: Vec<(&str, &str)> = files(&vm, SSH, REG, BAK)
            .into_iter()
            .filter(|(p, _)| *p != TOPOLOGY)
            .collect();
        let f = findings(run_gate("D69", &fs, None, None));
        assert_eq!(f.len(), 1, "{:?}", summary(&f));
        assert_eq!(f[0].subject.as_deref(), Some("vm:pve/215"));
        assert!(f[0].message.starts_with("VM 215 (immich): "), "{}", f[0].message);
    }

    #[test]
    fn without_topology_an_unknown_site_is_a_gate_error() {
        let vm = vm_file("192.168.1.215", "");
        let r = run_gate(
            "D69",
            &[(VM_LIFECYCLE, &vm)],
            None,
            Some(serde_json::json!({"sites": ["lab"]})),
        );
        assert!(r.unwrap_err().contains("topology.sites.yaml"));
    }

    #[test]
    fn vzdump_prefixes() {
        assert_eq!(
            vzdump_prefix_of("vzdump-qemu-204-*.vma.zst").as_deref(),
            Some("vzdump-qemu-204-")
        );
        assert_eq!(
            vzdump_prefix_of("vzdump-lxc-105-*.tar.zst").as_deref(),
            Some("vzdump-lxc-105-")
        );
        assert_eq!(vzdump_prefix_of("vzdump-qemu-*.vma.zst"), None);
    }

    #[test]
    fn a_disabled_probe_counts_and_has_docker_false_exempts_as_in_the_script() {
        let vm = vm_file("192.168.1.215", "");
        let health = |h: &str| format!("endpoints:\n  - id: x\n    host: {h}\n    enabled: false\n");
        let run = |vm: &str, health: &str| {
            findings(run_gate(
                "D69",
                &[
                    (TOPOLOGY, TOPO),
                    (VM_LIFECYCLE, vm),
                    (SSH_TARGETS, "ssh:\n  targets: []\n"),
                    (SERVICE_REGISTRY, "hosts: {}\n"),
                    (BACKUP_INVENTORY, "targets: []\n"),
                    (SERVICES_HEALTH, health),
                ],
                None,
                None,
            ))
            .iter()
            .filter(|f| f.message.contains("services.health"))
            .count()
        };
        assert_eq!(run(&vm, &health("immich")), 0, "a disabled probe still counts");
        assert_eq!(run(&vm, &health("other")), 1);
        let no_docker = vm.replacen("    hostname: immich\n", "    hostname: immich\n    has_docker: false\n", 1);
        assert_ne!(no_docker, vm, "the fixture has the hostname line");
        assert_eq!(run(&no_docker, &health("other")), 0, "has_docker: false exempts");
    }
}
