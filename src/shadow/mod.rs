//! `driftgate shadow`: run driftgate's gate and the spine registry's own
//! `check_script` of the same id on the same snapshot and compare them.
//!
//! The registry's scripts are the spec: a gate that carries a registry id
//! must raise drift exactly when its script does. Shadow is what a user runs
//! before retiring a bash script, and what a developer runs for every port.
//!
//! Steps: copy the spine at the chosen snapshot into a temporary `HOME`
//! (`snapshot`), run driftgate's engine on the copy (scripts off), run each
//! comparable gate's script on the copy (`script`: no network, clock pinned
//! to `--now`, a timeout), and compare per gate (`Verdict`). A gate is
//! comparable when driftgate implements it (rule or native, built in) and
//! the registry has a `check_script` for it that is neither retired nor
//! inline.
//!
//! Verdicts compare whether each side calls drift (driftgate: an error or
//! warning finding; the script: a nonzero exit). Each driftgate finding is
//! also looked for in the script's output by its subject (`vm:215` → `215`),
//! which shows where both call drift for different things.

pub mod report;
pub mod script;

use crate::check::{CheckOptions, Sources};
use crate::documents::Document;
use crate::findings::{CheckStatus, RepoId, Severity};
use crate::gates::{catalogue, GateOptions, Implementation};
use crate::model::registry::{registry_gates, REGISTRY};
use crate::workspace::Snapshot as WsSnapshot;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

use crate::sandbox::copy as snapshot;
pub use crate::sandbox::copy::Source;

/// Default time one script may run (the spine's scripts call `yq` many
/// times; with a slow `yq` one can take minutes).
pub const DEFAULT_TIMEOUT_SEC: u64 = 600;

#[derive(Debug, Clone)]
pub struct ShadowOptions {
    pub spine: PathBuf,
    pub workbench: Option<PathBuf>,
    pub source: Source,
    /// Only these gate ids (normalised); empty: every comparable gate.
    pub gates: Vec<String>,
    /// The date both sides judge at. None: the revision's commit date with
    /// `--rev`, else today.
    pub now: Option<chrono::NaiveDate>,
    pub timeout: Duration,
    /// Scripts at once.
    pub jobs: usize,
    /// Run scripts without the network sandbox (`unshare -rn`).
    pub unsandboxed: bool,
}

/// How the two sides compare for one gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Both clean.
    AgreeClean,
    /// Both call drift.
    AgreeDrift,
    /// driftgate calls drift, the script passes.
    NativeOnly,
    /// The script fails, driftgate is clean.
    ScriptOnly,
    /// The script could not judge (not found, timeout, killed, a missing
    /// tool, an exit code other than 0 and 1 without FAIL lines).
    ScriptError,
    /// driftgate's gate was skipped or errored.
    NativeNotRun,
}

impl Verdict {
    pub fn agrees(self) -> bool {
        matches!(self, Verdict::AgreeClean | Verdict::AgreeDrift)
    }
    pub fn label(self) -> &'static str {
        match self {
            Verdict::AgreeClean => "agree (clean)",
            Verdict::AgreeDrift => "agree (drift)",
            Verdict::NativeOnly => "driftgate only",
            Verdict::ScriptOnly => "script only",
            Verdict::ScriptError => "script error",
            Verdict::NativeNotRun => "driftgate not run",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NativeFinding {
    pub severity: Severity,
    pub location: String,
    pub message: String,
    pub subject: Option<String>,
    /// The subject's key (`215`, `immich`) appears in the script's output.
    pub in_script_output: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct NativeSide {
    /// `ran`, `skipped: …`, `errored: …`.
    pub status: String,
    pub drift: bool,
    /// Error and warning findings.
    pub findings: Vec<NativeFinding>,
    /// Findings below the gate's own severity (not drift: a backlog, a note).
    pub infos: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct GateShadow {
    pub id: String,
    pub name: String,
    pub script: String,
    pub verdict: Verdict,
    /// The gate file's `differs_from_script:` notes.
    pub declared_differences: Vec<String>,
    pub native: NativeSide,
    #[serde(rename = "script_result")]
    pub script_side: script::ScriptSide,
}

impl GateShadow {
    /// A disagreement the gate file does not declare. A side that could
    /// not judge (the script errored, driftgate's gate was skipped) is
    /// never covered by a declaration: nothing was compared, so the run
    /// is not green.
    pub fn undeclared(&self) -> bool {
        !self.verdict.agrees()
            && (self.declared_differences.is_empty()
                || matches!(self.verdict, Verdict::ScriptError | Verdict::NativeNotRun))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NotCompared {
    pub id: String,
    pub why: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShadowRun {
    pub spine: String,
    pub snapshot: String,
    pub commit: Option<String>,
    pub now: chrono::NaiveDate,
    /// Scripts ran with the clock at `now` (faketime found).
    pub clock_pinned: bool,
    /// Scripts ran without network (`unshare -rn` worked).
    pub sandboxed: bool,
    /// Tools the scripts call that this machine lacks (see
    /// `script::SCRIPT_TOOLS`): their verdicts cannot be trusted.
    pub missing_tools: Vec<String>,
    pub gates: Vec<GateShadow>,
    pub not_compared: Vec<NotCompared>,
    /// Files that scripts added, changed or deleted in their copies (never
    /// the user's), each with the gate whose script wrote it.
    pub script_writes: Vec<String>,
    pub elapsed_ms: u128,
}

impl ShadowRun {
    /// 0: every compared gate agrees or declares its difference; 1
    /// otherwise (including a script or a gate that could not judge, or a
    /// tool the scripts need missing: that is not "checked and clean").
    pub fn exit_code(&self) -> i32 {
        if !self.missing_tools.is_empty() || self.gates.iter().any(GateShadow::undeclared) {
            1
        } else {
            0
        }
    }
}

/// The last component of a subject (`vm:pve/215` → `215`).
fn subject_key(subject: &str) -> &str {
    let s = subject.rsplit(':').next().unwrap_or(subject);
    s.rsplit('/').next().unwrap_or(s)
}

/// `needle` occurs in `hay` as a whole word (not inside a longer
/// identifier or number).
fn contains_word(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    hay.match_indices(needle).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + needle.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

fn verdict(native: &NativeSide, status_ran: bool, script: &script::ScriptSide) -> Verdict {
    if !status_ran {
        return Verdict::NativeNotRun;
    }
    match script.outcome {
        script::ScriptOutcome::Error => Verdict::ScriptError,
        script::ScriptOutcome::Pass if native.drift => Verdict::NativeOnly,
        script::ScriptOutcome::Pass => Verdict::AgreeClean,
        script::ScriptOutcome::Fail if native.drift => Verdict::AgreeDrift,
        script::ScriptOutcome::Fail => Verdict::ScriptOnly,
    }
}

/// The `script_history` notes that hold at `commit`: those whose `until`
/// commit exists in the spine's history but is not an ancestor of it (the
/// revision still ran the older script). Unknown commits never apply.
fn older_script_notes(
    spine: &std::path::Path,
    commit: Option<&str>,
    history: &[crate::gates::ScriptChange],
) -> Vec<String> {
    let Some(commit) = commit else {
        return Vec::new();
    };
    let git = |args: &[&str]| crate::workspace::git::run_git(spine, args, &[]).is_ok();
    history
        .iter()
        .filter(|c| {
            git(&["cat-file", "-e", &format!("{}^{{commit}}", c.until)])
                && !git(&["merge-base", "--is-ancestor", &c.until, commit])
        })
        .map(|c| format!("older script (before spine commit {}): {}", c.until, c.note))
        .collect()
}

/// Runs the comparison. `Err` is a usage or setup problem (exit 2).
pub fn run(opts: &ShadowOptions) -> Result<ShadowRun, String> {
    let t0 = std::time::Instant::now();
    let snap = snapshot::Snapshot::take(&opts.spine, opts.workbench.as_deref(), &opts.source)?;
    let now = opts
        .now
        .or(match opts.source {
            Source::Rev(_) => snap.commit_date,
            _ => None,
        })
        .unwrap_or_else(crate::clock::today);

    // The registry of the copy: which ids have a script.
    let registry_path = snap.spine.join(REGISTRY);
    let registry_bytes = std::fs::read(&registry_path).map_err(|_| {
        format!("the spine has no readable {REGISTRY}: shadow compares against its check_scripts")
    })?;
    let registry = Document::parse(RepoId::Spine, REGISTRY, &registry_bytes);
    if registry.has_syntax_error() {
        return Err(format!(
            "{REGISTRY} does not parse; fix it first (driftgate check shows where)"
        ));
    }
    let entries = registry_gates(&registry);
    let builtin = catalogue::builtin();
    let wanted = |id: &str| opts.gates.is_empty() || opts.gates.iter().any(|g| g == id);

    let mut pairs = Vec::new();
    let mut not_compared = Vec::new();
    for g in &builtin.gates {
        let id = &g.meta.id;
        if !wanted(id) || matches!(g.meta.implementation, Implementation::Exec(_)) {
            continue;
        }
        let Some(entry) = entries.iter().find(|e| &e.id == id) else {
            not_compared.push(NotCompared {
                id: id.clone(),
                why: "not in the spine's gate registry (driftgate's own gate)".into(),
            });
            continue;
        };
        let why = if entry.retired {
            Some("retired in the registry".to_string())
        } else if entry.inline {
            Some("inline in the registry (runs inside another gate's script)".to_string())
        } else if entry.check_script.is_none() {
            Some("the registry names no check_script".to_string())
        } else {
            None
        };
        match (why, &entry.check_script) {
            (None, Some(s)) => pairs.push((g, s.clone())),
            (why, _) => not_compared.push(NotCompared {
                id: id.clone(),
                why: why.unwrap_or_default(),
            }),
        }
    }
    for id in &opts.gates {
        if !builtin.gates.iter().any(|g| &g.meta.id == id) {
            not_compared.push(NotCompared {
                id: id.clone(),
                why: "driftgate has no built-in gate with this id".into(),
            });
        }
    }

    // driftgate on the copy.
    let check = CheckOptions {
        sources: Sources {
            spine: snap.spine.clone(),
            workbench: snap.workbench.clone(),
            legacy: None,
        },
        snapshot: WsSnapshot::WorkTree,
        gates: GateOptions {
            select: pairs.iter().map(|(g, _)| g.meta.id.clone()).collect(),
            now: Some(now),
            exec: false,
            jobs: opts.jobs,
            // Touch-and-fix gates judge what the scripts judge: the files
            // the copy's index changes (`git diff --cached`; the user's
            // index for the work tree and --staged, none at a --rev).
            touched: Some(
                crate::workspace::git::staged_changes(&snap.spine)
                    .map_err(|e| format!("cannot compare the copy's index with HEAD: {e}"))?,
            ),
            ..GateOptions::default()
        },
        no_cache: true,
        ..CheckOptions::default()
    };
    let engine = if pairs.is_empty() {
        None
    } else {
        Some(crate::check::run(&check))
    };

    // The scripts on the copy.
    let env = script::Environment::detect(&snap, now, opts.unsandboxed)?;
    let before = snap.manifest();
    let scripts: Vec<String> = pairs.iter().map(|(_, s)| s.clone()).collect();
    let results = script::run_all(&env, &scripts, opts.timeout, opts.jobs.max(1));
    // Each script wrote into its own copy (none can affect another); the
    // shared copy should be untouched. Both kinds of write are reported.
    let mut script_writes: Vec<String> = snap
        .manifest()
        .changes_since(&before)
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    for (side, (g, _)) in results.iter().zip(&pairs) {
        script_writes.extend(side.writes.iter().map(|w| format!("{w} ({})", g.meta.id)));
    }
    script_writes.sort();
    script_writes.dedup();

    let mut gates = Vec::new();
    for ((g, script_path), side) in pairs.iter().zip(results) {
        let id = &g.meta.id;
        let (status, ran) = match engine
            .as_ref()
            .and_then(|r| r.checks.iter().find(|c| &c.code == id))
            .map(|c| &c.status)
        {
            Some(CheckStatus::Ran) => ("ran".to_string(), true),
            Some(CheckStatus::Skipped(w)) => (format!("skipped: {w}"), false),
            Some(CheckStatus::Errored(w)) => (format!("errored: {w}"), false),
            None => ("not run".to_string(), false),
        };
        let all = script::output_text(&side);
        let mut findings = Vec::new();
        // Drift is a finding at the gate's own severity (low-severity gates
        // such as D52 report info); a gate's info notes below it (D129's
        // backlog) are not drift.
        let drift_at = g.meta.finding_severity().min(Severity::Warning);
        let mut infos = 0;
        for f in engine
            .iter()
            .flat_map(|r| r.findings.iter())
            .filter(|f| &f.code == id)
        {
            if f.severity >= drift_at {
                let in_out = f
                    .subject
                    .as_deref()
                    .map(|s| contains_word(&all, subject_key(s)))
                    .unwrap_or(false);
                findings.push(NativeFinding {
                    severity: f.severity,
                    location: format!(
                        "{}:{}:{}",
                        f.location.path,
                        f.location.line(),
                        f.location.col()
                    ),
                    message: crate::report::redact::redact(&f.message).into_owned(),
                    subject: f.subject.clone(),
                    in_script_output: in_out,
                });
            } else {
                infos += 1;
            }
        }
        let native = NativeSide {
            status,
            drift: !findings.is_empty(),
            findings,
            infos,
        };
        gates.push(GateShadow {
            id: id.clone(),
            name: g.meta.name.clone(),
            script: script_path.clone(),
            verdict: verdict(&native, ran, &side),
            declared_differences: {
                let mut d = g.meta.differs_from_script.clone();
                d.extend(older_script_notes(
                    &opts.spine,
                    snap.commit.as_deref(),
                    &g.meta.script_history,
                ));
                d
            },
            native,
            script_side: side,
        });
    }
    gates.sort_by_key(|g| crate::model::ids::id_number(&g.id));
    not_compared.sort_by_key(|n| crate::model::ids::id_number(&n.id));

    Ok(ShadowRun {
        spine: opts.spine.display().to_string(),
        snapshot: match &opts.source {
            Source::WorkTree => "work tree".into(),
            Source::Staged => "index".into(),
            Source::Rev(r) => format!("rev {r}"),
        },
        commit: snap.commit.clone(),
        now,
        clock_pinned: env.clock_pinned(),
        sandboxed: env.sandboxed(),
        missing_tools: if scripts.is_empty() {
            Vec::new()
        } else {
            script::missing_tools()
        },
        gates,
        not_compared,
        script_writes,
        elapsed_ms: t0.elapsed().as_millis(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_keys_and_whole_words() {
        assert_eq!(subject_key("vm:pve/215"), "215");
        assert_eq!(subject_key("ssh_host:immich"), "immich");
        assert!(contains_word("  Active VM 215 (x) missing", "215"));
        assert!(!contains_word("VM 2150 missing", "215"));
        assert!(!contains_word("immich-db", "immich"));
        assert!(contains_word("target immich: no probe", "immich"));
        assert!(!contains_word("anything", ""));
    }

    #[test]
    fn older_script_notes_hold_before_their_commit_only() {
        let dir = tempfile::tempdir().expect("tmp");
        let git = |args: &[&str]| -> String {
            let out = std::process::Command::new("git")
                .arg("-C")
                .arg(dir.path())
                .args(args)
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .output()
                .expect("git runs");
            assert!(out.status.success(), "{args:?}");
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        git(&["init", "-q", "-b", "main"]);
        git(&["commit", "-q", "--allow-empty", "-m", "old script"]);
        let old = git(&["rev-parse", "HEAD"]);
        git(&["commit", "-q", "--allow-empty", "-m", "script changed"]);
        let change = git(&["rev-parse", "HEAD"]);
        git(&["commit", "-q", "--allow-empty", "-m", "later"]);
        let later = git(&["rev-parse", "HEAD"]);
        let history = vec![
            crate::gates::ScriptChange {
                until: change[..8].to_string(),
                note: "the old script did less".into(),
            },
            crate::gates::ScriptChange {
                until: "deadbeef".into(),
                note: "unknown commits never apply".into(),
            },
        ];
        let at = |c: &str| older_script_notes(dir.path(), Some(c), &history);
        assert_eq!(
            at(&old),
            vec![format!(
                "older script (before spine commit {}): the old script did less",
                &change[..8]
            )]
        );
        assert!(at(&change).is_empty());
        assert!(at(&later).is_empty());
        assert!(older_script_notes(dir.path(), None, &history).is_empty());
    }
}
