//! `driftgate corpus` (hidden dev tool): writes the synthetic benchmark
//! corpus of `driftgate::corpus`.

use clap::Args;
use driftgate::corpus::{write, CorpusOptions};
use std::path::PathBuf;

/// `driftgate corpus` arguments.
#[derive(Args, Debug, Clone)]
pub struct CorpusArgs {
    /// Scale factor: 1 ≈ 340 YAML/markdown files and 5.6 MB; N multiplies VMs,
    /// targets, services, gaps and file count.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub scale: u32,
    /// Output directory (created; must be empty or absent). Receives
    /// `spine/`, `workbench/`, `legacy/`, `CORPUS.json` and `DRIFT.md`.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Seed of the generator (same N + seed → byte-identical corpus).
    #[arg(long, default_value_t = 42, value_name = "S")]
    pub seed: u64,
    /// Inject a handful of known drifts (listed in DRIFT.md).
    #[arg(long)]
    pub drift: bool,
}

/// `driftgate corpus`
pub fn cmd_corpus(a: &CorpusArgs) -> i32 {
    if a.scale == 0 {
        eprintln!("driftgate: --scale must be at least 1");
        return 2;
    }
    let opts = CorpusOptions {
        scale: a.scale,
        seed: a.seed,
        drift: a.drift,
    };
    match write(&opts, &a.out) {
        Ok(s) => {
            println!("{} → {}", s.describe(), a.out.display());
            0
        }
        Err(e) => {
            eprintln!("driftgate: cannot write corpus: {e}");
            2
        }
    }
}
