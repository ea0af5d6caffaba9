//! `driftgate-corpus --scale N --out DIR [--seed S] [--drift]`: writes a
//! synthetic spine + workbench + legacy workspace (see `driftgate_bench::corpus`).

use clap::Parser;
use driftgate_bench::corpus::{cmd_corpus, CorpusArgs};

/// Generate a synthetic benchmark corpus for driftgate.
#[derive(Parser, Debug)]
#[command(name = "driftgate-corpus", version)]
struct Cli {
    #[command(flatten)]
    args: CorpusArgs,
}

fn main() {
    let cli = Cli::parse();
    std::process::exit(cmd_corpus(&cli.args));
}
