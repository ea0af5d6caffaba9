//! The command line's one conversion from arguments to a run request:
//! `--no-cache` means the same for every command, bad `--ring`/`--fail-on`
//! words are usage errors (clap names the accepted values), and a bad word
//! in driftgate.yaml is a config error at its own line.

mod common;

use common::*;
use std::path::Path;

/// Every file under the parse cache in the user cache dir `cache` (none
/// when the cache is absent).
fn cache_entries(cache: &Path) -> usize {
    fn count(dir: &Path) -> usize {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| {
                let p = e.path();
                if p.is_dir() {
                    count(&p)
                } else {
                    1
                }
            })
            .sum()
    }
    count(&cache.join("driftgate"))
}

#[test]
fn no_cache_writes_no_cache_for_parity_and_gates() {
    for (cmd, fixture) in [("parity", "parity"), ("gates", "demo")] {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_tree(&fixtures().join(fixture), dir.path());
        let spine = dir.path().join("spine");
        init_repo(&spine);
        let cache = tempfile::tempdir().expect("cache dir");
        let run = |extra: &[&str]| {
            let mut c = driftgate();
            c.arg(cmd)
                .arg("--spine")
                .arg(&spine)
                .args(extra)
                .env_remove("DRIFTGATE_NO_CACHE")
                .env("XDG_CACHE_HOME", cache.path())
                .current_dir(dir.path());
            if cmd == "parity" {
                c.args(["--now", "2026-11-20"])
                    .arg("--workbench")
                    .arg(dir.path().join("workbench"))
                    .arg("--legacy")
                    .arg(dir.path().join("legacy"));
            }
            c.output().expect("runs")
        };
        let uncached = run(&["--no-cache"]);
        assert_ne!(
            uncached.status.code(),
            Some(2),
            "{cmd}: {}",
            String::from_utf8_lossy(&uncached.stderr)
        );
        assert_eq!(
            cache_entries(cache.path()),
            0,
            "`{cmd} --no-cache` must not write the parse cache"
        );
        // The same command without the flag does write it (so the check
        // above can fail), and says the same.
        let cached = run(&[]);
        assert!(
            cache_entries(cache.path()) > 0,
            "`{cmd}` writes the parse cache"
        );
        assert_eq!(uncached.stdout, cached.stdout, "{cmd}: same output");
        assert_eq!(uncached.status.code(), cached.status.code());
    }
}

#[test]
fn bad_ring_and_fail_on_are_usage_errors_naming_the_accepted_values() {
    let demo = fixtures().join("demo");
    for (flag, accepted) in [
        ("--ring", "[possible values: instant, standard, deep]"),
        (
            "--fail-on",
            "[possible values: error, warning, info, never]",
        ),
    ] {
        let out = driftgate()
            .arg("check")
            .arg(&demo)
            .args([flag, "bogus"])
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        assert!(
            err.contains(&format!("invalid value 'bogus' for '{flag}")),
            "{err}"
        );
        assert!(err.contains(accepted), "{err}");
        assert!(!err.contains("driftgate.yaml"), "not a config error: {err}");
        assert!(out.stdout.is_empty(), "no report for a usage error");
    }
    let out = driftgate()
        .args(["check", "--now", "2026-13-01"])
        .arg(&demo)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a YYYY-MM-DD date"));
}

#[test]
fn typed_words_still_accept_their_spellings() {
    let demo = fixtures().join("demo");
    let run = |args: &[&str]| {
        let out = driftgate()
            .arg("check")
            .arg(&demo)
            .args([
                "--no-exec",
                "--no-cache",
                "--format",
                "json",
                "--now",
                "2026-11-20",
            ])
            .args(args)
            .output()
            .expect("runs");
        (out.status.code(), json_of(&out))
    };
    // The demo has error findings: exit 1 unless nothing fails the run.
    assert_eq!(run(&["--fail-on", "never"]).0, Some(0));
    assert_eq!(
        run(&["--fail-on", "HIGH"]).0,
        Some(1),
        "registry words are aliases"
    );
    let (code, instant) = run(&["--ring", "Instant"]);
    assert_ne!(code, Some(2));
    let skipped_above_ring = instant["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| {
            c["status"] == "skipped"
                && c["reason"]
                    .as_str()
                    .is_some_and(|s| s.contains("is above --ring instant"))
        })
        .count();
    assert!(skipped_above_ring > 0, "{:#}", instant["checks"]);
}

#[test]
fn bad_ring_in_config_is_a_config_error_at_its_line() {
    let ws = demo_copy(true);
    let spine = ws.path().join("spine");
    edit(
        &spine.join("driftgate.yaml"),
        "fail_on: error\n",
        "fail_on: error\nring: bogus\n",
    );
    let out = check_json_cmd(&spine).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let r = json_of(&out);
    let bad = findings_with_code(&r, "config/invalid");
    assert_eq!(bad.len(), 1, "{bad:#?}");
    assert_eq!(
        bad[0]["message"],
        "ring `bogus` is not one of instant, standard, deep"
    );
    assert_eq!(bad[0]["path"], "driftgate.yaml");
    assert_eq!(bad[0]["line"], 5, "{:#}", bad[0]);
}

#[test]
fn hook_install_refuses_arguments_check_would_refuse() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.yaml"), "a: 1\n").expect("write");
    init_repo(dir.path());
    let hook = dir.path().join(".git/hooks/pre-commit");
    let out = driftgate()
        .args(["hook", "install", "--repo"])
        .arg(dir.path())
        .args(["--", "--ring", "bogus"])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("[possible values: instant, standard, deep]"),
        "{err}"
    );
    assert!(!hook.exists(), "no hook installed");
    let out = driftgate()
        .args(["hook", "install", "--repo"])
        .arg(dir.path())
        .args(["--", "--ring", "instant", "--no-exec"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let script = std::fs::read_to_string(&hook).expect("hook written");
    assert!(
        script.contains("'--ring' 'instant' '--no-exec'"),
        "{script}"
    );
}

#[test]
fn completions_load_in_bash_and_the_man_page_lists_every_command() {
    let out = driftgate()
        .args(["completions", "bash"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("driftgate.bash");
    std::fs::write(&script, &out.stdout).expect("write");
    // Load it in a real bash and ask bash what completes `driftgate`.
    let probe = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{}' && complete -p driftgate",
            script.display()
        ))
        .output()
        .expect("bash runs");
    assert!(
        String::from_utf8_lossy(&probe.stdout).contains("driftgate"),
        "{}",
        String::from_utf8_lossy(&probe.stderr)
    );
    for shell in ["zsh", "fish", "powershell"] {
        let out = driftgate()
            .args(["completions", shell])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("shadow"),
            "{shell}"
        );
    }
    let bad = driftgate()
        .args(["completions", "tcsh"])
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(2));

    let man = driftgate().arg("man").output().expect("runs");
    assert_eq!(man.status.code(), Some(0));
    let text = String::from_utf8_lossy(&man.stdout);
    assert!(text.contains(".TH driftgate 1"), "{text}");
    for cmd in ["check", "gates", "explain", "parity", "shadow", "hook"] {
        assert!(text.contains(cmd), "man page lacks {cmd}");
    }
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let out = driftgate().arg("--version").output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    // `driftgate 0.1.0 (abc1234 2026-12-06)`, or `unknown` for either part
    // when built outside a git checkout (a crate tarball).
    let rest = text
        .strip_prefix(&format!("driftgate {} (", env!("CARGO_PKG_VERSION")))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("not `driftgate VERSION (COMMIT DATE)`: {text}"));
    let (commit, date) = rest.split_once(' ').unwrap_or_else(|| panic!("{text}"));
    assert!(
        commit == "unknown" || (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "commit-ish: {text}"
    );
    assert!(
        date == "unknown" || chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok(),
        "date: {text}"
    );
    // Built here, from this repository's checkout: a real commit of it.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tracked = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["ls-files", "--error-unmatch", "Cargo.toml"])
        .output()
        .is_ok_and(|o| o.status.success());
    if tracked {
        let ok = std::process::Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["cat-file", "-e", &format!("{commit}^{{commit}}")])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "{commit} is not a commit of {}", repo.display());
    }
}

#[test]
fn an_empty_summary_path_writes_no_summary_and_is_not_a_usage_error() {
    // `--summary "$GITHUB_STEP_SUMMARY"` on a runner without job summaries.
    let ws = demo_copy(true);
    let spine = ws.path().join("spine");
    let out = check_json_cmd(&spine)
        .args(["--summary", ""])
        .current_dir(ws.path())
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--summary is empty"), "{stderr}");
    json_of(&out);
    // The same for parity.
    let out = driftgate()
        .args([
            "parity",
            "--now",
            "2026-11-20",
            "--format",
            "json",
            "--summary",
            "",
        ])
        .arg(ws.path())
        .current_dir(ws.path())
        .output()
        .expect("runs");
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--summary is empty"));
    // A real path still gets the summary, appended.
    let summary = ws.path().join("summary.md");
    std::fs::write(&summary, "# earlier step\n").expect("write");
    let out = check_json_cmd(&spine)
        .arg("--summary")
        .arg(&summary)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(&summary).expect("summary");
    assert!(
        text.starts_with("# earlier step\n") && text.len() > 20,
        "{text}"
    );
}
