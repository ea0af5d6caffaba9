//! `driftgate gates` and `driftgate explain CODE`: the library builds the
//! texts, this prints them and picks the exit code.

use super::{print_stdout, request, RepoArgs};
use clap::Args;
use driftgate::check;
use driftgate::gates::explain;

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

/// The catalogue a run with these arguments would see (the embedded gates
/// alone when the repos cannot be located).
fn catalogue_for(repos: &RepoArgs) -> driftgate::gates::catalogue::Catalogue {
    match request(repos, None) {
        Ok(opts) => check::catalogue(&opts),
        Err(_) => driftgate::gates::catalogue::builtin(),
    }
}

/// `driftgate gates [--json]`
pub fn cmd_gates(a: &GatesArgs) -> i32 {
    let cat = catalogue_for(&a.repos);
    let written = print_stdout(&explain::listing(&cat, a.json));
    for p in &cat.problems {
        eprintln!("{}: {}: {}", p.location.display(), p.code, p.message);
    }
    if !written || cat.problems.iter().any(|p| p.internal) {
        2
    } else {
        0
    }
}

/// `driftgate explain CODE`: a spine gate (gates_dir or registry) is found
/// when run inside a spine.
pub fn cmd_explain(a: &ExplainArgs) -> i32 {
    match explain::explain(&a.code, || catalogue_for(&RepoArgs::default())) {
        Some(t) if print_stdout(&t) => 0,
        Some(_) => 2,
        None => {
            eprintln!("driftgate: {}", explain::unknown(&a.code));
            2
        }
    }
}
