//! Exec gates: no network, only scripts inside the spine, and nothing left
//! behind after SIGTERM. The binary is run as users run it.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn sandbox_works() -> bool {
    Command::new("unshare")
        .args(["-rn", "true"])
        .status()
        .is_ok_and(|s| s.success())
}

fn write_script(root: &Path, rel: &str, body: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(&p, body).expect("write");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn gate(root: &Path, id: &str, command: &str) {
    std::fs::create_dir_all(root.join("gates")).expect("mkdir");
    std::fs::write(
        root.join("gates").join(format!("{id}-t.yaml")),
        format!("id: {id}\nname: t-{}\n", id.to_lowercase()) + &format!("description: exec test gate\nseverity: high\nexec:\n  command: [\"{command}\"]\n  timeout_sec: 120\n"),
    )
    .expect("write");
}

fn new_spine() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("driftgate.yaml"),
        "gates_dir: gates\nregistry: false\n",
    )
    .expect("write");
    dir
}

fn driftgate(root: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("driftgate"));
    c.args([
        "check",
        "--no-cache",
        "--select",
        "D9*",
        "--format",
        "json",
        "--spine",
    ])
    .arg(root)
    .args(extra)
    .env_remove("DRIFTGATE_WORKBENCH")
    .env_remove("DRIFTGATE_LEGACY")
    .env_remove("DRIFTGATE_SPINE");
    c
}

fn status_of(json: &serde_json::Value, code: &str) -> String {
    json.to_string()
        .split(&format!("\"{code}\""))
        .nth(1)
        .unwrap_or("")
        .chars()
        .take(400)
        .collect()
}

const NET_PROBE: &str = "#!/bin/sh\nif tail -n +3 /proc/net/dev | grep -v ' lo:' | grep -q .; then echo 'D901 FAIL: network interfaces visible'; exit 1; fi\nexit 0\n";

#[test]
fn scripts_run_without_network() {
    let dir = new_spine();
    write_script(dir.path(), "surfaces/verify/net.sh", NET_PROBE);
    gate(dir.path(), "D901", "surfaces/verify/net.sh");
    let out = driftgate(dir.path(), &[]).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if sandbox_works() {
        assert_eq!(out.status.code(), Some(0), "{text}");
        assert!(!text.contains("network interfaces visible"), "{text}");
    } else {
        assert_ne!(out.status.code(), Some(0), "{text}");
        assert!(text.contains("--unsandboxed"), "{text}");
    }
}

#[test]
fn without_namespaces_exec_gates_are_refused_not_green() {
    let dir = new_spine();
    // Scripts run in a private copy: the marker goes outside the spine.
    let out = tempfile::tempdir().expect("tempdir");
    let ran = out.path().join("ran");
    write_script(
        dir.path(),
        "surfaces/verify/touch.sh",
        &format!("#!/bin/sh\n: > '{}'\n", ran.display()),
    );
    gate(dir.path(), "D902", "surfaces/verify/touch.sh");
    // A PATH without `unshare`, as on a machine that lacks it.
    let bin = tempfile::tempdir().expect("tempdir");
    let out = driftgate(dir.path(), &[])
        .env("PATH", bin.path())
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_ne!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("exec/sandbox"), "{text}");
    assert!(text.contains("--unsandboxed"), "{text}");
    assert!(!ran.exists(), "the script ran unsandboxed");
    // Asked explicitly, it runs.
    let out = driftgate(dir.path(), &["--unsandboxed"])
        .env("PATH", bin.path())
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(ran.exists());
}

#[test]
fn commands_outside_the_spine_never_run() {
    let outside = tempfile::tempdir().expect("tempdir");
    let marker = outside.path().join("ran");
    let evil = outside.path().join("evil.sh");
    std::fs::write(&evil, format!("#!/bin/sh\n: > '{}'\n", marker.display())).expect("write");
    std::fs::set_permissions(&evil, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let dir = new_spine();
    std::fs::create_dir_all(dir.path().join("surfaces/verify")).expect("mkdir");
    std::os::unix::fs::symlink(&evil, dir.path().join("surfaces/verify/link.sh")).expect("ln");
    gate(dir.path(), "D903", "surfaces/verify/link.sh");
    gate(dir.path(), "D904", "../evil.sh");
    gate(dir.path(), "D905", &evil.display().to_string());
    gate(dir.path(), "D906", "true");
    let out = driftgate(dir.path(), &["--unsandboxed"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_ne!(out.status.code(), Some(0), "{text}");
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    for id in ["D903", "D904", "D905", "D906"] {
        assert!(
            status_of(&json, id).contains("resolves outside the spine"),
            "{id}: {text}"
        );
    }
    assert!(!marker.exists(), "a script outside the spine ran");
}

fn marked_sleeps(marker: &str) -> Vec<String> {
    let mut v = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        if let Ok(c) = std::fs::read(e.path().join("cmdline")) {
            let c = String::from_utf8_lossy(&c).replace('\0', " ");
            if c.starts_with("sleep") && c.contains(marker) {
                v.push(format!("{}: {c}", e.file_name().to_string_lossy()));
            }
        }
    }
    v
}

#[test]
fn sigterm_with_16_jobs_leaves_no_script_behind() {
    let marker = format!("0.000{}", std::process::id());
    let dir = new_spine();
    for i in 0..20 {
        let id = format!("D9{i:02}");
        let rel = format!("surfaces/verify/s{i}.sh");
        write_script(dir.path(), &rel, &format!("#!/bin/sh\nsleep 30 {marker}\n"));
        gate(dir.path(), &id, &rel);
    }
    let extra: &[&str] = if sandbox_works() {
        &["--jobs", "16"]
    } else {
        &["--jobs", "16", "--unsandboxed"]
    };
    // A signal leaves the run's private copy behind (it cannot be removed
    // from a signal handler): keep it in a directory this test removes.
    let tmp = tempfile::tempdir().expect("tmp");
    let mut child = driftgate(dir.path(), extra)
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    std::thread::sleep(Duration::from_secs(1));
    let seen = Instant::now() + Duration::from_secs(20);
    while marked_sleeps(&marker).is_empty() && Instant::now() < seen {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!marked_sleeps(&marker).is_empty(), "no script started");
    // SAFETY: a signal to the child we spawned.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "driftgate ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while !marked_sleeps(&marker).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(marked_sleeps(&marker), Vec::<String>::new());
}
