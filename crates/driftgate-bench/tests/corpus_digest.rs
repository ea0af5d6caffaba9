//! Pins the generated corpus byte for byte: the README's benchmark tables
//! were measured on it, so an edit of the generator must not change it
//! silently. If a change is intended, say so in the commit and update the
//! digests (the failure message prints the new ones).

use driftgate_bench::corpus::{build, CorpusOptions};

/// blake3 over every file in generation order: repo, path, executable bit,
/// length and text, then CORPUS.json and DRIFT.md.
fn digest(opts: &CorpusOptions) -> String {
    let (files, summary) = build(opts);
    let mut h = blake3::Hasher::new();
    for f in &files {
        h.update(f.repo.as_str().as_bytes());
        h.update(b"\0");
        h.update(f.path.as_bytes());
        h.update(if f.executable { b"\0x\0" } else { b"\0-\0" });
        h.update(&(f.text.len() as u64).to_le_bytes());
        h.update(f.text.as_bytes());
    }
    h.update(summary.to_json().as_bytes());
    h.update(summary.drift_markdown().as_bytes());
    h.finalize().to_hex().to_string()
}

#[test]
fn scale_1_corpus_is_pinned() {
    let clean = digest(&CorpusOptions::default());
    let drift = digest(&CorpusOptions {
        drift: true,
        ..CorpusOptions::default()
    });
    assert_eq!(
        (clean.as_str(), drift.as_str()),
        (CLEAN_N1_SEED42, DRIFT_N1_SEED42),
        "the scale-1 corpus changed (clean, --drift)"
    );
}

const CLEAN_N1_SEED42: &str = "6345691b4a03f5ee1b5cb591caea3ca17200cece11a6a607866959b82c0ca326";
const DRIFT_N1_SEED42: &str = "f343590d34a371ddfb71a10406526efba8dadd21425c847ed1d5842a093a82a3";
