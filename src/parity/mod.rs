//! `driftgate parity`: the nightly cross-repo audit. The spine's VMs
//! (`vm.lifecycle.yaml`), SSH targets (`ssh.targets.yaml`) and sites
//! (`topology.sites.yaml`) are the truth; configurable sources in the
//! workbench and legacy checkouts are extracted into records (each with its
//! file and line) and classified: missing, stale, mismatch, alias,
//! untracked, subnet.
//!
//! Modules: `config` (the `parity:` section and built-in sources),
//! `entities` (canonical truth), `jq` (jaq wrapper), `extract`
//! (YAML/JSON via jq, OpenSSH config, markdown tables, regex lines),
//! `classify`, `report_md` (the markdown report), `output` (JSON, JUnit).

pub mod classify;
pub mod config;
pub mod entities;
pub mod extract;
pub mod jq;
pub mod output;
pub mod report_md;

use crate::check::{open_workspace, CheckOptions};
use crate::cli::{resolve_sources, ParityArgs};
use crate::findings::RepoId;
use crate::workspace::{Snapshot, Workspace};
use classify::{Classified, ParityFinding};
use config::{ParityConfig, Source};
use entities::Canon;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::Path;

/// What an entity is: a VM (`<cluster>/<vmid>`) or an SSH host (target id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Vm,
    SshHost,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Vm => "vm",
            EntityKind::SshHost => "ssh_host",
        }
    }
}

/// Output format of `driftgate parity` on stdout.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParityFormat {
    #[default]
    Markdown,
    Json,
}

/// How one source fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceState {
    Read {
        records: usize,
    },
    /// The repo is there, the file is not.
    FileMissing,
    /// The repo was not given / could not be read.
    RepoMissing,
}

#[derive(Debug, Clone)]
pub struct SourceReport {
    pub id: String,
    pub repo: RepoId,
    pub path: String,
    pub entity: EntityKind,
    pub state: SourceState,
}

/// A whole parity run.
pub struct ParityRun {
    pub ws: Workspace,
    pub canon: Canon,
    pub sources: Vec<SourceReport>,
    pub findings: Vec<ParityFinding>,
    pub classified: Classified,
    pub notes: Vec<String>,
    pub missing_repos: Vec<RepoId>,
    pub elapsed_ms: u128,
}

impl ParityRun {
    /// 1 when anything drifted, else 0.
    pub fn exit_code(&self) -> i32 {
        i32::from(!self.findings.is_empty())
    }
}

/// Runs the audit. `Err` holds config/usage errors (exit 2), already in
/// `repo:path:line:col: message` form.
pub fn run(opts: &CheckOptions, progress: &ProgressBar) -> Result<ParityRun, Vec<String>> {
    crate::threads::install(opts.gates.jobs, || run_on_pool(opts, progress))
}

fn run_on_pool(opts: &CheckOptions, progress: &ProgressBar) -> Result<ParityRun, Vec<String>> {
    let t0 = std::time::Instant::now();
    progress.set_message("opening repos");
    let (ws, lc) = open_workspace(opts)
        .map_err(|f| vec![format!("{}: {}", f.location.display(), f.message)])?;
    let mut errors: Vec<String> = lc
        .problems
        .iter()
        .filter(|p| p.internal)
        .map(|p| format!("{}: {}", p.location.display(), p.message))
        .collect();
    let at = |ptr: &str| -> String {
        lc.doc
            .as_ref()
            .map(|d| d.location(ptr).display())
            .unwrap_or_else(|| format!("spine:{}", crate::config::CONFIG_FILE))
    };
    let pcfg = match ParityConfig::from_value(lc.config.parity.as_ref()) {
        Ok(c) => c,
        Err(e) => {
            errors.push(format!("{}: {}", at(&e.pointer), e.message));
            ParityConfig::default()
        }
    };
    let sources: Vec<Source> = match pcfg.sources() {
        Ok(s) => s,
        Err(es) => {
            errors.extend(
                es.into_iter()
                    .map(|e| format!("{}: {}", at(&e.pointer), e.message)),
            );
            Vec::new()
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    progress.set_length(sources.len() as u64 + 1);
    progress.set_message("reading the spine");
    let canon = Canon::load(&ws, &pcfg.spine, &pcfg.cluster_aliases);
    if !canon.has_vms && !canon.has_targets {
        return Err(vec![format!(
            "{}: neither `{}` nor `{}` found: is this a spine checkout?",
            ws.spine().root.display(),
            pcfg.spine.vm_lifecycle,
            pcfg.spine.ssh_targets
        )]);
    }
    progress.inc(1);

    let mut notes = canon.notes.clone();
    let mut missing_repos = Vec::new();
    for id in [RepoId::Workbench, RepoId::Legacy] {
        if ws.repo(id).is_none() {
            missing_repos.push(id);
            notes.push(format!(
                "{id} checkout not available: its sources were skipped (pass --{id} PATH)"
            ));
        }
    }
    let mut classified = Classified::default();
    let mut index = HashMap::new();
    let mut reports = Vec::new();
    for s in &sources {
        progress.set_message(format!("{}:{}", s.repo, s.spec.path));
        let state = if ws.repo(s.repo).is_none() {
            SourceState::RepoMissing
        } else if let Some(doc) = ws.doc(s.repo, &s.spec.path) {
            let ex = extract::extract(s, &doc, &canon);
            notes.extend(ex.notes);
            classify::classify_source(&canon, s, &ex.records, &mut classified, &mut index);
            SourceState::Read {
                records: ex.records.len(),
            }
        } else {
            notes.push(format!(
                "{}:{} not found: everything source `{}` should list is reported missing",
                s.repo, s.spec.path, s.spec.id
            ));
            classify::classify_source(&canon, s, &[], &mut classified, &mut index);
            SourceState::FileMissing
        };
        reports.push(SourceReport {
            id: s.spec.id.clone(),
            repo: s.repo,
            path: s.spec.path.clone(),
            entity: s.spec.entity,
            state,
        });
        progress.inc(1);
    }
    notes.append(&mut classified.notes);
    let mut findings = std::mem::take(&mut classified.findings);
    classify::sort(&mut findings);
    progress.finish_and_clear();
    Ok(ParityRun {
        ws,
        canon,
        sources: reports,
        findings,
        classified,
        notes,
        missing_repos,
        elapsed_ms: t0.elapsed().as_millis(),
    })
}

/// A progress bar on stderr when it is a terminal; hidden otherwise (CI
/// logs and pipes get no escape codes).
pub fn progress_bar() -> ProgressBar {
    if std::io::stderr().is_terminal() {
        let pb = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("parity {bar:30} {pos}/{len} {wide_msg}") {
            pb.set_style(style);
        }
        pb
    } else {
        ProgressBar::hidden()
    }
}

fn write_file(path: &Path, text: &str, append: bool) -> bool {
    let res = if append {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
    } else {
        std::fs::write(path, text)
    };
    match res {
        Ok(()) => true,
        Err(e) => {
            eprintln!("driftgate: cannot write {}: {e}", path.display());
            false
        }
    }
}

/// `driftgate parity`
pub fn cmd_parity(a: &ParityArgs) -> i32 {
    let now = match a.now.as_deref() {
        Some(s) => match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => d,
            Err(_) => {
                eprintln!("driftgate: --now `{s}` is not a YYYY-MM-DD date");
                return 2;
            }
        },
        None => crate::check::today(),
    };
    let sources = match resolve_sources(&a.repos) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("driftgate: {e}");
            return 2;
        }
    };
    let opts = CheckOptions {
        sources,
        snapshot: match (&a.repos.rev, a.repos.staged) {
            (Some(r), _) => Snapshot::Rev(r.clone()),
            (None, true) => Snapshot::Staged,
            _ => Snapshot::WorkTree,
        },
        max_file_bytes: a.repos.max_file_bytes,
        ..CheckOptions::default()
    };
    let pb = progress_bar();
    let run = match run(&opts, &pb) {
        Ok(r) => r,
        Err(errs) => {
            pb.finish_and_clear();
            for e in errs {
                eprintln!("driftgate: {e}");
            }
            return 2;
        }
    };
    // The markdown (stdout, `-o`, `--summary`) is masked as a whole with
    // the one secret model, like every other output.
    let md = crate::report::redact::redact(&report_md::render(&run, now)).into_owned();
    let mut ok = true;
    if let Some(p) = &a.output {
        ok &= write_file(p, &md, false);
    }
    if let Some(p) = &a.summary {
        ok &= write_file(p, &md, true);
    }
    if let Some(p) = &a.json {
        ok &= write_file(p, &output::json(&run), false);
    }
    if let Some(p) = &a.junit {
        ok &= write_file(p, &output::junit(&run), false);
    }
    let out = match a.format {
        ParityFormat::Markdown => md,
        ParityFormat::Json => output::json(&run),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    if !ok {
        return 2;
    }
    run.exit_code()
}
