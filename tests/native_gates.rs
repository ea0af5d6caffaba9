//! Every native gate of the registry against the demo workspace: the
//! findings are exactly the DRIFT.md rows of those gates (code, repo, path,
//! line, subject), and with the demo-fixes overlay only the waived rows stay.

mod common;

use common::*;
use driftgate::check::{open_workspace, CheckOptions, Sources};
use driftgate::config::LoadedConfig;
use driftgate::documents::Document;
use driftgate::findings::{CheckRecord, CheckStatus, Finding, RepoId};
use driftgate::gates::native::{builtin_natives, registry};
use driftgate::gates::GateOptions;
use driftgate::workspace::Workspace;
use std::collections::BTreeSet;
use std::path::Path;

type Row = (String, String, String, usize, String);

/// DRIFT.md code → gate id (new gates carry placeholder codes there).
fn gate_code(expected: &str) -> (String, bool) {
    let waived = expected.contains("(waived)");
    let code = expected.replace("(waived)", "").trim().to_string();
    let code = match code.as_str() {
        "new:decommissioned-ref" => "D400".to_string(),
        "new:startup-coverage" => "D403".to_string(),
        "new:vmid-range" => "D406".to_string(),
        "new:plaintext-secret" => "D407".to_string(),
        other => other.to_string(),
    };
    (code, waived)
}

/// (rows expected for our gates, the waived subset).
fn drift_rows(ids: &BTreeSet<String>) -> (Vec<Row>, Vec<Row>) {
    let path = fixtures().join("demo/DRIFT.md");
    let bytes = std::fs::read(&path).expect("DRIFT.md");
    let doc = Document::parse(RepoId::Spine, "DRIFT.md", &bytes);
    let mut all = Vec::new();
    let mut waived = Vec::new();
    for t in doc.tables() {
        if !t.has_columns(&["expected code", "repo", "path", "line", "subject"]) {
            continue;
        }
        for r in &t.rows {
            let cell = |n: &str| t.cell(r, n).unwrap_or_default().trim().to_string();
            let (code, is_waived) = gate_code(&cell("expected code"));
            if !ids.contains(&code) {
                continue;
            }
            let line: usize = cell("line").parse().expect("numeric line for a gate row");
            let row = (code, cell("repo"), cell("path"), line, cell("subject"));
            if is_waived {
                waived.push(row.clone());
            }
            all.push(row);
        }
    }
    all.sort();
    waived.sort();
    (all, waived)
}

fn open(root: &Path) -> (Workspace, LoadedConfig) {
    let opts = CheckOptions {
        sources: Sources {
            spine: root.join("spine"),
            ..Sources::default()
        },
        ..CheckOptions::default()
    };
    open_workspace(&opts).unwrap_or_else(|f| panic!("workspace: {}", f.message))
}

/// Runs every native gate through the engine; returns their findings and
/// each gate's status.
fn run_with_status(
    ws: &Workspace,
    config: &LoadedConfig,
    ids: &BTreeSet<String>,
) -> (Vec<Finding>, Vec<CheckRecord>) {
    let opts = GateOptions {
        select: ids.iter().cloned().collect(),
        now: chrono::NaiveDate::from_ymd_opt(2026, 11, 20),
        exec: false,
        registry: Some(false),
        ..GateOptions::default()
    };
    let (findings, records) = driftgate::gates::run(ws, config, &opts, None);
    let findings: Vec<Finding> = findings
        .into_iter()
        .filter(|f| ids.contains(&f.code))
        .collect();
    for f in &findings {
        assert!(!f.message.is_empty() && f.help.is_some());
        assert!(
            f.location.span.is_some(),
            "{} finding without a span: {}",
            f.code,
            f.message
        );
    }
    let records = records
        .into_iter()
        .filter(|r| ids.contains(&r.code))
        .collect();
    (findings, records)
}

/// Native ports of registry gates whose documents the demo does not have
/// (no change packs, version matrix, surface contract, communications
/// contracts, W60 closure docs, inventory or
/// snapshot bindings): they are skipped there for a required input.
const NOT_IN_DEMO: &[&str] = &[
    "D53", "D95", "D97", "D151", "D184", "D187", "D191", "D193", "D194", "D276",
];

/// Runs every native gate through the engine; each must have run (those
/// of `NOT_IN_DEMO`: skipped because an input is not found).
fn run_all(ws: &Workspace, config: &LoadedConfig, ids: &BTreeSet<String>) -> Vec<Finding> {
    let (findings, records) = run_with_status(ws, config, ids);
    assert_eq!(records.len(), ids.len());
    for r in &records {
        if NOT_IN_DEMO.contains(&r.code.as_str()) {
            assert!(
                matches!(&r.status, CheckStatus::Skipped(w) if w.ends_with("not found")),
                "{}: {:?}",
                r.code,
                r.status
            );
            continue;
        }
        assert_eq!(r.status, CheckStatus::Ran, "{} did not run", r.code);
    }
    findings
}

fn rows_of(findings: &[Finding]) -> Vec<Row> {
    let mut v: Vec<Row> = findings
        .iter()
        .map(|f| {
            (
                f.code.clone(),
                f.location.repo.as_str().to_string(),
                f.location.path.clone(),
                f.location.line(),
                f.subject.clone().unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

fn catalogue() -> BTreeSet<String> {
    builtin_natives().iter().map(|m| m.id.clone()).collect()
}

#[test]
fn demo_native_findings_are_exactly_the_drift_rows() {
    let ids = catalogue();
    // One module may serve a family of gates (w52_control: D252, D254-D256):
    // every registered module is used, and every gate names a registered one.
    let used: BTreeSet<String> = builtin_natives()
        .iter()
        .filter_map(|m| match &m.implementation {
            driftgate::gates::Implementation::Native(n) => Some(n.clone()),
            _ => None,
        })
        .collect();
    let registered: BTreeSet<String> = registry().iter().map(|g| g.name().to_string()).collect();
    assert_eq!(used, registered);
    let (expected, _) = drift_rows(&ids);
    assert!(
        expected.len() >= 14,
        "DRIFT.md rows for native gates: {expected:?}"
    );
    let ws_dir = demo_copy(false);
    let (ws, config) = open(ws_dir.path());
    assert!(ws.repo(RepoId::Workbench).is_some(), "demo has a workbench");
    let found = run_all(&ws, &config, &ids);
    assert_eq!(
        rows_of(&found),
        expected,
        "\nfindings:\n{}",
        found
            .iter()
            .map(|f| format!("{} {} {}", f.code, f.location.display(), f.message))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn demo_messages_speak_the_users_terms() {
    let ids = catalogue();
    let ws_dir = demo_copy(false);
    let (ws, config) = open(ws_dir.path());
    let found = run_all(&ws, &config, &ids);
    let msg = |code: &str| -> Vec<&str> {
        found
            .iter()
            .filter(|f| f.code == code)
            .map(|f| f.message.as_str())
            .collect()
    };
    assert_eq!(
        msg("D69"),
        vec!["VM 206 (dev-tools): ssh target `dev-tools` has host 192.168.1.26, but lan_ip is 192.168.1.206"]
    );
    assert_eq!(
        msg("D163"),
        vec!["workbench SSH config `Host docker-host` uses User root, but ssh.targets `docker-host` has user ronny"]
    );
    assert_eq!(
        msg("D403"),
        vec!["LXC 105 (pihole-home) is active but not in home_vm_lifecycle.active_vm_ids"]
    );
    assert_eq!(
        msg("D406"),
        vec!["VM 150 (communications-stack) has VMID 150, outside the vmid_range 200-299 of site `shop` (pve)"]
    );
    let d69 = found.iter().find(|f| f.code == "D69").expect("D69");
    assert_eq!(
        d69.related[0].location.path,
        "ops/bindings/vm.lifecycle.yaml"
    );
    assert_eq!(d69.related[0].location.line(), 190);
    let d403 = found.iter().find(|f| f.code == "D403").expect("D403");
    assert_eq!(
        d403.related[0].location.path,
        "ops/bindings/startup.sequencing.yaml"
    );
    assert_eq!(
        d403.related[0].location.line(),
        30,
        "home_vm_lifecycle.active_vm_ids"
    );
    let d163 = found.iter().find(|f| f.code == "D163").expect("D163");
    assert_eq!(
        (d163.location.line(), d163.location.col()),
        (24, 5),
        "the `User root` keyword"
    );
}

#[test]
fn demo_with_fixes_leaves_only_the_waived_rows() {
    let ids = catalogue();
    let (_, waived) = drift_rows(&ids);
    let ws_dir = demo_copy(true);
    let (ws, config) = open(ws_dir.path());
    let found = run_all(&ws, &config, &ids);
    assert_eq!(
        rows_of(&found),
        waived,
        "\nfindings:\n{}",
        found
            .iter()
            .map(|f| format!("{} {} {}", f.code, f.location.display(), f.message))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // ... and each of those is covered by a waiver of driftgate.yaml.
    for f in &found {
        assert!(
            config
                .config
                .waivers
                .iter()
                .any(|w| w.gate == f.code && w.subject.as_deref() == f.subject.as_deref()),
            "no waiver for {} {:?}",
            f.code,
            f.subject
        );
    }
}

#[test]
fn without_workbench_the_workbench_gate_is_skipped_not_green() {
    let ids = catalogue();
    let ws_dir = demo_copy(false);
    std::fs::remove_dir_all(ws_dir.path().join("workbench")).expect("rm workbench");
    let (ws, config) = open(ws_dir.path());
    assert!(ws.repo(RepoId::Workbench).is_none());
    let (found, records) = run_with_status(&ws, &config, &ids);
    assert!(found.iter().all(|f| f.location.repo == RepoId::Spine));
    assert!(
        found.iter().any(|f| f.code == "D69"),
        "spine gates still run"
    );
    let d163 = records.iter().find(|r| r.code == "D163").expect("D163");
    assert_eq!(
        d163.status,
        CheckStatus::Skipped(
            "no workbench checkout (needs workbench:dotfiles/ssh/config.d/*.conf)".into()
        )
    );
}
