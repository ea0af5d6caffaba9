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
    /// How each gate of the spine's gate registry runs (in-process, exec,
    /// runtime, inline, retired), with its class (static, cross-repo,
    /// runtime) and the counts.
    #[arg(long)]
    pub coverage: bool,
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
    if a.coverage {
        return cmd_coverage(a);
    }
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

/// `driftgate gates --coverage [--json]`: exit 2 when there is no registry.
fn cmd_coverage(a: &GatesArgs) -> i32 {
    let cov = request(&a.repos, None).and_then(|opts| check::coverage(&opts));
    match cov {
        Ok(c) => {
            let text = if a.json {
                let mut t = serde_json::to_string_pretty(&c.json()).unwrap_or_default();
                t.push('\n');
                t
            } else {
                c.text()
            };
            if print_stdout(&text) {
                0
            } else {
                2
            }
        }
        Err(e) => {
            eprintln!("driftgate: gates --coverage: {e}");
            2
        }
    }
}
