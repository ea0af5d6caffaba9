//! `driftgate shadow` end to end: a real git spine in a temp dir (D86's own
//! gate fixtures plus a registry), registry scripts written here as test
//! doubles (plain bash, no yq), the binary run as a user runs it, its JSON
//! validated against `schemas/reports/shadow.schema.json`.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A test double of a registry gate script: its verdict comes from the
/// `verdict` file of the tree it runs in, and it prints what it saw.
const SCRIPT: &str = r##"#!/usr/bin/env bash
cd "${SPINE_ROOT:?}"
echo "home=$HOME"
echo "root=$SPINE_ROOT"
echo "today=$(date +%F)"
echo "ifaces=$(tail -n +3 /proc/net/dev | grep -vc '^ *lo:')"
case "$(cat verdict 2>/dev/null)" in
  fail) echo "  Active VM 209 (download-stack) missing from profile"
        echo "D86 FAIL: 1 parity errors found"; exit 1 ;;
  tool) no-such-tool-for-driftgate --check; exit 1 ;;
  write) echo "# tampered" >> ops/bindings/vm.lifecycle.yaml; echo "D86 PASS"; exit 0 ;;
  *) echo "D86 PASS"; exit 0 ;;
esac
"##;

const REGISTRY: &str = "\
gates:
  - id: D86
    name: vm-operating-profile-parity-lock
    check_script: surfaces/verify/d86-profile.sh
  - id: D100
    name: vm-ip-parity-lock
    retired: true
    check_script: surfaces/verify/d100.sh
";

fn gate_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("gates");
    std::fs::read_dir(&root)
        .expect("gates/")
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("D086-"))
        })
        .expect("D86 gate folder")
}

/// Writes the D86 `pass` or `fail` spine plus registry, script and verdict
/// into `spine` (overwriting what is there).
fn lay(spine: &Path, fixture: &str, verdict: &str) {
    copy_tree(&gate_dir().join(fixture).join("spine"), spine);
    let bindings = spine.join("ops/bindings");
    std::fs::create_dir_all(&bindings).expect("mkdir");
    std::fs::write(bindings.join("gate.registry.yaml"), REGISTRY).expect("registry");
    let verify = spine.join("surfaces/verify");
    std::fs::create_dir_all(&verify).expect("mkdir");
    std::fs::write(verify.join("d86-profile.sh"), SCRIPT).expect("script");
    std::fs::write(spine.join("verdict"), verdict).expect("verdict");
}

fn spine(fixture: &str, verdict: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let spine = dir.path().join("spine");
    lay(&spine, fixture, verdict);
    init_repo(&spine);
    (dir, spine)
}

fn sandbox_works() -> bool {
    Command::new("unshare")
        .args(["-rn", "true"])
        .status()
        .is_ok_and(|s| s.success())
}

/// `driftgate shadow --format json` (unsandboxed where this machine has no
/// user namespaces; the sandbox has its own test).
fn shadow(spine: &Path, extra: &[&str]) -> std::process::Output {
    let mut c = driftgate();
    // The doubles need bash alone (the real scripts need yq, jq, rg, …).
    c.env("DRIFTGATE_SHADOW_TOOLS", "bash,git")
        .arg("shadow")
        .arg("--spine")
        .arg(spine)
        .args(["--format", "json", "--now", "2026-03-05", "--timeout", "60"])
        .args(extra);
    if !sandbox_works() {
        c.arg("--unsandboxed");
    }
    c.output().expect("runs")
}

fn validate(report: &serde_json::Value) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/reports/shadow.schema.json"),
        )
        .expect("schema file"),
    )
    .expect("schema is JSON");
    let v = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = v.iter_errors(report).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "report breaks its schema: {errors:#?}\n{report:#}"
    );
}

fn gate<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["gates"]
        .as_array()
        .and_then(|a| a.iter().find(|g| g["id"] == id))
        .unwrap_or_else(|| panic!("{id} not compared: {report:#}"))
}

fn output_line<'a>(g: &'a serde_json::Value, prefix: &str) -> &'a str {
    g["script_result"]["output"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .filter_map(|l| l.as_str())
                .find(|l| l.starts_with(prefix))
        })
        .unwrap_or_else(|| panic!("no `{prefix}` line in {g:#}"))
}

#[test]
fn both_calling_drift_agree_and_the_subject_is_found_in_the_script_output() {
    let (_d, spine) = spine("fail", "fail");
    let out = shadow(&spine, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json_of(&out);
    validate(&r);
    let g = gate(&r, "D86");
    assert_eq!(g["verdict"], "agree-drift");
    assert_eq!(
        g["script_result"]["fail_lines"][0],
        "FAIL: 1 parity errors found"
    );
    let f = &g["native"]["findings"][0];
    assert!(
        f["message"].as_str().is_some_and(|m| m.contains("VM 209")),
        "{f:#}"
    );
    assert_eq!(
        f["in_script_output"], true,
        "subject 209 is in the script output"
    );
    // The retired registry gate and driftgate's own gates are not compared.
    let why = |id: &str| {
        r["not_compared"]
            .as_array()
            .and_then(|a| a.iter().find(|n| n["id"] == id))
            .and_then(|n| n["why"].as_str())
            .map(str::to_string)
    };
    assert_eq!(why("D100").as_deref(), Some("retired in the registry"));
    assert!(why("D402").is_some_and(|w| w.contains("not in the spine's gate registry")));
}

#[test]
fn driftgate_alone_calling_drift_is_a_disagreement_with_details() {
    let (_d, spine) = spine("fail", "pass");
    let out = shadow(&spine, &["--gates", "d086"]);
    assert_eq!(out.status.code(), Some(1));
    let r = json_of(&out);
    validate(&r);
    assert_eq!(gate(&r, "D86")["verdict"], "native-only");
    assert_eq!(
        r["gates"].as_array().map(Vec::len),
        Some(1),
        "--gates selects"
    );
    // The table names the verdict and the finding.
    let mut c = driftgate();
    c.env("DRIFTGATE_SHADOW_TOOLS", "bash,git")
        .args(["shadow", "--now", "2026-03-05", "--gates", "D86", "--spine"])
        .arg(&spine);
    if !sandbox_works() {
        c.arg("--unsandboxed");
    }
    let table = c.output().expect("runs");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("D86   driftgate only"), "{text}");
    assert!(
        text.contains("VM 209") && text.contains("not in script output"),
        "{text}"
    );
    assert!(text.contains("1 disagree"), "{text}");
}

#[test]
fn both_clean_agree() {
    let (_d, spine) = spine("pass", "pass");
    let out = shadow(&spine, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(gate(&json_of(&out), "D86")["verdict"], "agree-clean");
}

#[test]
fn a_script_missing_a_tool_could_not_judge_and_that_is_not_green() {
    let (_d, spine) = spine("pass", "tool");
    let out = shadow(&spine, &[]);
    assert_eq!(out.status.code(), Some(1));
    let r = json_of(&out);
    validate(&r);
    let g = gate(&r, "D86");
    assert_eq!(g["verdict"], "script-error");
    assert!(
        g["script_result"]["reason"]
            .as_str()
            .is_some_and(|w| w.contains("a tool is missing")),
        "{g:#}"
    );
}

#[test]
fn rev_judges_that_revision_and_scripts_never_touch_the_checkout() {
    // History: first a clean spine, then drift on both sides.
    let (_d, spine) = spine("pass", "write");
    let first = git(&spine, &["rev-parse", "HEAD"]).trim().to_string();
    lay(&spine, "fail", "fail");
    git(&spine, &["add", "-A"]);
    git(&spine, &["commit", "-q", "-m", "drift"]);
    let lifecycle = spine.join("ops/bindings/vm.lifecycle.yaml");
    let before = std::fs::read(&lifecycle).expect("read");

    let old = shadow(&spine, &["--rev", "HEAD~1"]);
    let r = json_of(&old);
    validate(&r);
    assert_eq!(r["commit"], first.as_str());
    let g = gate(&r, "D86");
    assert_eq!(g["verdict"], "agree-clean", "{g:#}");
    // The script ran in its own private copy (HOME and SPINE_ROOT point
    // there, a copy per script) and its write landed there, reported with
    // the gate, not in the checkout.
    let root = output_line(g, "root=");
    assert!(root.ends_with("/code/agentic-spine"), "{root}");
    assert!(root.contains("driftgate-shadow-script-"), "{root}");
    assert!(!root.contains(spine.to_string_lossy().as_ref()), "{root}");
    assert_eq!(
        r["script_writes"][0],
        "ops/bindings/vm.lifecycle.yaml (D86)"
    );
    assert_eq!(
        g["script_result"]["writes"][0],
        "ops/bindings/vm.lifecycle.yaml"
    );
    assert!(
        !std::path::Path::new(&root).exists(),
        "the script's copy is removed afterwards"
    );
    assert_eq!(std::fs::read(&lifecycle).expect("read"), before);
    assert_eq!(git(&spine, &["status", "--porcelain"]), "");

    let new = shadow(&spine, &["--rev", "HEAD"]);
    assert_eq!(gate(&json_of(&new), "D86")["verdict"], "agree-drift");
    // An unknown revision is a usage error.
    let bad = shadow(&spine, &["--rev", "no-such-rev"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown revision `no-such-rev`"));
}

#[test]
fn the_work_tree_and_the_index_are_judged_as_they_are() {
    let (_d, spine) = spine("pass", "pass");
    // Uncommitted drift on both sides, then staged.
    lay(&spine, "fail", "fail");
    let r = json_of(&shadow(&spine, &[]));
    assert_eq!(gate(&r, "D86")["verdict"], "agree-drift", "work tree");
    assert_eq!(r["snapshot"], "work tree");
    let staged = json_of(&shadow(&spine, &["--staged"]));
    assert_eq!(
        gate(&staged, "D86")["verdict"],
        "agree-clean",
        "index = HEAD"
    );
    git(&spine, &["add", "-A"]);
    let staged = json_of(&shadow(&spine, &["--staged"]));
    assert_eq!(
        gate(&staged, "D86")["verdict"],
        "agree-drift",
        "staged drift"
    );
}

#[test]
fn scripts_run_without_network_and_at_the_pinned_date() {
    let (_d, spine) = spine("pass", "pass");
    if sandbox_works() {
        let r = json_of(&shadow(&spine, &[]));
        assert_eq!(r["sandboxed"], true);
        let g = gate(&r, "D86");
        assert_eq!(
            output_line(g, "ifaces="),
            "ifaces=0",
            "only loopback: {g:#}"
        );
        if r["clock_pinned"] == true {
            assert_eq!(output_line(g, "today="), "today=2026-03-05");
        } else {
            assert!(!output_line(g, "today=").ends_with("2026-03-05"));
        }
    } else {
        // No user namespaces here: shadow refuses rather than run the
        // scripts with the network.
        let out = driftgate()
            .args(["shadow", "--format", "json", "--spine"])
            .arg(&spine)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("--unsandboxed"));
    }
}

#[test]
fn a_spine_without_git_or_registry_is_a_clear_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = shadow(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a git checkout"));
    let (_d, spine) = spine("pass", "pass");
    std::fs::remove_file(spine.join("ops/bindings/gate.registry.yaml")).expect("rm");
    let out = shadow(&spine, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("gate.registry.yaml"));
}

#[test]
fn a_tool_the_scripts_need_and_the_machine_lacks_is_named_and_not_green() {
    let (_d, spine) = spine("pass", "pass");
    let out = driftgate()
        .env("DRIFTGATE_SHADOW_TOOLS", "bash,no-such-tool-for-driftgate")
        .args([
            "shadow",
            "--format",
            "json",
            "--now",
            "2026-03-05",
            "--spine",
        ])
        .arg(&spine)
        .args(if sandbox_works() {
            &[][..]
        } else {
            &["--unsandboxed"][..]
        })
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "both agree, but a tool is missing"
    );
    let r = json_of(&out);
    validate(&r);
    assert_eq!(
        r["missing_tools"],
        serde_json::json!(["no-such-tool-for-driftgate"])
    );
    assert_eq!(gate(&r, "D86")["verdict"], "agree-clean");
}

/// Every script runs in its own copy: a script that rewrites a file cannot
/// change what a later script reads (D86's double rewrites `verdict`, D100's
/// double, run after it with --jobs 1, still reads the original).
#[test]
fn each_script_runs_in_its_own_copy() {
    let (_d, spine) = spine("pass", "pass");
    let registry = "\
gates:
  - id: D86
    name: vm-operating-profile-parity-lock
    check_script: surfaces/verify/d86-writer.sh
  - id: D100
    name: vm-ip-parity-lock
    check_script: surfaces/verify/d86-profile.sh
";
    std::fs::write(spine.join("ops/bindings/gate.registry.yaml"), registry).expect("registry");
    std::fs::write(
        spine.join("surfaces/verify/d86-writer.sh"),
        "#!/usr/bin/env bash\ncd \"${SPINE_ROOT:?}\"\necho fail > verdict\necho \"D86 PASS\"\n",
    )
    .expect("writer");
    git(&spine, &["add", "-A"]);
    git(&spine, &["commit", "-q", "-m", "writer"]);
    let r = json_of(&shadow(&spine, &["--jobs", "1"]));
    validate(&r);
    assert_eq!(gate(&r, "D86")["script_result"]["writes"][0], "verdict");
    assert_eq!(
        gate(&r, "D100")["script_result"]["outcome"],
        "pass",
        "the second script saw the first one's write: {r:#}"
    );
    assert_eq!(
        std::fs::read_to_string(spine.join("verdict")).expect("verdict"),
        "pass"
    );
}
