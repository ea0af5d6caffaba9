//! Exec gates: external commands (the spine's `surfaces/verify/*.sh`).
//!
//! Each command runs in a private copy of the snapshot being judged
//! (`sandbox::copy`, built once per run by the caller): cwd = the copy's
//! spine root, `HOME` the copy's home (`$HOME/code/agentic-spine` is the
//! copy), `SPINE_ROOT`, `DRIFTGATE_SPINE`, `DRIFTGATE_WORKBENCH` (the
//! workbench's copy), `DRIFTGATE_LEGACY` (the legacy checkout itself) and
//! `DRIFTGATE_GATE_ID` set, stdin closed, in its own process group. What a
//! script writes into the copies is reported (`exec/write`, info, naming
//! the gate and the paths); the user's checkout is never touched. At most
//! `jobs` commands run at once. A command that outlives its timeout is
//! killed with its whole process group (`kill(-pgid, SIGKILL)`); so are
//! leftovers in the group once the command exits. stdout and stderr are read
//! on their own threads and capped (head and tail kept), so a gate that
//! prints 100 MB neither blocks nor fills memory.
//!
//! Verdict: `DNN FAIL: msg` lines (and `DNN WARN: msg`) become one finding
//! each, keeping the detail lines printed with them ([`verdict_lines`]); a nonzero exit without such lines becomes one finding carrying the
//! output tail; a missing or non-executable command, a kill by signal or a
//! timeout is the gate's own error (errored record plus a finding).

use super::catalogue::Gate;
use crate::findings::{CheckStatus, Finding, Location, RepoId, Severity};
use crate::sandbox::copy::{Change, Manifest, Snapshot};
use crate::workspace::Workspace;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wait_timeout::ChildExt;

/// Bytes kept from the start of each stream.
pub const HEAD_CAP: usize = 1 << 20;
/// Bytes kept from the end of each stream (after the head is full).
pub const TAIL_CAP: usize = 64 << 10;
pub const DEFAULT_TIMEOUT_SEC: u64 = 60;

/// Captured output of one stream.
#[derive(Debug, Default, Clone)]
pub struct Captured {
    pub head: Vec<u8>,
    /// Bytes after the head; only the last TAIL_CAP are kept (amortised:
    /// the buffer is trimmed when it reaches twice that).
    tail: Vec<u8>,
    /// Total bytes the stream produced.
    pub total: u64,
}

impl Captured {
    fn push(&mut self, mut buf: &[u8]) {
        self.total += buf.len() as u64;
        if self.head.len() < HEAD_CAP {
            let n = (HEAD_CAP - self.head.len()).min(buf.len());
            self.head.extend_from_slice(&buf[..n]);
            buf = &buf[n..];
        }
        if buf.is_empty() {
            return;
        }
        if buf.len() >= TAIL_CAP {
            self.tail.clear();
            self.tail.extend_from_slice(&buf[buf.len() - TAIL_CAP..]);
            return;
        }
        self.tail.extend_from_slice(buf);
        if self.tail.len() >= 2 * TAIL_CAP {
            let excess = self.tail.len() - TAIL_CAP;
            self.tail.drain(..excess);
        }
    }

    fn tail_bytes(&self) -> &[u8] {
        &self.tail[self.tail.len().saturating_sub(TAIL_CAP)..]
    }

    pub fn truncated(&self) -> bool {
        self.total > (self.head.len() + self.tail_bytes().len()) as u64
    }

    /// Head, a marker if bytes were dropped, then the tail.
    pub fn text(&self) -> String {
        let mut s = String::from_utf8_lossy(&self.head).into_owned();
        let tail = self.tail_bytes();
        if !tail.is_empty() {
            if self.truncated() {
                s.push_str(&format!(
                    "\n[… {} bytes not kept …]\n",
                    self.total - (self.head.len() + tail.len()) as u64
                ));
            }
            s.push_str(&String::from_utf8_lossy(tail));
        }
        s
    }

    /// Bytes held in memory.
    pub fn kept(&self) -> usize {
        self.head.len() + self.tail.len()
    }
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    Exited(i32),
    Signaled(i32),
    TimedOut(Duration),
    /// Could not be started (missing, not executable, ...).
    NotStarted(String),
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub ending: Ending,
    pub stdout: Captured,
    pub stderr: Captured,
    pub elapsed: Duration,
}

fn reader<R: Read + Send + 'static>(
    mut r: R,
) -> (Arc<Mutex<Captured>>, std::thread::JoinHandle<()>) {
    let cap = Arc::new(Mutex::new(Captured::default()));
    let c = cap.clone();
    let h = std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 << 10];
        loop {
            match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if let Ok(mut g) = c.lock() {
                        g.push(&buf[..n]);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
    });
    (cap, h)
}

/// Process groups of exec gates that are running now, so that an
/// interrupted driftgate (Ctrl-C, SIGTERM, the global --timeout) does not
/// leave scripts behind: their groups do not receive the terminal's signals.
static RUNNING: [AtomicI32; 256] = [const { AtomicI32::new(0) }; 256];

fn track(pgid: i32) -> Option<usize> {
    install_signal_handlers();
    RUNNING.iter().position(|slot| {
        slot.compare_exchange(0, pgid, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    })
}

fn untrack(slot: Option<usize>) {
    if let Some(s) = slot.and_then(|i| RUNNING.get(i)) {
        s.store(0, Ordering::SeqCst);
    }
}

/// Kills every running exec gate's process group (async-signal-safe: atomics
/// and `kill` only).
pub fn kill_running() {
    for slot in RUNNING.iter() {
        let p = slot.load(Ordering::SeqCst);
        if p > 1 {
            // SAFETY: plain syscall on a process group we created.
            unsafe {
                libc::kill(-p, libc::SIGKILL);
            }
        }
    }
}

/// Set by the signal handler: no gate starts after it.
static STOPPING: AtomicBool = AtomicBool::new(false);
/// Threads between "may I spawn?" and "the child is tracked". The handler
/// waits for them (bounded) before killing, so a child spawned concurrently
/// with the signal is tracked, and killed, too.
static SPAWNING: AtomicUsize = AtomicUsize::new(0);

/// True once SIGINT/SIGTERM/SIGHUP arrived.
pub fn stopping() -> bool {
    STOPPING.load(Ordering::SeqCst)
}

extern "C" fn on_signal(sig: libc::c_int) {
    STOPPING.store(true, Ordering::SeqCst);
    // Spawning threads block these signals, so this never runs on one of
    // them; wait (at most ~2 s) until each has tracked its child.
    for _ in 0..2000 {
        if SPAWNING.load(Ordering::SeqCst) == 0 {
            break;
        }
        let ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 1_000_000,
        };
        // SAFETY: nanosleep is async-signal-safe.
        unsafe {
            libc::nanosleep(&ts, std::ptr::null_mut());
        }
    }
    kill_running();
    // SAFETY: restoring the default disposition and re-raising are
    // async-signal-safe; the process then ends as it would have.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

fn install_signal_handlers() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // SAFETY: installs a handler that only touches atomics and makes
            // async-signal-safe calls. An ignored signal stays ignored.
            unsafe {
                let old = libc::signal(
                    sig,
                    on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
                );
                if old == libc::SIG_IGN {
                    libc::signal(sig, libc::SIG_IGN);
                }
            }
        }
    });
}

/// Spawn and track as one step with respect to the signal handler: the
/// termination signals are blocked on this thread and `SPAWNING` counts it
/// until dropped.
struct SpawnGuard {
    old: libc::sigset_t,
}

impl SpawnGuard {
    fn enter() -> SpawnGuard {
        install_signal_handlers();
        // SAFETY: sigset manipulation on local values and pthread_sigmask
        // on the calling thread.
        let old = unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::sigaddset(&mut set, sig);
            }
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
            old
        };
        SPAWNING.fetch_add(1, Ordering::SeqCst);
        SpawnGuard { old }
    }
}

impl Drop for SpawnGuard {
    fn drop(&mut self) {
        SPAWNING.fetch_sub(1, Ordering::SeqCst);
        // SAFETY: restores this thread's previous mask; a signal that came
        // meanwhile is delivered now, after the child is tracked.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.old, std::ptr::null_mut());
        }
    }
}

fn kill_group(pgid: u32) {
    if let Ok(p) = i32::try_from(pgid) {
        if p > 1 {
            // SAFETY: plain syscall; a negative pid addresses the group we
            // created for this child (`process_group(0)`).
            unsafe {
                libc::kill(-p, libc::SIGKILL);
            }
        }
    }
}

/// Joins a reader thread, waiting at most `grace` (a process that escaped
/// the group may hold the pipe open); returns what was captured so far.
fn finish(cap: Arc<Mutex<Captured>>, h: std::thread::JoinHandle<()>, grace: Duration) -> Captured {
    let t0 = Instant::now();
    while !h.is_finished() && t0.elapsed() < grace {
        std::thread::sleep(Duration::from_millis(5));
    }
    if h.is_finished() {
        let _ = h.join();
    }
    cap.lock().map(|g| g.clone()).unwrap_or_default()
}

/// Runs one command to completion or timeout.
pub fn run_command(
    argv: &[String],
    cwd: &Path,
    env: &[(String, Option<String>)],
    timeout: Duration,
) -> Outcome {
    let t0 = Instant::now();
    let not_started = |why: String| Outcome {
        ending: Ending::NotStarted(why),
        stdout: Captured::default(),
        stderr: Captured::default(),
        elapsed: t0.elapsed(),
    };
    let Some(program) = argv.first() else {
        return not_started("empty command".into());
    };
    let mut cmd = Command::new(program);
    cmd.args(&argv[1..])
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let guard = SpawnGuard::enter();
    if stopping() {
        return not_started("driftgate is stopping (interrupted); the gate was not started".into());
    }
    let spawned = cmd.spawn();
    let slot = match &spawned {
        Ok(c) => track(i32::try_from(c.id()).unwrap_or(0)),
        Err(_) => None,
    };
    drop(guard);
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => format!("`{program}` not found"),
                std::io::ErrorKind::PermissionDenied => {
                    format!("`{program}` is not executable (chmod +x it)")
                }
                _ => format!("`{program}` could not be started: {e}"),
            };
            return not_started(why);
        }
    };
    let pgid = child.id();
    let (out_cap, out_h) = match child.stdout.take() {
        Some(s) => reader(s),
        None => reader(std::io::empty()),
    };
    let (err_cap, err_h) = match child.stderr.take() {
        Some(s) => reader(s),
        None => reader(std::io::empty()),
    };
    let ending = match child.wait_timeout(timeout) {
        Ok(Some(status)) => match (status.code(), status.signal()) {
            (Some(c), _) => Ending::Exited(c),
            (None, Some(s)) => Ending::Signaled(s),
            (None, None) => Ending::Exited(-1),
        },
        Ok(None) => {
            kill_group(pgid);
            let _ = child.wait();
            Ending::TimedOut(timeout)
        }
        Err(e) => {
            kill_group(pgid);
            let _ = child.wait();
            Ending::NotStarted(format!("waiting failed: {e}"))
        }
    };
    // Leftovers of the gate (background jobs) die with it.
    kill_group(pgid);
    untrack(slot);
    let grace = Duration::from_secs(2);
    let stdout = finish(out_cap, out_h, grace);
    let stderr = finish(err_cap, err_h, grace);
    Outcome {
        ending,
        stdout,
        stderr,
        elapsed: t0.elapsed(),
    }
}

/// One exec gate to run.
pub struct Job<'a> {
    pub gate: &'a Gate,
    pub argv: Vec<String>,
    pub timeout: Duration,
}

/// Result of one exec gate.
pub struct Done {
    pub status: CheckStatus,
    pub findings: Vec<Finding>,
    pub millis: u64,
}

/// Resolves argv[0]: a path with `/` is relative to the spine root.
fn resolve(argv: &[String], root: &Path) -> Vec<String> {
    let mut v = argv.to_vec();
    if let Some(first) = v.first_mut() {
        if first.contains('/') && !Path::new(first.as_str()).is_absolute() {
            *first = root
                .join(first.trim_start_matches("./"))
                .display()
                .to_string();
        }
    }
    v
}

/// Why a command does not resolve inside the spine (`root`, canonical):
/// absolute, with `..`, a bare name (found on PATH), or a symlink whose
/// target leaves the spine. None when it stays inside (or does not exist:
/// the "not found" error says that).
pub fn outside_spine(command: &str, root: &Path) -> Option<String> {
    let rel = Path::new(command);
    let out = || {
        Some(format!(
            "check_script `{command}` resolves outside the spine"
        ))
    };
    if !command.contains('/') || rel.is_absolute() {
        return out();
    }
    if rel.components().any(|c| {
        !matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    }) {
        return out();
    }
    match std::fs::canonicalize(root.join(rel)) {
        Ok(real) if !real.starts_with(root) => out(),
        _ => None,
    }
}

/// Environment for a gate: the copy's (`Snapshot::script_env`) plus
/// driftgate's own variables.
fn env_for(
    ws: &Workspace,
    copy: &Snapshot,
    id: &str,
    root: &Path,
) -> Vec<(String, Option<String>)> {
    let mut env = copy.script_env();
    let workbench = ws
        .repo(RepoId::Workbench)
        .and(copy.workbench.as_ref())
        .map(|p| abs(p).display().to_string());
    let legacy = ws
        .repo(RepoId::Legacy)
        .map(|x| abs(&x.root).display().to_string());
    env.extend([
        ("SPINE_ROOT".into(), Some(root.display().to_string())),
        ("DRIFTGATE_SPINE".into(), Some(root.display().to_string())),
        ("DRIFTGATE_WORKBENCH".into(), workbench),
        ("DRIFTGATE_LEGACY".into(), legacy),
        ("DRIFTGATE_GATE_ID".into(), Some(id.to_string())),
    ]);
    env
}

fn abs(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// What the scripts wrote into the copy, and who may have written it:
/// after each gate the copy is compared with how it was after the previous
/// one; what changed is attributed to the gate that just ended and the
/// gates still running then (with `--jobs 1`, exactly one).
struct Watch<'a> {
    copy: &'a Snapshot,
    state: Mutex<(Manifest, Vec<String>)>,
}

impl<'a> Watch<'a> {
    fn new(copy: &'a Snapshot) -> Watch<'a> {
        Watch {
            copy,
            state: Mutex::new((copy.manifest(), Vec::new())),
        }
    }

    fn started(&self, id: &str) {
        if let Ok(mut g) = self.state.lock() {
            g.1.push(id.to_string());
        }
    }

    /// The gate `id` ended: its write note, if the copy changed.
    fn ended(&self, gate: &Gate, at: Location) -> Option<Finding> {
        let id = &gate.meta.id;
        let mut g = self.state.lock().ok()?;
        let now = self.copy.manifest();
        let changes = now.changes_since(&g.0);
        g.0 = now;
        let others: Vec<String> = g.1.iter().filter(|r| *r != id).cloned().collect();
        if let Some(i) = g.1.iter().position(|r| r == id) {
            g.1.swap_remove(i);
        }
        drop(g);
        if changes.is_empty() {
            return None;
        }
        const SHOWN: usize = 20;
        let mut list: Vec<String> = changes
            .iter()
            .take(SHOWN)
            .map(|(p, c)| format!("{p} ({})", c.as_str()))
            .collect();
        if changes.len() > SHOWN {
            list.push(format!("… {} more", changes.len() - SHOWN));
        }
        let who = if others.is_empty() {
            format!("exec gate {id}")
        } else {
            let mut all = others.clone();
            all.push(id.clone());
            all.sort();
            format!(
                "exec gate {id} or one running at the same time ({})",
                all.join(", ")
            )
        };
        let written = changes
            .iter()
            .filter(|(_, c)| *c != Change::Deleted)
            .count();
        Some(
            Finding::new(
                "exec/write",
                Severity::Info,
                at,
                format!(
                    "{who} wrote into its private copy of the checkout, not into yours ({} path(s), {written} added or changed): {}",
                    changes.len(),
                    list.join(", ")
                ),
            )
            .with_help("a check script should only read; the copy is thrown away after the run")
            .with_subject(format!("gate:{id}")),
        )
    }
}

/// Runs exec gates in `copy`, at most `jobs` at a time, in input order of
/// results.
pub fn run_all(
    ws: &Workspace,
    jobs: Vec<Job<'_>>,
    parallel: usize,
    sandbox: &[String],
    copy: &Snapshot,
) -> Vec<Done> {
    let root = abs(&copy.spine);
    let watch = Watch::new(copy);
    let n = jobs.len();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Mutex<Option<Done>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let workers = parallel.max(1).min(n.max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(job) = jobs.get(i) else { break };
                watch.started(&job.gate.meta.id);
                let mut done = run_job(ws, job, &root, sandbox, copy);
                let at = script_location(ws, job);
                done.findings.extend(watch.ended(job.gate, at));
                if let Some(slot) = results.get(i) {
                    if let Ok(mut g) = slot.lock() {
                        *g = Some(done);
                    }
                }
            });
        }
    });
    results
        .into_iter()
        .map(|m| {
            m.into_inner().ok().flatten().unwrap_or(Done {
                status: CheckStatus::Errored("exec worker failed".into()),
                findings: Vec::new(),
                millis: 0,
            })
        })
        .collect()
}

/// The spine file a job's command names (its script), if any.
fn script_of(ws: &Workspace, job: &Job<'_>) -> Option<String> {
    job.argv
        .iter()
        .map(|a| a.trim_start_matches("./"))
        .find(|a| ws.spine().has(a))
        .map(str::to_string)
}

/// Where a job's findings point: its script, else the gate's definition.
fn script_location(ws: &Workspace, job: &Job<'_>) -> Location {
    script_of(ws, job)
        .map(|s| Location::file(RepoId::Spine, s))
        .unwrap_or_else(|| job.gate.defined_at.clone())
}

fn run_job(
    ws: &Workspace,
    job: &Job<'_>,
    root: &Path,
    sandbox: &[String],
    copy: &Snapshot,
) -> Done {
    let meta = &job.gate.meta;
    let argv: Vec<String> = sandbox
        .iter()
        .cloned()
        .chain(resolve(&job.argv, root))
        .collect();
    // Where findings point: the first argument that is a spine file (the
    // script), else the gate's definition.
    let script = script_of(ws, job);
    let base_loc = script_location(ws, job);
    let mk = |loc: Location, sev: Severity, msg: String| {
        let mut f =
            Finding::new(meta.id.clone(), sev, loc, msg).with_subject(format!("gate:{}", meta.id));
        f.help = meta.fix_hint.clone();
        f
    };
    let sev = meta.finding_severity();
    // Only commands inside the spine run.
    if let Some(why) = job.argv.first().and_then(|c| outside_spine(c, root)) {
        let loc = job
            .gate
            .registry_at
            .clone()
            .unwrap_or_else(|| job.gate.defined_at.clone());
        return Done {
            findings: vec![mk(loc, sev, format!("not run: {why}")).with_help(format!(
                "point {}'s check_script at a script committed inside the spine",
                meta.id
            ))],
            status: CheckStatus::Errored(why),
            millis: 0,
        };
    }
    // A relative script that is not there: say so without spawning.
    if let Some(first) = job.argv.first() {
        if first.contains('/') && !Path::new(first).is_absolute() {
            let rel = first.trim_start_matches("./");
            if !root.join(rel).exists() {
                let why = format!("script {rel} not found");
                let loc = job
                    .gate
                    .registry_at
                    .clone()
                    .unwrap_or_else(|| job.gate.defined_at.clone());
                return Done {
                    findings: vec![mk(loc, sev, format!("could not run: {why}")).with_help(
                        format!(
                            "restore {rel}, fix the gate's command, or port {} to driftgate",
                            meta.id
                        ),
                    )],
                    status: CheckStatus::Errored(why),
                    millis: 0,
                };
            }
        }
    }
    let env = env_for(ws, copy, &meta.id, root);
    // Under `unshare` a non-executable script is unshare's exit 126: say
    // what the user must fix, as without the sandbox.
    let direct = resolve(&job.argv, root);
    let not_exec = direct.first().and_then(|p| {
        use std::os::unix::fs::PermissionsExt;
        let m = std::fs::metadata(p).ok()?;
        (m.is_file() && m.permissions().mode() & 0o111 == 0)
            .then(|| format!("`{p}` is not executable (chmod +x it)"))
    });
    let out = match not_exec {
        Some(why) => Outcome {
            ending: Ending::NotStarted(why),
            stdout: Captured::default(),
            stderr: Captured::default(),
            elapsed: Duration::ZERO,
        },
        None => run_command(&argv, root, &env, job.timeout),
    };
    let millis = out.elapsed.as_millis() as u64;
    let stdout = out.stdout.text();
    let stderr = out.stderr.text();
    let script_text = script
        .as_ref()
        .and_then(|s| std::fs::read_to_string(root.join(s)).ok());
    let mut findings = Vec::new();
    for v in verdict_lines(&stdout)
        .into_iter()
        .chain(verdict_lines(&stderr))
    {
        let (level, msg) = (v.level, v.message.as_str());
        let loc = script_text
            .as_deref()
            .and_then(|t| echo_line(t, &meta.id, level, msg))
            .and_then(|line| {
                ws.spine()
                    .doc(script.as_deref().unwrap_or_default())
                    .map(|d| d.line_location(line))
            })
            .unwrap_or_else(|| base_loc.clone());
        let s = if level == "WARN" {
            sev.min(Severity::Warning)
        } else {
            sev
        };
        findings.push(mk(loc, s, v.full_message()));
    }
    let tail = |n: usize| -> String {
        let mut all: Vec<&str> = stdout.lines().chain(stderr.lines()).collect();
        let start = all.len().saturating_sub(n);
        all.drain(..start);
        all.join("\n")
    };
    let status = match &out.ending {
        Ending::Exited(0) => CheckStatus::Ran,
        Ending::Exited(code) => {
            if findings.is_empty() {
                let t = tail(20);
                let msg = if t.trim().is_empty() {
                    format!("script failed (exit {code}) without output")
                } else {
                    format!("script failed (exit {code}):\n{t}")
                };
                findings.push(mk(base_loc.clone(), sev, msg));
            }
            CheckStatus::Ran
        }
        Ending::Signaled(sig) => {
            let why = format!("killed by signal {sig}");
            findings.push(mk(base_loc.clone(), sev, format!("script {why}")));
            CheckStatus::Errored(why)
        }
        Ending::TimedOut(d) => {
            let why = format!(
                "timed out after {}s; its process group was killed",
                d.as_secs()
            );
            findings.push(
                mk(base_loc.clone(), sev, format!("script {why}")).with_help(format!(
                    "make the script faster, or raise `timeout_sec` / `exec_timeout_sec` (now {}s)",
                    d.as_secs()
                )),
            );
            CheckStatus::Errored(why)
        }
        Ending::NotStarted(why) => {
            findings.push(mk(base_loc.clone(), sev, format!("could not run: {why}")));
            CheckStatus::Errored(why.clone())
        }
    };
    Done {
        status,
        findings,
        millis,
    }
}

/// `D43 FAIL: message` / `D43 WARN: message` lines → (level, message); the
/// message is the text after `FAIL:` (the code and severity carry the rest).
pub fn fail_lines(text: &str) -> Vec<(&'static str, String)> {
    verdict_lines(text)
        .into_iter()
        .map(|v| (v.level, v.message))
        .collect()
}

/// Most detail lines one verdict line keeps (and at most
/// [`MAX_DETAIL_BYTES`] of them, each cut at [`MAX_DETAIL_LINE_BYTES`]); the
/// rest are counted.
pub const MAX_DETAIL_LINES: usize = 100;
pub const MAX_DETAIL_BYTES: usize = 16 * 1024;
pub const MAX_DETAIL_LINE_BYTES: usize = 500;

/// One `DNN FAIL:` / `DNN WARN:` line of a script's output with the detail
/// lines that belong to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub level: &'static str,
    pub message: String,
    /// The script's other non-empty lines: those printed since the previous
    /// `DNN` line (D154 prints its `  FAIL: ...` violations, then the
    /// summary), and after the last verdict line, those printed after it
    /// (scripts that print the summary first, then the list). Lines before
    /// a `DNN PASS` line belong to that pass and are dropped.
    pub detail: Vec<String>,
}

/// The verdict lines of one output stream, each with its detail lines
/// (capped as [`MAX_DETAIL_LINES`] says, then a line counting the rest).
pub fn verdict_lines(text: &str) -> Vec<Verdict> {
    let mut out: Vec<Verdict> = Vec::new();
    let mut pending: Vec<&str> = Vec::new();
    for line in text.lines() {
        let l = line.trim();
        match gate_line(l) {
            Some((Some(level), msg)) => out.push(Verdict {
                level,
                message: msg.to_string(),
                detail: pending.drain(..).map(str::to_string).collect(),
            }),
            Some((None, _)) => pending.clear(),
            None if !l.is_empty() => pending.push(l),
            None => {}
        }
    }
    if let Some(last) = out.last_mut() {
        last.detail.extend(pending.into_iter().map(str::to_string));
    }
    for v in &mut out {
        let mut bytes = 0;
        let keep = v
            .detail
            .iter()
            .take(MAX_DETAIL_LINES)
            .take_while(|l| {
                bytes += l.len().min(MAX_DETAIL_LINE_BYTES);
                bytes <= MAX_DETAIL_BYTES
            })
            .count();
        let more = v.detail.len() - keep;
        v.detail.truncate(keep);
        for l in &mut v.detail {
            if l.len() > MAX_DETAIL_LINE_BYTES {
                let mut end = MAX_DETAIL_LINE_BYTES;
                while !l.is_char_boundary(end) {
                    end -= 1;
                }
                l.truncate(end);
                l.push('…');
            }
        }
        if more > 0 {
            v.detail.push(format!("… and {more} more line(s)"));
        }
    }
    out
}

impl Verdict {
    /// The finding message: the verdict line, then its detail lines indented.
    pub fn full_message(&self) -> String {
        let mut m = self.message.clone();
        for d in &self.detail {
            m.push_str("\n  ");
            m.push_str(d);
        }
        m
    }
}

/// A `DNN <WORD>` line: `Some((Some(level), message))` for FAIL/WARN,
/// `Some((None, rest))` for any other word (PASS, SKIP, ...).
fn gate_line(l: &str) -> Option<(Option<&'static str>, &str)> {
    let rest = l.strip_prefix(['D', 'd'])?;
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let after = rest[digits..].trim_start_matches(':').trim_start();
    for level in ["FAIL", "WARN"] {
        if let Some(msg) = after.strip_prefix(level) {
            return Some((Some(level), msg.trim_start_matches(':').trim()));
        }
    }
    after
        .split_whitespace()
        .next()
        .filter(|w| {
            let w = w.trim_end_matches(':');
            !w.is_empty() && w.chars().all(|c| c.is_ascii_uppercase())
        })
        .map(|_| (None, after))
}

/// The line of the script that echoes this FAIL message, when exactly one
/// line's literal text (up to its first `$`) starts the message.
fn echo_line(script: &str, id: &str, level: &str, msg: &str) -> Option<usize> {
    let marker = format!("{id} {level}");
    let body = msg.trim();
    let mut hits = script.lines().enumerate().filter_map(|(i, line)| {
        let at = line.find(&marker)?;
        let after = line[at + marker.len()..]
            .trim_start_matches(':')
            .trim_start();
        let literal = after
            .split(['$', '"', '\''])
            .next()
            .unwrap_or("")
            .trim_end();
        body.starts_with(literal).then_some(i + 1)
    });
    let first = hits.next()?;
    hits.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_lines_are_parsed() {
        let t = "D43 PASS: x\nD43 FAIL: no namespace for home\n  d7 warn: nope\nD9 WARN: soft\nrandom\nDX FAIL: no";
        assert_eq!(
            fail_lines(t),
            vec![
                ("FAIL", "no namespace for home".to_string()),
                ("WARN", "soft".to_string())
            ]
        );
    }

    #[test]
    fn verdict_lines_keep_their_detail() {
        let t = "noise before a pass\nD1 PASS: ok\n  FAIL: a\n  FAIL: b\nD2 FAIL: two violations\n\n  after\n";
        let v = verdict_lines(t);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].detail, vec!["FAIL: a", "FAIL: b", "after"]);
        assert_eq!(
            v[0].full_message(),
            "two violations\n  FAIL: a\n  FAIL: b\n  after"
        );
        let many: String =
            (0..150).map(|i| format!("x{i}\n")).collect::<String>() + "D3 FAIL: many";
        let v = verdict_lines(&many);
        assert_eq!(v[0].detail.len(), MAX_DETAIL_LINES + 1);
        assert_eq!(v[0].detail[MAX_DETAIL_LINES], "… and 50 more line(s)");
        // Lower-case words after the id are not gate lines: kept as detail.
        let v = verdict_lines("D7 warn: soft\nD7 FAIL: hard");
        assert_eq!(v[0].detail, vec!["D7 warn: soft"]);
    }

    #[test]
    fn echo_line_finds_the_literal_prefix() {
        let s = "x\necho \"D43 FAIL: missing ops/x\"; exit 1\n  echo \"D43 FAIL: no /spine/<site> namespace for active site(s): ${missing[*]}\"\n";
        assert_eq!(
            echo_line(
                s,
                "D43",
                "FAIL",
                "no /spine/<site> namespace for active site(s): home"
            ),
            Some(3)
        );
        assert_eq!(echo_line(s, "D43", "FAIL", "other"), None);
    }

    #[test]
    fn capture_keeps_head_and_tail() {
        let mut c = Captured::default();
        let chunk = vec![b'a'; 1 << 16];
        for _ in 0..40 {
            c.push(&chunk);
        }
        c.push(b"THE END");
        assert_eq!(c.total, 40 * (1 << 16) + 7);
        assert!(c.kept() <= HEAD_CAP + 2 * TAIL_CAP);
        assert!(c.truncated());
        assert!(c.text().ends_with("THE END"));
    }
}
