//! Running the registry's scripts for `driftgate shadow`, on the snapshot
//! copy, the way the spine runs them (`bash <check_script>` from the spine
//! root) with:
//!
//! - `HOME` = the snapshot's home, so `$HOME/code/agentic-spine` and
//!   `$HOME/code/workbench` are the copies; `SPINE_ROOT`, `SPINE_REPO`,
//!   `SPINE_CODE`, `WORKBENCH_ROOT`, `SPINE_WORKBENCH` point there too;
//! - no network: `unshare -rn` (a new user and network namespace with only
//!   a down loopback) unless `--unsandboxed`;
//! - the clock at `now` (noon UTC) through `faketime`, when installed;
//! - a timeout, killing the script's process group (`gates::exec`).

use crate::gates::exec::{self, Ending};
use crate::sandbox::copy::Snapshot;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

/// At most this many output lines are kept per script in the report.
pub const KEPT_LINES: usize = 40;

/// Tools the spine's gate scripts call (`command -v` in the scripts:
/// yq 168, python3 81, rg 37, jq 32, git 6). A missing one makes some
/// scripts misjudge quietly (a script that pipes `rg` into a count reads
/// "0 violations"), so shadow names them and is not green without them.
pub const SCRIPT_TOOLS: &[&str] = &["bash", "git", "jq", "python3", "rg", "yq"];

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|d| {
            let p = d.join(tool);
            std::fs::metadata(&p).is_ok_and(|m| {
                use std::os::unix::fs::PermissionsExt;
                m.is_file() && m.permissions().mode() & 0o111 != 0
            })
        })
    })
}

/// mikefarah yq v4 answers `yq e '.a'` on `a: 1` with `1`; other programs
/// named yq (the Python jq wrapper) do not.
fn yq_is_v4() -> bool {
    use std::io::Write;
    let Ok(mut child) = Command::new("yq")
        .args(["e", ".a", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    else {
        return false;
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(b"a: 1\n");
    }
    child
        .wait_with_output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "1")
}

/// The tools the scripts need that this machine lacks (`yq (found, but
/// not mikefarah yq v4)` when another yq is found). The list is
/// `SCRIPT_TOOLS`, or `DRIFTGATE_SHADOW_TOOLS` (comma-separated) for a
/// spine whose scripts need others.
pub fn missing_tools() -> Vec<String> {
    let wanted: Vec<String> = match std::env::var("DRIFTGATE_SHADOW_TOOLS") {
        Ok(list) => list
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        Err(_) => SCRIPT_TOOLS.iter().map(|t| t.to_string()).collect(),
    };
    let mut out: Vec<String> = wanted.iter().filter(|t| !on_path(t)).cloned().collect();
    if wanted.iter().any(|t| t == "yq") && !out.iter().any(|t| t == "yq") && !yq_is_v4() {
        out.push("yq (found, but not mikefarah yq v4)".into());
    }
    out
}

pub struct Environment {
    /// The shared snapshot's HOME; each script runs in its own copy of it.
    home: PathBuf,
    workbench: Option<PathBuf>,
    spine: PathBuf,
    prefix: Vec<String>,
    env: Vec<(String, Option<String>)>,
    sandboxed: bool,
    clock_pinned: bool,
}

impl Environment {
    /// Finds the sandbox and the clock pin. Without `unsandboxed`, a
    /// missing or unusable `unshare` is an error: scripts never run with
    /// the network unless asked.
    pub fn detect(
        snap: &Snapshot,
        now: chrono::NaiveDate,
        unsandboxed: bool,
    ) -> Result<Environment, String> {
        let mut prefix = Vec::new();
        let sandboxed = if unsandboxed {
            false
        } else if let Some(p) = crate::sandbox::prefix() {
            prefix.extend(p);
            true
        } else {
            return Err(format!(
                "{}. Run with --unsandboxed to let the scripts reach the network",
                crate::sandbox::UNAVAILABLE
            ));
        };
        let stamp = format!("{} 12:00:00", now.format("%Y-%m-%d"));
        let clock_pinned = crate::sandbox::works(&["faketime", &stamp, "true"]);
        if clock_pinned {
            prefix.extend(["faketime".to_string(), stamp]);
        }
        let mut env = snap.script_env();
        env.extend([
            ("TZ".to_string(), Some("UTC".to_string())),
            // The user's secrets must not reach the scripts' output.
            ("INFISICAL_TOKEN".to_string(), None),
            ("SPINE_SECRETS_INJECTED".to_string(), None),
        ]);
        Ok(Environment {
            home: snap.home.clone(),
            workbench: snap.workbench.clone(),
            spine: snap.spine.clone(),
            prefix,
            env,
            sandboxed,
            clock_pinned,
        })
    }

    pub fn sandboxed(&self) -> bool {
        self.sandboxed
    }
    pub fn clock_pinned(&self) -> bool {
        self.clock_pinned
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScriptOutcome {
    Pass,
    Fail,
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScriptSide {
    pub outcome: ScriptOutcome,
    pub exit_code: Option<i32>,
    /// Why the script could not judge (outcome `error`).
    pub reason: Option<String>,
    /// `DNN FAIL:` / `DNN WARN:` messages.
    pub fail_lines: Vec<String>,
    /// The output (stdout then stderr), secrets masked, at most
    /// `KEPT_LINES` non-empty lines.
    pub output: Vec<String>,
    pub elapsed_ms: u128,
    /// Paths the script added, changed or deleted in its own copy.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub writes: Vec<String>,
}

impl ScriptSide {
    /// A script that could not be run (refused, no copy, runner stopped).
    fn error(reason: String) -> ScriptSide {
        ScriptSide {
            outcome: ScriptOutcome::Error,
            exit_code: None,
            reason: Some(reason),
            fail_lines: Vec::new(),
            output: Vec::new(),
            elapsed_ms: 0,
            writes: Vec::new(),
        }
    }
}

/// The kept output as one text (for subject matching).
pub fn output_text(s: &ScriptSide) -> String {
    s.output.join("\n")
}

/// A tool the script needs is missing: the script could not judge, even
/// when it exits 1.
fn missing_tool(text: &str) -> Option<String> {
    text.lines()
        .find(|l| l.contains("command not found") || l.contains(": not found"))
        .map(|l| format!("a tool is missing: {}", l.trim()))
}

fn judge(out: &exec::Outcome) -> ScriptSide {
    let stdout = out.stdout.text();
    let stderr = out.stderr.text();
    let both = format!("{stdout}\n{stderr}");
    let masked = crate::report::redact::redact(&both).into_owned();
    let fail_lines: Vec<String> = exec::fail_lines(&masked)
        .into_iter()
        .map(|(lvl, m)| format!("{lvl}: {m}"))
        .collect();
    let output: Vec<String> = masked
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(KEPT_LINES)
        .map(str::to_string)
        .collect();
    let (outcome, exit_code, reason) = match &out.ending {
        Ending::Exited(0) => (ScriptOutcome::Pass, Some(0), None),
        Ending::Exited(c) => match missing_tool(&masked) {
            Some(why) => (ScriptOutcome::Error, Some(*c), Some(why)),
            None if *c == 1 || !fail_lines.is_empty() => (ScriptOutcome::Fail, Some(*c), None),
            None => (
                ScriptOutcome::Error,
                Some(*c),
                Some(format!("exit code {c} without a FAIL line")),
            ),
        },
        Ending::Signaled(s) => (
            ScriptOutcome::Error,
            None,
            Some(format!("killed by signal {s}")),
        ),
        Ending::TimedOut(d) => (
            ScriptOutcome::Error,
            None,
            Some(format!("timed out after {} s", d.as_secs())),
        ),
        Ending::NotStarted(why) => (ScriptOutcome::Error, None, Some(why.clone())),
    };
    ScriptSide {
        outcome,
        exit_code,
        reason,
        fail_lines,
        output,
        elapsed_ms: out.elapsed.as_millis(),
        writes: Vec::new(),
    }
}

/// Runs one script (a spine-relative path).
pub fn run_one(env: &Environment, script: &str, timeout: Duration) -> ScriptSide {
    let rel = Path::new(script);
    let inside = rel
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    let path = env.spine.join(rel);
    let refused = if !inside {
        Some(format!(
            "check_script `{script}` is not a path inside the spine"
        ))
    } else if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file()) {
        Some(format!(
            "check_script `{script}` is not a file in this snapshot"
        ))
    } else {
        None
    };
    if let Some(why) = refused {
        return ScriptSide::error(why);
    }
    // Each script gets its own copy of the snapshot's HOME, so what one
    // script writes can never change what another one reads.
    let own = match isolate(env) {
        Ok(o) => o,
        Err(why) => return ScriptSide::error(why),
    };
    let before = crate::sandbox::copy::Manifest::of(&own.spine, own.workbench.as_deref());
    let mut argv = env.prefix.clone();
    argv.push("bash".into());
    argv.push(own.spine.join(rel).to_string_lossy().into_owned());
    let mut side = judge(&exec::run_command(&argv, &own.spine, &own.env, timeout));
    side.writes = crate::sandbox::copy::Manifest::of(&own.spine, own.workbench.as_deref())
        .changes_since(&before)
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    side
}

/// One script's private copy of the snapshot's HOME (removed when dropped).
struct OwnCopy {
    _dir: tempfile::TempDir,
    spine: PathBuf,
    workbench: Option<PathBuf>,
    env: Vec<(String, Option<String>)>,
}

/// Copies the snapshot's HOME with `cp -a` (links stay links, the clone's
/// alternates still name the user's object store) and points every
/// variable that named the shared copy at this one.
fn isolate(env: &Environment) -> Result<OwnCopy, String> {
    let dir = tempfile::Builder::new()
        .prefix("driftgate-shadow-script-")
        .tempdir()
        .map_err(|e| format!("cannot make a private copy for the script: {e}"))?;
    let status = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", env.home.display()))
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot copy the snapshot for the script: {e}"))?;
    if !status.success() {
        return Err("cannot copy the snapshot for the script (cp -a failed)".into());
    }
    let home = env.home.to_string_lossy().to_string();
    let mine = dir.path().to_string_lossy().to_string();
    let moved = |p: &Path| -> PathBuf {
        match p.strip_prefix(&env.home) {
            Ok(rel) => dir.path().join(rel),
            Err(_) => p.to_path_buf(),
        }
    };
    let vars = env
        .env
        .iter()
        .map(|(k, v)| (k.clone(), v.as_ref().map(|v| v.replace(&home, &mine))))
        .collect();
    Ok(OwnCopy {
        spine: moved(&env.spine),
        workbench: env.workbench.as_deref().map(moved),
        env: vars,
        _dir: dir,
    })
}

/// Runs the scripts, `jobs` at a time; results in the order given.
pub fn run_all(
    env: &Environment,
    scripts: &[String],
    timeout: Duration,
    jobs: usize,
) -> Vec<ScriptSide> {
    let next = Mutex::new(0usize);
    let results: Vec<Mutex<Option<ScriptSide>>> =
        scripts.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(scripts.len()).max(1) {
            scope.spawn(|| loop {
                let i = {
                    let Ok(mut n) = next.lock() else { return };
                    let i = *n;
                    *n += 1;
                    i
                };
                let Some(script) = scripts.get(i) else { return };
                let side = run_one(env, script, timeout);
                if let Some(slot) = results.get(i) {
                    if let Ok(mut s) = slot.lock() {
                        *s = Some(side);
                    }
                }
            });
        }
    });
    results
        .into_iter()
        .map(|m| {
            m.into_inner().ok().flatten().unwrap_or_else(|| {
                ScriptSide::error("the script runner stopped before this script".into())
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tool_is_an_error_not_a_failure() {
        assert!(missing_tool("x.sh: line 3: yq: command not found").is_some());
        assert!(missing_tool("sh: 1: jq: not found").is_some());
        assert!(missing_tool("D86 FAIL: 1 parity errors found").is_none());
    }
}
