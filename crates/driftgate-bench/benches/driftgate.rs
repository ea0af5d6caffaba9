//! `cargo bench` micro-benchmarks (divan) on the synthetic corpus of
//! `driftgate corpus` (src/corpus.rs), scale N=1: ~325 bindings, 5.6 MB.
//!
//! Groups: `parse` (YAML → value + spans), `span` (JSON pointer → line:col),
//! `schema` (validation of a vm.lifecycle-size and an operational.gaps-size
//! document), `gates` (rule and native gate evaluation, one gate at a time,
//! on the parsed workspace), `workspace` (whole-spine parse + validate, and a
//! full `check` without external scripts: throughput in MB/s and files/s).
//!
//! The binary's allocator (mimalloc) is used here too, so the numbers are
//! the ones `driftgate check` sees.
//!
//! Run: `cargo bench --bench driftgate` (one group: `-- parse`). Debug-mode
//! smoke run of every benchmark once: `cargo test --benches`.

use divan::counter::{BytesCount, ItemsCount};
use divan::{black_box, Bencher};
use driftgate::check::{self, CheckOptions};
use driftgate::documents::{Document, Format};
use driftgate::findings::RepoId;
use driftgate::schema::SchemaStore;
use driftgate_bench::corpus::{self, CorpusOptions, GenFile};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

/// The N=1 corpus, in memory.
fn files() -> &'static [GenFile] {
    static FILES: OnceLock<Vec<GenFile>> = OnceLock::new();
    FILES.get_or_init(|| corpus::build(&CorpusOptions::default()).0)
}

fn text(path: &str) -> &'static str {
    match corpus::find(files(), RepoId::Spine, path) {
        Some(f) => &f.text,
        None => panic!("corpus has no {path}"),
    }
}

/// The N=1 corpus written once into a temp dir (removed at exit by the OS
/// temp cleaner; kept alive for the whole run).
fn corpus_dir() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("corpus-1");
        corpus::write(&CorpusOptions::default(), &dir).expect("write corpus");
        (tmp, dir)
    })
    .1
}

fn is_yaml(p: &str) -> bool {
    matches!(Format::of_path(p), Format::Yaml | Format::Json)
}

/// (files, bytes) of the spine's YAML/JSON: what one run parses.
fn spine_yaml() -> (usize, usize) {
    files()
        .iter()
        .filter(|f| f.repo == RepoId::Spine && is_yaml(&f.path))
        .fold((0, 0), |(n, b), f| (n + 1, b + f.text.len()))
}

mod parse {
    use super::*;

    /// Parse one file into a value tree with spans.
    #[divan::bench(args = [
        "ops/bindings/vm.lifecycle.yaml",
        "ops/bindings/gate.registry.yaml",
        "ops/bindings/operational.gaps.yaml",
        "ops/bindings/capability.catalog.yaml",
    ])]
    fn document(b: Bencher, path: &str) {
        let t = text(path);
        b.counter(BytesCount::of_str(t))
            .bench(|| Document::parse(RepoId::Spine, path, black_box(t.as_bytes())));
    }
}

mod span {
    use super::*;

    fn gaps_doc() -> &'static (Document, Vec<String>) {
        static D: OnceLock<(Document, Vec<String>)> = OnceLock::new();
        D.get_or_init(|| {
            let path = "ops/bindings/operational.gaps.yaml";
            let doc = Document::parse(RepoId::Spine, path, text(path).as_bytes());
            let n = doc
                .value()
                .and_then(|v| v.get("gaps"))
                .and_then(|v| v.as_array())
                .map_or(0, Vec::len);
            let mut ptrs = Vec::with_capacity(3 * n);
            for i in 0..n {
                ptrs.push(format!("/gaps/{i}/status"));
                ptrs.push(format!("/gaps/{i}/description"));
                ptrs.push(format!("/gaps/{i}/no_such_key"));
            }
            (doc, ptrs)
        })
    }

    /// Key span of every `/gaps/N/{status,description,no_such_key}` in the
    /// 1.3 MB gaps file (the last falls back to the parent: the slow path).
    #[divan::bench]
    fn key_location(b: Bencher) {
        let (doc, ptrs) = gaps_doc();
        b.counter(ItemsCount::new(ptrs.len())).bench(|| {
            ptrs.iter()
                .map(|p| doc.location(black_box(p)).span.map_or(0, |s| s.line))
                .sum::<usize>()
        });
    }

    /// Value span of the same pointers.
    #[divan::bench]
    fn value_location(b: Bencher) {
        let (doc, ptrs) = gaps_doc();
        b.counter(ItemsCount::new(ptrs.len())).bench(|| {
            ptrs.iter()
                .map(|p| doc.value_location(black_box(p)).span.map_or(0, |s| s.line))
                .sum::<usize>()
        });
    }
}

mod schema {
    use super::*;

    fn store() -> &'static SchemaStore {
        static S: OnceLock<SchemaStore> = OnceLock::new();
        S.get_or_init(|| SchemaStore::load(&[], None))
    }

    /// Validate one (already parsed) document against its built-in schema;
    /// the validator is compiled before timing starts.
    #[divan::bench(args = ["vm.lifecycle", "ssh.targets", "gate.registry", "operational.gaps"])]
    fn validate(b: Bencher, id: &str) {
        let path = &format!("ops/bindings/{id}.yaml");
        let doc = Document::parse(RepoId::Spine, path, text(path).as_bytes());
        let warm = store().validate(id, &doc);
        assert!(warm.is_empty(), "corpus file fails {id}: {warm:?}");
        b.counter(BytesCount::of_str(text(path)))
            .bench(|| store().validate(id, black_box(&doc)).len());
    }

    /// Loading the store and compiling every built-in schema (once per run).
    #[divan::bench(sample_count = 20)]
    fn compile_all(b: Bencher) {
        let path = "ops/bindings/vm.lifecycle.yaml";
        let doc = Document::parse(RepoId::Spine, path, text(path).as_bytes());
        b.bench(|| {
            let s = SchemaStore::load(&[], None);
            let mut n = 0;
            for id in s.ids() {
                if id != "defs" {
                    n += s.validate(id, &doc).len();
                }
            }
            n
        });
    }
}

mod gates {
    use super::*;
    use driftgate::check::open_workspace;
    use driftgate::config::LoadedConfig;
    use driftgate::findings::CheckStatus;
    use driftgate::workspace::Workspace;

    /// The N=1 workspace, opened and fully parsed once (what a gate sees
    /// after the parse stage), with its config and schema mapping.
    fn parsed() -> &'static (Workspace, LoadedConfig, SchemaStore) {
        static W: OnceLock<(Workspace, LoadedConfig, SchemaStore)> = OnceLock::new();
        W.get_or_init(|| {
            let (ws, cfg) = match open_workspace(&corpus::check_options(corpus_dir())) {
                Ok(x) => x,
                Err(f) => panic!("cannot open corpus: {}", f.message),
            };
            for repo in &ws.repos {
                repo.parse_all(is_yaml);
            }
            let store = SchemaStore::load(&cfg.config.schemas, Some(&ws));
            (ws, cfg, store)
        })
    }

    /// One gate alone: rules (`exists_in` D59, `references` D404,
    /// `in_subnet` D405, `forbid_pattern` D407) and natives (D69,
    /// D129, D332, D403). Includes loading the gate catalogue (~2 ms).
    #[divan::bench(args = ["D59", "D404", "D405", "D407", "D69", "D129", "D332", "D403"], sample_count = 20)]
    fn gate(b: Bencher, id: &str) {
        let (ws, cfg, store) = parsed();
        let mut opts = corpus::check_options(corpus_dir()).gates;
        opts.select = vec![id.to_string()];
        let (_, records) = driftgate::gates::run(ws, cfg, &opts, Some(store));
        let ran = records
            .iter()
            .any(|r| r.code == id && r.status == CheckStatus::Ran);
        assert!(ran, "{id} did not run: {records:?}");
        b.bench(|| {
            driftgate::gates::run(ws, cfg, black_box(&opts), Some(store))
                .0
                .len()
        });
    }
}

mod workspace {
    use super::*;

    /// Issue 2's throughput benchmark: open the N=1 workspace from disk,
    /// parse every spine YAML/JSON file and validate every mapped file
    /// (what `check` does before the gates). Counters: spine YAML bytes and
    /// files per second.
    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn parse_and_validate(b: Bencher) {
        on_corpus(b, |opts| {
            let (ws, cfg) = match check::open_workspace(opts) {
                Ok(x) => x,
                Err(f) => panic!("cannot open corpus: {}", f.message),
            };
            ws.spine().parse_all(is_yaml);
            let store = SchemaStore::load(&cfg.config.schemas, Some(&ws));
            let (findings, used) = store.check_workspace(&ws, None);
            assert!(findings.is_empty());
            used.len()
        });
    }

    /// A full `check` (schemas + every native/rule gate, no external
    /// scripts) on the N=1 workspace.
    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn full_check(b: Bencher) {
        on_corpus(b, |opts| {
            let run = check::run(opts);
            assert!(run.findings.is_empty(), "{:?}", run.findings.first());
            run.checks.len()
        });
    }

    /// Times `f` on the N=1 workspace written to disk, counting the spine's
    /// YAML/JSON bytes and files.
    fn on_corpus<O>(b: Bencher, f: impl Fn(&CheckOptions) -> O + Sync) {
        let opts = corpus::check_options(corpus_dir());
        let (n, bytes) = spine_yaml();
        b.counter(BytesCount::new(bytes))
            .counter(ItemsCount::new(n))
            .bench(|| f(&opts));
    }
}
