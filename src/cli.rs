//! Command line: `driftgate check | gates | explain | parity | hook`.

use crate::check::{self, CheckOptions, Run, Sources};
use crate::findings::RepoId;
use crate::gates::GateOptions;
use crate::report::{self, Report};
use crate::workspace::Snapshot;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "driftgate",
    version,
    about = "Guards a GitOps infrastructure spine against drift: schemas, numbered drift gates, cross-repo parity",
    after_help = "Exit codes: 0 clean · 1 findings at or above --fail-on · 2 usage, config or internal error"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Validate bindings against schemas and run the drift gates.
    Check(Box<CheckArgs>),
    /// List the gate catalogue.
    Gates(GatesArgs),
    /// Explain a gate (`D69`) or a built-in check code (`schema/vm.lifecycle`).
    Explain(ExplainArgs),
    /// Cross-repo parity audit: spine vs workbench vs legacy.
    Parity(ParityArgs),
    /// Generate a synthetic benchmark corpus (dev tool).
    #[command(hide = true)]
    Corpus(crate::corpus::CorpusArgs),
    /// Install or remove the git pre-commit hook (`check --staged`).
    #[command(subcommand)]
    Hook(HookCommand),
}

#[derive(Subcommand, Debug)]
pub enum HookCommand {
    /// Write .git/hooks/pre-commit (an existing hook is kept and run first).
    Install {
        /// Replace an existing hook instead of chaining it.
        #[arg(long)]
        force: bool,
        /// Repository (default: the current directory).
        #[arg(long, value_name = "PATH")]
        repo: Option<PathBuf>,
        /// Extra arguments for `driftgate check --staged` (e.g. --no-exec).
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Remove the driftgate hook (restoring a chained one).
    Uninstall {
        #[arg(long, value_name = "PATH")]
        repo: Option<PathBuf>,
    },
}

#[derive(Args, Debug, Clone, Default)]
pub struct RepoArgs {
    /// Directory holding `spine/`, `workbench/`, `legacy/` (or a spine with a driftgate.yaml).
    #[arg(value_name = "WORKSPACE")]
    pub workspace: Option<PathBuf>,
    /// The spine checkout (default: the git repo containing the current directory).
    #[arg(long, env = "DRIFTGATE_SPINE", value_name = "PATH")]
    pub spine: Option<PathBuf>,
    /// The workbench checkout (optional).
    #[arg(long, env = "DRIFTGATE_WORKBENCH", value_name = "PATH")]
    pub workbench: Option<PathBuf>,
    /// The legacy checkout (optional).
    #[arg(long, env = "DRIFTGATE_LEGACY", value_name = "PATH")]
    pub legacy: Option<PathBuf>,
    /// Read the spine at this revision (any rev-spec) from git objects.
    #[arg(long, value_name = "REV", conflicts_with = "staged")]
    pub rev: Option<String>,
    /// Read the spine from the index (what `git commit` would record).
    #[arg(long)]
    pub staged: bool,
    /// Files larger than this are refused, not read.
    #[arg(long, value_name = "BYTES")]
    pub max_file_bytes: Option<u64>,
    /// Do not read or write the parse cache.
    #[arg(long, env = "DRIFTGATE_NO_CACHE")]
    pub no_cache: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Human,
    Short,
    Json,
    Sarif,
    Github,
    Markdown,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    #[command(flatten)]
    pub repos: RepoArgs,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Also write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write a SARIF 2.1.0 report to FILE.
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Also write the JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also write a markdown summary to FILE (e.g. $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Gates to run: IDs (D69), prefixes (D1), categories; comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "SEL")]
    pub select: Vec<String>,
    /// Gates to leave out: IDs, prefixes, categories; comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "SEL")]
    pub ignore: Vec<String>,
    /// Run gates up to this ring (instant ⊂ standard ⊂ deep).
    #[arg(long, value_name = "RING")]
    pub ring: Option<String>,
    /// Lowest severity that fails the run: error, warning, info or never.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,
    /// Today's date for freshness gates and waiver expiry (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub now: Option<String>,
    /// Do not run external script gates (hermetic CI); they are reported as skipped.
    #[arg(long)]
    pub no_exec: bool,
    /// Parse and validate against the schemas only; run no gates.
    #[arg(long)]
    pub schemas_only: bool,
    /// Worker threads and parallel script gates (default: number of CPUs, at most 8).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Import every gate of the spine's gate.registry.yaml (default: when present).
    #[arg(long, overrides_with = "no_registry")]
    pub registry: bool,
    /// Do not import the spine's gate registry.
    #[arg(long)]
    pub no_registry: bool,
    /// Colour in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Report only findings that do not exist at REV (fingerprints ignore line numbers).
    #[arg(long, value_name = "REV")]
    pub new_since: Option<String>,
    /// With --staged: run only gates whose inputs the commit touches (not also gates without declared inputs).
    #[arg(long)]
    pub affected_only: bool,
    /// Give up after this many seconds (exit 2, reports still written).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
}

#[derive(Args, Debug, Clone)]
pub struct GatesArgs {
    #[command(flatten)]
    pub repos: RepoArgs,
    /// Output as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ExplainArgs {
    /// Gate id (D69, d069) or check code (schema/vm.lifecycle, parse/duplicate-key, config).
    pub code: String,
}

#[derive(Args, Debug, Clone)]
pub struct ParityArgs {
    #[command(flatten)]
    pub repos: RepoArgs,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = crate::parity::ParityFormat::Markdown)]
    pub format: crate::parity::ParityFormat,
    /// Also write the markdown report to FILE.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also append the markdown report to FILE (e.g. $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Also write the JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also write a JUnit XML report to FILE (findings coded `parity/<kind>`).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Date printed in the report (YYYY-MM-DD; default today).
    #[arg(long, value_name = "DATE")]
    pub now: Option<String>,
}

/// Resolves where the three repos are.
pub fn resolve_sources(a: &RepoArgs) -> Result<Sources, String> {
    let mut s = Sources::default();
    if let Some(w) = &a.workspace {
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
            s.spine = w.clone();
        }
    } else {
        let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
        s.spine = gix::discover(&cwd)
            .ok()
            .and_then(|r| r.workdir().map(Path::to_path_buf))
            .unwrap_or(cwd);
    }
    if let Some(p) = &a.spine {
        s.spine = p.clone();
    }
    if a.workbench.is_some() {
        s.workbench = a.workbench.clone();
    }
    if a.legacy.is_some() {
        s.legacy = a.legacy.clone();
    }
    Ok(s)
}

fn snapshot(a: &RepoArgs) -> Snapshot {
    match (&a.rev, a.staged) {
        (Some(r), _) => Snapshot::Rev(r.clone()),
        (None, true) => Snapshot::Staged,
        _ => Snapshot::WorkTree,
    }
}

fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("--now `{s}` is not a YYYY-MM-DD date"))
}

pub fn check_options(a: &CheckArgs) -> Result<CheckOptions, String> {
    let now = a.now.as_deref().map(parse_date).transpose()?;
    if let Some(f) = &a.fail_on {
        if crate::findings::Severity::parse(f).is_none() && f != "never" {
            return Err(format!(
                "--fail-on `{f}` is not one of error, warning, info, never"
            ));
        }
    }
    Ok(CheckOptions {
        sources: resolve_sources(&a.repos)?,
        snapshot: snapshot(&a.repos),
        gates: GateOptions {
            select: a.select.clone(),
            ignore: a.ignore.clone(),
            ring: a.ring.clone(),
            now,
            exec: !a.no_exec,
            jobs: a.jobs.unwrap_or(0),
            registry: if a.no_registry {
                Some(false)
            } else if a.registry {
                Some(true)
            } else {
                None
            },
            affected: None,
            affected_only: a.affected_only,
        },
        fail_on: a.fail_on.clone(),
        max_file_bytes: a.repos.max_file_bytes,
        schemas_only: a.schemas_only,
        new_since: a.new_since.clone(),
        no_cache: a.repos.no_cache,
    })
}

/// Writes `text` to `path`, reporting (not panicking on) failure.
fn write_file(path: &Path, text: &str) -> bool {
    match std::fs::write(path, text) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("driftgate: cannot write {}: {e}", path.display());
            false
        }
    }
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// Renders every requested output of a run; returns false if a file could
/// not be written.
pub fn emit(run: &Run, a: &CheckArgs) -> bool {
    let repos = run.repo_infos();
    let ws = &run.ws;
    let source = |repo: RepoId, path: &str| ws.source(repo, path);
    let r = Report {
        findings: &run.findings,
        checks: &run.checks,
        repos: &repos,
        files_read: ws.parsed_count(),
        elapsed_ms: run.elapsed_ms,
        hidden_old: run.hidden_old,
        source: &source,
        fail_on: run.fail_on,
    };
    let mut ok = true;
    if let Some(p) = &a.junit {
        ok &= write_file(p, &report::junit::render(&r));
    }
    if let Some(p) = &a.sarif {
        ok &= write_file(p, &report::sarif::render(&r));
    }
    if let Some(p) = &a.json {
        ok &= write_file(p, &report::json::render(&r));
    }
    if let Some(p) = &a.summary {
        let text = report::markdown::render(&r);
        // $GITHUB_STEP_SUMMARY is appended to, like the runners do.
        let res = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = res {
            eprintln!("driftgate: cannot write {}: {e}", p.display());
            ok = false;
        }
    }
    let out = match a.format {
        Format::Human => report::human::render_colored(&r, use_color(a.color)),
        Format::Short => report::short::render(&r),
        Format::Json => report::json::render(&r),
        Format::Sarif => report::sarif::render(&r),
        Format::Github => report::github::render(&r),
        Format::Markdown => report::markdown::render(&r),
    };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    ok
}

fn cmd_check(a: &CheckArgs) -> i32 {
    let opts = match check_options(a) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("driftgate: {e}");
            return 2;
        }
    };
    let run = match a.timeout {
        None => check::run(&opts),
        Some(secs) => {
            let (tx, rx) = std::sync::mpsc::channel();
            let o = opts.clone();
            std::thread::spawn(move || {
                let _ = tx.send(check::run(&o));
            });
            match rx.recv_timeout(std::time::Duration::from_secs(secs)) {
                Ok(run) => run,
                Err(_) => {
                    // Scripts of exec gates run in their own process groups.
                    crate::gates::exec::kill_running();
                    check::Run::failed(crate::findings::Finding::new(
                    "internal/timeout",
                    crate::findings::Severity::Error,
                    crate::findings::Location::file(RepoId::Spine, ""),
                    format!("the run did not finish within --timeout {secs}s; nothing was judged"),
                )
                .with_help("raise --timeout, or find the slow gate with --select/--ignore")
                .internal())
                }
            }
        }
    };
    let mut trace = check::Trace::from_env();
    let wrote = emit(&run, a);
    trace.mark("reports");
    let code = run.exit_code();
    // The process exits right after this: freeing every parsed document
    // one by one would cost more than the whole warm-cache run spends on
    // gates, and the OS reclaims the memory at once.
    std::mem::forget(run);
    if !wrote {
        2
    } else {
        code
    }
}

fn cmd_hook(h: &HookCommand) -> i32 {
    let here = |p: &Option<PathBuf>| p.clone().unwrap_or_else(|| PathBuf::from("."));
    let res = match h {
        HookCommand::Install { force, repo, args } => {
            crate::hook::install(&here(repo), *force, args)
        }
        HookCommand::Uninstall { repo } => crate::hook::uninstall(&here(repo)),
    };
    match res {
        Ok(msg) => {
            println!("driftgate: {msg}");
            0
        }
        Err(e) => {
            eprintln!("driftgate: {e}");
            2
        }
    }
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match &cli.command {
        Command::Check(a) => cmd_check(a),
        Command::Gates(a) => crate::gates::cmd_gates(a),
        Command::Explain(a) => crate::gates::cmd_explain(a),
        Command::Parity(a) => crate::parity::cmd_parity(a),
        Command::Corpus(a) => crate::corpus::cmd_corpus(a),
        Command::Hook(h) => cmd_hook(h),
    }
}
