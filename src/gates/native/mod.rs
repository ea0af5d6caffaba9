//! Native gates: logic that is code. One file per gate or family, each
//! exporting `pub(crate) static GATE`; build.rs declares the modules and
//! lists them in `registry()`, so a new native gate is its gate folder
//! (`gates/DNNN-name/gate.yaml` with `native: NAME`) plus one file here.
//!
//! Gates read only their declared inputs, through `GateContext::doc` and
//! `GateContext::inputs` (see `gates::inputs`).

pub mod common;

use super::{GateMeta, Implementation, NativeGate};

include!(concat!(env!("OUT_DIR"), "/natives.rs"));

/// The registered native gate a gate definition names, if any.
pub fn gate_for(meta: &GateMeta) -> Option<&'static dyn NativeGate> {
    let Implementation::Native(name) = &meta.implementation else {
        return None;
    };
    registry().into_iter().find(|g| g.name() == name)
}

/// The built-in gate definitions that name a native implementation.
pub fn builtin_natives() -> Vec<GateMeta> {
    super::catalogue::builtin()
        .gates
        .into_iter()
        .map(|g| g.meta)
        .filter(|m| matches!(m.implementation, Implementation::Native(_)))
        .collect()
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
        let cat = builtin_natives();
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
            let file = m
                .origin
                .trim_start_matches(crate::gates::catalogue::BUILTIN_PREFIX);
            let num: u32 = m.id[1..].parse().expect("numeric id");
            assert_eq!(
                file,
                format!("D{num:03}-{}/gate.yaml", m.name),
                "gate folders are named DNNN-name"
            );
        }
    }

    /// Bindings of the wrong shape everywhere: no gate panics, none errors
    /// (topology is present; a gate without its input is skipped), and what they report still has a span.
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
        for m in builtin_natives() {
            let f = match run_gate(&m.id, &files, Some(&wb), None) {
                Ok(f) => f,
                // D332: this spine has no gap register to judge.
                Err(e) if e.starts_with("skipped: ") => continue,
                Err(e) => panic!("{} errored on hostile input: {e}", m.id),
            };
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
}
