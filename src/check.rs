//! The `check` pipeline: load → parse → validate → gates → waivers.

use crate::config::{self, LoadedConfig};
use crate::findings::{
    sort_findings, CheckRecord, CheckStatus, Finding, Location, RepoId, Severity,
};
use crate::gates::{self, GateOptions};
use crate::report::RepoInfo;
use crate::schema::SchemaStore;
use crate::workspace::{Limits, Repo, Snapshot, Workspace};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Where the repos are, as resolved from CLI, env, workspace dir and config.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub spine: PathBuf,
    /// From `--workbench`/`--legacy`, the WORKSPACE shorthand or env
    /// (these win over driftgate.yaml).
    pub workbench: Option<PathBuf>,
    pub legacy: Option<PathBuf>,
}

#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub sources: Sources,
    pub snapshot: Snapshot,
    pub gates: GateOptions,
    /// `--fail-on`; None: from config, else `error`.
    pub fail_on: Option<String>,
    pub max_file_bytes: Option<u64>,
    /// Parse and validate only: no gates (`--schemas-only`; benchmarks).
    pub schemas_only: bool,
    /// Report only findings absent at this revision (`--new-since`).
    pub new_since: Option<String>,
    /// Do not use the parse cache.
    pub no_cache: bool,
}

pub struct Run {
    pub ws: Workspace,
    pub config: LoadedConfig,
    pub findings: Vec<Finding>,
    pub checks: Vec<CheckRecord>,
    pub elapsed_ms: u128,
    /// None: never fail on findings.
    pub fail_on: Option<Severity>,
    pub hidden_old: usize,
}

impl Run {
    /// A run that produced nothing but one (internal) finding.
    pub fn failed(finding: Finding) -> Run {
        Run {
            ws: Workspace {
                repos: Vec::new(),
                notes: Vec::new(),
            },
            config: LoadedConfig::default(),
            findings: vec![finding],
            checks: Vec::new(),
            elapsed_ms: 0,
            fail_on: Some(Severity::Error),
            hidden_old: 0,
        }
    }

    /// 0 clean, 1 findings at or above fail-on, 2 internal/config error.
    pub fn exit_code(&self) -> i32 {
        if self.findings.iter().any(|f| f.internal && f.is_active()) {
            return 2;
        }
        match self.fail_on {
            Some(level)
                if self
                    .findings
                    .iter()
                    .any(|f| f.is_active() && f.severity >= level) =>
            {
                1
            }
            _ => 0,
        }
    }

    pub fn repo_infos(&self) -> Vec<RepoInfo> {
        RepoInfo::of(&self.ws)
    }
}

/// Resolves a config-relative path against the spine root.
fn relative_to(root: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        root.join(p)
    }
}

/// Opens the workspace and reads the config. A spine that cannot be opened
/// is an error (exit 2) carried as a finding.
pub fn open_workspace(opts: &CheckOptions) -> Result<(Workspace, LoadedConfig), Box<Finding>> {
    let limits = Limits {
        max_file_bytes: opts
            .max_file_bytes
            .unwrap_or(crate::workspace::DEFAULT_MAX_FILE_BYTES),
        cache: !opts.no_cache,
    };
    let (spine, notes) = Repo::open(RepoId::Spine, &opts.sources.spine, &opts.snapshot, &limits)
        .map_err(|e| {
            Box::new(
                Finding::new(
                    "workspace/spine",
                    Severity::Error,
                    Location::file(RepoId::Spine, ""),
                    format!("cannot read the spine: {e}"),
                )
                .with_help("pass --spine PATH (a git checkout of the spine), or run inside it")
                .internal(),
            )
        })?;
    let config = match spine.doc(config::CONFIG_FILE) {
        Some(doc) => config::from_document(doc),
        None => LoadedConfig::default(),
    };
    // Limits from config apply to the other repos (the spine is listed
    // already, its files are read lazily with the CLI/default limit).
    let limits = Limits {
        max_file_bytes: opts
            .max_file_bytes
            .or(config.config.max_file_bytes)
            .unwrap_or(limits.max_file_bytes),
        cache: limits.cache,
    };
    let root = spine.root.clone();
    let pick = |cli: &Option<PathBuf>, cfg: &Option<String>| -> Option<PathBuf> {
        cli.clone()
            .or_else(|| cfg.as_deref().map(|p| relative_to(&root, p)))
    };
    let workbench = pick(&opts.sources.workbench, &config.config.workbench);
    let legacy = pick(&opts.sources.legacy, &config.config.legacy);
    let ws = Workspace::assemble(spine, notes, workbench, legacy, &limits);
    Ok((ws, config))
}

/// Runs a whole check; with `--new-since REV`, also runs the same check on
/// REV (read from git objects) and hides findings whose fingerprint exists
/// there.
pub fn run(opts: &CheckOptions) -> Run {
    crate::threads::install(opts.gates.jobs, || run_on_pool(opts))
}

fn run_on_pool(opts: &CheckOptions) -> Run {
    let t0 = Instant::now();
    let mut current = run_once(opts);
    let Some(rev) = &opts.new_since else {
        return current;
    };
    let mut base_opts = opts.clone();
    base_opts.snapshot = Snapshot::Rev(rev.clone());
    base_opts.new_since = None;
    // The baseline judges the same gates; exec gates cannot run on a
    // revision, so their findings are never hidden.
    let base = run_once(&base_opts);
    if let Some(err) = base.findings.iter().find(|f| f.code == "workspace/spine") {
        current.findings.push(
            Finding::new(
                "workspace/new-since",
                Severity::Error,
                Location::file(RepoId::Spine, ""),
                format!("--new-since {rev}: {}", err.message),
            )
            .internal(),
        );
        return current;
    }
    let old: std::collections::HashSet<String> =
        base.findings.iter().map(Finding::fingerprint).collect();
    let before = current.findings.len();
    current
        .findings
        .retain(|f| f.internal || !f.is_active() || !old.contains(&f.fingerprint()));
    current.hidden_old = before - current.findings.len();
    current.elapsed_ms = t0.elapsed().as_millis();
    current
}

fn run_once(opts: &CheckOptions) -> Run {
    let t0 = Instant::now();
    let mut trace = Trace::from_env();
    let (ws, config) = match open_workspace(opts) {
        Ok(x) => x,
        Err(f) => return Run::failed(*f),
    };
    trace.mark("open workspace (walk, config)");
    let mut findings: Vec<Finding> = ws.notes.clone();
    findings.extend(config.problems.iter().cloned());

    // Staged mode judges what the next commit changes: only changed files
    // are parsed up front and schema-checked, only affected gates run.
    let mut gopts = opts.gates.clone();
    let changed: Option<HashSet<(RepoId, String)>> = match &opts.snapshot {
        Snapshot::Staged => match crate::workspace::git::staged_changes(&opts.sources.spine) {
            Ok(paths) => {
                gopts.affected = Some(paths.iter().map(|p| format!("spine:{p}")).collect());
                Some(paths.into_iter().map(|p| (RepoId::Spine, p)).collect())
            }
            Err(e) => {
                findings.push(
                    Finding::new(
                        "workspace/spine",
                        Severity::Error,
                        Location::file(RepoId::Spine, ""),
                        format!("cannot compare the index with HEAD: {e}"),
                    )
                    .internal(),
                );
                None
            }
        },
        _ => None,
    };

    // Parse YAML/JSON files of the spine up front, in parallel: their parse
    // problems are findings whether or not a schema or gate reads them.
    ws.spine().parse_all(|p| {
        matches!(
            crate::documents::Format::of_path(p),
            crate::documents::Format::Yaml | crate::documents::Format::Json
        ) && changed
            .as_ref()
            .is_none_or(|c| c.contains(&(RepoId::Spine, p.to_string())))
    });
    trace.mark("parse spine YAML/JSON (or read parse cache)");

    // Schemas.
    let store = SchemaStore::load(&config.config.schemas, Some(&ws));
    findings.extend(store.problems.iter().cloned());
    let (schema_findings, used) = store.check_workspace(&ws, changed.as_ref());
    let mut checks = schema_records(&store, used);
    findings.extend(schema_findings);
    trace.mark("schemas (compile + validate)");

    // Gates.
    merge_config_selection(&mut gopts, &config);
    let (gate_findings, gate_records) = if opts.schemas_only {
        (Vec::new(), Vec::new())
    } else {
        gates::run(&ws, &config, &gopts, Some(&store))
    };
    findings.extend(gate_findings);
    checks.extend(gate_records);
    trace.mark("gates");

    // Parse problems of every document anybody read.
    for repo in &ws.repos {
        for path in repo.paths() {
            if let Some(doc) = parsed(repo, path) {
                findings.extend(doc.problems.iter().cloned());
            }
        }
    }

    let now = gopts.now.unwrap_or_else(today);
    gates::apply_waivers(&mut findings, &config, now, &checks);
    dedup(&mut findings);
    sort_findings(&mut findings);

    let fail_on = resolve_fail_on(opts.fail_on.as_deref(), &config);
    trace.mark("waivers, dedup, sort");
    Run {
        ws,
        config,
        findings,
        checks,
        elapsed_ms: t0.elapsed().as_millis(),
        fail_on,
        hidden_old: 0,
    }
}

/// The document of `path` if it has been parsed already (never parses).
fn parsed(repo: &Repo, path: &str) -> Option<std::sync::Arc<crate::documents::Document>> {
    repo.files
        .get(path)
        .and_then(|_| repo.is_parsed(path).then(|| repo.doc(path)).flatten())
}

fn dedup(findings: &mut Vec<Finding>) {
    let mut seen = std::collections::HashSet::new();
    findings.retain(|f| seen.insert((f.code.clone(), f.location.clone(), f.message.clone())));
}

pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

fn merge_config_selection(g: &mut GateOptions, config: &LoadedConfig) {
    let c = &config.config;
    if g.select.is_empty() {
        g.select = c.select.clone();
    }
    if g.ignore.is_empty() {
        g.ignore = c.ignore.clone();
    }
    if g.ring.is_none() {
        g.ring = c.ring.clone();
    }
    if g.registry.is_none() {
        g.registry = c.registry;
    }
    if c.exec == Some(false) {
        g.exec = false;
    }
    if g.jobs == 0 {
        g.jobs = c.jobs.unwrap_or(0);
    }
}

fn resolve_fail_on(cli: Option<&str>, config: &LoadedConfig) -> Option<Severity> {
    let word = cli
        .map(str::to_string)
        .or_else(|| config.config.fail_on.clone())
        .unwrap_or_else(|| "error".into());
    if word == "never" {
        None
    } else {
        Some(Severity::parse(&word).unwrap_or(Severity::Error))
    }
}

/// One record per schema used in the run (passing schemas show in JUnit).
fn schema_records(
    store: &SchemaStore,
    used: std::collections::BTreeSet<String>,
) -> Vec<CheckRecord> {
    used.into_iter()
        .map(|id| CheckRecord {
            code: format!("schema/{id}"),
            name: format!("{id} schema"),
            status: CheckStatus::Ran,
            help: store
                .schema_value(&id)
                .and_then(|v| v.get("description").or_else(|| v.get("title")))
                .and_then(|v| v.as_str())
                .map(str::to_string),
            millis: 0,
        })
        .collect()
}

/// Phase timings on stderr when `DRIFTGATE_TIMINGS` is set (profiling aid,
/// documented in the README's Performance section). Each `mark` prints the
/// time since the previous one.
pub(crate) struct Trace {
    last: Option<Instant>,
}

impl Trace {
    pub(crate) fn from_env() -> Trace {
        Trace {
            last: std::env::var_os("DRIFTGATE_TIMINGS").map(|_| Instant::now()),
        }
    }

    pub(crate) fn mark(&mut self, phase: &str) {
        if let Some(last) = self.last {
            let now = Instant::now();
            eprintln!(
                "driftgate: timing {:>8.1} ms  {phase}",
                (now - last).as_secs_f64() * 1000.0
            );
            self.last = Some(now);
        }
    }
}
