//! Native gates: logic that is code. One file per gate or family.
//!
//! | gate | file | native name |
//! |---|---|---|
//! | D52  | `vm_ip_octet.rs`       | `vm_ip_octet` |
//! | D69  | `vm_creation_lock.rs`  | `vm_creation_lock` |
//! | D100 | `vm_ip_table.rs`       | `vm_ip_table` |
//! | D106 | `service_ports.rs`     | `service_port_collision` |
//! | D129 | `schema_conventions.rs`| `schema_conventions` |
//! | D138 | `startup_sites.rs`     | `startup_site_tags` |
//! | D139 | `nas_baseline.rs`      | `nas_baseline` |
//! | D163 | `workbench_ssh.rs`     | `workbench_ssh_parity` |
//! | D173 | `site_topology.rs`     | `site_topology_parity` |
//! | D332 | `gap_keys.rs`          | `gap_keys_declared` |
//! | D400 | `decommissioned_refs.rs` | `decommissioned_refs` |
//! | D403 | `startup_coverage.rs`  | `startup_coverage` |
//! | D406 | `vmid_range.rs`        | `vmid_unique_in_range` |

pub mod common;
mod decommissioned_refs;
mod gap_keys;
mod nas_baseline;
mod schema_conventions;
mod service_ports;
mod site_topology;
mod startup_coverage;
mod startup_sites;
mod vm_creation_lock;
mod vm_ip_octet;
mod vm_ip_table;
mod vmid_range;
mod workbench_ssh;

use super::{GateMeta, Implementation, NativeGate};
use crate::documents::Document;
use crate::findings::RepoId;
use serde_json::Value;

/// Every native gate, by the name gate files use (`native: NAME`).
pub fn registry() -> Vec<Box<dyn NativeGate>> {
    vec![
        Box::new(vm_ip_octet::VmIpOctet),
        Box::new(vm_creation_lock::VmCreationLock),
        Box::new(vm_ip_table::VmIpTable),
        Box::new(service_ports::ServicePortCollision),
        Box::new(schema_conventions::SchemaConventions),
        Box::new(startup_sites::StartupSiteTags),
        Box::new(nas_baseline::NasBaseline),
        Box::new(workbench_ssh::WorkbenchSshParity),
        Box::new(site_topology::SiteTopologyParity),
        Box::new(gap_keys::GapKeysDeclared),
        Box::new(decommissioned_refs::DecommissionedRefs),
        Box::new(startup_coverage::StartupCoverage),
        Box::new(vmid_range::VmidUniqueInRange),
    ]
}

/// The registered native gate a gate definition names, if any.
pub fn gate_for(meta: &GateMeta) -> Option<Box<dyn NativeGate>> {
    let Implementation::Native(name) = &meta.implementation else {
        return None;
    };
    registry().into_iter().find(|g| g.name() == name)
}

/// Every gate file of the source tree's `gates/` directory that names a
/// native implementation, read from disk (tests only: the engine embeds
/// and validates the catalogue itself).
#[doc(hidden)]
pub fn native_catalogue_for_test() -> Vec<GateMeta> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("gates");
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return out;
    };
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let doc = Document::parse(RepoId::Spine, &format!("gates/{name}"), &bytes);
        if let Some(meta) = doc
            .value()
            .and_then(|v| meta_of(v, &format!("gates/{name}")))
        {
            out.push(meta);
        }
    }
    out
}

/// The native gate definition with this id (`D69` or `D069`), from the
/// source tree's `gates/` directory. Panics when absent (tests only).
#[doc(hidden)]
pub fn meta_for_test(id: &str) -> GateMeta {
    let want = normalise_id(id);
    native_catalogue_for_test()
        .into_iter()
        .find(|m| m.id == want)
        .unwrap_or_else(|| panic!("no native gate file for {id} in gates/"))
}

fn normalise_id(id: &str) -> String {
    let digits = id.trim().trim_start_matches(['D', 'd']);
    match digits.parse::<u32>() {
        Ok(n) => format!("D{n}"),
        Err(_) => id.trim().to_string(),
    }
}

fn meta_of(v: &Value, origin: &str) -> Option<GateMeta> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let native = s("native")?;
    Some(GateMeta {
        id: normalise_id(&s("id")?),
        name: s("name").unwrap_or_default(),
        category: s("category").unwrap_or_default(),
        gate_class: crate::vocab::GateClass::or_default(s("gate_class").as_deref()),
        severity: crate::vocab::GateSeverity::or_default(s("severity").as_deref()),
        ring: crate::vocab::Ring::or_default(s("ring").as_deref()),
        description: s("description").unwrap_or_default(),
        why: s("why"),
        fix_hint: s("fix_hint"),
        inputs: v
            .get("inputs")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        example: s("example"),
        implementation: Implementation::Native(native),
        warn_only: v.get("warn_only").and_then(Value::as_bool).unwrap_or(false),
        origin: origin.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_registered_gate_has_a_gate_file_and_names_are_unique() {
        let names: Vec<&str> = registry().iter().map(|g| g.name()).collect();
        let unique: HashSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len(), "duplicate native names");
        let cat = native_catalogue_for_test();
        for n in &names {
            assert!(
                cat.iter()
                    .any(|m| m.implementation == Implementation::Native(n.to_string())),
                "native gate `{n}` has no gate file"
            );
        }
        for m in &cat {
            assert!(
                gate_for(m).is_some(),
                "{} names an unknown native gate",
                m.id
            );
            assert!(!m.description.is_empty() && m.fix_hint.is_some() && m.why.is_some());
            assert!(m.example.is_some() && !m.inputs.is_empty(), "{}", m.id);
            let file = m.origin.trim_start_matches("gates/");
            let num: u32 = m.id[1..].parse().expect("numeric id");
            assert!(
                file.starts_with(&format!("D{num:03}-{}", m.name)),
                "{file} should be named D{num:03}-{}.yaml",
                m.name
            );
        }
    }

    /// Bindings of the wrong shape everywhere: no gate panics, none errors
    /// (topology is present), and what they report still has a span.
    #[test]
    fn hostile_shapes_never_panic() {
        use super::common::testing::*;
        use super::common::*;
        let files: Vec<(&str, &str)> = vec![
            (TOPOLOGY, "sites:\n  - id: shop\n    status: active\n    proxmox_alias: pve\n    vmid_range: \"299-200\"\n    compose_targets: nope\n  - 7\n  - id: [1]\n"),
            (VM_LIFECYCLE, "vms:\n  - 1\n  - \"x\"\n  - {id: abc, proxmox_host: [1], status: active, lan_ip: \"１９２.168.1.1\"}\n  - {id: 1e99, hostname: {a: 1}, status: active, proxmox_host: pve, lan_ip: 192.168.1.300, vm_type: lxc}\n  - {vmid: \"204\", status: decommissioned, proxmox_host: pve, ssh_target: \"\", hostname: PENDING_NAME}\n"),
            (SSH_TARGETS, "ssh:\n  defaults: [1]\n  targets: {a: 1}\n"),
            (SERVICE_REGISTRY, "services: [1, 2]\nhosts:\n  x: 5\n"),
            (SERVICES_HEALTH, "endpoints:\n  x: 1\n"),
            (BACKUP_INVENTORY, "targets:\n  - {glob: 5, host: [1], enabled: maybe}\n  - glob: \"vzdump-qemu-\"\n"),
            (STARTUP, "phases: \"x\"\nshop: {host_id: pve, startup_order: \"x\", shutdown_order: [a, 1], active_vm_ids: [[1]]}\nhome: {host_id: [1]}\n"),
            (COMPOSE_TARGETS, "targets: [1]\n"),
            (HOME_DEVICES, "devices: {nas: 1}\n"),
            (IP_POLICY, "sites: shop\nexceptions: [1, {id: x}]\n"),
            (CONVENTIONS, "status_rules: [1]\ndate_rules: {iso_8601_regex: 5}\nfield_rules: {disallowed_alias_keys: [[1]]}\n"),
            ("ops/bindings/weird.yaml", "- status: [1]\n- created_at: 5\n- {notes: {}}\n"),
            ("ops/bindings/binary.yaml", "a\u{0}b"),
            (DEVICE_SSOT, "### Shop VM LAN IPs\n\n| VM | Canonical Name | LAN IP | VMID |\n|--|--|--|--|\n| only one cell |\n| a | b | c | 99999999999999999999 |\n| é | `ü` | 1 | -5 |\n"),
        ];
        let wb: Vec<(&str, &str)> = vec![(
            "dotfiles/ssh/config.d/x.conf",
            "HostName\nHost\nHost =\n  User\nHost pve\n  HostName ==\nMatch all\n",
        )];
        for m in native_catalogue_for_test() {
            let r = run_gate(&m.id, &files, Some(&wb), None);
            let f = r.unwrap_or_else(|e| panic!("{} errored on hostile input: {e}", m.id));
            for x in &f {
                assert!(
                    x.location.span.is_some()
                        || x.subject.as_deref().is_some_and(|s| s.starts_with("file:")),
                    "{}: {}",
                    x.code,
                    x.message
                );
            }
        }
    }

    #[test]
    fn ids_normalise() {
        assert_eq!(normalise_id("D069"), "D69");
        assert_eq!(normalise_id("d400"), "D400");
    }
}
