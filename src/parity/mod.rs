//! `driftgate parity`: the nightly cross-repo audit. The spine's VMs
//! (`vm.lifecycle.yaml`), SSH targets (`ssh.targets.yaml`), services
//! (`SERVICE_REGISTRY.yaml`) and sites (`topology.sites.yaml`) are the
//! truth; configurable sources in the spine's other bindings and the
//! workbench and legacy checkouts are extracted into records (each with its
//! file and line) and classified: missing, stale, mismatch, alias,
//! untracked, subnet. The report also carries the site coverage matrix
//! (`crate::model::coverage`), judged by the coverage policy.
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
use crate::findings::RepoId;
use crate::workspace::Workspace;
use classify::{Classified, ParityFinding};
use config::{ParityConfig, Source};
use entities::Canon;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What an entity is: a VM (`<cluster>/<vmid>`), an SSH host (target id)
/// or a service (SERVICE_REGISTRY name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Vm,
    SshHost,
    Service,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Vm => "vm",
            EntityKind::SshHost => "ssh_host",
            EntityKind::Service => "service",
        }
    }
}

/// Progress of a parity run (the command line draws a bar on a terminal).
/// One step for the spine, one per source.
pub trait Progress: Sync {
    /// The number of steps, once known.
    fn set_length(&self, _steps: u64) {}
    /// What is being done now.
    fn set_message(&self, _what: &str) {}
    /// One more step done.
    fn inc(&self) {}
    /// The run is over (also on error).
    fn finish(&self) {}
}

/// No progress reporting.
pub struct NoProgress;

impl Progress for NoProgress {}

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
    /// The spine file this source is compared with is absent (a service
    /// source without SERVICE_REGISTRY.yaml).
    NoCanon,
}

#[derive(Debug, Clone)]
pub struct SourceReport {
    pub id: String,
    pub repo: RepoId,
    pub path: String,
    pub entity: EntityKind,
    pub state: SourceState,
}

/// The site coverage matrix of a run, judged by the coverage policy.
pub struct ParityCoverage {
    pub matrix: crate::model::coverage::Matrix,
    pub policy: crate::model::coverage::Policy,
    pub shortfalls: Vec<crate::model::coverage::Shortfall>,
}

/// A whole parity run.
pub struct ParityRun {
    pub ws: Workspace,
    pub canon: Canon,
    /// None without topology.sites.yaml.
    pub coverage: Option<ParityCoverage>,
    pub sources: Vec<SourceReport>,
    pub findings: Vec<ParityFinding>,
    pub classified: Classified,
    pub notes: Vec<String>,
    pub missing_repos: Vec<RepoId>,
    pub elapsed_ms: u128,
}

impl ParityRun {
    /// 1 when anything drifted (or a site falls below the coverage
    /// policy), else 0.
    pub fn exit_code(&self) -> i32 {
        i32::from(
            !self.findings.is_empty()
                || self
                    .coverage
                    .as_ref()
                    .is_some_and(|c| !c.shortfalls.is_empty()),
        )
    }
}

/// Runs the audit. `Err` holds config/usage errors (exit 2), already in
/// `repo:path:line:col: message` form.
pub fn run(opts: &CheckOptions, progress: &dyn Progress) -> Result<ParityRun, Vec<String>> {
    let res = crate::threads::install(opts.gates.jobs, || run_inner(opts, progress));
    progress.finish();
    res
}

fn run_inner(opts: &CheckOptions, progress: &dyn Progress) -> Result<ParityRun, Vec<String>> {
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
    let coverage = match coverage_of(&ws, &lc) {
        Ok(c) => c,
        Err(e) => {
            errors.push(e);
            None
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
    progress.inc();

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
        progress.set_message(&format!("{}:{}", s.repo, s.spec.path));
        let state = if ws.repo(s.repo).is_none() {
            SourceState::RepoMissing
        } else if s.spec.entity == EntityKind::Service && !canon.has_services {
            SourceState::NoCanon
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
        progress.inc();
    }
    notes.append(&mut classified.notes);
    let mut findings = std::mem::take(&mut classified.findings);
    classify::sort(&mut findings);
    Ok(ParityRun {
        ws,
        canon,
        coverage,
        sources: reports,
        findings,
        classified,
        notes,
        missing_repos,
        elapsed_ms: t0.elapsed().as_millis(),
    })
}

/// The coverage matrix from the spine's bindings, judged by the policy of
/// `gate_options.D410` (driftgate.yaml), else the spine's
/// `ops/bindings/site.coverage.policy.yaml`, else the built-in one.
fn coverage_of(
    ws: &Workspace,
    lc: &crate::config::LoadedConfig,
) -> Result<Option<ParityCoverage>, String> {
    let sources =
        crate::model::coverage::Sources::load(|p| ws.doc(RepoId::Spine, p), ws.spine().paths());
    Ok(sources
        .judge(lc.config.gate_options.get("D410"))?
        .map(|(matrix, policy, shortfalls)| ParityCoverage {
            matrix,
            policy,
            shortfalls,
        }))
}
