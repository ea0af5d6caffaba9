//! `driftgate check` foundation: snapshots (work tree, --rev, --staged,
//! GIT_INDEX_FILE, bare clone), exact spans of schema findings, exit codes.
//! Every repo here is a real git repository built in a temp dir.

mod common;

use common::*;
use std::path::Path;

const VM: &str = "ops/bindings/vm.lifecycle.yaml";

/// 1-based line and column of the first occurrence of `needle` in a file.
fn position_of(path: &Path, needle: &str) -> (u64, u64) {
    let text = std::fs::read_to_string(path).expect("read fixture");
    let off = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {}", path.display()));
    let before = &text[..off];
    let line = before.matches('\n').count() as u64 + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
    (line, col)
}

fn check_json(args: &[&str]) -> (i32, serde_json::Value) {
    let out = driftgate()
        .arg("check")
        .args(args)
        .args(["--format", "json", "--no-exec", "--now", "2026-11-20"])
        .output()
        .expect("runs");
    (out.status.code().unwrap_or(-1), json_of(&out))
}

/// A clean spine (demo + fixes) as a git repo with one commit.
fn clean_spine_repo() -> tempfile::TempDir {
    let ws = demo_copy(true);
    init_repo(&ws.path().join("spine"));
    ws
}

fn schema_messages(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["code"].as_str().is_some_and(|c| c.starts_with("schema/")))
        .map(|f| f["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn demo_schema_violations_have_exact_positions_and_exit_1() {
    let ws = demo_copy(false);
    let spine = ws.path().join("spine");
    let (code, report) = check_json(&[ws.path().to_str().expect("utf8")]);
    assert_eq!(code, 1);

    let vm = findings_with_code(&report, "schema/vm.lifecycle");
    let (line, col) = position_of(&spine.join(VM), "retired");
    let hit = vm
        .iter()
        .find(|f| f["message"].as_str().unwrap_or("").contains("`retired`"))
        .expect("unknown VM status reported");
    assert_eq!(
        (hit["line"].as_u64(), hit["column"].as_u64()),
        (Some(line), Some(col))
    );
    assert_eq!(hit["path"], VM);
    assert_eq!(hit["repo"], "spine");
    assert!(hit["subject"].as_str().unwrap_or("").starts_with("vms[id="));

    let ssh = findings_with_code(&report, "schema/ssh.targets");
    let bad_ip = ssh
        .iter()
        .find(|f| {
            f["message"]
                .as_str()
                .unwrap_or("")
                .contains("not a valid ipv4")
        })
        .expect("bad IPv4 reported");
    let ip = bad_ip["message"]
        .as_str()
        .and_then(|m| m.split('`').nth(3))
        .expect("message quotes the bad value");
    let (line, _) = position_of(&spine.join("ops/bindings/ssh.targets.yaml"), ip);
    assert_eq!(bad_ip["line"].as_u64(), Some(line));

    let missing_id = findings_with_code(&report, "schema/services.health");
    assert!(
        missing_id.iter().any(|f| f["message"]
            .as_str()
            .unwrap_or("")
            .contains("required field `id`")),
        "{missing_id:?}"
    );

    let dup = findings_with_code(&report, "parse/duplicate-key");
    assert_eq!(dup.len(), 1, "{dup:?}");
    assert_eq!(dup[0]["path"], "ops/bindings/docker.compose.targets.yaml");
    assert_eq!(
        dup[0]["related"][0]["line"]
            .as_u64()
            .map(|l| l < dup[0]["line"].as_u64().unwrap_or(0)),
        Some(true)
    );
}

#[test]
fn clean_copy_has_no_schema_findings() {
    let ws = demo_copy(true);
    let (_, report) = check_json(&[ws.path().to_str().expect("utf8")]);
    assert!(
        schema_messages(&report).is_empty(),
        "{:?}",
        schema_messages(&report)
    );
    assert!(findings_with_code(&report, "parse/duplicate-key").is_empty());
}

#[test]
fn a_service_without_a_published_port_is_valid() {
    // The real spine writes `port: null` for internal database containers.
    let ws = demo_copy(true);
    let reg = ws
        .path()
        .join("spine/docs/governance/SERVICE_REGISTRY.yaml");
    edit(&reg, "    port: 15432\n", "    port: null\n");
    let (_, report) = check_json(&[ws.path().to_str().expect("utf8")]);
    assert!(
        schema_messages(&report).is_empty(),
        "{:?}",
        schema_messages(&report)
    );
    // A port that is not a number still is not.
    edit(&reg, "    port: null\n", "    port: \"db\"\n");
    let (_, report) = check_json(&[ws.path().to_str().expect("utf8")]);
    assert_eq!(
        schema_messages(&report).len(),
        1,
        "{:?}",
        schema_messages(&report)
    );
}

#[test]
fn broken_file_does_not_hide_other_findings() {
    let ws = demo_copy(false);
    let spine = ws.path().join("spine");
    std::fs::write(
        spine.join("ops/bindings/broken.yaml"),
        "status: active\nitems:\n  - \"unclosed\n  - x\n",
    )
    .expect("write");
    let (code, report) = check_json(&[ws.path().to_str().expect("utf8")]);
    assert_eq!(code, 1);
    let syn = findings_with_code(&report, "parse/syntax");
    assert!(
        syn.iter().any(|f| f["path"] == "ops/bindings/broken.yaml"),
        "{syn:?}"
    );
    assert!(!findings_with_code(&report, "schema/vm.lifecycle").is_empty());
}

#[test]
fn rev_reads_the_named_commit_not_the_work_tree() {
    let ws = clean_spine_repo();
    let spine = ws.path().join("spine");
    edit(&spine.join(VM), "status: active", "status: bogus");
    git(&spine, &["commit", "-qam", "break a VM status"]);
    let spine_s = spine.to_str().expect("utf8");

    let (_, at_head) = check_json(&["--spine", spine_s, "--rev", "HEAD"]);
    assert!(schema_messages(&at_head)
        .iter()
        .any(|m| m.contains("`bogus`")));

    // Work tree fixed, HEAD~1 never broken.
    edit(&spine.join(VM), "status: bogus", "status: active");
    let (_, before) = check_json(&["--spine", spine_s, "--rev", "HEAD~1"]);
    assert!(
        schema_messages(&before).is_empty(),
        "{:?}",
        schema_messages(&before)
    );
    let expected = git(&spine, &["rev-parse", "HEAD~1"]);
    assert_eq!(before["repos"][0]["commit"], expected.trim());

    // --rev HEAD still sees the committed breakage although the work tree is fixed.
    let (_, head_again) = check_json(&["--spine", spine_s, "--rev", "HEAD"]);
    assert!(schema_messages(&head_again)
        .iter()
        .any(|m| m.contains("`bogus`")));
}

#[test]
fn staged_judges_the_index_not_the_work_tree() {
    let ws = clean_spine_repo();
    let spine = ws.path().join("spine");
    let spine_s = spine.to_str().expect("utf8");
    let original = std::fs::read_to_string(spine.join(VM)).expect("read");

    // Stage a broken status, then restore the work tree: staged is broken.
    edit(&spine.join(VM), "status: active", "status: bogus");
    git(&spine, &["add", VM]);
    std::fs::write(spine.join(VM), &original).expect("restore");
    let (code, staged) = check_json(&["--spine", spine_s, "--staged"]);
    assert!(schema_messages(&staged)
        .iter()
        .any(|m| m.contains("`bogus`")));
    assert_eq!(code, 1);
    let (_, worktree) = check_json(&["--spine", spine_s]);
    assert!(schema_messages(&worktree).is_empty());

    // The other way round: staged clean, work tree broken.
    git(&spine, &["add", VM]);
    edit(&spine.join(VM), "status: active", "status: bogus");
    let (_, staged) = check_json(&["--spine", spine_s, "--staged"]);
    assert!(
        schema_messages(&staged).is_empty(),
        "{:?}",
        schema_messages(&staged)
    );
    let (_, worktree) = check_json(&["--spine", spine_s]);
    assert!(schema_messages(&worktree)
        .iter()
        .any(|m| m.contains("`bogus`")));
}

#[test]
fn staged_honours_git_index_file() {
    let ws = clean_spine_repo();
    let spine = ws.path().join("spine");
    let spine_s = spine.to_str().expect("utf8");
    let alt_index = ws.path().join("alt-index");
    let alt = alt_index.to_str().expect("utf8");

    // Build a temporary index (as `git commit <path>` does) holding a broken blob.
    git_env(&spine, &["read-tree", "HEAD"], &[("GIT_INDEX_FILE", alt)]);
    let broken = std::fs::read_to_string(spine.join(VM))
        .expect("read")
        .replacen("status: active", "status: bogus", 1);
    let blob_file = ws.path().join("blob.yaml");
    std::fs::write(&blob_file, broken).expect("write");
    let oid = git(
        &spine,
        &["hash-object", "-w", blob_file.to_str().expect("utf8")],
    );
    git_env(
        &spine,
        &[
            "update-index",
            "--cacheinfo",
            &format!("100644,{},{VM}", oid.trim()),
        ],
        &[("GIT_INDEX_FILE", alt)],
    );

    let out = driftgate()
        .args([
            "check",
            "--spine",
            spine_s,
            "--staged",
            "--format",
            "json",
            "--no-exec",
        ])
        .env("GIT_INDEX_FILE", alt)
        .output()
        .expect("runs");
    assert!(schema_messages(&json_of(&out))
        .iter()
        .any(|m| m.contains("`bogus`")));

    let (_, default_index) = check_json(&["--spine", spine_s, "--staged"]);
    assert!(schema_messages(&default_index).is_empty());
}

#[test]
fn bare_clone_reads_from_git_objects() {
    let ws = clean_spine_repo();
    let spine = ws.path().join("spine");
    edit(&spine.join(VM), "status: active", "status: bogus");
    git(&spine, &["commit", "-qam", "break"]);
    let bare = ws.path().join("bare.git");
    git(ws.path(), &["clone", "-q", "--bare", "spine", "bare.git"]);
    let (code, report) = check_json(&["--spine", bare.to_str().expect("utf8"), "--rev", "HEAD"]);
    assert_eq!(code, 1);
    assert!(schema_messages(&report)
        .iter()
        .any(|m| m.contains("`bogus`")));
    let head = git(&spine, &["rev-parse", "HEAD"]);
    assert_eq!(report["repos"][0]["commit"], head.trim());
    let (_, older) = check_json(&["--spine", bare.to_str().expect("utf8"), "--rev", "HEAD~1"]);
    assert!(schema_messages(&older).is_empty());
}

#[test]
fn unknown_rev_is_exit_2_with_a_clear_message() {
    let ws = clean_spine_repo();
    let spine = ws.path().join("spine");
    let out = driftgate()
        .args([
            "check",
            "--spine",
            spine.to_str().expect("utf8"),
            "--rev",
            "no-such-branch",
            "--format",
            "short",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("no-such-branch"), "{text}");
}

#[test]
fn staged_on_a_plain_directory_is_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("x.yaml"), "a: 1\n").expect("write");
    let out = driftgate()
        .args([
            "check",
            "--spine",
            dir.path().to_str().expect("utf8"),
            "--staged",
            "--format",
            "short",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not a git repository"));
}

#[test]
fn workspace_shorthand_finds_all_three_repos_and_records_commits() {
    let ws = demo_copy(true);
    for r in ["spine", "workbench", "legacy"] {
        init_repo(&ws.path().join(r));
    }
    let (_, report) = check_json(&[ws.path().to_str().expect("utf8")]);
    let names: Vec<&str> = report["repos"]
        .as_array()
        .expect("repos")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names, vec!["spine", "workbench", "legacy"]);
    let wb_head = git(&ws.path().join("workbench"), &["rev-parse", "HEAD"]);
    assert_eq!(report["repos"][1]["commit"], wb_head.trim());
}

#[test]
fn missing_optional_repo_is_a_note_not_an_error() {
    let ws = demo_copy(true);
    let spine = ws.path().join("spine");
    // Drop the config's workbench/legacy paths.
    std::fs::remove_dir_all(ws.path().join("workbench")).expect("rm");
    let out = driftgate()
        .args([
            "check",
            "--spine",
            spine.to_str().expect("utf8"),
            "--format",
            "json",
            "--no-exec",
            "--now",
            "2026-11-20",
        ])
        .output()
        .expect("runs");
    let report = json_of(&out);
    let notes = findings_with_code(&report, "workspace/missing-repo");
    assert!(
        notes
            .iter()
            .any(|n| n["repo"] == "workbench" && n["severity"] == "info"),
        "{notes:?}"
    );
    assert_ne!(out.status.code(), Some(2));
}

#[test]
fn workbench_schema_is_checked_through_env() {
    let ws = demo_copy(false);
    let wb = ws.path().join("workbench");
    edit(
        &wb.join("infra/data/CONTAINER_INVENTORY.yaml"),
        "vmid: ",
        "vmid: not-a-number-",
    );
    let out = driftgate()
        .args([
            "check",
            "--spine",
            ws.path().join("spine").to_str().expect("utf8"),
            "--format",
            "json",
            "--no-exec",
        ])
        .env("DRIFTGATE_WORKBENCH", &wb)
        .output()
        .expect("runs");
    let report = json_of(&out);
    let inv = findings_with_code(&report, "schema/CONTAINER_INVENTORY");
    assert!(!inv.is_empty());
    assert!(inv.iter().all(|f| f["repo"] == "workbench"));
}

#[test]
fn conventions_skip_files_a_config_mapped_schema_covers() {
    let ws = demo_copy(true);
    let spine = ws.path().join("spine");
    std::fs::write(
        spine.join("ops/bindings/extra.yaml"),
        "status: active\nnotes: legacy key\n",
    )
    .expect("w");
    let d129_on_extra = |report: &serde_json::Value| {
        findings_with_code(report, "D129")
            .iter()
            .filter(|f| f["path"] == "ops/bindings/extra.yaml")
            .count()
    };
    let (_, before) = check_json(&[ws.path().to_str().expect("utf8")]);
    assert_eq!(
        d129_on_extra(&before),
        1,
        "no schema: the conventions judge it"
    );

    std::fs::create_dir_all(spine.join("ops/schemas")).expect("mkdir");
    std::fs::write(
        spine.join("ops/schemas/extra.schema.json"),
        r#"{"type": "object"}"#,
    )
    .expect("w");
    let cfg = spine.join("driftgate.yaml");
    let text = std::fs::read_to_string(&cfg).expect("r");
    std::fs::write(
        &cfg,
        format!("{text}\nschemas:\n  - glob: ops/bindings/extra.yaml\n    schema: ops/schemas/extra.schema.json\n"),
    )
    .expect("w");
    let (_, after) = check_json(&[ws.path().to_str().expect("utf8")]);
    assert_eq!(d129_on_extra(&after), 0, "its own schema covers it now");
    assert!(after["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .any(|c| c["code"] == "schema/ops/schemas/extra.schema.json" && c["status"] == "ran"));
}

#[test]
fn timings_go_to_stderr_only_when_asked_and_leave_stdout_alone() {
    let ws = demo_copy(true);
    let spine = ws.path().join("spine");
    let plain = check_json_cmd(&spine).output().expect("runs");
    let timed = check_json_cmd(&spine)
        .env("DRIFTGATE_TIMINGS", "1")
        .output()
        .expect("runs");
    let timing_lines = |out: &std::process::Output| -> Vec<String> {
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| l.starts_with("driftgate: timing"))
            .map(str::to_string)
            .collect()
    };
    assert!(
        timing_lines(&plain).is_empty(),
        "{:?}",
        timing_lines(&plain)
    );
    let lines = timing_lines(&timed);
    for phase in [
        "open workspace",
        "parse spine",
        "schemas",
        "gate catalogue",
        "gates",
        "waivers",
        "reports",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(&format!("ms  {phase}"))),
            "no `{phase}` timing in {lines:#?}"
        );
    }
    // The report itself is the same (timings never reach stdout).
    let (a, b) = (json_of(&plain), json_of(&timed));
    assert_eq!(a["findings"], b["findings"]);
    assert_eq!(plain.status.code(), timed.status.code());
}

#[test]
fn force_color_colours_a_pipe_and_no_color_does_not() {
    let ws = demo_copy(false);
    let run = |env: &[(&str, &str)]| {
        let mut c = driftgate();
        c.args(["check", "--no-exec", "--now", "2026-11-20"])
            .arg(ws.path())
            .env_remove("NO_COLOR")
            .env_remove("FORCE_COLOR")
            .env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            c.env(k, v);
        }
        String::from_utf8_lossy(&c.output().expect("runs").stdout).into_owned()
    };
    assert!(!run(&[]).contains('\u{1b}'), "a pipe gets no colour");
    assert!(run(&[("FORCE_COLOR", "1")]).contains('\u{1b}'));
    assert!(run(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains('\u{1b}'));
    assert!(!run(&[("NO_COLOR", "1")]).contains('\u{1b}'));
}

/// D58 messages of a JSON report (they name the date judged at).
fn d58_messages(report: &serde_json::Value) -> Vec<String> {
    findings_with_code(report, "D58")
        .iter()
        .map(|f| f["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn rev_is_judged_at_its_commit_date_unless_now_is_given() {
    let ws = demo_copy(false);
    let spine = ws.path().join("spine");
    git(&spine, &["init", "-q", "-b", "main"]);
    git(&spine, &["add", "-A"]);
    git_env(
        &spine,
        &["commit", "-q", "-m", "at the demo's date"],
        &[("GIT_COMMITTER_DATE", "2026-11-20T12:00:00+00:00")],
    );
    let run = |now: Option<&str>| -> serde_json::Value {
        let mut c = driftgate();
        c.args([
            "check",
            "--no-exec",
            "--format",
            "json",
            "--select",
            "D58",
            "--rev",
            "HEAD",
        ])
        .arg("--spine")
        .arg(&spine);
        if let Some(n) = now {
            c.args(["--now", n]);
        }
        json_of(&c.output().expect("runs"))
    };
    let by_default = run(None);
    let at_commit = run(Some("2026-11-20"));
    let later = run(Some("2027-06-01"));
    let default_msgs = d58_messages(&by_default);
    assert!(
        default_msgs.iter().any(|m| m.contains("is 51 days old")),
        "{default_msgs:?}"
    );
    assert_eq!(default_msgs, d58_messages(&at_commit));
    assert_ne!(default_msgs, d58_messages(&later));
}
