//! Parse cache: warm runs re-parse only changed files; corrupt, forged,
//! linked or foreign entries are ignored and rebuilt; results never depend
//! on the cache, and the cache never lives inside a work tree.

mod common;

use common::*;
use driftgate::check::{open_workspace, CheckOptions, Sources};
use driftgate::documents::Format;
use driftgate::workspace::cache::{ParseCache, CACHE_VERSION};
use std::path::Path;
use std::sync::OnceLock;

/// One user cache dir for this test binary (set before any run; every
/// repo gets its own subdirectory there, so parallel tests do not meet).
fn xdg() -> &'static Path {
    static XDG: OnceLock<tempfile::TempDir> = OnceLock::new();
    XDG.get_or_init(|| {
        let d = tempfile::tempdir().expect("tmp");
        std::env::set_var("XDG_CACHE_HOME", d.path());
        d
    })
    .path()
}

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
    xdg();
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
    xdg();
    ParseCache::for_repo(spine)
        .expect("a user cache dir")
        .dir()
        .to_path_buf()
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
        let out = check_json_cmd(&spine)
            .env("XDG_CACHE_HOME", xdg())
            .args(extra)
            .output()
            .expect("runs");
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
fn plain_directories_and_git_repos_cache_under_the_user_cache_dir() {
    for git in [false, true] {
        let ws = demo_copy(true);
        let spine = ws.path().join("spine");
        if git {
            init_repo(&spine);
        }
        let (n, _) = parse_all(&spine, false);
        let (_, hits) = parse_all(&spine, false);
        assert_eq!(hits, n);
        let dir = cache_dir(&spine);
        assert!(
            dir.starts_with(xdg().join("driftgate")),
            "{}",
            dir.display()
        );
        assert!(!cache_files(&dir).is_empty());
        assert!(
            !spine.join(".git/driftgate").exists(),
            "nothing in the git dir"
        );
    }
}

const DUP: &str = "ops/bindings/dup.yaml";

/// A spine with a duplicate key in `dup.yaml`, cached once; returns the
/// dir, the spine and the path of dup.yaml's cache entry.
fn spine_with_duplicate_key() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let ws = demo_copy(true);
    let spine = ws.path().join("spine");
    std::fs::write(spine.join(DUP), "a: 1\nb: 2\na: 3\n").expect("w");
    init_repo(&spine);
    parse_all(&spine, false);
    let bytes = std::fs::read(spine.join(DUP)).expect("r");
    let key = ParseCache::key(DUP, &bytes);
    let entry = cache_dir(&spine).join(&key[..2]).join(&key[2..]);
    assert!(entry.is_file(), "entry written");
    (ws, spine, entry)
}

fn dup_findings(spine: &Path) -> Vec<serde_json::Value> {
    let out = check_json_cmd(spine)
        .env("XDG_CACHE_HOME", xdg())
        .output()
        .expect("runs");
    let r = json_of(&out);
    r["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["path"] == DUP)
        .cloned()
        .collect()
}

/// An entry with `problems` emptied and its checksum recomputed, as a
/// forger with the format would write it.
fn forged(entry: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(entry).expect("r");
    let (_, payload) = text.split_once('\n').expect("header");
    let mut v: serde_json::Value = serde_json::from_str(payload).expect("json");
    assert!(!v["cached"]["problems"]
        .as_array()
        .expect("problems")
        .is_empty());
    v["cached"]["problems"] = serde_json::json!([]);
    let payload = serde_json::to_vec(&v).expect("json");
    let mut out = format!(
        "driftgate-parse-cache {}\n",
        blake3::hash(&payload).to_hex()
    )
    .into_bytes();
    out.extend(payload);
    out
}

#[test]
fn flipped_bytes_never_change_a_result() {
    let (_ws, spine, entry) = spine_with_duplicate_key();
    let before = dup_findings(&spine);
    assert!(before.iter().any(|f| f["code"] == "parse/duplicate-key"));
    // Flip digits inside the payload so the JSON still parses (line and
    // column numbers, offsets): the checksum no longer matches.
    let text = std::fs::read_to_string(&entry).expect("r");
    let (head, payload) = text.split_once('\n').expect("header");
    let flipped: String = payload
        .chars()
        .map(|c| match c {
            '1' => '2',
            '3' => '4',
            c => c,
        })
        .collect();
    assert_ne!(flipped, payload);
    assert!(serde_json::from_str::<serde_json::Value>(&flipped).is_ok());
    std::fs::write(&entry, format!("{head}\n{flipped}")).expect("w");
    assert_eq!(dup_findings(&spine), before);
    // An emptied `problems` under the old checksum: same.
    let text = String::from_utf8(forged(&entry)).expect("utf8");
    let (_, payload) = text.split_once('\n').expect("header");
    std::fs::write(&entry, format!("{head}\n{payload}")).expect("w");
    assert_eq!(dup_findings(&spine), before);
}

#[test]
fn a_committed_cache_is_never_read() {
    // The repo's `.git` is a file (as in a worktree or submodule) and the
    // commit carries a top-level `HEAD`, `objects/` and forged entries with
    // valid checksums where driftgate once kept its cache.
    let (_ws, spine, entry) = spine_with_duplicate_key();
    let before = dup_findings(&spine);
    assert!(before.iter().any(|f| f["code"] == "parse/duplicate-key"));
    let forged = forged(&entry);
    let rel = entry
        .strip_prefix(cache_dir(&spine))
        .expect("under the cache dir")
        .to_path_buf();
    let gitdir = spine.parent().expect("parent").join("real.git");
    std::fs::rename(spine.join(".git"), &gitdir).expect("mv .git");
    std::fs::write(
        spine.join(".git"),
        format!("gitdir: {}\n", gitdir.display()),
    )
    .expect("w");
    std::fs::write(spine.join("HEAD"), "ref: refs/heads/main\n").expect("w");
    std::fs::create_dir_all(spine.join("objects")).expect("mkdir");
    for dir in [
        spine.join(format!("driftgate/parse-cache-{CACHE_VERSION}")),
        gitdir.join(format!("driftgate/parse-cache-{CACHE_VERSION}")),
    ] {
        std::fs::create_dir_all(dir.join(rel.parent().expect("sub"))).expect("mkdir");
        std::fs::write(dir.join(&rel), &forged).expect("w");
    }
    // The real entry is gone: only committed copies could answer.
    std::fs::remove_dir_all(cache_dir(&spine)).expect("rm");
    assert_eq!(dup_findings(&spine), before);
}

#[test]
fn a_linked_or_special_entry_is_not_read() {
    let (_ws, spine, entry) = spine_with_duplicate_key();
    let before = dup_findings(&spine);
    // A symlink to /dev/zero, then to a forged entry elsewhere.
    std::fs::remove_file(&entry).expect("rm");
    std::os::unix::fs::symlink("/dev/zero", &entry).expect("ln");
    let t0 = std::time::Instant::now();
    assert_eq!(dup_findings(&spine), before);
    assert!(t0.elapsed() < std::time::Duration::from_secs(60));
    let elsewhere = spine.parent().expect("p").join("forged.entry");
    std::fs::remove_file(&entry).expect("rm");
    let good = {
        parse_all(&spine, false);
        std::fs::read(&entry).expect("rewritten")
    };
    std::fs::write(&elsewhere, &good).expect("w");
    std::fs::write(&elsewhere, forged(&elsewhere)).expect("w");
    std::fs::remove_file(&entry).expect("rm");
    std::os::unix::fs::symlink(&elsewhere, &entry).expect("ln");
    assert_eq!(dup_findings(&spine), before);
    // A FIFO does not hang the run.
    std::fs::remove_file(&entry).expect("rm");
    let st = std::process::Command::new("mkfifo")
        .arg(&entry)
        .status()
        .expect("mkfifo");
    assert!(st.success());
    assert_eq!(dup_findings(&spine), before);
}

#[test]
fn the_cache_is_bounded_oldest_entries_first() {
    let ws = demo_copy(true);
    let spine = ws.path().join("spine");
    let (n, _) = parse_all(&spine, false);
    let cache = ParseCache::for_repo(&spine).expect("cache");
    let files = cache_files(cache.dir());
    assert_eq!(files.len(), n);
    let total: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).expect("m").len())
        .sum();
    // Age one entry: it goes first.
    let old = &files[0];
    let f = std::fs::File::options()
        .write(true)
        .open(old)
        .expect("open");
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000))
        .expect("mtime");
    assert_eq!(cache.prune(total), 0, "within the limit: nothing evicted");
    let removed = cache.prune(total - 1);
    assert!(removed >= 1);
    assert!(!old.exists(), "the oldest entry is evicted first");
    let left: u64 = cache_files(cache.dir())
        .iter()
        .map(|f| std::fs::metadata(f).expect("m").len())
        .sum();
    assert!(left <= (total - 1) / 4 * 3, "{left} of {total}");
    // And results are still complete: evicted entries are parsed again.
    let (_, hits) = parse_all(&spine, false);
    assert_eq!(hits, n - removed);
}
