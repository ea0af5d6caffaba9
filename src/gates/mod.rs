//! Stage 4: drift gates as plugins.
//!
//! One catalogue (`gates/*.yaml`, embedded; plus a spine directory named in
//! driftgate.yaml; plus the spine's own gate.registry.yaml), three kinds of
//! implementation: `rule` (declarative, jq via jaq, in-process), `native`
//! (Rust, `src/gates/native/`), `exec` (external script, bounded parallel,
//! timeouts). This file holds the shared contract; the engine lives in the
//! submodules.

pub mod catalogue;
pub mod classes;
pub mod coverage;
pub mod exec;
pub mod explain;
pub mod inputs;
pub mod native;
pub mod registry;
pub mod rules;
pub mod select;
pub mod waivers;

use crate::config::LoadedConfig;
use crate::documents::Document;
use crate::findings::{CheckRecord, CheckStatus, Finding, Location, RepoId, Severity};
use crate::timing::Timings;
use crate::vocab::{GateClass, GateSeverity, Ring};
use crate::workspace::{Snapshot, Workspace};
use catalogue::Gate;
use rayon::prelude::*;
use serde_json::Value;
use std::time::{Duration, Instant};

pub use crate::model::ids::normalize_id;

/// Everything a gate run needs besides the workspace.
#[derive(Debug, Clone, Default)]
pub struct GateOptions {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub ring: Option<Ring>,
    /// Today, for freshness and waiver expiry (`--now`).
    pub now: Option<chrono::NaiveDate>,
    /// Run external script gates.
    pub exec: bool,
    /// Run exec gates with network (no `unshare -rn`): `--unsandboxed`.
    pub unsandboxed: bool,
    /// Run registry gates of class `runtime` (`gates/registry.classes.yaml`;
    /// for gates it does not list, `gate_class: observational`): `--runtime`.
    pub runtime: bool,
    pub jobs: usize,
    /// Import the spine's gate.registry.yaml (None: when present).
    pub registry: Option<bool>,
    /// Only gates whose inputs intersect these paths (`repo:path`), when set.
    pub affected: Option<Vec<String>>,
    pub affected_only: bool,
    /// Touch-and-fix: the spine files this change touches (`--staged`: the
    /// index vs HEAD; `--new-since REV`: the snapshot vs REV). None: a full
    /// run with no base, where touch-and-fix gates report their backlog.
    pub touched: Option<Vec<String>>,
}

/// How a gate is implemented.
#[derive(Debug, Clone, PartialEq)]
pub enum Implementation {
    /// Declarative rule (the `rule:` mapping of the gate file).
    Rule(Value),
    /// Name of a native gate registered in `native::registry()`.
    Native(String),
    /// External command.
    Exec(ExecSpec),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExecSpec {
    /// argv; argv[0] relative to the spine root unless absolute.
    pub command: Vec<String>,
    pub timeout_sec: Option<u64>,
}

/// One gate of the catalogue (metadata mirrors gate.registry.yaml).
#[derive(Debug, Clone, PartialEq)]
pub struct GateMeta {
    /// `D69` (normalised: no leading zeros).
    pub id: String,
    /// kebab-case name.
    pub name: String,
    pub category: String,
    /// invariant | freshness | advisory | observational | parity
    pub gate_class: GateClass,
    /// critical | high | medium | low | none (registry vocabulary)
    pub severity: GateSeverity,
    /// instant | standard | deep
    pub ring: Ring,
    pub description: String,
    /// Why the gate exists (for `explain`).
    pub why: Option<String>,
    pub fix_hint: Option<String>,
    /// Declared differences from the registry's `check_script` of the same
    /// id (`differs_from_script:` in the gate file); empty when the gate
    /// does what the script does.
    pub differs_from_script: Vec<String>,
    /// Differences from *older* versions of the registry script
    /// (`script_history:` in the gate file): each holds at revisions that
    /// do not contain commit `until` (the script change driftgate follows).
    pub script_history: Vec<ScriptChange>,
    /// What the gate reads (`inputs:` of its gate file), resolved by the
    /// engine before the gate runs (see `inputs`).
    pub inputs: Vec<inputs::InputDecl>,
    /// A failing example (for `explain`).
    pub example: Option<String>,
    pub implementation: Implementation,
    /// `warn_only` in the registry: findings never fail the run.
    pub warn_only: bool,
    /// Where the definition came from (`gates/D069-....yaml`, a spine path, or
    /// `spine:ops/bindings/gate.registry.yaml`).
    pub origin: String,
}

impl GateMeta {
    /// The declared inputs as repo-qualified globs (affected-gate selection).
    pub fn input_patterns(&self) -> Vec<String> {
        self.inputs.iter().map(|i| i.qualified()).collect()
    }

    /// Finding severity for this gate.
    pub fn finding_severity(&self) -> Severity {
        if self.warn_only {
            return Severity::Warning.min(self.severity.finding_severity());
        }
        self.severity.finding_severity()
    }
}

/// A declared difference from an older version of a registry script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptChange {
    /// The spine commit that changed the script to what driftgate ports.
    pub until: String,
    pub note: String,
}

/// What a gate sees: its declared inputs (never the whole workspace),
/// options and the run's settings.
pub struct GateContext<'a> {
    pub inputs: &'a inputs::GateInputs<'a>,
    pub meta: &'a GateMeta,
    pub now: chrono::NaiveDate,
    /// `gate_options.<ID>` from driftgate.yaml, if any.
    pub options: Option<&'a Value>,
    /// In staged mode, the files the commit changes: gates that sweep many
    /// files (conventions, forbidden patterns, freshness, references) judge
    /// only these, like the registry's D129 does. None: judge everything.
    pub changed: Option<&'a std::collections::HashSet<(RepoId, String)>>,
    /// Touch-and-fix gates (D129): the files the change touches (see
    /// `GateOptions::touched`). None: no base, judge the backlog as info.
    pub touched: Option<&'a std::collections::HashSet<(RepoId, String)>>,
    /// The run's path → schema mapping (None in unit tests: built-ins).
    pub schemas: Option<&'a crate::schema::SchemaStore>,
}

impl GateContext<'_> {
    /// A declared input's parsed document (None: absent, or not declared,
    /// which the engine then reports as the gate's error).
    pub fn doc(&self, repo: RepoId, path: &str) -> Option<std::sync::Arc<Document>> {
        self.inputs.doc(repo, path)
    }

    /// Should a sweep over many files look at this one?
    pub fn sweeps(&self, repo: RepoId, path: &str) -> bool {
        self.changed
            .is_none_or(|c| c.contains(&(repo, path.to_string())))
    }

    /// A finding of this gate at `pointer` in `doc` (key span for members),
    /// with the gate's severity and fix hint.
    pub fn finding(&self, doc: &Document, pointer: &str, message: impl Into<String>) -> Finding {
        self.finding_at(doc.location(pointer), message)
    }

    /// A finding of this gate at an explicit location.
    pub fn finding_at(&self, location: Location, message: impl Into<String>) -> Finding {
        let mut f = Finding::new(
            self.meta.id.clone(),
            self.meta.finding_severity(),
            location,
            message,
        );
        f.help = self.meta.fix_hint.clone();
        f
    }
}

/// A gate implemented in Rust. One file per gate or family under
/// `src/gates/native/`; registered by name in `native::registry()`.
pub trait NativeGate: Send + Sync {
    /// The name used in gate files (`native: vm_creation_lock`).
    fn name(&self) -> &'static str;
    /// Runs the gate. `Err` is the gate's own failure (bad input it cannot
    /// judge), reported as an errored check, not as drift.
    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String>;
}

/// The private copy of the spine (and workbench) at the run's snapshot
/// that exec gates run in. A spine or workbench that is a plain directory
/// is copied from the listing this run read.
fn private_copy(ws: &Workspace) -> Result<crate::sandbox::copy::Snapshot, String> {
    use crate::sandbox::copy::{Request, Snapshot as Copy, Source};
    let spine = ws.spine();
    let source = match &spine.snapshot {
        Snapshot::WorkTree => Source::WorkTree,
        Snapshot::Staged => Source::Staged,
        Snapshot::Rev(r) => Source::Rev(r.clone()),
    };
    // The files' own names (a listed name may be escaped, see
    // `walk::escape_name`), relative to their root.
    let listed = |r: &crate::workspace::Repo| -> Vec<std::path::PathBuf> {
        r.files
            .values()
            .filter_map(|slot| match &slot.source {
                crate::workspace::Source::Fs(p) => p
                    .strip_prefix(&r.root)
                    .ok()
                    .map(std::path::Path::to_path_buf),
                crate::workspace::Source::Blob(_) => None,
            })
            .collect()
    };
    let spine_files = listed(spine);
    let wb = ws.repo(RepoId::Workbench);
    let wb_files = wb.map(listed).unwrap_or_default();
    Copy::take_with(&Request {
        spine: &spine.root,
        workbench: wb.map(|r| r.root.as_path()),
        source: &source,
        plain_spine: Some(&spine_files),
        plain_workbench: Some(&wb_files),
        prefix: "driftgate-exec-",
    })
}

/// Exec gates in the copy (none without one: every exec plan was turned
/// into an error when it could not be made).
fn run_exec(
    ws: &Workspace,
    jobs: Vec<exec::Job<'_>>,
    parallel: usize,
    sandbox: &[String],
    copy: Option<&crate::sandbox::copy::Snapshot>,
) -> Vec<exec::Done> {
    match copy {
        Some(c) => exec::run_all(ws, jobs, parallel, sandbox, c),
        None => Vec::new(),
    }
}

/// Runs every selected gate. Returns findings and one record per gate
/// (passing, skipped and errored gates included, in gate-number order).
/// `schemas` is the run's path → schema mapping (built-ins plus
/// driftgate.yaml overrides), for gates that must know which files a schema
/// already covers.
pub fn run(
    ws: &Workspace,
    config: &LoadedConfig,
    opts: &GateOptions,
    schemas: Option<&crate::schema::SchemaStore>,
) -> (Vec<Finding>, Vec<CheckRecord>) {
    run_timed(ws, config, opts, schemas, &mut Timings::new())
}

/// `run`, recording its phases (the gate catalogue) in `trace`.
pub fn run_timed(
    ws: &Workspace,
    config: &LoadedConfig,
    opts: &GateOptions,
    schemas: Option<&crate::schema::SchemaStore>,
    trace: &mut Timings,
) -> (Vec<Finding>, Vec<CheckRecord>) {
    let now = opts.now.unwrap_or_else(crate::clock::today);
    let cfg = &config.config;
    let mut cat = catalogue::load(Some(ws), cfg.gates_dir.as_deref());
    trace.mark("gate catalogue");
    let mut findings = std::mem::take(&mut cat.problems);
    // `$catalogue` in rules: the gates driftgate implements (not the
    // registry's script-only gates).
    let implemented = cat.ids();
    if registry::wanted(ws, opts.registry) {
        findings.extend(registry::import(ws, &mut cat));
    }
    let selection = select::Selection::new(opts);
    {
        let metas: Vec<&GateMeta> = cat.gates.iter().map(|g| &g.meta).collect();
        for word in selection.unused(&metas) {
            findings.push(
                Finding::new(
                    "config/select",
                    Severity::Warning,
                    Location::file(RepoId::Spine, crate::config::CONFIG_FILE),
                    format!("selector `{word}` matches no gate"),
                )
                .with_help("`driftgate gates` lists ids, names and categories")
                .with_subject(format!("select:{word}")),
            );
        }
    }
    let natives = native::registry();
    let exec_enabled = opts.exec;
    let default_timeout = cfg.exec_timeout_sec.unwrap_or(exec::DEFAULT_TIMEOUT_SEC);

    // Decide what happens to every gate.
    enum Plan {
        Done(CheckStatus),
        InProcess,
        Exec(Vec<String>, Duration),
    }
    let plans: Vec<Plan> = cat
        .gates
        .iter()
        .map(|g| {
            if let Some(p) = &g.preset {
                return Plan::Done(p.clone());
            }
            if let Some(why) = selection.skip_reason(&g.meta) {
                return Plan::Done(CheckStatus::Skipped(why));
            }
            match &g.meta.implementation {
                Implementation::Exec(spec) => {
                    if !exec_enabled {
                        Plan::Done(CheckStatus::Skipped("exec disabled (--no-exec)".into()))
                    } else if let Some(why) =
                        (!opts.runtime).then(|| classes::runtime_skip(g)).flatten()
                    {
                        Plan::Done(CheckStatus::Skipped(why))
                    } else if let Some(why) =
                        inputs::GateInputs::new(ws, &g.meta, gate_options(config, &g.meta.id))
                            .ok()
                            .and_then(|v| v.skip_reason())
                    {
                        Plan::Done(CheckStatus::Skipped(why))
                    } else {
                        Plan::Exec(
                            spec.command.clone(),
                            Duration::from_secs(spec.timeout_sec.unwrap_or(default_timeout).max(1)),
                        )
                    }
                }
                _ => Plan::InProcess,
            }
        })
        .collect();

    // Scripts run without network unless asked; where that is impossible
    // they do not run at all, and the run is not green.
    let mut plans = plans;
    let mut sandbox: Vec<String> = Vec::new();
    if !opts.unsandboxed && plans.iter().any(|p| matches!(p, Plan::Exec(..))) {
        match crate::sandbox::prefix() {
            Some(p) => sandbox = p,
            None => {
                let why = format!("{}; run with --unsandboxed (or `exec_sandbox: false`) to let scripts reach the network", crate::sandbox::UNAVAILABLE);
                let n = plans.iter().filter(|p| matches!(p, Plan::Exec(..))).count();
                for p in plans.iter_mut() {
                    if matches!(p, Plan::Exec(..)) {
                        *p = Plan::Done(CheckStatus::Errored(why.clone()));
                    }
                }
                findings.push(
                    Finding::new(
                        "exec/sandbox",
                        Severity::Error,
                        Location::file(RepoId::Spine, crate::config::CONFIG_FILE),
                        format!("{n} exec gate(s) not run: {why}"),
                    )
                    .with_help("enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1), or pass --unsandboxed if the scripts may use the network")
                    .with_subject("exec:sandbox"),
                );
            }
        }
    }

    // The scripts run in a private copy of the snapshot being judged,
    // made once, and only when a script will run.
    let copy = if plans.iter().any(|p| matches!(p, Plan::Exec(..))) {
        match private_copy(ws) {
            Ok(c) => Some(c),
            Err(e) => {
                let why = format!("cannot make the private copy the scripts run in: {e}");
                let n = plans.iter().filter(|p| matches!(p, Plan::Exec(..))).count();
                for p in plans.iter_mut() {
                    if matches!(p, Plan::Exec(..)) {
                        *p = Plan::Done(CheckStatus::Errored(why.clone()));
                    }
                }
                findings.push(
                    Finding::new(
                        "exec/copy",
                        Severity::Error,
                        Location::file(RepoId::Spine, ""),
                        format!("{n} exec gate(s) not run: {why}"),
                    )
                    .with_help("scripts never run in your checkout; free space in the temporary directory (TMPDIR), or pass --no-exec")
                    .with_subject("exec:copy")
                    .internal(),
                );
                None
            }
        }
    } else {
        None
    };

    let mut shared = rules::Shared::new(ws, now, &implemented);
    shared.schemas = schemas;
    shared.changed = opts.affected.as_ref().map(|paths| {
        paths
            .iter()
            .map(|p| {
                let (repo, path) = rules::parse_ref(p);
                (repo, path.to_string())
            })
            .collect()
    });
    shared.touched = opts.touched.as_ref().map(|paths| {
        paths
            .iter()
            .map(|p| (RepoId::Spine, p.to_string()))
            .collect()
    });
    let jobs: Vec<exec::Job<'_>> = cat
        .gates
        .iter()
        .zip(&plans)
        .filter_map(|(g, p)| match p {
            Plan::Exec(argv, t) => Some(exec::Job {
                gate: g,
                argv: argv.clone(),
                timeout: *t,
            }),
            _ => None,
        })
        .collect();
    let parallel = crate::threads::workers(opts.jobs);
    let in_process: Vec<usize> = plans
        .iter()
        .enumerate()
        .filter(|(_, p)| matches!(p, Plan::InProcess))
        .map(|(i, _)| i)
        .collect();
    // Exec gates wait on child processes: they get their own OS thread (and
    // their own bounded workers) so no rayon worker sits blocked while the
    // rule and native gates run on the pool.
    let has_exec = !jobs.is_empty();
    let pending = std::sync::Mutex::new(Some(jobs));
    let take = || {
        pending
            .lock()
            .ok()
            .and_then(|mut g| g.take())
            .unwrap_or_default()
    };
    let sandbox_ref = sandbox.as_slice();
    let copy_ref = copy.as_ref();
    let (inproc_results, exec_results) = std::thread::scope(|s| {
        // A refused thread (`ulimit -u`) runs the exec gates inline after
        // the in-process ones instead of panicking.
        let exec_handle = if has_exec {
            std::thread::Builder::new()
                .spawn_scoped(s, move || {
                    run_exec(ws, take(), parallel, sandbox_ref, copy_ref)
                })
                .ok()
        } else {
            None
        };
        let inproc = in_process
            .par_iter()
            .map(|&i| {
                let g = &cat.gates[i];
                let t0 = Instant::now();
                let (status, fs) = run_in_process(g, ws, config, now, &shared, &natives);
                (i, status, fs, t0.elapsed().as_millis() as u64)
            })
            .collect::<Vec<_>>();
        let exec = match exec_handle {
            Some(h) => h.join().unwrap_or_default(),
            None if has_exec => run_exec(ws, take(), parallel, sandbox_ref, copy_ref),
            None => Vec::new(),
        };
        (inproc, exec)
    });

    let mut results: Vec<Option<(CheckStatus, u64)>> = plans
        .iter()
        .map(|p| match p {
            Plan::Done(s) => Some((s.clone(), 0)),
            _ => None,
        })
        .collect();
    for (i, status, fs, ms) in inproc_results {
        results[i] = Some((status, ms));
        findings.extend(fs);
    }
    let exec_idx: Vec<usize> = plans
        .iter()
        .enumerate()
        .filter(|(_, p)| matches!(p, Plan::Exec(..)))
        .map(|(i, _)| i)
        .collect();
    for (i, done) in exec_idx.into_iter().zip(exec_results) {
        results[i] = Some((done.status, done.millis));
        findings.extend(done.findings);
    }
    let records = cat
        .gates
        .iter()
        .zip(results)
        .map(|(g, r)| {
            let (status, millis) = r.unwrap_or((CheckStatus::Errored("not run".into()), 0));
            CheckRecord {
                code: g.meta.id.clone(),
                name: g.meta.name.clone(),
                status,
                help: Some(match &g.meta.fix_hint {
                    Some(h) if !g.meta.description.is_empty() => {
                        format!("{} Fix: {h}", g.meta.description)
                    }
                    Some(h) => h.clone(),
                    None => g.meta.description.clone(),
                }),
                millis,
            }
        })
        .collect();
    (findings, records)
}

/// Runs a rule or native gate; a panic is the gate's own error.
fn run_in_process(
    g: &Gate,
    ws: &Workspace,
    config: &LoadedConfig,
    now: chrono::NaiveDate,
    shared: &rules::Shared<'_>,
    natives: &[&dyn NativeGate],
) -> (CheckStatus, Vec<Finding>) {
    let options = gate_options(config, &g.meta.id);
    let view = match inputs::GateInputs::new(ws, &g.meta, options) {
        Ok(v) => v,
        Err(e) => {
            let f = gate_config_finding(g, "/inputs", format!("gate {}: {e}", g.meta.id));
            return (CheckStatus::Errored(e), vec![f]);
        }
    };
    // Engine-owned inputs: a gate whose evidence is missing is skipped,
    // never green.
    if let Some(why) = view.skip_reason() {
        return (CheckStatus::Skipped(why), Vec::new());
    }
    let cx = GateContext {
        inputs: &view,
        meta: &g.meta,
        now,
        options,
        changed: shared.changed.as_ref(),
        touched: shared.touched.as_ref(),
        schemas: shared.schemas,
    };
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        match &g.meta.implementation {
            Implementation::Rule(rule) => run_rule_gate(g, &cx, shared, rule, options),
            Implementation::Native(name) => match natives.iter().find(|n| n.name() == name) {
                Some(n) => match n.run(&cx) {
                    Ok(fs) => (CheckStatus::Ran, fs),
                    // `native::common::skip(why)`: evidence the gate found it
                    // needs (a checkout its data points into) is absent.
                    Err(e) => match e.strip_prefix(native::common::SKIP_PREFIX) {
                        Some(why) => (CheckStatus::Skipped(why.to_string()), Vec::new()),
                        None => (CheckStatus::Errored(e), Vec::new()),
                    },
                },
                None => {
                    let msg = format!(
                        "gate {} names native gate `{name}`, which this driftgate does not have",
                        g.meta.id
                    );
                    (
                        CheckStatus::Errored(msg.clone()),
                        vec![gate_config_finding(g, "/native", msg)],
                    )
                }
            },
            Implementation::Exec(_) => (
                CheckStatus::Errored("exec gate planned in-process".into()),
                Vec::new(),
            ),
        }
    }));
    match run {
        Ok((status, mut findings)) => {
            let undeclared = view.undeclared();
            if undeclared.is_empty() {
                return (status, findings);
            }
            let msg = format!(
                "gate {} read {} without declaring it under `inputs:`",
                g.meta.id,
                undeclared.join(", ")
            );
            findings.push(gate_config_finding(g, "/inputs", msg.clone()));
            (CheckStatus::Errored(msg), findings)
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            let msg = format!(
                "gate {} crashed: {what} (a driftgate bug; please report it)",
                g.meta.id
            );
            (
                CheckStatus::Errored(msg.clone()),
                vec![
                    Finding::new("internal/panic", Severity::Error, g.defined_at.clone(), msg)
                        .with_subject(format!("gate:{}", g.meta.id))
                        .internal(),
                ],
            )
        }
    }
}

/// `gate_options.<ID>` of driftgate.yaml (`D069` and `D69` alike).
fn gate_options<'c>(config: &'c LoadedConfig, id: &str) -> Option<&'c Value> {
    let opts = &config.config.gate_options;
    opts.get(id).or_else(|| {
        opts.iter()
            .find(|(k, _)| normalize_id(k).as_deref() == Some(id))
            .map(|(_, v)| v)
    })
}

fn gate_config_finding(g: &Gate, pointer: &str, message: String) -> Finding {
    Finding::new("config/gate", Severity::Error, g.location(pointer), message)
        .with_help(format!(
            "fix the gate file {} (see `driftgate explain config/gate`)",
            g.meta.origin
        ))
        .with_subject(format!("gate:{}", g.meta.id))
        .internal()
}

fn run_rule_gate(
    g: &Gate,
    cx: &GateContext<'_>,
    shared: &rules::Shared<'_>,
    rule: &Value,
    options: Option<&Value>,
) -> (CheckStatus, Vec<Finding>) {
    // `gate_options.<ID>` in driftgate.yaml overrides fields of the rule.
    let merged;
    let rule = match (rule, options) {
        (Value::Object(r), Some(Value::Object(o))) => {
            let mut m = r.clone();
            for (k, v) in o {
                m.insert(k.clone(), v.clone());
            }
            merged = Value::Object(m);
            &merged
        }
        _ => rule,
    };
    let rcx = rules::RuleCx {
        shared,
        gate: cx,
        base: "/rule".into(),
        with: Vec::new(),
    };
    match rules::run_rule(&rcx, rule) {
        Ok(out) if out.errors.is_empty() => (CheckStatus::Ran, out.findings),
        Ok(out) => {
            let n = out.errors.len();
            let first = out.errors.first().cloned().unwrap_or_default();
            let why = if n == 1 {
                first
            } else {
                format!("{first} (and {} more rule errors)", n - 1)
            };
            (CheckStatus::Errored(why), out.findings)
        }
        Err(rules::Halt::Skip(why)) => (CheckStatus::Skipped(why), Vec::new()),
        Err(rules::Halt::Config { pointer, message }) => (
            CheckStatus::Errored(message.clone()),
            vec![gate_config_finding(
                g,
                &pointer,
                format!("gate {}: {message}", g.meta.id),
            )],
        ),
    }
}

/// Applies driftgate.yaml waivers: matching findings become waived; expired
/// and unused waivers become findings of their own. `checks` (the run's
/// records) tells which gates ran, so waivers of gates that were not
/// selected are not reported as unused.
pub fn apply_waivers(
    findings: &mut Vec<Finding>,
    config: &LoadedConfig,
    now: chrono::NaiveDate,
    checks: &[CheckRecord],
) {
    waivers::apply(findings, config, now, checks)
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A plain gate for unit tests.
    pub fn gate_cx(id: &str) -> GateMeta {
        GateMeta {
            id: id.into(),
            name: "test-gate".into(),
            category: "test".into(),
            gate_class: GateClass::Invariant,
            severity: GateSeverity::High,
            ring: Ring::Standard,
            description: "test gate".into(),
            why: None,
            fix_hint: Some("fix it".into()),
            differs_from_script: Vec::new(),
            script_history: Vec::new(),
            inputs: Vec::new(),
            example: None,
            implementation: Implementation::Native("none".into()),
            warn_only: false,
            origin: "test".into(),
        }
    }

    /// Runs one rule mapping against a workspace, `--now 2026-11-20`.
    pub fn run_rule_on(ws: &Workspace, meta: &GateMeta, rule: &Value) -> rules::RuleResult {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        let shared = rules::Shared::new(ws, now, &["D1".to_string()]);
        let view = inputs::GateInputs::new(ws, meta, None).expect("inputs");
        let gc = GateContext {
            inputs: &view,
            meta,
            now,
            options: None,
            changed: None,
            touched: None,
            schemas: None,
        };
        let cx = rules::RuleCx {
            shared: &shared,
            gate: &gc,
            base: "/rule".into(),
            with: Vec::new(),
        };
        rules::run_rule(&cx, rule)
    }
}

#[cfg(test)]
mod panic_tests {
    use super::*;
    use crate::findings::{Location, RepoId};

    struct Panicky;

    impl NativeGate for Panicky {
        fn name(&self) -> &'static str {
            "panicky"
        }
        fn run(&self, _cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
            let v: Vec<u8> = Vec::new();
            // An out-of-bounds index: the kind of bug panic safety is for.
            let _ = v[usize::from(v.is_empty())];
            Ok(Vec::new())
        }
    }

    /// Reads a file its gate file does not declare.
    struct Sneaky;

    impl NativeGate for Sneaky {
        fn name(&self) -> &'static str {
            "sneaky"
        }
        fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
            assert!(cx.doc(RepoId::Spine, "declared.yaml").is_some());
            assert!(
                cx.doc(RepoId::Spine, "x.yaml").is_none(),
                "an undeclared file is not handed out"
            );
            Ok(Vec::new())
        }
    }

    fn one_file_ws(dir: &std::path::Path) -> Workspace {
        std::fs::write(dir.join("x.yaml"), "a: 1\n").expect("write");
        std::fs::write(dir.join("declared.yaml"), "a: 1\n").expect("write");
        let (repo, notes) = crate::workspace::Repo::open(
            RepoId::Spine,
            dir,
            &crate::workspace::Snapshot::WorkTree,
            &crate::workspace::Limits::default(),
        )
        .expect("open");
        Workspace::assemble(repo, notes, None, None, &Default::default())
    }

    #[test]
    fn reading_an_undeclared_input_errors_the_gate() {
        let dir = tempfile::tempdir().expect("tmp");
        let ws = one_file_ws(dir.path());
        let mut meta = tests_support::gate_cx("D998");
        meta.implementation = Implementation::Native("sneaky".into());
        meta.inputs = vec![inputs::InputDecl::required("spine:declared.yaml")];
        let gate = catalogue::Gate {
            meta,
            doc: None,
            defined_at: Location::file(RepoId::Spine, "gates/D998/gate.yaml"),
            preset: None,
            registry_at: None,
        };
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        let shared = rules::Shared::new(&ws, now, &[]);
        let natives: Vec<&dyn NativeGate> = vec![&Sneaky];
        let (status, findings) =
            run_in_process(&gate, &ws, &LoadedConfig::default(), now, &shared, &natives);
        assert_eq!(
            status,
            CheckStatus::Errored(
                "gate D998 read spine:x.yaml without declaring it under `inputs:`".into()
            )
        );
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].code, "config/gate");
        assert!(findings[0].internal);
    }

    #[test]
    fn a_panicking_gate_becomes_an_internal_finding_not_a_lost_run() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("x.yaml"), "a: 1\n").expect("write");
        let (repo, notes) = crate::workspace::Repo::open(
            RepoId::Spine,
            dir.path(),
            &crate::workspace::Snapshot::WorkTree,
            &crate::workspace::Limits::default(),
        )
        .expect("open");
        let ws = Workspace::assemble(repo, notes, None, None, &Default::default());
        let mut meta = tests_support::gate_cx("D999");
        meta.implementation = Implementation::Native("panicky".into());
        let gate = catalogue::Gate {
            meta,
            doc: None,
            defined_at: Location::file(RepoId::Spine, "gates/D999.yaml"),
            preset: None,
            registry_at: None,
        };
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        let shared = rules::Shared::new(&ws, now, &[]);
        let natives: Vec<&dyn NativeGate> = vec![&Panicky];
        let (status, findings) =
            run_in_process(&gate, &ws, &LoadedConfig::default(), now, &shared, &natives);
        assert!(matches!(status, CheckStatus::Errored(ref m) if m.contains("crashed")));
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].code, "internal/panic");
        assert!(findings[0].internal, "a panic makes the run exit 2");
        assert_eq!(findings[0].subject.as_deref(), Some("gate:D999"));
    }
}
