//! `driftgate gates --coverage` and the runtime skip of `check`, on a temp
//! spine with a small registry of invented gates. The ids are chosen for
//! what driftgate's classes data (gates/registry.classes.yaml) says of them
//! and for not being ported (D152 and D80 were left by the port wave: pick
//! others if they ever run in-process):
//! D62 runtime (git branches), D152 static, D80 cross-repo, D4 inline, D21
//! retired, D58 in-process, and D960/D961 unknown to the data (observational
//! / not).

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const REGISTRY: &str = "\
gates:
  - id: D4
    name: invented-inline
    severity: high
    inline: true
    check_script: surfaces/verify/all.sh
  - id: D152
    name: invented-static
    severity: high
    check_script: surfaces/verify/static.sh
  - id: D21
    name: invented-retired
    retired: true
  - id: D80
    name: invented-cross-repo
    severity: medium
    check_script: surfaces/verify/cross.sh
  - id: D58
    name: ssot-freshness-lock
    severity: high
    check_script: surfaces/verify/fresh.sh
  - id: D62
    name: invented-live-probe
    severity: high
    gate_class: invariant
    check_script: surfaces/verify/live.sh
  - id: D960
    name: invented-observational
    severity: low
    gate_class: observational
    check_script: surfaces/verify/observe.sh
  - id: D961
    name: invented-unknown
    severity: low
    check_script: surfaces/verify/unknown.sh
";

/// A spine with the registry and its scripts; `live.sh` and `observe.sh`
/// touch a marker in `marks` when they run.
fn spine(marks: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("ops/bindings")).expect("mkdir");
    std::fs::create_dir_all(root.join("surfaces/verify")).expect("mkdir");
    std::fs::write(root.join("ops/bindings/gate.registry.yaml"), REGISTRY).expect("write");
    for (name, id, mark) in [
        ("all.sh", "D4", false),
        ("static.sh", "D152", false),
        ("cross.sh", "D80", false),
        ("fresh.sh", "D58", false),
        ("live.sh", "D62", true),
        ("observe.sh", "D960", true),
        ("unknown.sh", "D961", false),
    ] {
        let touch = if mark {
            format!("touch '{}'\n", marks.join(id).display())
        } else {
            String::new()
        };
        let p = root.join("surfaces/verify").join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{touch}echo '{id} PASS'\n")).expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    dir
}

fn sandbox_args() -> &'static [&'static str] {
    let ok = std::process::Command::new("unshare")
        .args(["-rn", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        &[]
    } else {
        &["--unsandboxed"]
    }
}

fn coverage(root: &Path, json: bool) -> std::process::Output {
    let mut c = common::driftgate();
    c.args(["gates", "--coverage", "--spine"]).arg(root);
    if json {
        c.arg("--json");
    }
    c.output().expect("runs")
}

#[test]
fn coverage_text_lists_each_registry_gate_with_mode_class_and_counts() {
    let marks = tempfile::tempdir().expect("tempdir");
    let sp = spine(marks.path());
    let out = coverage(sp.path(), false);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    // the judged-at commit is the data's: keep it out of the snapshot
    let text = regex::Regex::new(r"judged at spine [0-9a-f]+")
        .expect("regex")
        .replace(&text, "judged at spine <commit>");
    insta::assert_snapshot!("coverage_text", text);
}

#[test]
fn coverage_json_is_valid_against_its_schema() {
    let marks = tempfile::tempdir().expect("tempdir");
    let sp = spine(marks.path());
    let out = coverage(sp.path(), true);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let json = common::json_of(&out);
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/reports/coverage.schema.json"),
        )
        .expect("schema"),
    )
    .expect("schema is JSON");
    let v = jsonschema::draft202012::options()
        .build(&schema)
        .expect("schema compiles");
    let errors: Vec<String> = v
        .iter_errors(&json)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{json:#}");

    let mode_of = |id: &str| -> (String, String) {
        let g = json["gates"]
            .as_array()
            .and_then(|a| a.iter().find(|g| g["id"] == id))
            .unwrap_or_else(|| panic!("no {id}: {json:#}"));
        (
            g["mode"].as_str().unwrap_or_default().to_string(),
            g["class"].as_str().unwrap_or_default().to_string(),
        )
    };
    for (id, mode, class) in [
        ("D4", "inline", "runtime"),
        ("D152", "exec", "static"),
        ("D21", "retired", "static"),
        ("D80", "exec", "cross-repo"),
        ("D58", "in-process", "static"),
        ("D62", "runtime", "runtime"),
        ("D960", "runtime", "unknown"),
        ("D961", "exec", "unknown"),
    ] {
        assert_eq!(mode_of(id), (mode.to_string(), class.to_string()), "{id}");
    }
    let counts = &json["counts"];
    assert_eq!(counts["total"], 8);
    assert_eq!(counts["mode"]["runtime"], 2);
    assert_eq!(counts["class"]["unknown"], 2);
    assert_eq!(counts["static_total"], 3, "D152, D80, D58");
    assert_eq!(counts["static_in_process"], 1);
}

#[test]
fn coverage_without_a_registry_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("ops")).expect("mkdir");
    let out = coverage(dir.path(), false);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("gate.registry.yaml"));
}

fn check(root: &Path, runtime: bool, format: &str) -> std::process::Output {
    let mut c = common::driftgate();
    c.args([
        "check",
        "--no-cache",
        "--select",
        "D152,D62,D960,D961",
        "--format",
        format,
    ])
    .args(sandbox_args())
    .arg("--spine")
    .arg(root);
    if runtime {
        c.arg("--runtime");
    }
    c.output().expect("runs")
}

fn check_of(json: &serde_json::Value, id: &str) -> serde_json::Value {
    json["checks"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["code"] == id))
        .cloned()
        .unwrap_or_else(|| panic!("no check {id}: {json:#}"))
}

#[test]
fn check_skips_runtime_gates_with_the_class_evidence_unless_runtime() {
    let marks = tempfile::tempdir().expect("tempdir");
    let sp = spine(marks.path());

    let json = common::json_of(&check(sp.path(), false, "json"));
    let d62 = check_of(&json, "D62");
    assert_eq!(d62["status"], "skipped", "{d62:#}");
    assert_eq!(
        d62["reason"], "runtime gate (reads git-branches, git-status); run with --runtime",
        "the data's evidence, not the registry's gate_class (invariant)"
    );
    let d960 = check_of(&json, "D960");
    assert_eq!(d960["status"], "skipped", "{d960:#}");
    let why = d960["reason"].as_str().unwrap_or_default();
    assert!(
        why.contains("gate_class observational") && why.contains("do not list D960"),
        "{why}"
    );
    for id in ["D152", "D961"] {
        assert_eq!(check_of(&json, id)["status"], "ran", "{id}: {json:#}");
    }
    assert!(
        !marks.path().join("D62").exists(),
        "D62 ran without --runtime"
    );
    assert!(
        !marks.path().join("D960").exists(),
        "D960 ran without --runtime"
    );

    // JUnit: the reason is the <skipped> message
    let junit = marks.path().join("report.xml");
    let mut c = common::driftgate();
    c.args([
        "check",
        "--no-cache",
        "--select",
        "D152,D62,D960,D961",
        "--junit",
    ])
    .arg(&junit)
    .args(sandbox_args())
    .arg("--spine")
    .arg(sp.path());
    c.output().expect("runs");
    let xml = std::fs::read_to_string(&junit).expect("JUnit report written");
    let doc = roxmltree::Document::parse(&xml).expect("JUnit XML");
    let skipped = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .find(|n| n.attribute("classname") == Some("D62"))
        .and_then(|n| n.children().find(|c| c.has_tag_name("skipped")))
        .unwrap_or_else(|| panic!("no skipped D62 testcase: {xml}"));
    let msg = skipped
        .attribute("message")
        .map(str::to_string)
        .or_else(|| skipped.text().map(str::to_string))
        .unwrap_or_default();
    assert!(msg.contains("reads git-branches, git-status"), "{msg}");

    // --runtime runs them
    let json = common::json_of(&check(sp.path(), true, "json"));
    for id in ["D62", "D960"] {
        assert_eq!(check_of(&json, id)["status"], "ran", "{id}: {json:#}");
        assert!(
            marks.path().join(id).exists(),
            "{id} did not run with --runtime"
        );
    }
}
