//! Pre-commit hook and only-new-findings mode, with real commits.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

const VM: &str = "ops/bindings/vm.lifecycle.yaml";

fn bin() -> String {
    assert_cmd::cargo::cargo_bin("driftgate")
        .display()
        .to_string()
}

/// A clean demo workspace whose spine is a git repo with the hook installed.
fn repo_with_hook() -> tempfile::TempDir {
    let ws = demo_copy(true);
    let spine = ws.path().join("spine");
    init_repo(&spine);
    let out = Command::new(bin())
        .args(["hook", "install", "--repo"])
        .arg(&spine)
        .args(["--", "--no-exec", "--now", "2026-11-20"])
        .output()
        .expect("install runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    ws
}

/// `git commit`, returning (success, stdout+stderr).
fn commit(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("git")
        .current_dir(dir)
        .arg("commit")
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env("NO_COLOR", "1")
        .env_remove("DRIFTGATE_WORKBENCH")
        .env_remove("DRIFTGATE_LEGACY")
        .output()
        .expect("git commit runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn line_of(path: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(path).expect("read");
    let off = text.find(needle).expect("needle present");
    text[..off].matches('\n').count() + 1
}

#[test]
fn hook_blocks_a_commit_that_stages_a_broken_binding() {
    let ws = repo_with_hook();
    let spine = ws.path().join("spine");
    edit(&spine.join(VM), "status: active", "status: bogus");
    let line = line_of(&spine.join(VM), "status: bogus");
    git(&spine, &["add", VM]);
    let (ok, out) = commit(&spine, &["-qm", "break it"]);
    assert!(!ok, "commit should be blocked:\n{out}");
    assert!(out.contains(&format!("spine:{VM}:{line}:")), "{out}");
    assert!(out.contains("schema/vm.lifecycle"), "{out}");
    // Nothing was committed.
    assert_eq!(git(&spine, &["rev-list", "--count", "HEAD"]).trim(), "1");
}

#[test]
fn hook_lets_a_clean_commit_through_and_judges_the_staged_side() {
    let ws = repo_with_hook();
    let spine = ws.path().join("spine");
    let original = std::fs::read_to_string(spine.join(VM)).expect("read");
    // Staged: a harmless comment. Work tree: broken. The commit records the
    // staged side, so it must pass.
    std::fs::write(spine.join(VM), format!("# reviewed\n{original}")).expect("write");
    git(&spine, &["add", VM]);
    edit(&spine.join(VM), "status: active", "status: bogus");
    let (ok, out) = commit(&spine, &["-qm", "comment only"]);
    assert!(ok, "clean staged content must pass:\n{out}");
    assert_eq!(git(&spine, &["rev-list", "--count", "HEAD"]).trim(), "2");
}

#[test]
fn commit_with_paths_uses_the_temporary_index() {
    let ws = repo_with_hook();
    let spine = ws.path().join("spine");
    // Index: untouched. Work tree: broken. `git commit <path>` takes the
    // work-tree file into a temporary index (GIT_INDEX_FILE): blocked.
    edit(&spine.join(VM), "status: active", "status: bogus");
    let (ok, out) = commit(&spine, &["-qm", "commit the path", "--", VM]);
    assert!(!ok, "{out}");
    assert!(out.contains("`bogus`"), "{out}");

    // Broken content staged, but the commit names another (clean) path:
    // the temporary index holds HEAD + that path, so it passes.
    git(&spine, &["add", VM]);
    std::fs::write(spine.join("NOTES.md"), "notes\n").expect("write");
    git(&spine, &["add", "NOTES.md"]);
    std::fs::write(spine.join("NOTES.md"), "notes, edited\n").expect("write");
    let (ok, out) = commit(&spine, &["-qm", "only notes", "--", "NOTES.md"]);
    assert!(ok, "{out}");
}

#[test]
fn hook_install_chains_an_existing_hook_and_uninstall_restores_it() {
    let ws = demo_copy(true);
    let spine = ws.path().join("spine");
    init_repo(&spine);
    let hooks = spine.join(".git/hooks");
    std::fs::create_dir_all(&hooks).expect("mkdir");
    let marker = ws.path().join("old-hook-ran");
    std::fs::write(
        hooks.join("pre-commit"),
        format!("#!/bin/sh\ntouch '{}'\n", marker.display()),
    )
    .expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            hooks.join("pre-commit"),
            std::fs::Permissions::from_mode(0o755),
        )
        .expect("chmod");
    }
    let out = Command::new(bin())
        .args(["hook", "install", "--repo"])
        .arg(&spine)
        .args(["--", "--no-exec"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("kept the existing hook"));

    std::fs::write(spine.join("NOTES.md"), "x\n").expect("write");
    git(&spine, &["add", "NOTES.md"]);
    let (ok, text) = commit(&spine, &["-qm", "notes"]);
    assert!(ok, "{text}");
    assert!(marker.exists(), "the chained hook must still run");

    let out = Command::new(bin())
        .args(["hook", "uninstall", "--repo"])
        .arg(&spine)
        .output()
        .expect("runs");
    assert!(out.status.success());
    let restored = std::fs::read_to_string(hooks.join("pre-commit")).expect("hook back");
    assert!(restored.contains("old-hook-ran"));
    assert!(!hooks.join("pre-commit.driftgate-chained").exists());

    // --force replaces instead of chaining.
    let out = Command::new(bin())
        .args(["hook", "install", "--force", "--repo"])
        .arg(&spine)
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert!(!hooks.join("pre-commit.driftgate-chained").exists());
    let now = std::fs::read_to_string(hooks.join("pre-commit")).expect("hook");
    assert!(now.contains("driftgate pre-commit hook"));
}

#[test]
fn uninstall_refuses_a_foreign_hook() {
    let ws = demo_copy(true);
    let spine = ws.path().join("spine");
    init_repo(&spine);
    std::fs::create_dir_all(spine.join(".git/hooks")).expect("mkdir");
    std::fs::write(spine.join(".git/hooks/pre-commit"), "#!/bin/sh\nexit 0\n").expect("write");
    let out = Command::new(bin())
        .args(["hook", "uninstall", "--repo"])
        .arg(&spine)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(spine.join(".git/hooks/pre-commit").exists());
}

#[test]
fn staged_run_only_checks_changed_bindings() {
    let ws = demo_copy(false); // the demo is full of drift
    let spine = ws.path().join("spine");
    init_repo(&spine);
    std::fs::write(spine.join("NOTES.md"), "unrelated\n").expect("write");
    git(&spine, &["add", "NOTES.md"]);
    // With and without --affected-only: every gate declares inputs, and
    // exec gates never run on the index, so nothing is judged.
    for extra in [&["--affected-only"][..], &[][..]] {
        let out = driftgate()
            .args([
                "check",
                "--staged",
                "--no-exec",
                "--format",
                "json",
                "--spine",
            ])
            .arg(&spine)
            .args(extra)
            .output()
            .expect("runs");
        let report = json_of(&out);
        let codes: Vec<&str> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["waived"] == false)
            .filter_map(|f| f["code"].as_str())
            .filter(|c| !c.starts_with("workspace/"))
            .collect();
        assert!(
            codes.is_empty(),
            "an unrelated commit must not be judged on old drift: {codes:?}"
        );
        assert_eq!(out.status.code(), Some(0));
        for c in report["checks"].as_array().expect("checks") {
            assert!(
                !c["code"].as_str().is_some_and(|s| s.starts_with("schema/")),
                "schema check recorded for an unrelated commit: {c}"
            );
            assert_ne!(
                c["status"], "ran",
                "gate ran for an unrelated commit ({extra:?}): {c}"
            );
        }
    }
}

#[test]
fn new_since_hides_old_findings_after_lines_move_and_shows_new_ones() {
    let ws = demo_copy(true);
    let spine = ws.path().join("spine");
    init_repo(&spine);
    // An old mess, committed.
    edit(&spine.join(VM), "status: active", "status: bogus-old");
    git(&spine, &["commit", "-qam", "old mess"]);
    // Now: lines inserted above it, and a new problem.
    let text = std::fs::read_to_string(spine.join(VM)).expect("read");
    let mut moved = String::from("# a\n# b\n# c\n");
    moved.push_str(&text);
    std::fs::write(spine.join(VM), moved).expect("write");
    edit(&spine.join(VM), "status: active", "status: bogus-new");

    let out = driftgate()
        .args([
            "check",
            "--no-exec",
            "--now",
            "2026-11-20",
            "--format",
            "json",
            "--new-since",
            "HEAD",
            "--spine",
        ])
        .arg(&spine)
        .output()
        .expect("runs");
    let report = json_of(&out);
    let msgs: Vec<String> = findings_with_code(&report, "schema/vm.lifecycle")
        .iter()
        .map(|f| f["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(msgs.iter().any(|m| m.contains("bogus-new")), "{msgs:?}");
    assert!(!msgs.iter().any(|m| m.contains("bogus-old")), "{msgs:?}");
    assert!(report["summary"]["hidden_old"].as_u64().unwrap_or(0) >= 1);

    // Without --new-since both show.
    let out = check_json_cmd(&spine).output().expect("runs");
    let all = json_of(&out);
    let n = findings_with_code(&all, "schema/vm.lifecycle").len();
    assert_eq!(n, 2);
}

#[test]
fn staged_binding_change_runs_exactly_the_gates_that_read_it() {
    let ws = demo_copy(false);
    let spine = ws.path().join("spine");
    init_repo(&spine);
    let reg = spine.join("docs/governance/SERVICE_REGISTRY.yaml");
    let text = std::fs::read_to_string(&reg).expect("read");
    std::fs::write(&reg, format!("# touched\n{text}")).expect("write");
    git(&spine, &["add", "docs/governance/SERVICE_REGISTRY.yaml"]);
    let out = driftgate()
        .args([
            "check",
            "--staged",
            "--no-exec",
            "--now",
            "2026-11-20",
            "--format",
            "json",
            "--spine",
        ])
        .arg(&spine)
        .output()
        .expect("runs");
    let report = json_of(&out);
    let status = |code: &str| -> String {
        report["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["code"] == code)
            .map(|c| c["status"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    };
    // D409 and D59 read SERVICE_REGISTRY.yaml; D86 and D402 do not.
    assert_eq!(status("D409"), "ran");
    assert_eq!(status("D59"), "ran");
    assert_eq!(status("D86"), "skipped");
    assert_eq!(status("D402"), "skipped");
    assert_eq!(status("schema/SERVICE_REGISTRY"), "ran");
    assert_eq!(status("schema/vm.lifecycle"), "");
    // The old port collision in the touched file is reported (exit 1).
    assert!(!findings_with_code(&report, "D409").is_empty());
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn staged_sweeping_gates_judge_only_the_changed_files() {
    // The demo has conventions drift (D129) in two bindings; the commit
    // touches one of them. Like the registry's D129, only that one is judged.
    let ws = demo_copy(false);
    let spine = ws.path().join("spine");
    init_repo(&spine);
    let touched = "ops/bindings/tenant.storage.contract.yaml";
    let text = std::fs::read_to_string(spine.join(touched)).expect("read");
    std::fs::write(spine.join(touched), format!("# touched\n{text}")).expect("write");
    git(&spine, &["add", touched]);
    let out = driftgate()
        .args([
            "check",
            "--staged",
            "--no-exec",
            "--now",
            "2026-11-20",
            "--format",
            "json",
            "--spine",
        ])
        .arg(&spine)
        .output()
        .expect("runs");
    let report = json_of(&out);
    let d129: Vec<&str> = findings_with_code(&report, "D129")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert_eq!(d129, vec![touched], "{report}");

    // The same work tree checked in full reports both files.
    let out = check_json_cmd(&spine).output().expect("runs");
    let full = json_of(&out);
    let mut paths: Vec<&str> = findings_with_code(&full, "D129")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    paths.dedup();
    assert!(
        paths.contains(&"ops/bindings/infra.storage.placement.policy.yaml"),
        "{paths:?}"
    );
    assert!(paths.contains(&touched));
}

/// `driftgate hook install` run in `dir` (the current directory).
fn install_in(dir: &Path) {
    let out = Command::new(bin())
        .current_dir(dir)
        .args(["hook", "install", "--", "--no-exec", "--now", "2026-11-20"])
        .output()
        .expect("install runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn hook_install_honours_core_hooks_path() {
    let ws = demo_copy(true);
    let spine = ws.path().join("spine");
    init_repo(&spine);
    git(&spine, &["config", "core.hooksPath", ".githooks"]);
    install_in(&spine);
    assert!(
        spine.join(".githooks/pre-commit").is_file(),
        "written where git looks"
    );
    assert!(!spine.join(".git/hooks/pre-commit").exists());
    edit(&spine.join(VM), "status: active", "status: bogus");
    git(&spine, &["add", VM]);
    let (ok, out) = commit(&spine, &["-qm", "break it"]);
    assert!(!ok, "git runs the hook from core.hooksPath:\n{out}");
    assert!(out.contains("schema/vm.lifecycle"), "{out}");
}

#[test]
fn hook_install_from_a_linked_worktree_guards_its_commits() {
    let ws = demo_copy(true);
    let spine = ws.path().join("spine");
    init_repo(&spine);
    let linked = ws.path().join("linked");
    git(
        &spine,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "side",
            linked.to_str().expect("utf8"),
        ],
    );
    install_in(&linked);
    edit(&linked.join(VM), "status: active", "status: bogus");
    git(&linked, &["add", VM]);
    let (ok, out) = commit(&linked, &["-qm", "break it"]);
    assert!(!ok, "the hook runs for the linked worktree:\n{out}");
    assert!(out.contains("schema/vm.lifecycle"), "{out}");
}

/// D129's pass fixture (touch_and_fix conventions) with drift planted in a
/// binding nobody touched, as a committed spine.
fn touch_and_fix_spine() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let gates = Path::new(env!("CARGO_MANIFEST_DIR")).join("gates");
    let d129 = std::fs::read_dir(&gates)
        .expect("gates/")
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("D129-"))
        })
        .expect("D129 folder");
    let spine = dir.path().join("spine");
    copy_tree(&d129.join("pass/spine"), &spine);
    edit(
        &spine.join("ops/bindings/tenant.storage.contract.yaml"),
        "status: authoritative\nowner",
        "status: wip\nowner",
    );
    init_repo(&spine);
    dir
}

fn d129(spine: &Path, args: &[&str]) -> Vec<(String, String)> {
    let out = driftgate()
        .args([
            "check",
            "--no-exec",
            "--now",
            "2026-11-20",
            "--format",
            "json",
            "--select",
            "D129",
        ])
        .args(args)
        .arg("--spine")
        .arg(spine)
        .output()
        .expect("runs");
    let v = json_of(&out);
    findings_with_code(&v, "D129")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or("").to_string(),
                f["severity"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn touch_and_fix_judges_what_a_change_touches() {
    let dir = touch_and_fix_spine();
    let spine = dir.path().join("spine");
    let contract = "ops/bindings/tenant.storage.contract.yaml".to_string();
    // A full run: the untouched file's violation is backlog.
    assert_eq!(
        d129(&spine, &[]),
        vec![(contract.clone(), "info".to_string())]
    );
    // A commit that does not touch it is not judged on it.
    std::fs::write(spine.join("ops/bindings/other.yaml"), "status: active\n").expect("w");
    git(&spine, &["add", "ops/bindings/other.yaml"]);
    assert_eq!(d129(&spine, &["--staged"]), vec![]);
    // A commit that touches it must fix it.
    let path = spine.join(&contract);
    let text = std::fs::read_to_string(&path).expect("r");
    std::fs::write(&path, format!("# reviewed\n{text}")).expect("w");
    git(&spine, &["add", &contract]);
    assert_eq!(
        d129(&spine, &["--staged"]),
        vec![(contract.clone(), "error".to_string())]
    );
    // The same for --new-since: touched since the base → error, shown as new.
    git(&spine, &["commit", "-qm", "touch"]);
    assert_eq!(
        d129(&spine, &["--new-since", "HEAD~1"]),
        vec![(contract.clone(), "error".to_string())]
    );
    assert_eq!(
        d129(&spine, &["--new-since", "HEAD"]),
        vec![],
        "nothing touched since HEAD"
    );
}

/// `driftgate check --staged --new-since HEAD` (the hook's command) on the
/// spine: exit code and the messages of the findings it reports.
fn hook_check(spine: &Path) -> (Option<i32>, Vec<String>) {
    let out = driftgate()
        // The hook's command, with JSON instead of its `--format short`.
        .args(
            driftgate::hook::CHECK
                .replace("--format short", "")
                .split_whitespace(),
        )
        .args(["--no-exec", "--now", "2026-11-20", "--format", "json"])
        .current_dir(spine)
        .output()
        .expect("runs");
    let report = json_of(&out);
    let msgs = report["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["message"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    (out.status.code(), msgs)
}

#[test]
fn hook_judges_what_the_commit_introduces_not_old_findings_of_the_file_it_touches() {
    // One policy for the hook and CI: what the change introduces (fingerprints
    // absent at HEAD), plus touch-and-fix findings of the touched files.
    let ws = repo_with_hook();
    let spine = ws.path().join("spine");
    // An old finding, committed before driftgate guarded the spine.
    edit(&spine.join(VM), "status: active", "status: bogus-old");
    git(&spine, &["add", VM]);
    let (ok, out) = commit(&spine, &["--no-verify", "-qm", "old mess"]);
    assert!(ok, "{out}");

    // A one-word edit of another line of the same file is not blocked.
    edit(&spine.join(VM), "Critical path.", "Critical route.");
    git(&spine, &["add", VM]);
    let (code, msgs) = hook_check(&spine);
    assert_eq!(code, Some(0), "{msgs:?}");
    let (ok, out) = commit(&spine, &["-qm", "reword a description"]);
    assert!(ok, "a one-word edit must pass the hook:\n{out}");
    // `--staged` alone judges the whole touched file, old finding included.
    let touch = "Critical route.";
    edit(&spine.join(VM), touch, "Critical path.");
    git(&spine, &["add", VM]);
    let out = driftgate()
        .args(["check", "--staged", "--no-exec", "--now", "2026-11-20"])
        .current_dir(&spine)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "the old finding is in the file");

    // A staged edit that introduces a new finding is blocked, and only the
    // new finding is reported.
    edit(&spine.join(VM), "status: active", "status: bogus-new");
    git(&spine, &["add", VM]);
    let (code, msgs) = hook_check(&spine);
    assert_eq!(code, Some(1), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("bogus-new")), "{msgs:?}");
    assert!(!msgs.iter().any(|m| m.contains("bogus-old")), "{msgs:?}");
    let (ok, out) = commit(&spine, &["-qm", "break it"]);
    assert!(!ok, "a new finding must be blocked:\n{out}");
    assert!(out.contains("bogus-new"), "{out}");
    assert_eq!(git(&spine, &["rev-list", "--count", "HEAD"]).trim(), "3");
}

#[test]
fn the_first_commit_has_no_head_and_everything_it_holds_is_new() {
    let ws = demo_copy(false);
    let spine = ws.path().join("spine");
    git(&spine, &["init", "-q", "-b", "main"]);
    git(&spine, &["add", "-A"]);
    // No HEAD yet: `--new-since HEAD` compares with nothing (not an error),
    // and the demo's drift is all new.
    let (code, msgs) = hook_check(&spine);
    assert_eq!(code, Some(1), "{msgs:?}");
    assert!(!msgs.iter().any(|m| m.contains("new-since")), "{msgs:?}");

    let ws = demo_copy(true);
    let spine = ws.path().join("spine");
    git(&spine, &["init", "-q", "-b", "main"]);
    git(&spine, &["add", "-A"]);
    let (code, msgs) = hook_check(&spine);
    assert_eq!(code, Some(0), "a clean first commit passes: {msgs:?}");
}
