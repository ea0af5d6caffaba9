//! `driftgate shadow`: arguments, the report on stdout and the exit code.

use super::{print_stdout, write_file, RepoArgs};
use clap::{Args, ValueEnum};
use driftgate::shadow::{self, report, ShadowOptions, Source};
use std::path::PathBuf;

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShadowFormat {
    #[default]
    Table,
    Json,
    Markdown,
}

#[derive(Args, Debug, Clone)]
pub struct ShadowArgs {
    #[command(flatten)]
    pub repos: RepoArgs,
    /// Only these gates (comma separated: D58,D86).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub gates: Vec<String>,
    /// The date both sides judge at (YYYY-MM-DD; default: the commit date
    /// with --rev, else today). Scripts see it through faketime.
    #[arg(long, value_name = "DATE", value_parser = super::parse_date)]
    pub now: Option<chrono::NaiveDate>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = ShadowFormat::Table)]
    pub format: ShadowFormat,
    /// Also write the JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Seconds one script may run before it is killed.
    #[arg(long, value_name = "SECS", default_value_t = shadow::DEFAULT_TIMEOUT_SEC)]
    pub timeout: u64,
    /// Scripts run at once (default: number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Let the scripts reach the network (no `unshare -rn` sandbox).
    #[arg(long)]
    pub unsandboxed: bool,
}

/// `driftgate shadow`
pub fn cmd_shadow(a: &ShadowArgs) -> i32 {
    let base = match super::request(&a.repos, a.now) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("driftgate: {e}");
            return 2;
        }
    };
    let mut gates = Vec::new();
    for g in &a.gates {
        match driftgate::model::ids::normalize_id(g) {
            Some(id) => gates.push(id),
            None => {
                eprintln!("driftgate: --gates: `{g}` is not a gate id (D58, D086)");
                return 2;
            }
        }
    }
    let opts = ShadowOptions {
        spine: base.sources.spine.clone(),
        workbench: base.sources.workbench.clone(),
        source: match (&a.repos.rev, a.repos.staged) {
            (Some(r), _) => Source::Rev(r.clone()),
            (None, true) => Source::Staged,
            _ => Source::WorkTree,
        },
        gates,
        now: a.now,
        timeout: std::time::Duration::from_secs(a.timeout.max(1)),
        jobs: a
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        unsandboxed: a.unsandboxed,
    };
    let run = match shadow::run(&opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("driftgate: {e}");
            return 2;
        }
    };
    let json = report::json(&run);
    if let Some(p) = &a.json {
        if !write_file(p, &json, false) {
            return 2;
        }
    }
    let written = print_stdout(&match a.format {
        ShadowFormat::Table => report::table(&run),
        ShadowFormat::Json => json,
        ShadowFormat::Markdown => report::markdown(&run),
    });
    if !written {
        return 2;
    }
    run.exit_code()
}
