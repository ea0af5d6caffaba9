//! Property tests for the rule engine over generated documents: findings
//! match a simple model, land on the offending item's line, and odd shapes
//! never panic.

use driftgate::check::{run, CheckOptions, Sources};
use driftgate::gates::GateOptions;
use proptest::prelude::*;
use std::collections::BTreeSet;

fn opts(spine: &std::path::Path, select: &str) -> CheckOptions {
    CheckOptions {
        sources: Sources {
            spine: spine.to_path_buf(),
            workbench: None,
            legacy: None,
        },
        gates: GateOptions {
            select: vec![select.into()],
            exec: false,
            registry: Some(false),
            now: chrono::NaiveDate::from_ymd_opt(2026, 11, 20),
            ..Default::default()
        },
        no_cache: true,
        ..Default::default()
    }
}

fn write(dir: &std::path::Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

const EXISTS_IN_GATE: &str = "id: D901
name: profile-exists
category: infra-hygiene
severity: medium
description: Every active VM has an operating profile.
inputs:
  - spine:ops/bindings/vm.lifecycle.yaml
  - spine:ops/bindings/vm.operating.profile.yaml
rule:
  kind: exists_in
  source:
    file: spine:ops/bindings/vm.lifecycle.yaml
    items: '.vms[] | select(.status == \"active\")'
    key: .id // .vmid
  target:
    file: spine:ops/bindings/vm.operating.profile.yaml
    items: .profiles[]
    key: .id // .vmid
  message: \"active VM {{id}} has no profile\"
  subject: \"vm:{{proxmox_host|pve}}/{{id}}\"
";

const STATUSES: [&str; 4] = ["active", "stopped", "decommissioned", "template"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Rule `exists_in` (a spine gate file D901 with the shape of the first
    /// D86 port): exactly the active VMs without a profile are reported,
    /// each at its own `- id:` line.
    #[test]
    fn exists_in_matches_the_model(
        vms in proptest::collection::btree_map(200u32..260, 0usize..4, 0..25),
        profiles in proptest::collection::btree_set(200u32..260, 0..25),
    ) {
        let dir = tempfile::tempdir().expect("tmp");
        let mut vm_yaml = String::from("version: 1\nvms:\n");
        let mut line_of = std::collections::HashMap::new();
        for (id, st) in &vms {
            line_of.insert(*id, vm_yaml.lines().count() + 1);
            vm_yaml.push_str(&format!(
                "  - id: {id}\n    hostname: vm-{id}\n    proxmox_host: pve\n    status: {}\n",
                STATUSES[*st]
            ));
        }
        let mut prof = String::from("profiles:\n");
        for id in &profiles {
            prof.push_str(&format!("  - id: {id}\n    hostname: vm-{id}\n"));
        }
        // An empty list is written `[]` (a bare `vms:` is null, which the
        // schema and the gate report as unjudgeable: tested elsewhere).
        if vms.is_empty() {
            vm_yaml.push_str("  []\n");
        }
        if profiles.is_empty() {
            prof.push_str("  []\n");
        }
        write(dir.path(), "ops/bindings/vm.lifecycle.yaml", &vm_yaml);
        write(dir.path(), "ops/bindings/vm.operating.profile.yaml", &prof);
        write(dir.path(), "driftgate.yaml", "gates_dir: ops/gates\n");
        write(dir.path(), "ops/gates/D901.yaml", EXISTS_IN_GATE);
        let r = run(&opts(dir.path(), "D901"));
        let got: BTreeSet<(usize, String)> = r
            .findings
            .iter()
            .filter(|f| f.code == "D901")
            .map(|f| (f.location.line(), f.subject.clone().unwrap_or_default()))
            .collect();
        let want: BTreeSet<(usize, String)> = vms
            .iter()
            .filter(|(id, st)| STATUSES[**st] == "active" && !profiles.contains(id))
            .map(|(id, _)| (line_of[id], format!("vm:pve/{id}")))
            .collect();
        prop_assert_eq!(got, want);
    }

    /// D401 over documents whose values have random types: never a panic,
    /// never an internal error, and a finding only where a string
    /// backup_target names no target.
    #[test]
    fn odd_value_types_never_panic(
        targets in proptest::collection::vec(prop_oneof![
            Just("\"vm-1\"".to_string()), Just("42".to_string()), Just("null".to_string()),
            Just("[a, b]".to_string()), Just("{x: 1}".to_string()), Just("\"\"".to_string()),
            "[a-z]{1,5}".prop_map(|s| format!("\"{s}\"")),
        ], 0..12),
    ) {
        let dir = tempfile::tempdir().expect("tmp");
        let mut vm_yaml = String::from("vms:\n");
        if targets.is_empty() {
            vm_yaml.push_str("  []\n");
        }
        for (i, t) in targets.iter().enumerate() {
            vm_yaml.push_str(&format!(
                "  - id: {}\n    hostname: h{i}\n    proxmox_host: pve\n    status: active\n    backup_target: {t}\n",
                200 + i
            ));
        }
        write(dir.path(), "ops/bindings/vm.lifecycle.yaml", &vm_yaml);
        write(dir.path(), "ops/bindings/backup.inventory.yaml", "targets:\n  - name: vm-1\n    kind: file_glob\n    host: pve\n");
        let r = run(&opts(dir.path(), "D401"));
        prop_assert!(!r.findings.iter().any(|f| f.internal), "{:?}", r.findings.iter().filter(|f| f.internal).collect::<Vec<_>>());
        for f in r.findings.iter().filter(|f| f.code == "D401") {
            prop_assert!(f.location.line() >= 2);
        }
    }
}
