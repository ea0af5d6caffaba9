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
fn pre_commit_framework_hook_runs_staged_without_filenames() {
    let hooks = load(".pre-commit-hooks.yaml");
    let h = &hooks[0];
    assert_eq!(h["id"], "driftgate");
    assert_eq!(h["pass_filenames"], false);
    assert!(h["entry"].as_str().unwrap_or("").contains("check --staged"));
    assert_eq!(h["language"], "rust");
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
