//! Parse cache: warm runs re-parse only changed files; corrupt or foreign
//! entries are ignored and rebuilt; results never depend on the cache.

mod common;

use common::*;
use driftgate::check::{open_workspace, CheckOptions, Sources};
use driftgate::documents::Format;
use driftgate::workspace::cache::CACHE_VERSION;
use std::path::Path;

fn opts(spine: &Path, no_cache: bool) -> CheckOptions {
    CheckOptions {
        sources: Sources {
            spine: spine.to_path_buf(),
            workbench: None,
            legacy: None,
        },
        no_cache,
        ..Default::default()
    }
}

/// Parses every YAML file of the spine; returns (parsed, from cache).
fn parse_all(spine: &Path, no_cache: bool) -> (usize, usize) {
    let (ws, _) = open_workspace(&opts(spine, no_cache)).expect("opens");
    ws.spine()
        .parse_all(|p| matches!(Format::of_path(p), Format::Yaml | Format::Json));
    let yaml = ws
        .spine()
        .paths()
        .filter(|p| matches!(Format::of_path(p), Format::Yaml | Format::Json))
        .count();
    (yaml, ws.cache_hits())
}

fn cache_dir(spine: &Path) -> std::path::PathBuf {
    spine.join(format!(".git/driftgate/parse-cache-{CACHE_VERSION}"))
}

fn cache_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for sub in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(sub.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            out.push(f.path());
        }
    }
    out
}

#[test]
fn warm_run_reparses_only_changed_files() {
    let ws = demo_copy(true);
    let spine = ws.path().join("spine");
    init_repo(&spine);
    let (n, hits) = parse_all(&spine, false);
    assert!(n > 20);
    assert_eq!(hits, 0, "cold run");
    assert!(!cache_files(&cache_dir(&spine)).is_empty());

    let (_, hits) = parse_all(&spine, false);
    assert_eq!(hits, n, "warm run takes every YAML file from the cache");

    edit(
        &spine.join("ops/bindings/vm.lifecycle.yaml"),
        "status: active",
        "status: stopped",
    );
    let (_, hits) = parse_all(&spine, false);
    assert_eq!(hits, n - 1, "only the edited file is parsed again");
}

#[test]
fn corrupt_and_foreign_entries_are_ignored_and_rebuilt() {
    let ws = demo_copy(false);
    let spine = ws.path().join("spine");
    init_repo(&spine);
    let (n, _) = parse_all(&spine, false);
    let files = cache_files(&cache_dir(&spine));
    assert_eq!(files.len(), n);
    // Half garbage, half a "foreign version" entry.
    for (i, f) in files.iter().enumerate() {
        if i % 2 == 0 {
            std::fs::write(f, b"\x00not json at all").expect("corrupt");
        } else {
            let text = std::fs::read_to_string(f).expect("read");
            std::fs::write(
                f,
                text.replacen(
                    &format!("\"version\":\"{CACHE_VERSION}\""),
                    "\"version\":\"v0\"",
                    1,
                ),
            )
            .expect("w");
        }
    }
    let (_, hits) = parse_all(&spine, false);
    assert_eq!(hits, 0, "no corrupt or foreign entry is trusted");
    let (_, hits) = parse_all(&spine, false);
    assert_eq!(hits, n, "entries were rewritten");
}

#[test]
fn findings_are_identical_with_and_without_cache() {
    let ws = demo_copy(false);
    let spine = ws.path().join("spine");
    init_repo(&spine);
    let run = |extra: &[&str]| {
        let out = check_json_cmd(&spine).args(extra).output().expect("runs");
        let r = json_of(&out);
        serde_json::to_string(&r["findings"]).expect("json")
    };
    let uncached = run(&["--no-cache"]);
    assert!(!cache_dir(&spine).exists(), "--no-cache writes nothing");
    let cold = run(&[]);
    let warm = run(&[]);
    assert_eq!(uncached, cold);
    assert_eq!(cold, warm);
    assert!(
        uncached.contains("parse/duplicate-key"),
        "parse findings survive the cache"
    );
}

#[test]
fn plain_directories_cache_under_xdg_cache_home() {
    let ws = demo_copy(true);
    let spine = ws.path().join("spine");
    let xdg = tempfile::tempdir().expect("tmp");
    std::env::set_var("XDG_CACHE_HOME", xdg.path());
    let (n, _) = parse_all(&spine, false);
    let (_, hits) = parse_all(&spine, false);
    std::env::remove_var("XDG_CACHE_HOME");
    assert_eq!(hits, n);
    assert!(xdg.path().join("driftgate").is_dir());
}
