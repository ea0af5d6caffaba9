//! The shipped workflow and hook-framework files parse and do what the README says.

use driftgate::documents::Document;
use driftgate::findings::RepoId;
use serde_json::Value;
use std::path::Path;

fn load(rel: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let bytes = std::fs::read(&path).expect("file exists");
    let doc = Document::parse(RepoId::Spine, rel, &bytes);
    assert!(doc.problems.is_empty(), "{rel}: {:?}", doc.problems);
    assert_eq!(doc.docs.len(), 1);
    doc.value().cloned().expect("a document")
}

fn steps(wf: &Value) -> Vec<Value> {
    wf["jobs"]
        .as_object()
        .expect("jobs")
        .values()
        .flat_map(|j| j["steps"].as_array().cloned().unwrap_or_default())
        .collect()
}

#[test]
fn push_workflow_runs_check_with_reports_and_uploads_them_always() {
    let wf = load(".gitea/workflows/drift-gate.yml");
    assert!(wf["on"].get("push").is_some());
    assert!(wf["on"].get("pull_request").is_some());
    let steps = steps(&wf);
    for s in &steps {
        assert!(s.get("uses").is_some() || s.get("run").is_some(), "{s}");
    }
    let check = steps
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("driftgate check"))
        })
        .expect("a driftgate check step");
    let run = check["run"].as_str().unwrap_or_default();
    for flag in [
        "--format short",
        "--junit",
        "--sarif",
        "--summary \"$GITHUB_STEP_SUMMARY\"",
        "--new-since",
    ] {
        assert!(run.contains(flag), "missing {flag} in {run}");
    }
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact"))
        })
        .expect("upload step");
    assert_eq!(upload["if"], "always()");
    assert!(upload["with"]["path"]
        .as_str()
        .unwrap_or("")
        .contains("driftgate-junit.xml"));
}

#[test]
fn pre_commit_framework_hooks_declare_their_minimum_version_and_scope() {
    let hooks = load(".pre-commit-hooks.yaml");
    let hooks = hooks.as_array().expect("a list of hooks");
    let by_id = |id: &str| {
        hooks
            .iter()
            .find(|h| h["id"] == id)
            .unwrap_or_else(|| panic!("hook {id}"))
    };
    for h in hooks {
        // `stages: [pre-commit]` (and pre-push/manual) need pre-commit 3.2.
        assert_eq!(h["minimum_pre_commit_version"], "3.2.0", "{h}");
        assert_eq!(h["pass_filenames"], false, "{h}");
        assert!(
            h["entry"]
                .as_str()
                .unwrap_or("")
                .starts_with("driftgate check"),
            "{h}"
        );
    }
    assert_eq!(by_id("driftgate")["language"], "rust");
    assert_eq!(by_id("driftgate-system")["language"], "system");
    assert_eq!(
        by_id("driftgate")["entry"],
        by_id("driftgate-system")["entry"]
    );
    assert!(by_id("driftgate")["entry"]
        .as_str()
        .unwrap_or("")
        .contains("--staged"));
    let spine = by_id("driftgate-spine");
    assert!(
        !spine["entry"].as_str().unwrap_or("").contains("--staged"),
        "whole spine"
    );
    assert_eq!(spine["stages"], serde_json::json!(["pre-push", "manual"]));
}

#[test]
fn the_whole_spine_hook_finds_old_drift_that_the_staged_hook_does_not_judge() {
    // What `pre-commit run --all-files` runs: the index equals HEAD, so the
    // staged hook has nothing to judge; the spine hook judges everything.
    let hooks = load(".pre-commit-hooks.yaml");
    let entry = |id: &str| -> Vec<String> {
        hooks
            .as_array()
            .and_then(|a| a.iter().find(|h| h["id"] == id))
            .and_then(|h| h["entry"].as_str())
            .expect("entry")
            .split_whitespace()
            .skip(1) // `driftgate`: the binary under test instead
            .map(str::to_string)
            .collect()
    };
    let ws = tempfile::tempdir().expect("tempdir");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/demo");
    let status = std::process::Command::new("cp")
        .arg("-R")
        .arg(demo.join("spine"))
        .arg(ws.path())
        .status()
        .expect("cp");
    assert!(status.success());
    let spine = ws.path().join("spine");
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &["commit", "-qm", "old drift"],
    ] {
        let ok = std::process::Command::new("git")
            .current_dir(&spine)
            .args(args)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .status()
            .expect("git");
        assert!(ok.success());
    }
    let run = |args: Vec<String>| {
        assert_cmd::Command::cargo_bin("driftgate")
            .expect("binary")
            .current_dir(&spine)
            .args(args)
            .args(["--no-exec", "--now", "2026-11-20"])
            .env("NO_COLOR", "1")
            .env_remove("DRIFTGATE_SPINE")
            .output()
            .expect("runs")
            .status
            .code()
    };
    assert_eq!(
        run(entry("driftgate-system")),
        Some(0),
        "nothing staged to judge"
    );
    assert_eq!(
        run(entry("driftgate-spine")),
        Some(1),
        "the old drift is found"
    );
}

#[test]
fn workflow_build_caches_are_keyed_on_cargo_toml_so_a_profile_change_rebuilds() {
    for rel in [
        ".gitea/workflows/drift-gate.yml",
        ".gitea/workflows/nightly-parity.yml",
    ] {
        let wf = load(rel);
        let cache = steps(&wf)
            .into_iter()
            .find(|s| {
                s["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("actions/cache"))
            })
            .expect("cache step");
        let key = cache["with"]["key"].as_str().unwrap_or("");
        for part in ["Cargo.lock", "Cargo.toml", "src/**"] {
            assert!(
                key.contains(&format!(".driftgate-src/{part}")),
                "{rel}: {key}"
            );
        }
    }
}

#[test]
fn release_profile_ships_no_debug_info_and_profiling_keeps_line_tables() {
    let toml = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .expect("Cargo.toml");
    let section = |name: &str| -> Vec<String> {
        let head = format!("[{name}]");
        toml.lines()
            .skip_while(|l| l.trim() != head)
            .skip(1)
            .take_while(|l| !l.trim_start().starts_with('['))
            .map(|l| l.split('#').next().unwrap_or("").replace(' ', ""))
            .filter(|l| !l.is_empty())
            .collect()
    };
    let release = section("profile.release");
    assert!(release.contains(&"debug=false".to_string()), "{release:?}");
    assert!(
        release.contains(&"strip=\"debuginfo\"".to_string()),
        "{release:?}"
    );
    let profiling = section("profile.profiling");
    assert!(
        profiling.contains(&"inherits=\"release\"".to_string()),
        "{profiling:?}"
    );
    assert!(
        profiling.contains(&"debug=\"line-tables-only\"".to_string()),
        "{profiling:?}"
    );
}
