//! Exec gates: timeouts kill the whole process group, output is capped,
//! concurrency is bounded by --jobs, and broken scripts are the gate's own
//! error. Scripts are built in temp dirs.

mod common;

use driftgate::check::{run, CheckOptions, Run, Sources};
use driftgate::findings::{CheckStatus, Finding};
use driftgate::gates::GateOptions;
use driftgate::workspace::Snapshot;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

struct Script<'a> {
    id: &'a str,
    file: &'a str,
    body: &'a str,
    mode: u32,
    timeout: Option<u64>,
}

fn gate_file(id: &str, command: &str, timeout: Option<u64>) -> String {
    let mut s = format!(
        "id: {id}\nname: test-{}\ndescription: exec test gate\nseverity: high\nexec:\n  command: [\"{command}\"]\n",
        id.to_lowercase()
    );
    if let Some(t) = timeout {
        s.push_str(&format!("  timeout_sec: {t}\n"));
    }
    s
}

/// A spine whose gates_dir holds one exec gate per script.
fn spine(scripts: &[Script<'_>]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("gates")).expect("mkdir");
    std::fs::create_dir_all(root.join("surfaces/verify")).expect("mkdir");
    std::fs::write(
        root.join("driftgate.yaml"),
        "gates_dir: gates\nregistry: false\n",
    )
    .expect("write");
    for s in scripts {
        let path = root.join("surfaces/verify").join(s.file);
        if !path.exists() {
            std::fs::write(&path, s.body).expect("write");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(s.mode))
                .expect("chmod");
        }
        std::fs::write(
            root.join("gates").join(format!("{}-t.yaml", s.id)),
            gate_file(s.id, &format!("surfaces/verify/{}", s.file), s.timeout),
        )
        .expect("write");
    }
    dir
}

fn check(root: &Path, jobs: usize) -> Run {
    run(&CheckOptions {
        sources: Sources {
            spine: root.to_path_buf(),
            ..Default::default()
        },
        gates: GateOptions {
            select: vec!["D9*".into()],
            exec: true,
            jobs,
            now: chrono::NaiveDate::from_ymd_opt(2026, 11, 20),
            ..Default::default()
        },
        no_cache: true,
        ..Default::default()
    })
}

fn status<'a>(r: &'a Run, code: &str) -> &'a CheckStatus {
    &r.checks
        .iter()
        .find(|c| c.code == code)
        .unwrap_or_else(|| panic!("no record for {code}: {:#?}", r.findings))
        .status
}

fn findings<'a>(r: &'a Run, code: &str) -> Vec<&'a Finding> {
    r.findings.iter().filter(|f| f.code == code).collect()
}

/// Is the process gone (or a zombie nobody has reaped yet)?
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

#[test]
fn hanging_script_is_killed_at_its_timeout_with_its_grandchild() {
    // Scripts run in a private copy: what they leave for the test goes to
    // a directory outside the spine.
    let out = tempfile::tempdir().expect("tempdir");
    let pid_file = out.path().join("grandchild.pid");
    let body = format!(
        "#!/bin/sh\nsleep 300 &\necho $! > '{}'\nsleep 300\n",
        pid_file.display()
    );
    let dir = spine(&[Script {
        id: "D901",
        file: "hang.sh",
        body: &body,
        mode: 0o755,
        timeout: Some(1),
    }]);
    let t0 = Instant::now();
    let r = check(dir.path(), 2);
    assert!(
        t0.elapsed() < Duration::from_secs(60),
        "sanity bound: the script hangs for 300 s"
    );
    assert!(
        matches!(status(&r, "D901"), CheckStatus::Errored(w) if w.contains("timed out after 1s")),
        "{:?}",
        status(&r, "D901")
    );
    let f = findings(&r, "D901");
    assert_eq!(f.len(), 1);
    assert!(
        f[0].message.contains("timed out after 1s"),
        "{}",
        f[0].message
    );
    assert_eq!(f[0].location.path, "surfaces/verify/hang.sh");
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .expect("the script wrote its grandchild's pid")
        .trim()
        .parse()
        .expect("pid");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !gone(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(gone(pid), "grandchild {pid} survived the timeout kill");
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn script_printing_100_mb_is_capped_and_finishes() {
    let dir = spine(&[Script {
        id: "D902",
        file: "flood.sh",
        body: "#!/bin/sh\nyes 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' | head -c 100000000\necho\necho 'D902 FAIL: after the flood'\nexit 1\n",
        mode: 0o755,
        timeout: Some(120),
    }]);
    let before = peak_rss_kib();
    let r = check(dir.path(), 1);
    let after = peak_rss_kib();
    assert_eq!(status(&r, "D902"), &CheckStatus::Ran);
    let f = findings(&r, "D902");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(
        f[0].message.lines().next(),
        Some("after the flood"),
        "the tail is kept"
    );
    // The flood before it is detail, capped: 100 lines at most and a count.
    assert!(f[0].message.len() < 20 * 1024, "{}", f[0].message.len());
    assert!(f[0].message.ends_with("more line(s)"), "{}", f[0].message);
    // 100 MB went through; the process grew by far less (head 1 MiB + tail).
    assert!(
        after.saturating_sub(before) < 48 * 1024,
        "peak RSS grew by {} KiB",
        after.saturating_sub(before)
    );
}

#[test]
fn twenty_sleeping_gates_run_in_parallel_bounded_by_jobs() {
    let out = tempfile::tempdir().expect("tempdir");
    let log_file = out.path().join("log");
    let body = format!("#!/bin/sh\necho \"start $(date +%s.%N)\" >> '{0}'\nsleep 1\necho \"end $(date +%s.%N)\" >> '{0}'\necho \"$DRIFTGATE_GATE_ID FAIL: slept\"\nexit 1\n", log_file.display());
    let body = body.as_str();
    let ids: Vec<String> = (920..940).map(|n| format!("D{n}")).collect();
    let scripts: Vec<Script<'_>> = ids
        .iter()
        .map(|id| Script {
            id,
            file: "sleepy.sh",
            body,
            mode: 0o755,
            timeout: Some(30),
        })
        .collect();
    let dir = spine(&scripts);
    let t0 = Instant::now();
    let r = check(dir.path(), 8);
    let took = t0.elapsed();
    for id in &ids {
        assert_eq!(status(&r, id), &CheckStatus::Ran, "{id}");
        let f = findings(&r, id);
        assert_eq!(f.len(), 1, "{id}");
        assert_eq!(f[0].message, "slept");
    }
    assert!(
        took < Duration::from_secs(15),
        "sanity bound only: took {took:?}"
    );
    // Concurrency from the scripts' own start/end stamps: never above 8.
    let log = std::fs::read_to_string(&log_file).expect("log");
    let mut events: Vec<(f64, i32)> = log
        .lines()
        .filter_map(|l| {
            let (kind, t) = l.split_once(' ')?;
            let t: f64 = t.parse().ok()?;
            Some((t, if kind == "start" { 1 } else { -1 }))
        })
        .collect();
    assert_eq!(events.len(), 40);
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut now, mut peak) = (0, 0);
    for (_, d) in events {
        now += d;
        peak = peak.max(now);
    }
    assert!(peak <= 8, "{peak} scripts ran at once with --jobs 8");
    assert!(peak >= 2, "scripts did not overlap at all");
}

#[test]
fn broken_scripts_are_the_gates_own_error() {
    let dir = spine(&[
        Script {
            id: "D903",
            file: "noexec.sh",
            body: "#!/bin/sh\necho 'D903 PASS'\n",
            mode: 0o644,
            timeout: None,
        },
        Script {
            id: "D904",
            file: "signal.sh",
            body: "#!/bin/sh\nkill -KILL $$\n",
            mode: 0o755,
            timeout: None,
        },
        Script {
            id: "D905",
            file: "silent.sh",
            body: "#!/bin/sh\necho 'checking things'\necho 'something broke' >&2\nexit 3\n",
            mode: 0o755,
            timeout: None,
        },
        Script {
            id: "D906",
            file: "env.sh",
            body: "#!/bin/sh\necho \"D906 FAIL: id=$DRIFTGATE_GATE_ID spine=$DRIFTGATE_SPINE cwd=$(pwd) root=$SPINE_ROOT wb=${DRIFTGATE_WORKBENCH:-none}\"\nexit 1\n",
            mode: 0o755,
            timeout: None,
        },
        Script {
            id: "D907",
            file: "pass.sh",
            body: "#!/bin/sh\necho 'D907 PASS: fine'\n",
            mode: 0o755,
            timeout: None,
        },
    ]);
    // A gate whose script does not exist at all.
    std::fs::write(
        dir.path().join("gates/D908-t.yaml"),
        gate_file("D908", "surfaces/verify/missing.sh", None),
    )
    .expect("write");
    let r = check(dir.path(), 4);

    assert!(matches!(status(&r, "D903"), CheckStatus::Errored(w) if w.contains("not executable")));
    assert!(findings(&r, "D903")[0].message.contains("not executable"));

    assert!(matches!(status(&r, "D904"), CheckStatus::Errored(w) if w == "killed by signal 9"));
    assert_eq!(findings(&r, "D904").len(), 1);

    assert_eq!(status(&r, "D905"), &CheckStatus::Ran);
    let f = findings(&r, "D905");
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].message,
        "script failed (exit 3):\nchecking things\nsomething broke"
    );

    // The script ran in the private copy, never in the checkout.
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let f = findings(&r, "D906");
    let field = |k: &str| -> String {
        f[0].message
            .split(' ')
            .find_map(|w| w.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("no {k}= in {}", f[0].message))
            .to_string()
    };
    assert_eq!(field("id"), "D906");
    let copy = field("spine");
    assert_eq!(field("cwd"), copy);
    assert_eq!(field("root"), copy);
    assert_eq!(field("wb"), "none");
    assert!(
        copy.ends_with("/home/code/agentic-spine") && !copy.starts_with(&*root.to_string_lossy()),
        "{copy} is not a private copy of {}",
        root.display()
    );
    assert!(
        !Path::new(&copy).exists(),
        "the copy is removed after the run"
    );
    assert_eq!(f[0].location.line(), 2, "points at the script's echo");
    assert_eq!(f[0].subject.as_deref(), Some("gate:D906"));

    assert_eq!(status(&r, "D907"), &CheckStatus::Ran);
    assert!(findings(&r, "D907").is_empty());

    assert!(
        matches!(status(&r, "D908"), CheckStatus::Errored(w) if w.contains("missing.sh not found"))
    );
    assert_eq!(r.exit_code(), 1);
}

/// Exec gates judge the snapshot the run reads: the script and the files
/// of `--rev`, of the index with `--staged`, of the work tree by default
/// (each in a private copy); `--no-exec` skips them.
#[test]
fn exec_gates_run_on_the_snapshot_being_judged_and_not_with_no_exec() {
    let body = |v: &str| format!("#!/bin/sh\necho \"D909 FAIL: {v} sees $(cat state)\"\nexit 1\n");
    let committed = body("committed");
    let dir = spine(&[Script {
        id: "D909",
        file: "judge.sh",
        body: &committed,
        mode: 0o755,
        timeout: None,
    }]);
    let root = dir.path();
    std::fs::write(root.join("state"), "c1\n").expect("write");
    common::init_repo(root);
    let script = root.join("surfaces/verify/judge.sh");
    std::fs::write(&script, body("staged")).expect("write");
    std::fs::write(root.join("state"), "s1\n").expect("write");
    common::git(root, &["add", "-A"]);
    std::fs::write(&script, body("worktree")).expect("write");
    std::fs::write(root.join("state"), "w1\n").expect("write");
    let mut o = CheckOptions {
        sources: Sources {
            spine: root.to_path_buf(),
            ..Default::default()
        },
        snapshot: Snapshot::Rev("HEAD".into()),
        gates: GateOptions {
            select: vec!["D909".into()],
            exec: true,
            ..Default::default()
        },
        no_cache: true,
        ..Default::default()
    };
    let msg = |r: &Run| -> String {
        assert_eq!(status(r, "D909"), &CheckStatus::Ran);
        findings(r, "D909")
            .first()
            .map(|f| f.message.clone())
            .unwrap_or_default()
    };
    assert_eq!(msg(&run(&o)), "committed sees c1");
    o.snapshot = Snapshot::Staged;
    assert_eq!(msg(&run(&o)), "staged sees s1");
    o.snapshot = Snapshot::WorkTree;
    assert_eq!(msg(&run(&o)), "worktree sees w1");
    o.gates.exec = false;
    let r = run(&o);
    assert_eq!(
        status(&r, "D909"),
        &CheckStatus::Skipped("exec disabled (--no-exec)".into())
    );
}

/// A spine with one script that hangs and records its own and its child's
/// pid in the second directory (outside the spine: scripts run in a copy).
fn hanging_spine() -> (tempfile::TempDir, tempfile::TempDir) {
    let out = tempfile::tempdir().expect("tempdir");
    let body = format!(
        "#!/bin/sh\necho \"$SPINE_ROOT\" > '{0}/root'\nsleep 300 &\necho \"$$ $!\" > '{0}/pids.tmp'\nmv '{0}/pids.tmp' '{0}/pids'\nsleep 300\n",
        out.path().display()
    );
    let dir = spine(&[Script {
        id: "D911",
        file: "hang.sh",
        body: &body,
        mode: 0o755,
        timeout: Some(300),
    }]);
    (dir, out)
}

fn pids(dir: &Path) -> Vec<u32> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(t) = std::fs::read_to_string(dir.join("pids")) {
            return t
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect();
        }
        assert!(Instant::now() < deadline, "the script never started");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn assert_all_gone(pids: &[u32]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pids.iter().all(|p| gone(*p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    for p in pids {
        assert!(gone(*p), "process {p} of the exec gate survived");
    }
}

fn driftgate_cmd(dir: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("driftgate"));
    c.args([
        "check",
        "--no-cache",
        "--select",
        "D911",
        "--format",
        "short",
        "--spine",
    ])
    .arg(dir)
    .env_remove("DRIFTGATE_WORKBENCH")
    .env_remove("DRIFTGATE_LEGACY")
    .env_remove("DRIFTGATE_SPINE")
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    // driftgate keeps an inherited "ignore SIGINT" (as under nohup, or in a
    // background job of a non-interactive shell, where the test runner may
    // itself run): give the child the default disposition, so the tests
    // below test the handler, not how they were launched.
    // SAFETY: signal() is async-signal-safe, as pre_exec requires.
    unsafe {
        use std::os::unix::process::CommandExt;
        c.pre_exec(|| {
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::signal(sig, libc::SIG_DFL);
            }
            Ok(())
        });
    }
    c
}

#[test]
fn interrupted_driftgate_leaves_no_script_behind() {
    let (dir, out) = hanging_spine();
    // A signal leaves the run's private copy behind (it cannot be removed
    // from a signal handler): keep it in a directory this test removes.
    let tmp = tempfile::tempdir().expect("tmp");
    let mut child = driftgate_cmd(dir.path())
        .env("TMPDIR", tmp.path())
        .spawn()
        .expect("driftgate starts");
    let script = pids(out.path());
    assert_eq!(script.len(), 2);
    // Ctrl-C reaches driftgate's process group, not the script's.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "driftgate ignored SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_all_gone(&script);
}

#[test]
fn global_timeout_kills_running_scripts() {
    let (dir, out) = hanging_spine();
    let status = driftgate_cmd(dir.path())
        .args(["--timeout", "3"])
        .status()
        .expect("driftgate runs");
    assert_eq!(status.code(), Some(2));
    assert_all_gone(&pids(out.path()));
    // The abandoned run's private copy is removed too.
    let copy = std::fs::read_to_string(out.path().join("root")).expect("the script saw its root");
    assert!(copy.trim().ends_with("/home/code/agentic-spine"), "{copy}");
    assert!(!Path::new(copy.trim()).exists(), "{copy} was left behind");
}

/// Exec gates resolve their declared inputs like every gate: a required
/// input that is missing or does not parse skips the script (it never runs
/// on evidence that is not there); with the input in order, it runs.
#[test]
fn exec_gate_with_a_missing_or_broken_required_input_is_skipped_and_never_runs() {
    let out = tempfile::tempdir().expect("tempdir");
    let marker = out.path().join("ran.marker");
    let body = format!(
        "#!/bin/sh\ntouch '{}'\necho 'D910 FAIL: judged'\nexit 1\n",
        marker.display()
    );
    let dir = spine(&[Script {
        id: "D910",
        file: "marker.sh",
        body: &body,
        mode: 0o755,
        timeout: None,
    }]);
    let root = dir.path();
    let gate = root.join("gates/D910-t.yaml");
    let mut text = std::fs::read_to_string(&gate).expect("gate file");
    text.push_str("inputs:\n  - spine:ops/bindings/vm.lifecycle.yaml\n");
    std::fs::write(&gate, text).expect("write");
    let opts = CheckOptions {
        sources: Sources {
            spine: root.to_path_buf(),
            ..Default::default()
        },
        gates: GateOptions {
            select: vec!["D910".into()],
            exec: true,
            ..Default::default()
        },
        no_cache: true,
        ..Default::default()
    };
    let r = run(&opts);
    assert_eq!(
        status(&r, "D910"),
        &CheckStatus::Skipped("spine:ops/bindings/vm.lifecycle.yaml not found".into())
    );
    assert!(!marker.exists(), "the script did not run");
    std::fs::create_dir_all(root.join("ops/bindings")).expect("mkdir");
    std::fs::write(root.join("ops/bindings/vm.lifecycle.yaml"), "vms: [\n").expect("write");
    let r = run(&opts);
    assert!(
        matches!(status(&r, "D910"), CheckStatus::Skipped(w)
            if w.starts_with("spine:ops/bindings/vm.lifecycle.yaml does not parse (parse/syntax at ")),
        "{:?}",
        status(&r, "D910")
    );
    assert!(!marker.exists(), "the script did not run");
    std::fs::write(root.join("ops/bindings/vm.lifecycle.yaml"), "vms: []\n").expect("write");
    let r = run(&opts);
    assert_eq!(status(&r, "D910"), &CheckStatus::Ran);
    assert_eq!(findings(&r, "D910").len(), 1);
    assert!(marker.exists());
}

fn sandbox_args() -> &'static [&'static str] {
    let ok = std::process::Command::new("unshare")
        .args(["-rn", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        &[]
    } else {
        &["--unsandboxed"]
    }
}

/// Every file of a tree (the `.git` directory too) with its bytes.
fn tree_bytes(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("read_dir").flatten() {
            let p = e.path();
            let ft = e.file_type().expect("file type");
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() {
                out.push((
                    p.strip_prefix(root).expect("inside").display().to_string(),
                    std::fs::read(&p).expect("read"),
                ));
            }
        }
    }
    out.sort();
    out
}

/// A script that writes a new file into `$SPINE_ROOT`, appends to a
/// tracked file and deletes another runs in the private copy: the user's
/// checkout (work tree and `.git`) stays byte for byte what it was, and
/// the run reports what the gate wrote.
#[test]
fn an_exec_gate_that_writes_leaves_the_checkout_untouched_and_is_reported() {
    let dir = spine(&[Script {
        id: "D912",
        file: "writer.sh",
        body: "#!/bin/sh\necho x > \"$SPINE_ROOT/new.txt\"\necho tampered >> \"$SPINE_ROOT/tracked.txt\"\nrm -f \"$HOME/code/agentic-spine/doomed.txt\"\necho 'D912 PASS'\n",
        mode: 0o755,
        timeout: None,
    }]);
    let root = dir.path();
    std::fs::write(root.join("tracked.txt"), "original\n").expect("write");
    std::fs::write(root.join("doomed.txt"), "keep me\n").expect("write");
    common::init_repo(root);
    // An unstaged edit and an untracked file, so the copy is not just HEAD.
    std::fs::write(root.join("tracked.txt"), "original\nedited\n").expect("write");
    std::fs::write(root.join("untracked.txt"), "u\n").expect("write");
    let status_before = common::git(root, &["status", "--porcelain"]);
    let bytes_before = tree_bytes(root);

    let out = common::driftgate()
        .args([
            "check",
            "--no-cache",
            "--select",
            "D912",
            "--format",
            "json",
        ])
        .args(sandbox_args())
        .arg("--spine")
        .arg(root)
        .output()
        .expect("runs");
    let json = common::json_of(&out);

    assert_eq!(common::git(root, &["status", "--porcelain"]), status_before);
    assert_eq!(tree_bytes(root), bytes_before, "the checkout changed");
    assert!(!root.join("new.txt").exists());

    let writes: Vec<&serde_json::Value> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "exec/write")
        .collect();
    assert_eq!(writes.len(), 1, "{json:#}");
    let msg = writes[0]["message"].as_str().unwrap_or_default();
    for want in [
        "exec gate D912 wrote",
        "new.txt (added)",
        "tracked.txt (changed)",
        "doomed.txt (deleted)",
    ] {
        assert!(msg.contains(want), "{want:?} not in {msg}");
    }
    assert!(!msg.contains("untracked.txt"), "{msg}");
    assert_eq!(writes[0]["severity"], "info");
    assert_eq!(out.status.code(), Some(0), "{json:#}");
}

/// Registry gates of `gate_class: observational` probe live hosts: they
/// are skipped with the reason unless `--runtime`, and then they run (in
/// the copy, like every script).
#[test]
fn observational_registry_gates_run_only_with_runtime() {
    let out_dir = tempfile::tempdir().expect("tempdir");
    let marker = out_dir.path().join("probed");
    let root_dir = tempfile::tempdir().expect("tempdir");
    let root = root_dir.path();
    std::fs::create_dir_all(root.join("ops/bindings")).expect("mkdir");
    std::fs::create_dir_all(root.join("surfaces/verify")).expect("mkdir");
    std::fs::write(
        root.join("ops/bindings/gate.registry.yaml"),
        "gates:\n  - id: D960\n    name: live-probe\n    severity: high\n    gate_class: observational\n    check_script: surfaces/verify/probe.sh\n  - id: D961\n    name: static-check\n    severity: high\n    check_script: surfaces/verify/static.sh\n",
    )
    .expect("write");
    for (name, body) in [
        (
            "probe.sh",
            format!(
                "#!/bin/sh\ntouch '{}'\necho 'D960 FAIL: host down'\nexit 1\n",
                marker.display()
            ),
        ),
        ("static.sh", "#!/bin/sh\necho 'D961 PASS'\n".to_string()),
    ] {
        let p = root.join("surfaces/verify").join(name);
        std::fs::write(&p, body).expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let run_with = |runtime: bool| -> serde_json::Value {
        let mut c = common::driftgate();
        c.args([
            "check",
            "--no-cache",
            "--select",
            "D960,D961",
            "--format",
            "json",
        ])
        .args(sandbox_args())
        .arg("--spine")
        .arg(root);
        if runtime {
            c.arg("--runtime");
        }
        common::json_of(&c.output().expect("runs"))
    };
    let check_of = |json: &serde_json::Value, id: &str| -> serde_json::Value {
        json["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["code"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no check {id}: {json:#}"))
    };

    let json = run_with(false);
    let d960 = check_of(&json, "D960");
    assert_eq!(d960["status"], "skipped", "{d960:#}");
    assert!(d960.to_string().contains("run with --runtime"), "{d960:#}");
    assert_eq!(check_of(&json, "D961")["status"], "ran");
    assert!(!marker.exists(), "the runtime gate ran without --runtime");

    let json = run_with(true);
    assert_eq!(check_of(&json, "D960")["status"], "ran", "{json:#}");
    assert!(
        marker.exists(),
        "the runtime gate did not run with --runtime"
    );
    assert!(
        json["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["code"] == "D960" && f["message"] == "host down"),
        "{json:#}"
    );
}

/// A script in the shape of the registry's D154: its violations go to
/// stderr as indented `FAIL:` lines, then one `DNN FAIL:` summary. The
/// finding keeps every violation, not only the summary.
#[test]
fn exec_findings_keep_the_scripts_detail_lines() {
    let body = "#!/bin/sh\n\
        echo 'checking ring contract'\n\
        for i in 1 2 3 4 5 6 7; do echo \"  FAIL: D$((i * 10)): core gate ring must be instant (got 'deep')\" >&2; done\n\
        echo 'D954 FAIL: gate ring contract violations (7 finding(s))' >&2\n\
        exit 1\n";
    let list_after = "#!/bin/sh\n\
        echo 'D955 PASS: first part fine'\n\
        echo 'D955 FAIL: 2 stale entries'\n\
        echo '  - vm 215'\n\
        echo '  - vm 301'\n\
        exit 1\n";
    let dir = spine(&[
        Script {
            id: "D954",
            file: "rings.sh",
            body,
            mode: 0o755,
            timeout: None,
        },
        Script {
            id: "D955",
            file: "after.sh",
            body: list_after,
            mode: 0o755,
            timeout: None,
        },
    ]);
    let r = check(dir.path(), 2);

    let f = findings(&r, "D954");
    assert_eq!(f.len(), 1, "{f:?}");
    let lines: Vec<&str> = f[0].message.lines().collect();
    assert_eq!(lines[0], "gate ring contract violations (7 finding(s))");
    // The stdout progress line is in the other stream's detail, not here.
    assert_eq!(lines.len(), 8, "{lines:?}");
    for (i, l) in lines[1..].iter().enumerate() {
        assert_eq!(
            *l,
            format!(
                "  FAIL: D{}: core gate ring must be instant (got 'deep')",
                (i + 1) * 10
            )
        );
    }

    let f = findings(&r, "D955");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].message, "2 stale entries\n  - vm 215\n  - vm 301");
}
