//! `driftgate parity`: arguments, the progress bar (indicatif, on a
//! terminal only), report files and the exit code.

use super::{print_stdout, request, write_file, RepoArgs};
use clap::{Args, ValueEnum};
use driftgate::parity::{self, output, report_md, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Output format of `driftgate parity` on stdout.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParityFormat {
    #[default]
    Markdown,
    Json,
}

#[derive(Args, Debug, Clone)]
pub struct ParityArgs {
    #[command(flatten)]
    pub repos: RepoArgs,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = ParityFormat::Markdown)]
    pub format: ParityFormat,
    /// Also write the markdown report to FILE.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also append the markdown report to FILE (e.g. $GITHUB_STEP_SUMMARY; empty: no summary).
    #[arg(long, value_name = "FILE", value_parser = super::summary_file)]
    pub summary: Option<PathBuf>,
    /// Also write the JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also write a JUnit XML report to FILE (findings coded `parity/<kind>`).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Date printed in the report (YYYY-MM-DD; default today).
    #[arg(long, value_name = "DATE", value_parser = super::parse_date)]
    pub now: Option<chrono::NaiveDate>,
}

/// The library's progress callbacks drawn with indicatif.
struct Bar(ProgressBar);

impl Progress for Bar {
    fn set_length(&self, steps: u64) {
        self.0.set_length(steps);
    }
    fn set_message(&self, what: &str) {
        self.0.set_message(what.to_string());
    }
    fn inc(&self) {
        self.0.inc(1);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// A progress bar on stderr when it is a terminal; hidden otherwise (CI
/// logs and pipes get no escape codes).
fn progress_bar() -> Bar {
    if std::io::stderr().is_terminal() {
        let pb = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("parity {bar:30} {pos}/{len} {wide_msg}") {
            pb.set_style(style);
        }
        Bar(pb)
    } else {
        Bar(ProgressBar::hidden())
    }
}

/// `driftgate parity`
pub fn cmd_parity(a: &ParityArgs) -> i32 {
    let a = &ParityArgs {
        summary: super::summary_target(&a.summary),
        ..a.clone()
    };
    let opts = match request(&a.repos, a.now) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("driftgate: {e}");
            return 2;
        }
    };
    let now = opts.gates.now.unwrap_or_else(driftgate::clock::today);
    let run = match parity::run(&opts, &progress_bar()) {
        Ok(r) => r,
        Err(errs) => {
            for e in errs {
                eprintln!("driftgate: {e}");
            }
            return 2;
        }
    };
    let md = report_md::render(&run, now);
    let mut ok = true;
    for (flag, p) in [
        ("-o", &a.output),
        ("--summary", &a.summary),
        ("--json", &a.json),
        ("--junit", &a.junit),
    ] {
        if let Some(p) = p {
            ok &= super::not_an_input(&run.ws, flag, p);
        }
    }
    if !ok {
        return 2;
    }
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
    ok &= print_stdout(&out);
    if !ok {
        return 2;
    }
    run.exit_code()
}
