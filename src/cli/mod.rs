//! Command line: `driftgate check | gates | explain | parity | hook`.
//!
//! The only layer that knows clap, terminals, stdout/stderr and exit codes
//! (a module of the binary; the library cannot see it). Every command turns
//! its repo/snapshot arguments into the library's run request through one
//! function, `request`, so `--no-cache`, `--max-file-bytes`, `--rev`,
//! `--staged` and `--now` mean the same everywhere.

mod catalogue;
mod parity;
mod shadow;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use driftgate::check::{self, CheckOptions, Run, Sources};
use driftgate::findings::RepoId;
use driftgate::gates::GateOptions;
use driftgate::report::{self, Report};
use driftgate::timing::Phase;
use driftgate::vocab::{FailOn, Ring};
use driftgate::workspace::Snapshot;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "driftgate",
    // `0.1.0 (abc1234 2026-12-06)`: the commit built from (build.rs).
    version = env!("DRIFTGATE_LONG_VERSION"),
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
    Gates(catalogue::GatesArgs),
    /// Explain a gate (`D69`) or a built-in check code (`schema/vm.lifecycle`).
    Explain(catalogue::ExplainArgs),
    /// Cross-repo parity audit: spine vs workbench vs legacy.
    Parity(parity::ParityArgs),
    /// Compare driftgate's gates with the spine registry's own scripts on
    /// the same snapshot (run before retiring a script).
    Shadow(Box<shadow::ShadowArgs>),
    /// Install or remove the git pre-commit hook (`check --staged --new-since HEAD`).
    #[command(subcommand)]
    Hook(HookCommand),
    /// Print a shell completion script: `driftgate completions bash > /etc/bash_completion.d/driftgate`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `driftgate man > /usr/local/share/man/man1/driftgate.1`.
    Man,
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
        /// Extra arguments for `driftgate check --staged --new-since HEAD` (e.g. --no-exec).
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
    /// Also append a markdown summary to FILE (e.g. $GITHUB_STEP_SUMMARY; empty: no summary).
    #[arg(long, value_name = "FILE", value_parser = summary_file)]
    pub summary: Option<PathBuf>,
    /// Gates to run: IDs (D69), prefixes ending in * (D1* = D1, D10.., D100..), categories; comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "SEL")]
    pub select: Vec<String>,
    /// Gates to leave out: IDs, prefixes ending in * (D4*), categories; comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "SEL")]
    pub ignore: Vec<String>,
    /// Run gates up to this ring (instant ⊂ standard ⊂ deep).
    #[arg(long, value_name = "RING", ignore_case = true, value_parser = ring_parser())]
    pub ring: Option<Ring>,
    /// Lowest severity that fails the run: error, warning, info or never.
    #[arg(long, value_name = "SEVERITY", ignore_case = true, value_parser = fail_on_parser())]
    pub fail_on: Option<FailOn>,
    /// The date freshness gates and waiver expiry judge at (YYYY-MM-DD; default: the commit date with --rev, else today).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub now: Option<chrono::NaiveDate>,
    /// Do not run external script gates (hermetic CI); they are reported as skipped.
    #[arg(long)]
    pub no_exec: bool,
    /// Let script gates reach the network (no `unshare -rn` sandbox).
    #[arg(long)]
    pub unsandboxed: bool,
    /// Also run registry gates of class runtime (network, SSH, host state, secrets; see `gates --coverage`).
    #[arg(long)]
    pub runtime: bool,
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

/// `--ring`: one of the rings (clap names them on a bad value).
fn ring_parser() -> impl TypedValueParser<Value = Ring> {
    PossibleValuesParser::new(Ring::NAMES).map(|w| Ring::parse(&w).unwrap_or_default())
}

/// `--fail-on`: error, warning, info or never; the registry's words
/// (`high`, `medium`, ...) are hidden aliases, as they always worked.
fn fail_on_parser() -> impl TypedValueParser<Value = FailOn> {
    let values = FailOn::NAMES.map(|name| {
        let aliases = FailOn::ALIASES
            .into_iter()
            .filter(|a| FailOn::parse(a).map(FailOn::as_str) == Some(name));
        PossibleValue::new(name).aliases(aliases)
    });
    PossibleValuesParser::new(values).map(|w| FailOn::parse(&w).unwrap_or_default())
}

/// `--summary FILE`: any path, the empty one included, so that
/// `--summary "$GITHUB_STEP_SUMMARY"` with the variable unset or empty (a
/// runner without job summaries) is not a usage error; see `summary_target`.
fn summary_file(s: &str) -> Result<PathBuf, String> {
    Ok(PathBuf::from(s))
}

/// The summary file to write: None without `--summary`, and None (with a
/// note on stderr) for `--summary ""`, an empty `$GITHUB_STEP_SUMMARY`.
pub(crate) fn summary_target(summary: &Option<PathBuf>) -> Option<PathBuf> {
    match summary {
        Some(p) if p.as_os_str().is_empty() => {
            eprintln!(
                "driftgate: note: --summary is empty (is $GITHUB_STEP_SUMMARY unset on this runner?); writing no summary"
            );
            None
        }
        other => other.clone(),
    }
}

/// `--now`: a YYYY-MM-DD date.
fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a YYYY-MM-DD date"))
}

/// The one conversion from the shared repo/snapshot arguments (and `--now`
/// where a command has it) to a run request; commands add their own parts.
pub fn request(a: &RepoArgs, now: Option<chrono::NaiveDate>) -> Result<CheckOptions, String> {
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let sources = Sources::locate(
        a.workspace.as_deref(),
        &cwd,
        a.spine.as_deref(),
        a.workbench.as_deref(),
        a.legacy.as_deref(),
    )?;
    let snapshot = match (&a.rev, a.staged) {
        (Some(r), _) => Snapshot::Rev(r.clone()),
        (None, true) => Snapshot::Staged,
        _ => Snapshot::WorkTree,
    };
    Ok(CheckOptions {
        sources,
        snapshot,
        gates: GateOptions {
            now,
            ..GateOptions::default()
        },
        max_file_bytes: a.max_file_bytes,
        no_cache: a.no_cache,
        ..CheckOptions::default()
    })
}

pub fn check_options(a: &CheckArgs) -> Result<CheckOptions, String> {
    let base = request(&a.repos, a.now)?;
    Ok(CheckOptions {
        gates: GateOptions {
            select: a.select.clone(),
            ignore: a.ignore.clone(),
            ring: a.ring,
            exec: !a.no_exec,
            unsandboxed: a.unsandboxed,
            runtime: a.runtime,
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
            ..base.gates
        },
        fail_on: a.fail_on,
        schemas_only: a.schemas_only,
        new_since: a.new_since.clone(),
        ..base
    })
}

/// Writes `text` to `path` (appends with `append`, creating the file, as
/// CI runners do with $GITHUB_STEP_SUMMARY), reporting (not panicking on)
/// failure.
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

/// Writes `text` to stdout. A closed pipe (`| head`) is fine: the reader
/// took what it wanted. Any other write error (a full disk, `> /dev/full`)
/// is reported and returns false, so the command exits 2 instead of
/// claiming a report it did not write.
#[must_use]
fn print_stdout(text: &str) -> bool {
    let mut stdout = std::io::stdout().lock();
    let res = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    match res {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => true,
        Err(e) => {
            eprintln!("driftgate: cannot write the report to stdout: {e}");
            false
        }
    }
}

/// Prints phase timings on stderr when `DRIFTGATE_TIMINGS` is set.
fn print_timings(phases: &[Phase]) {
    if std::env::var_os("DRIFTGATE_TIMINGS").is_none() {
        return;
    }
    for p in phases {
        eprintln!(
            "driftgate: timing {:>8.1} ms  {}",
            p.elapsed.as_secs_f64() * 1000.0,
            p.name
        );
    }
}

/// `--color auto`: `FORCE_COLOR` (non-empty, not `0`/`false`) or
/// `CLICOLOR_FORCE` (non-empty, not `0`) force colour, e.g. in a CI log that
/// renders ANSI; otherwise `NO_COLOR` (non-empty) turns it off; otherwise
/// colour on a terminal only.
fn auto_color(env: impl Fn(&str) -> Option<String>, terminal: bool) -> bool {
    let set = |k: &str, off: &[&str]| {
        env(k).is_some_and(|v| !v.is_empty() && !off.contains(&v.to_ascii_lowercase().as_str()))
    };
    if set("FORCE_COLOR", &["0", "false"]) || set("CLICOLOR_FORCE", &["0"]) {
        return true;
    }
    if set("NO_COLOR", &[]) {
        return false;
    }
    terminal
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => auto_color(|k| std::env::var(k).ok(), std::io::stdout().is_terminal()),
    }
}

/// Renders every requested output of a run; returns false if a file could
/// not be written.
pub fn emit(run: &Run, a: &CheckArgs) -> bool {
    // Report files never overwrite an input of the run.
    let mut ok = true;
    for (flag, p) in [
        ("--junit", &a.junit),
        ("--sarif", &a.sarif),
        ("--json", &a.json),
        ("--summary", &a.summary),
    ] {
        if let Some(p) = p {
            ok &= not_an_input(&run.ws, flag, p);
        }
    }
    if !ok {
        return false;
    }
    run.with_report(|r| emit_report(r, a))
}

/// False (with the reason on stderr) when `path` is a file the run read.
fn not_an_input(ws: &driftgate::workspace::Workspace, flag: &str, path: &Path) -> bool {
    match ws.input_at(path) {
        Some(input) => {
            eprintln!(
                "driftgate: refusing to write {flag} {} over {input}, an input of this run; choose another path",
                path.display()
            );
            false
        }
        None => true,
    }
}

fn emit_report(r: &Report<'_>, a: &CheckArgs) -> bool {
    let mut ok = true;
    if let Some(p) = &a.junit {
        ok &= write_file(p, &report::junit::render(r), false);
    }
    if let Some(p) = &a.sarif {
        ok &= write_file(p, &report::sarif::render(r), false);
    }
    if let Some(p) = &a.json {
        ok &= write_file(p, &report::json::render(r), false);
    }
    if let Some(p) = &a.summary {
        ok &= write_file(p, &report::markdown::render(r), true);
    }
    let out = match a.format {
        Format::Human => report::human::render_colored(r, use_color(a.color)),
        Format::Short => report::short::render(r),
        Format::Json => report::json::render(r),
        Format::Sarif => report::sarif::render(r),
        Format::Github => report::github::render(r),
        Format::Markdown => report::markdown::render(r),
    };
    ok &= print_stdout(&out);
    ok
}

fn cmd_check(a: &CheckArgs) -> i32 {
    let a = &CheckArgs {
        summary: summary_target(&a.summary),
        ..a.clone()
    };
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
                    driftgate::gates::exec::kill_running();
                    // ... and their private copy goes with them.
                    driftgate::sandbox::copy::remove_live();
                    check::Run::failed(driftgate::findings::Finding::new(
                    "internal/timeout",
                    driftgate::findings::Severity::Error,
                    driftgate::findings::Location::file(RepoId::Spine, ""),
                    format!("the run did not finish within --timeout {secs}s; nothing was judged"),
                )
                .with_help("raise --timeout, or find the slow gate with --select/--ignore")
                .internal())
                }
            }
        }
    };
    let t0 = std::time::Instant::now();
    let wrote = emit(&run, a);
    let mut phases = run.timings.clone();
    phases.push(Phase {
        name: "reports".into(),
        elapsed: t0.elapsed(),
    });
    print_timings(&phases);
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

/// The command line the hook runs, parsed here so that `hook install --
/// ARGS` refuses arguments `check` would refuse at every commit.
fn hook_check_args(args: &[String]) -> Result<(), clap::Error> {
    let argv = std::iter::once("driftgate")
        .chain(driftgate::hook::CHECK.split_whitespace())
        .map(str::to_string)
        .chain(args.iter().cloned());
    Cli::try_parse_from(argv).map(drop)
}

fn cmd_hook(h: &HookCommand) -> i32 {
    let here = |p: &Option<PathBuf>| p.clone().unwrap_or_else(|| PathBuf::from("."));
    let res = match h {
        HookCommand::Install { force, repo, args } => {
            if let Err(e) = hook_check_args(args) {
                eprintln!(
                    "driftgate: the hook's arguments for `{}` are not valid:",
                    driftgate::hook::CHECK
                );
                let _ = e.print();
                return 2;
            }
            let exe = std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| "driftgate".into());
            driftgate::hook::install(&here(repo), *force, &exe, args)
        }
        HookCommand::Uninstall { repo } => driftgate::hook::uninstall(&here(repo)),
    };
    match res {
        // The hook is written either way; a failed message is no reason
        // to report failure.
        Ok(msg) => {
            let _ = print_stdout(&format!("driftgate: {msg}\n"));
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
        Command::Gates(a) => catalogue::cmd_gates(a),
        Command::Explain(a) => catalogue::cmd_explain(a),
        Command::Parity(a) => parity::cmd_parity(a),
        Command::Shadow(a) => shadow::cmd_shadow(a),
        Command::Hook(h) => cmd_hook(h),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut cmd, "driftgate", &mut out);
            if print_stdout(&String::from_utf8_lossy(&out)) {
                0
            } else {
                2
            }
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            match clap_mangen::Man::new(cmd).render(&mut out) {
                Ok(()) if print_stdout(&String::from_utf8_lossy(&out)) => 0,
                Ok(()) => 2,
                Err(e) => {
                    eprintln!("driftgate: cannot render the man page: {e}");
                    2
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::auto_color;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn forced_colour_and_no_color() {
        assert!(auto_color(env(&[]), true));
        assert!(!auto_color(env(&[]), false));
        assert!(auto_color(env(&[("FORCE_COLOR", "1")]), false));
        assert!(auto_color(env(&[("CLICOLOR_FORCE", "1")]), false));
        assert!(!auto_color(env(&[("FORCE_COLOR", "0")]), false));
        assert!(!auto_color(env(&[("CLICOLOR_FORCE", "0")]), false));
        assert!(!auto_color(env(&[("NO_COLOR", "1")]), true));
        assert!(
            auto_color(env(&[("NO_COLOR", "1"), ("FORCE_COLOR", "true")]), false),
            "forcing wins over NO_COLOR"
        );
        assert!(
            auto_color(env(&[("NO_COLOR", "")]), true),
            "empty NO_COLOR is unset"
        );
    }
}
