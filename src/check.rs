//! The `check` pipeline: load → parse → validate → gates → waivers.
//!
//! `CheckOptions` is the one run request every command builds (the command
//! line converts its shared repo/snapshot arguments into it in one place):
//! `check` runs the whole pipeline on it, `parity` and the gate catalogue
//! (`catalogue`) open the same workspace with it.

use crate::config::{self, LoadedConfig};
use crate::findings::{
    sort_findings, CheckRecord, CheckStatus, Finding, Location, RepoId, Severity,
};
use crate::gates::{self, catalogue::Catalogue, GateOptions};
use crate::report::{RepoInfo, Report};
use crate::schema::SchemaStore;
use crate::timing::{Phase, Timings};
use crate::vocab::FailOn;
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

impl Sources {
    /// Where the repos are: `workspace` is a directory holding `spine/`,
    /// `workbench/`, `legacy/` (or a spine itself); without one, the spine
    /// is the git work tree containing `cwd` (or `cwd`). Explicit paths win.
    pub fn locate(
        workspace: Option<&Path>,
        cwd: &Path,
        spine: Option<&Path>,
        workbench: Option<&Path>,
        legacy: Option<&Path>,
    ) -> Result<Sources, String> {
        let mut s = Sources::default();
        if let Some(w) = workspace {
            if !w.is_dir() {
                return Err(format!("{}: no such workspace directory", w.display()));
            }
            if w.join("spine").is_dir() {
                s.spine = w.join("spine");
                let wb = w.join("workbench");
                let lg = w.join("legacy");
                s.workbench = wb.is_dir().then_some(wb);
                s.legacy = lg.is_dir().then_some(lg);
            } else {
                s.spine = w.to_path_buf();
            }
        } else {
            s.spine = gix::discover(cwd)
                .ok()
                .and_then(|r| r.workdir().map(Path::to_path_buf))
                .unwrap_or_else(|| cwd.to_path_buf());
        }
        if let Some(p) = spine {
            s.spine = p.to_path_buf();
        }
        if let Some(p) = workbench {
            s.workbench = Some(p.to_path_buf());
        }
        if let Some(p) = legacy {
            s.legacy = Some(p.to_path_buf());
        }
        Ok(s)
    }
}

/// A run request: where the repos are, which snapshot, limits, cache, and
/// what to judge. Built once per command from its arguments.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub sources: Sources,
    pub snapshot: Snapshot,
    /// Gate selection and `now` (`--now`; None: today).
    pub gates: GateOptions,
    /// `--fail-on`; None: from config, else `error`.
    pub fail_on: Option<FailOn>,
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
    /// How long each phase took (printed with `DRIFTGATE_TIMINGS`).
    pub timings: Vec<Phase>,
    /// The date gates and waivers judged at: `--now`, else the commit date
    /// of a `--rev` snapshot, else today.
    pub now: chrono::NaiveDate,
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
            timings: Vec::new(),
            now: crate::clock::today(),
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

    /// Calls `f` with the report view of this run (what every renderer in
    /// `report` takes).
    pub fn with_report<T>(&self, f: impl FnOnce(&Report<'_>) -> T) -> T {
        let repos = self.repo_infos();
        let ws = &self.ws;
        let source = |repo: RepoId, path: &str| ws.source(repo, path);
        let r = Report {
            findings: &self.findings,
            checks: &self.checks,
            repos: &repos,
            files_read: ws.parsed_count(),
            elapsed_ms: self.elapsed_ms,
            hidden_old: self.hidden_old,
            source: &source,
            fail_on: self.fail_on,
        };
        f(&r)
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

/// `GIT_WORK_TREE` names the work tree git would use; a work-tree run
/// reads the spine's directory. When the two differ, driftgate would
/// silently judge other files than git (and a hook) sees: say why.
fn git_work_tree_mismatch(spine: &Path) -> Option<String> {
    let wt = std::env::var_os("GIT_WORK_TREE").filter(|v| !v.is_empty())?;
    let wt = PathBuf::from(wt);
    let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (a, b) = (real(&wt), real(spine));
    (a != b).then(|| {
        format!(
            "GIT_WORK_TREE is {}, but the spine this run reads is {}: git would use another work tree than driftgate",
            wt.display(),
            spine.display()
        )
    })
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
    if opts.snapshot == Snapshot::WorkTree {
        if let Some(why) = git_work_tree_mismatch(&opts.sources.spine) {
            return Err(Box::new(
                Finding::new(
                    "workspace/git-work-tree",
                    Severity::Error,
                    Location::file(RepoId::Spine, ""),
                    why,
                )
                .with_help(
                    "unset GIT_WORK_TREE (and GIT_DIR), or pass --spine with the work tree git would use",
                )
                .internal(),
            ));
        }
    }
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
/// there. The pre-commit hook runs `--staged --new-since HEAD`: the commit
/// is judged on what it introduces plus the touch-and-fix findings of the
/// files it touches (their messages differ from the base's backlog ones),
/// the same policy as CI's `--new-since <merge base>`.
pub fn run(opts: &CheckOptions) -> Run {
    crate::threads::install(opts.gates.jobs, || run_on_pool(opts))
}

fn run_on_pool(opts: &CheckOptions) -> Run {
    let t0 = Instant::now();
    let Some(rev) = &opts.new_since else {
        return run_once(opts);
    };
    // Touch-and-fix gates judge the files this change touches in full.
    let touched = crate::workspace::git::changed_since(&opts.sources.spine, rev, &opts.snapshot);
    let mut cur_opts = opts.clone();
    if let Ok(paths) = &touched {
        cur_opts.gates.touched = Some(paths.clone());
    }
    if touched.is_ok() && crate::workspace::git::unborn_head(&opts.sources.spine, rev) {
        // The first commit (`--new-since HEAD` before HEAD exists): there
        // is no base, every finding is new, every file is touched.
        cur_opts.new_since = None;
        return run_once(&cur_opts);
    }
    let mut current = run_once(&cur_opts);
    if let Err(e) = touched {
        current.findings.push(
            Finding::new(
                "workspace/new-since",
                Severity::Error,
                Location::file(RepoId::Spine, ""),
                format!("--new-since {rev}: cannot list the files this change touches: {e}"),
            )
            .internal(),
        );
        return current;
    }
    let mut base_opts = opts.clone();
    base_opts.snapshot = Snapshot::Rev(rev.clone());
    base_opts.new_since = None;
    // Both sides judge at the same date (else every dated finding would
    // look new).
    base_opts.gates.now = Some(current.now);
    // The baseline judges the same gates without scripts: running every
    // registry script a second time (on the base) would double a run that
    // is meant to be quick, so exec findings are never hidden.
    base_opts.gates.exec = false;
    // A staged run judges the gates its change affects; the baseline judges
    // the same ones.
    if let (Snapshot::Staged, Ok(paths)) = (&opts.snapshot, &touched) {
        base_opts.gates.affected = Some(paths.iter().map(|p| format!("spine:{p}")).collect());
    }
    let base = run_once(&base_opts);
    let mut timings = Timings::new();
    timings.phases = std::mem::take(&mut current.timings);
    timings.extend_prefixed("--new-since baseline: ", &base.timings);
    current.timings = timings.phases;
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
    let mut trace = Timings::new();
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
    // A revision is judged at its own date unless --now says otherwise:
    // freshness windows and waiver expiry as they stood at that commit.
    if gopts.now.is_none() {
        if let Snapshot::Rev(_) = opts.snapshot {
            gopts.now = ws.repo(RepoId::Spine).and_then(|r| r.commit_date);
        }
    }
    let now = gopts.now.unwrap_or_else(crate::clock::today);
    gopts.now = Some(now);
    let changed: Option<HashSet<(RepoId, String)>> = match &opts.snapshot {
        Snapshot::Staged => match crate::workspace::git::staged_changes(&opts.sources.spine) {
            Ok(paths) => {
                gopts.affected = Some(paths.iter().map(|p| format!("spine:{p}")).collect());
                if gopts.touched.is_none() {
                    gopts.touched = Some(paths.clone());
                }
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
        gates::run_timed(&ws, &config, &gopts, Some(&store), &mut trace)
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

    gates::apply_waivers(&mut findings, &config, now, &checks);
    dedup(&mut findings);
    sort_findings(&mut findings);

    let fail_on = opts
        .fail_on
        .or(config.config.fail_on)
        .unwrap_or_default()
        .threshold();
    trace.mark("waivers, dedup, sort");
    Run {
        ws,
        config,
        findings,
        checks,
        elapsed_ms: t0.elapsed().as_millis(),
        fail_on,
        now,
        hidden_old: 0,
        timings: trace.phases,
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

fn merge_config_selection(g: &mut GateOptions, config: &LoadedConfig) {
    let c = &config.config;
    if g.select.is_empty() {
        g.select = c.select.clone();
    }
    if g.ignore.is_empty() {
        g.ignore = c.ignore.clone();
    }
    if g.ring.is_none() {
        g.ring = c.ring;
    }
    if g.registry.is_none() {
        g.registry = c.registry;
    }
    if c.exec == Some(false) {
        g.exec = false;
    }
    if c.exec_sandbox == Some(false) {
        g.unsandboxed = true;
    }
    if c.runtime == Some(true) {
        g.runtime = true;
    }
    if g.jobs == 0 {
        g.jobs = c.jobs.unwrap_or(0);
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

/// The gate catalogue as a run with `opts` would see it: embedded gates, the
/// spine's `gates_dir` and its registry (when a spine is found; the
/// embedded gates alone otherwise).
/// `driftgate gates --coverage`: how each gate of the spine's registry runs
/// (the catalogue as a run with these options would load it, before the
/// registry is merged in).
pub fn coverage(opts: &CheckOptions) -> Result<gates::coverage::Coverage, String> {
    let (ws, config) = open_workspace(opts).map_err(|f| f.message.clone())?;
    let cat = gates::catalogue::load(Some(&ws), config.config.gates_dir.as_deref());
    gates::coverage::of_workspace(&ws, &cat)
}

pub fn catalogue(opts: &CheckOptions) -> Catalogue {
    match open_workspace(opts) {
        Ok((ws, config)) => {
            let mut cat = gates::catalogue::load(Some(&ws), config.config.gates_dir.as_deref());
            let wanted = opts.gates.registry.or(config.config.registry);
            if gates::registry::wanted(&ws, wanted) && ws.spine().has(gates::registry::REGISTRY) {
                let _ = gates::registry::import(&ws, &mut cat);
            }
            cat
        }
        Err(_) => gates::catalogue::builtin(),
    }
}
