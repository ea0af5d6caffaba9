//! Hostile and broken input: never crash, never hang, never follow a link out
//! of a repo, lose no other finding. Big or odd files are generated here.

mod common;

use common::*;
use std::path::Path;
use std::process::Output;

const VM: &str = "ops/bindings/vm.lifecycle.yaml";

/// A clean demo spine (no workbench/legacy drift in play) in a temp dir.
fn clean() -> tempfile::TempDir {
    demo_copy(true)
}

fn run(ws: &Path, extra: &[&str]) -> Output {
    driftgate()
        .arg("check")
        .arg(ws)
        .args(["--format", "json", "--no-exec", "--now", "2026-11-20"])
        .args(extra)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("runs")
}

fn codes_at<'a>(report: &'a serde_json::Value, path: &str) -> Vec<&'a str> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["path"] == path)
        .filter_map(|f| f["code"].as_str())
        .collect()
}

fn finding<'a>(report: &'a serde_json::Value, code: &str, path: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["code"] == code && f["path"] == path)
        .unwrap_or_else(|| panic!("no {code} at {path} in {report}"))
}

/// The planted schema error every hostile test keeps, to prove other
/// findings survive the hostile file.
fn plant_known_error(ws: &Path) {
    edit(
        &ws.join("spine").join(VM),
        "status: active",
        "status: bogus",
    );
}

fn known_error_reported(report: &serde_json::Value) -> bool {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|f| {
            f["code"] == "schema/vm.lifecycle"
                && f["message"].as_str().unwrap_or("").contains("`bogus`")
        })
}

fn bindings(ws: &Path) -> std::path::PathBuf {
    ws.join("spine/ops/bindings")
}

#[test]
fn malformed_yaml_variants_are_positioned_and_others_still_checked() {
    let ws = clean();
    plant_known_error(ws.path());
    let b = bindings(ws.path());
    std::fs::write(
        b.join("unclosed.yaml"),
        "status: active\nname: \"unclosed\nx: 1\n",
    )
    .expect("w");
    std::fs::write(b.join("indent.yaml"), "a:\n  b: 1\n c: 2\n").expect("w");
    std::fs::write(b.join("tabs.yaml"), "a:\n\tb: 1\n").expect("w");
    let out = run(ws.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let r = json_of(&out);
    for (file, line) in [("unclosed.yaml", 2), ("indent.yaml", 3), ("tabs.yaml", 2)] {
        let f = finding(&r, "parse/syntax", &format!("ops/bindings/{file}"));
        assert_eq!(f["line"].as_u64(), Some(line), "{file}: {f}");
    }
    assert!(known_error_reported(&r));
}

#[test]
fn duplicate_keys_multi_documents_and_merge_keys() {
    let ws = clean();
    let b = bindings(ws.path());
    std::fs::write(b.join("dup.yaml"), "status: active\nowner: a\nowner: b\n").expect("w");
    std::fs::write(
        b.join("merge.yaml"),
        "base: &b {status: active}\nitem:\n  <<: *b\n",
    )
    .expect("w");
    // vm.lifecycle expects one document.
    let vm = b.join("vm.lifecycle.yaml");
    let text = std::fs::read_to_string(&vm).expect("r");
    std::fs::write(&vm, format!("{text}---\nextra: document\n")).expect("w");
    let r = json_of(&run(ws.path(), &[]));
    let dup = finding(&r, "parse/duplicate-key", "ops/bindings/dup.yaml");
    assert_eq!(dup["line"].as_u64(), Some(3));
    assert_eq!(dup["related"][0]["line"].as_u64(), Some(2));
    finding(&r, "parse/merge-key", "ops/bindings/merge.yaml");
    let multi = finding(&r, "parse/multi-document", VM);
    assert_eq!(
        multi["line"].as_u64(),
        Some(text.lines().count() as u64 + 1)
    );
}

#[test]
fn alias_bomb_and_deep_nesting_are_bounded() {
    let ws = clean();
    plant_known_error(ws.path());
    let b = bindings(ws.path());
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..20 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    std::fs::write(b.join("bomb.yaml"), bomb).expect("w");
    std::fs::write(b.join("deep-flow.yaml"), "[".repeat(100_000)).expect("w");
    let mut deep = String::new();
    for i in 0..100_000usize {
        deep.push_str(&" ".repeat(i % 2000));
        deep.push_str("- \n");
    }
    std::fs::write(b.join("deep-block.yaml"), deep).expect("w");
    let out = run(ws.path(), &[]);
    let r = json_of(&out);
    assert!(codes_at(&r, "ops/bindings/bomb.yaml").contains(&"parse/limit"));
    assert!(!codes_at(&r, "ops/bindings/deep-flow.yaml").is_empty());
    assert!(known_error_reported(&r));
}

#[test]
fn oversized_and_binary_files_are_refused_with_a_clear_message() {
    let ws = clean();
    plant_known_error(ws.path());
    let b = bindings(ws.path());
    // 200 MB, sparse: never read, refused by size.
    let big = std::fs::File::create(b.join("huge.yaml")).expect("create");
    big.set_len(200 * 1024 * 1024).expect("set_len");
    std::fs::write(b.join("blob.yaml"), [0u8, 159, 146, 150, 0, 1, 2, 3]).expect("w");
    let out = run(ws.path(), &[]);
    let r = json_of(&out);
    let huge = finding(&r, "io/too-large", "ops/bindings/huge.yaml");
    assert!(huge["message"]
        .as_str()
        .unwrap_or("")
        .contains("209715200 bytes"));
    assert!(huge["help"]
        .as_str()
        .unwrap_or("")
        .contains("max_file_bytes"));
    finding(&r, "parse/binary", "ops/bindings/blob.yaml");
    assert!(known_error_reported(&r));

    // The limit is configurable: a tiny limit refuses ordinary bindings too.
    let r = json_of(&run(ws.path(), &["--max-file-bytes", "100"]));
    finding(&r, "io/too-large", VM);
}

#[test]
fn encodings_bom_and_crlf_keep_spans_right() {
    let ws = clean();
    let b = bindings(ws.path());
    std::fs::write(b.join("latin1.yaml"), b"status: active\nowner: caf\xe9\n").expect("w");
    // vm.lifecycle with a BOM and CRLF line endings: the schema finding must
    // still land on the right line and column.
    let vm = b.join("vm.lifecycle.yaml");
    let text =
        std::fs::read_to_string(&vm)
            .expect("r")
            .replacen("status: active", "status: bogus", 1);
    let (line, col) = {
        let off = text.find("bogus").expect("planted");
        let before = &text[..off];
        (
            before.matches('\n').count() + 1,
            before.rsplit('\n').next().map_or(0, str::len) + 1,
        )
    };
    let crlf = format!("\u{feff}{}", text.replace('\n', "\r\n"));
    std::fs::write(&vm, crlf).expect("w");
    let r = json_of(&run(ws.path(), &[]));
    let enc = finding(&r, "parse/encoding", "ops/bindings/latin1.yaml");
    assert_eq!(enc["line"].as_u64(), Some(2));
    let f = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["message"].as_str().unwrap_or("").contains("`bogus`"))
        .expect("schema finding on the CRLF+BOM file");
    assert_eq!(f["line"].as_u64(), Some(line as u64));
    // Column counts characters; the BOM is not a visible column on line 1,
    // and the finding is not on line 1 anyway.
    assert_eq!(f["column"].as_u64(), Some(col as u64));
    assert!(
        codes_at(&r, VM).iter().all(|c| !c.starts_with("parse/")),
        "{:?}",
        codes_at(&r, VM)
    );
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_repo_and_loops_are_not_followed() {
    let ws = clean();
    plant_known_error(ws.path());
    let b = bindings(ws.path());
    let secret_dir = tempfile::tempdir().expect("tmp");
    let secret = secret_dir.path().join("secret.yaml");
    std::fs::write(&secret, "password: hunter2-outside-the-repo\n").expect("w");
    std::os::unix::fs::symlink(&secret, b.join("outside.yaml")).expect("link");
    std::os::unix::fs::symlink("/etc/passwd", b.join("passwd.yaml")).expect("link");
    std::os::unix::fs::symlink("loop-b.yaml", b.join("loop-a.yaml")).expect("link");
    std::os::unix::fs::symlink("loop-a.yaml", b.join("loop-b.yaml")).expect("link");
    std::os::unix::fs::symlink(".", b.join("dir-loop")).expect("link");
    let out = run(ws.path(), &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("hunter2"), "content behind a symlink leaked");
    assert!(!text.contains("root:x:0"), "/etc/passwd was read");
    let r = json_of(&out);
    for p in ["outside.yaml", "passwd.yaml", "loop-a.yaml", "dir-loop"] {
        let f = finding(&r, "io/symlink", &format!("ops/bindings/{p}"));
        assert_eq!(f["severity"], "info");
    }
    assert!(known_error_reported(&r));
}

#[cfg(unix)]
#[test]
fn a_fifo_named_yaml_does_not_hang_the_run() {
    let ws = clean();
    let fifo = bindings(ws.path()).join("pipe.yaml");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    let out = run(ws.path(), &[]);
    assert!(out.status.code().is_some(), "finished normally");
    assert!(codes_at(&json_of(&out), "ops/bindings/pipe.yaml").is_empty());
}

#[test]
fn file_deleted_between_listing_and_reading_is_a_finding() {
    use driftgate::findings::RepoId;
    use driftgate::workspace::{Limits, Repo, Snapshot};
    let ws = clean();
    let spine = ws.path().join("spine");
    let (repo, _) = Repo::open(
        RepoId::Spine,
        &spine,
        &Snapshot::WorkTree,
        &Limits::default(),
    )
    .expect("open");
    assert!(repo.has(VM));
    std::fs::remove_file(spine.join(VM)).expect("rm");
    let doc = repo.doc(VM).expect("still listed");
    assert_eq!(doc.problems.len(), 1);
    assert_eq!(doc.problems[0].code, "io/unreadable");
    assert!(doc.value().is_none());
}

#[test]
fn missing_spine_and_non_git_rev_are_exit_2() {
    let out = driftgate()
        .args([
            "check",
            "--spine",
            "/definitely/not/here",
            "--format",
            "short",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no such directory"));

    let ws = clean();
    let out = driftgate()
        .args(["check", "--rev", "HEAD", "--format", "short", "--spine"])
        .arg(ws.path().join("spine"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not a git repository"));
}

#[test]
fn shallow_clone_detached_head_and_unborn_branch() {
    let ws = clean();
    let spine = ws.path().join("spine");
    init_repo(&spine);
    std::fs::write(spine.join("NOTES.md"), "n\n").expect("w");
    git(&spine, &["add", "NOTES.md"]);
    git(&spine, &["commit", "-qm", "second"]);

    // Shallow clone: HEAD is readable, HEAD~1 is not there (a clear exit 2).
    let url = format!("file://{}", spine.display());
    git(ws.path(), &["clone", "-q", "--depth", "1", &url, "shallow"]);
    let shallow = ws.path().join("shallow");
    let out = driftgate()
        .args([
            "check",
            "--no-exec",
            "--format",
            "json",
            "--rev",
            "HEAD",
            "--spine",
        ])
        .arg(&shallow)
        .output()
        .expect("runs");
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = driftgate()
        .args([
            "check",
            "--no-exec",
            "--format",
            "short",
            "--rev",
            "HEAD~1",
            "--spine",
        ])
        .arg(&shallow)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("HEAD~1"));

    // Detached HEAD: the commit is recorded.
    git(&spine, &["checkout", "-q", "--detach", "HEAD~1"]);
    let out = driftgate()
        .args([
            "check",
            "--no-exec",
            "--format",
            "json",
            "--staged",
            "--spine",
        ])
        .arg(&spine)
        .output()
        .expect("runs");
    let r = json_of(&out);
    let want = git(&spine, &["rev-parse", "HEAD"]);
    assert_eq!(r["repos"][0]["commit"], want.trim());

    // Unborn branch: no commit, work tree and staged still checked.
    let unborn = ws.path().join("unborn");
    std::fs::create_dir_all(unborn.join("ops/bindings")).expect("mkdir");
    std::fs::copy(spine.join(VM), unborn.join(VM)).expect("copy");
    edit(&unborn.join(VM), "status: active", "status: bogus");
    git(&unborn, &["init", "-q", "-b", "main"]);
    git(&unborn, &["add", "-A"]);
    for mode in [&[][..], &["--staged"][..]] {
        let out = driftgate()
            .args(["check", "--no-exec", "--format", "json", "--spine"])
            .arg(&unborn)
            .args(mode)
            .output()
            .expect("runs");
        let r = json_of(&out);
        assert!(r["repos"][0]["commit"].is_null());
        assert!(known_error_reported(&r), "{mode:?}");
    }
}

#[test]
fn corrupt_object_is_a_finding_and_other_files_are_checked() {
    let ws = clean();
    let spine = ws.path().join("spine");
    plant_known_error(ws.path());
    init_repo(&spine);
    // Corrupt the loose blob of one binding.
    let oid = git(
        &spine,
        &["rev-parse", "HEAD:ops/bindings/topology.sites.yaml"],
    );
    let oid = oid.trim();
    let obj = spine.join(".git/objects").join(&oid[..2]).join(&oid[2..]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&obj, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    std::fs::write(&obj, b"this is not zlib").expect("corrupt");
    let out = driftgate()
        .args([
            "check",
            "--no-exec",
            "--format",
            "json",
            "--rev",
            "HEAD",
            "--spine",
        ])
        .arg(&spine)
        .output()
        .expect("runs");
    let r = json_of(&out);
    finding(&r, "io/unreadable", "ops/bindings/topology.sites.yaml");
    assert!(known_error_reported(&r));
}

#[test]
fn invalid_config_is_exit_2_at_its_line_and_findings_still_reported() {
    let ws = clean();
    plant_known_error(ws.path());
    let cfg = ws.path().join("spine/driftgate.yaml");
    let text = std::fs::read_to_string(&cfg).expect("r");
    std::fs::write(&cfg, format!("{text}\nfial_on: error\n")).expect("w");
    let out = run(ws.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let r = json_of(&out);
    let f = finding(&r, "config/invalid", "driftgate.yaml");
    assert_eq!(f["line"].as_u64(), Some(text.lines().count() as u64 + 2));
    assert!(f["message"].as_str().unwrap_or("").contains("fial_on"));
    assert!(known_error_reported(&r));
}

#[test]
fn invalid_spine_schema_is_exit_2_and_other_schemas_still_run() {
    let ws = clean();
    plant_known_error(ws.path());
    let spine = ws.path().join("spine");
    std::fs::create_dir_all(spine.join("ops/schemas")).expect("mkdir");
    std::fs::write(
        spine.join("ops/schemas/bad.schema.json"),
        r#"{"type": "no-such-type"}"#,
    )
    .expect("w");
    std::fs::write(spine.join("ops/bindings/extra.yaml"), "status: active\n").expect("w");
    let cfg = spine.join("driftgate.yaml");
    let text = std::fs::read_to_string(&cfg).expect("r");
    std::fs::write(
        &cfg,
        format!("{text}\nschemas:\n  - glob: ops/bindings/extra.yaml\n    schema: ops/schemas/bad.schema.json\n"),
    )
    .expect("w");
    let out = run(ws.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let r = json_of(&out);
    let f = finding(&r, "config/schema", "ops/bindings/extra.yaml");
    assert!(f["message"]
        .as_str()
        .unwrap_or("")
        .contains("bad.schema.json"));
    assert!(known_error_reported(&r));
}

#[cfg(target_os = "linux")]
#[test]
fn hostile_corpus_is_checked_under_a_1_gib_address_space_limit() {
    let ws = clean();
    plant_known_error(ws.path());
    let b = bindings(ws.path());
    let big = std::fs::File::create(b.join("huge.yaml")).expect("create");
    big.set_len(200 * 1024 * 1024).expect("set_len");
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..20 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    std::fs::write(b.join("bomb.yaml"), bomb).expect("w");
    std::fs::write(b.join("deep.yaml"), "[".repeat(100_000)).expect("w");
    std::fs::write(b.join("blob.yaml"), vec![0u8; 4096]).expect("w");
    let bin = assert_cmd::cargo::cargo_bin("driftgate");
    let script = format!(
        "ulimit -v 1048576; exec '{}' check '{}' --no-exec --format json --now 2026-11-20 --jobs 2",
        bin.display(),
        ws.path().display()
    );
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .env("NO_COLOR", "1")
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .expect("sh runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "killed or crashed: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json_of(&out);
    assert!(known_error_reported(&r));
    finding(&r, "io/too-large", "ops/bindings/huge.yaml");
    finding(&r, "parse/limit", "ops/bindings/bomb.yaml");
}

/// Runs `driftgate check <demo> --format json` under `limits` (a bash
/// `ulimit` line) as an unprivileged user when we are root (root ignores
/// `ulimit -u`). Returns the output.
fn run_limited(limits: &str, extra: &str) -> Output {
    use std::os::unix::fs::PermissionsExt;
    let ws = clean();
    plant_known_error(ws.path());
    let bin = assert_cmd::cargo::cargo_bin("driftgate");
    // The unprivileged user must reach the binary and the demo.
    let mut p = Some(bin.as_path());
    while let Some(d) = p.and_then(Path::parent) {
        if let Ok(m) = std::fs::metadata(d) {
            let mut perm = m.permissions();
            perm.set_mode(perm.mode() | 0o005);
            let _ = std::fs::set_permissions(d, perm);
        }
        p = Some(d);
    }
    let _ = std::process::Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(ws.path())
        .status();
    let script = format!(
        "{limits}; exec '{}' check '{}' --no-exec --no-cache --format json --now 2026-11-20 {extra}",
        bin.display(),
        ws.path().display()
    );
    let root = running_as_root();
    let mut cmd = if root {
        let mut c = std::process::Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "bash",
            "-c",
        ]);
        c
    } else {
        let mut c = std::process::Command::new("bash");
        c.arg("-c");
        c
    };
    cmd.arg(script)
        .env("NO_COLOR", "1")
        .env("HOME", ws.path())
        .env_remove("RAYON_NUM_THREADS")
        .output()
        .expect("bash runs")
}

fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn assert_full_report(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(1),
        "crashed: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    let r = json_of(out);
    assert!(known_error_reported(&r), "{r}");
}

#[test]
fn two_processes_allowed_still_gives_a_full_report() {
    // `ulimit -u 2`: rayon cannot start its workers; the run falls back to
    // fewer threads (down to the main thread alone) instead of panicking.
    for jobs in ["", "--jobs 4", "--jobs 64"] {
        let out = run_limited("ulimit -u 2", jobs);
        assert_full_report(&out);
    }
}

#[test]
fn sixty_four_threads_under_1_gib_address_space_do_not_panic() {
    let out = run_limited("ulimit -v 1048576", "--jobs 64");
    assert_full_report(&out);
    let out = run_limited("ulimit -v 1048576; ulimit -u 3", "--jobs 16");
    assert_full_report(&out);
}

#[test]
fn a_report_is_never_written_over_an_input_of_the_run() {
    let ws = demo_copy(false);
    let vm = ws.path().join("spine/ops/bindings/vm.lifecycle.yaml");
    let before = std::fs::read(&vm).expect("read");
    for (flag, target) in [
        ("--junit", vm.clone()),
        // another spelling of the same file
        (
            "--json",
            ws.path()
                .join("spine/ops/../ops/bindings/vm.lifecycle.yaml"),
        ),
    ] {
        let out = driftgate()
            .args(["check", "--no-exec", "--now", "2026-11-20", flag])
            .arg(&target)
            .arg(ws.path())
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("over spine:ops/bindings/vm.lifecycle.yaml, an input of this run"),
            "{err}"
        );
        assert_eq!(
            std::fs::read(&vm).expect("read"),
            before,
            "{flag}: input untouched"
        );
    }
    // A new file next to the inputs is fine.
    let report = ws.path().join("spine/driftgate-junit.xml");
    let out = driftgate()
        .args(["check", "--no-exec", "--now", "2026-11-20", "--junit"])
        .arg(&report)
        .arg(ws.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(report.is_file());
}

#[test]
fn a_report_that_cannot_be_written_to_stdout_exits_2() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("driftgate"))
        .args([
            "check",
            "--no-exec",
            "--now",
            "2026-11-20",
            "--format",
            "json",
        ])
        .arg(fixtures().join("demo"))
        .stdout(full)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write the report to stdout"));
}

#[test]
fn control_and_bidi_characters_in_file_names_are_shown_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spine = dir.path().join("spine");
    let bindings = spine.join("ops/bindings");
    std::fs::create_dir_all(&bindings).expect("mkdir");
    let names = [
        "evil\nspine:forged.yaml:1:1: D1 forged finding.yaml",
        "esc\u{1b}[31mred.yaml",
        "bidi\u{202e}lmay.txt.yaml",
    ];
    for name in names {
        std::fs::write(bindings.join(name), "a: [unclosed\n").expect("write");
    }
    for format in ["short", "human", "github"] {
        let out = driftgate()
            .args([
                "check",
                "--no-exec",
                "--now",
                "2026-11-20",
                "--format",
                format,
                "--spine",
            ])
            .arg(&spine)
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            !text.lines().any(|l| l.starts_with("spine:forged.yaml")),
            "{format}: a newline in a file name forged a line:\n{text}"
        );
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "{format}:\n{text}"
        );
        assert!(text.contains("evil\\u{a}spine"), "{format}:\n{text}");
        assert!(
            text.contains("bidi\\u{202e}lmay.txt.yaml"),
            "{format}:\n{text}"
        );
    }
}

/// Runs git and returns its output whether or not it succeeded (a merge
/// that conflicts exits 1).
fn git_may_fail(dir: &Path, args: &[&str]) {
    let _ = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
}

#[test]
fn staged_conflicts_are_reported_per_path_not_read_as_absent() {
    let ws = clean();
    let spine = ws.path().join("spine");
    init_repo(&spine);
    let vm = spine.join(VM);
    git(&spine, &["checkout", "-qb", "other"]);
    edit(&vm, "status: active", "status: stopped");
    git(&spine, &["commit", "-qam", "other"]);
    git(&spine, &["checkout", "-q", "main"]);
    edit(&vm, "status: active", "status: decommissioned");
    git(&spine, &["commit", "-qam", "main"]);
    git_may_fail(&spine, &["merge", "-q", "other"]);
    let unmerged = git(&spine, &["diff", "--name-only", "--diff-filter=U"]);
    assert_eq!(unmerged.trim(), VM, "the merge conflicts on {VM}");

    let out = run(ws.path(), &["--staged"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let f = finding(&report, "workspace/unmerged", VM);
    assert_eq!(f["severity"], "error");
    assert!(
        f["message"].as_str().unwrap_or("").contains("conflicted"),
        "{f}"
    );
    // Once for the path, although the index holds it in three stages.
    assert_eq!(
        codes_at(&report, VM)
            .iter()
            .filter(|c| **c == "workspace/unmerged")
            .count(),
        1
    );
    assert_eq!(out.status.code(), Some(1), "{report}");
    // Without a conflict the same staged run has no such finding.
    git(&spine, &["merge", "--abort"]);
    let out = run(ws.path(), &["--staged"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        !report.to_string().contains("workspace/unmerged"),
        "{report}"
    );
}

#[test]
fn submodules_under_rev_and_staged_are_noted_not_skipped_silently() {
    let ws = clean();
    let sub = ws.path().join("sub");
    std::fs::create_dir_all(&sub).expect("mkdir");
    std::fs::write(sub.join("x.yaml"), "a: 1\n").expect("write");
    init_repo(&sub);
    let spine = ws.path().join("spine");
    init_repo(&spine);
    git(
        &spine,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            &sub.display().to_string(),
            "vendor/sub",
        ],
    );
    git(&spine, &["commit", "-qm", "submodule"]);
    for mode in [&["--rev", "HEAD"][..], &["--staged"][..]] {
        let out = run(ws.path(), mode);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let f = finding(&report, "io/submodule", "vendor/sub");
        assert_eq!(f["severity"], "info", "{mode:?}");
        assert!(
            f["message"].as_str().unwrap_or("").contains("submodule"),
            "{f}"
        );
        // Its files are not read as the spine's.
        assert!(
            codes_at(&report, "vendor/sub/x.yaml").is_empty(),
            "{mode:?}: {report}"
        );
    }
}

/// `GIT_WORK_TREE` names the work tree git would use. A work-tree run that
/// would read another directory refuses (exit 2) instead of judging other
/// files than git sees; naming the same directory reads it as usual.
#[test]
fn git_work_tree_naming_another_directory_is_refused() {
    let ws = clean();
    let spine = ws.path().join("spine");
    init_repo(&spine);
    let other = tempfile::tempdir().expect("tempdir");
    std::fs::write(other.path().join("README.md"), "other\n").expect("write");
    init_repo(other.path());
    let check = |env: &[(&str, &Path)]| -> Output {
        let mut c = driftgate();
        c.args([
            "check",
            "--no-exec",
            "--format",
            "json",
            "--now",
            "2026-11-20",
        ])
        .arg("--spine")
        .arg(&spine)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("runs")
    };
    let plain = check(&[]);
    assert_ne!(plain.status.code(), Some(2));

    let out = check(&[
        ("GIT_WORK_TREE", other.path()),
        ("GIT_DIR", &other.path().join(".git")),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let f = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["code"] == "workspace/git-work-tree")
        .unwrap_or_else(|| panic!("no workspace/git-work-tree in {report}"));
    let msg = f["message"].as_str().unwrap_or_default();
    assert!(msg.contains("GIT_WORK_TREE is"), "{msg}");
    assert!(msg.contains(&*other.path().to_string_lossy()), "{msg}");

    // The same work tree: read as without the variables.
    let same = check(&[("GIT_WORK_TREE", &spine), ("GIT_DIR", &spine.join(".git"))]);
    assert_eq!(same.status.code(), plain.status.code());
    let a: serde_json::Value = serde_json::from_slice(&plain.stdout).expect("json");
    let b: serde_json::Value = serde_json::from_slice(&same.stdout).expect("json");
    assert_eq!(a["findings"], b["findings"]);
}

/// Two files whose names differ only in bytes that are not UTF-8 stay two
/// files: each is listed under its own escaped name (`\xff`, `\xfe`) with
/// an `io/non-utf8-name` note, and each one's syntax error is reported, in
/// the work tree and at a revision.
#[test]
fn non_utf8_names_that_differ_only_in_invalid_bytes_do_not_collide() {
    use std::os::unix::ffi::OsStrExt;
    let ws = clean();
    let spine = ws.path().join("spine");
    for b in [0xffu8, 0xfe] {
        let mut name = b"odd".to_vec();
        name.push(b);
        name.extend_from_slice(b".yaml");
        std::fs::write(
            spine.join(std::ffi::OsStr::from_bytes(&name)),
            "key: [unclosed\n",
        )
        .expect("a file name with a non-UTF-8 byte");
    }
    init_repo(&spine);
    for mode in [&[][..], &["--rev", "HEAD"][..]] {
        let out = run(ws.path(), mode);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        for name in ["odd\\xff.yaml", "odd\\xfe.yaml"] {
            let codes = codes_at(&report, name);
            assert!(
                codes.contains(&"parse/syntax"),
                "{mode:?}: no syntax error for {name}: {codes:?}"
            );
            assert_eq!(
                finding(&report, "io/non-utf8-name", name)["severity"],
                "info"
            );
        }
        assert_eq!(out.status.code(), Some(1), "{mode:?}");
    }
}
