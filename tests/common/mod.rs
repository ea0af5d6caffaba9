//! Shared helpers for integration tests: fixture copies and real git repos.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Recursively copies `from` into `to` (files overwrite: used for overlays).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        let ft = entry.file_type().expect("file type");
        if ft.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if ft.is_file() {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A temp copy of the demo workspace; `clean` overlays demo-fixes.
pub fn demo_copy(clean: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixtures().join("demo"), dir.path());
    if clean {
        copy_tree(&fixtures().join("demo-fixes"), dir.path());
        let _ = std::fs::remove_file(dir.path().join("README.md"));
    }
    dir
}

/// Runs git in `dir`, panicking with its stderr on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_env(dir, args, &[])
}

pub fn git_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Turns a directory into a git repo with one commit of everything in it.
pub fn init_repo(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "initial"]);
}

/// Replaces the first occurrence of `from` in a file (panics if absent).
pub fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).expect("write");
}

/// `driftgate` binary command with a clean environment for tests.
pub fn driftgate() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("driftgate").expect("binary");
    c.env_remove("DRIFTGATE_WORKBENCH")
        .env_remove("DRIFTGATE_LEGACY")
        .env_remove("DRIFTGATE_SPINE")
        .env_remove("DRIFTGATE_TIMINGS")
        .env("NO_COLOR", "1");
    c
}

/// Parses `--format json` output.
pub fn json_of(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Findings of a JSON report with the given code.
pub fn findings_with_code<'a>(
    report: &'a serde_json::Value,
    code: &str,
) -> Vec<&'a serde_json::Value> {
    report["findings"]
        .as_array()
        .map(|a| a.iter().filter(|f| f["code"] == code).collect())
        .unwrap_or_default()
}

/// `driftgate check --no-exec --now 2026-11-20 --format json --spine SPINE`:
/// the hermetic, reproducible JSON run most tests start from (add more
/// arguments to the returned command).
pub fn check_json_cmd(spine: &Path) -> assert_cmd::Command {
    let mut c = driftgate();
    c.args([
        "check",
        "--no-exec",
        "--now",
        "2026-11-20",
        "--format",
        "json",
        "--spine",
    ])
    .arg(spine);
    c
}
