//! Stage 1: the three checkouts and the snapshot each is read from.
//!
//! A repo is listed once (paths + where each file's bytes come from) and its
//! files are parsed lazily, at most once, into shared `Document`s. Three
//! snapshots: the work tree (default), a revision (`--rev`, blobs from git
//! objects, works on bare clones) and the index (`--staged`, honouring
//! `GIT_INDEX_FILE`).

pub mod cache;
pub mod git;
pub mod walk;

use crate::documents::Document;
use crate::findings::{Finding, Location, RepoId, Severity};
use globset::GlobSet;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Which content of a repo is checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Snapshot {
    #[default]
    WorkTree,
    Rev(String),
    Staged,
}

impl Snapshot {
    pub fn describe(&self) -> String {
        match self {
            Snapshot::WorkTree => "work tree".into(),
            Snapshot::Rev(r) => format!("revision {r}"),
            Snapshot::Staged => "index (staged)".into(),
        }
    }
}

/// Default size limit for one file (a 200 MB binding is refused, not read).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Limits {
    pub max_file_bytes: u64,
    /// Use the parse cache (`--no-cache` turns it off).
    pub cache: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            cache: false,
        }
    }
}

/// Where a file's bytes come from.
#[derive(Debug, Clone)]
pub enum Source {
    Fs(PathBuf),
    Blob(gix::ObjectId),
}

pub struct FileSlot {
    pub source: Source,
    pub size: u64,
    /// Git blob id when known (rev/staged); the cache key.
    pub blob: Option<gix::ObjectId>,
    pub executable: bool,
    doc: OnceLock<Arc<Document>>,
}

pub struct Repo {
    pub id: RepoId,
    /// Work tree root (or the git dir for a bare repo).
    pub root: PathBuf,
    pub snapshot: Snapshot,
    /// Commit the snapshot belongs to (HEAD, or the resolved `--rev`).
    pub commit: Option<String>,
    /// That commit's committer date, in the committer's time zone (`%cs`),
    /// for `--rev` snapshots: the date a `check --rev` judges at by default.
    pub commit_date: Option<chrono::NaiveDate>,
    pub files: BTreeMap<String, FileSlot>,
    git: Option<gix::ThreadSafeRepository>,
    limits: Limits,
    cache: Option<cache::ParseCache>,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo")
            .field("id", &self.id)
            .field("root", &self.root)
            .field("snapshot", &self.snapshot)
            .field("commit", &self.commit)
            .field("files", &self.files.len())
            .finish()
    }
}

/// Why a repo could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{0}: no such directory")]
    Missing(PathBuf),
    #[error("{path}: {what}")]
    Git { path: PathBuf, what: String },
}

impl Repo {
    /// Opens one checkout in the given snapshot.
    pub fn open(
        id: RepoId,
        path: &Path,
        snapshot: &Snapshot,
        limits: &Limits,
    ) -> Result<(Repo, Vec<Finding>), OpenError> {
        if !path.exists() {
            return Err(OpenError::Missing(path.to_path_buf()));
        }
        match snapshot {
            Snapshot::WorkTree => walk::open_worktree(id, path, limits),
            Snapshot::Rev(rev) => git::open_rev(id, path, rev, limits),
            Snapshot::Staged => git::open_staged(id, path, limits),
        }
    }

    pub(crate) fn new(
        id: RepoId,
        root: PathBuf,
        snapshot: Snapshot,
        commit: Option<String>,
        files: BTreeMap<String, FileSlot>,
        git: Option<gix::ThreadSafeRepository>,
        limits: Limits,
    ) -> Repo {
        let cache = if limits.cache {
            cache::ParseCache::for_repo(&root)
        } else {
            None
        };
        Repo {
            id,
            root,
            snapshot,
            commit,
            commit_date: None,
            files,
            git,
            limits,
            cache,
        }
    }

    pub fn has(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Raw bytes of a file in this snapshot.
    pub fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        let slot = self
            .files
            .get(path)
            .ok_or_else(|| format!("{path}: not in this snapshot"))?;
        self.read_slot(slot)
    }

    fn read_slot(&self, slot: &FileSlot) -> Result<Vec<u8>, String> {
        match &slot.source {
            Source::Fs(p) => walk::read_file_nofollow(p, self.limits.max_file_bytes),
            Source::Blob(oid) => match &self.git {
                Some(repo) => git::read_blob(repo, *oid),
                None => Err("no git repository for blob".into()),
            },
        }
    }

    /// The parsed document for `path`, parsed at most once.
    pub fn doc(&self, path: &str) -> Option<Arc<Document>> {
        let slot = self.files.get(path)?;
        Some(
            slot.doc
                .get_or_init(|| Arc::new(self.load(path, slot)))
                .clone(),
        )
    }

    fn load(&self, path: &str, slot: &FileSlot) -> Document {
        if slot.size > self.limits.max_file_bytes {
            return Document::opaque(
                self.id,
                path,
                Finding::new(
                    "io/too-large",
                    Severity::Error,
                    Location::file(self.id, path),
                    format!(
                        "file is {} bytes, over the {}-byte limit; not parsed",
                        slot.size, self.limits.max_file_bytes
                    ),
                )
                .with_help(
                    "raise `max_file_bytes` in driftgate.yaml if this file is meant to be that big",
                ),
            );
        }
        match self.read_slot(slot) {
            Ok(bytes) => match &self.cache {
                Some(cache) if Document::is_cacheable(path) => {
                    let key = cache::ParseCache::key(path, &bytes);
                    let hit = cache.get(&key, self.id, path);
                    Document::parse_cached(self.id, path, &bytes, hit, &|c| cache.put(&key, c))
                }
                _ => Document::parse(self.id, path, &bytes),
            },
            Err(e) => Document::opaque(
                self.id,
                path,
                Finding::new(
                    "io/unreadable",
                    Severity::Error,
                    Location::file(self.id, path),
                    format!("could not read file: {e}"),
                ),
            ),
        }
    }

    /// Paths matching a glob set, in sorted order.
    pub fn glob<'a>(&'a self, set: &'a GlobSet) -> impl Iterator<Item = &'a str> + 'a {
        self.paths().filter(move |p| set.is_match(p))
    }

    /// Is the file executable in this snapshot (exec gates need it)?
    pub fn is_executable(&self, path: &str) -> bool {
        self.files.get(path).is_some_and(|s| s.executable)
    }

    /// Work tree directory if the repo has one (exec gates run there).
    pub fn workdir(&self) -> Option<&Path> {
        if self.root.join(".git").exists() || self.git.is_none() {
            Some(&self.root)
        } else {
            self.git
                .as_ref()
                .and_then(|g| g.work_dir())
                .map(|_| self.root.as_path())
        }
    }

    /// Parse every file that matches `pred` in parallel (warms the lazy docs).
    pub fn parse_all<F: Fn(&str) -> bool + Sync>(&self, pred: F) {
        self.files
            .par_iter()
            .filter(|(p, _)| pred(p))
            .for_each(|(p, _)| {
                let _ = self.doc(p);
            });
    }
}

/// Where to find the three checkouts.
#[derive(Debug, Clone, Default)]
pub struct RepoPaths {
    pub spine: PathBuf,
    pub workbench: Option<PathBuf>,
    pub legacy: Option<PathBuf>,
}

/// The three checkouts as read for this run.
#[derive(Debug)]
pub struct Workspace {
    pub repos: Vec<Repo>,
    /// Notes and errors about the workspace itself (missing optional repo, ...).
    pub notes: Vec<Finding>,
}

impl Workspace {
    /// The input this path is, if any (`spine:ops/bindings/x.yaml`): a
    /// report must never be written over a file the run read. Both sides
    /// are resolved (symlinks, `..`), so another spelling of the same file
    /// is caught too.
    pub fn input_at(&self, path: &Path) -> Option<String> {
        let target = path.canonicalize().ok()?;
        self.repos.iter().find_map(|repo| {
            let root = repo.root.canonicalize().ok()?;
            let rel = target.strip_prefix(&root).ok()?;
            let rel = rel.to_str()?.replace(std::path::MAIN_SEPARATOR, "/");
            repo.files
                .contains_key(&rel)
                .then(|| format!("{}:{rel}", repo.id))
        })
    }

    /// Opens the optional repos in parallel next to an already-open spine.
    pub fn assemble(
        spine: Repo,
        mut notes: Vec<Finding>,
        workbench: Option<PathBuf>,
        legacy: Option<PathBuf>,
        limits: &Limits,
    ) -> Workspace {
        let open_optional = |id: RepoId, p: Option<PathBuf>| -> (Option<Repo>, Vec<Finding>) {
            let Some(p) = p else {
                return (
                    None,
                    vec![Finding::new(
                        "workspace/missing-repo",
                        Severity::Info,
                        Location::file(id, ""),
                        format!(
                            "no {id} checkout given; gates and parity that read it are skipped"
                        ),
                    )
                    .with_help(format!(
                        "pass --{id} PATH, set DRIFTGATE_{} or `{id}:` in driftgate.yaml",
                        id.as_str().to_uppercase()
                    ))],
                );
            };
            // `--rev` and `--staged` name spine content; the other checkouts
            // are always read from their work trees.
            match Repo::open(id, &p, &Snapshot::WorkTree, limits) {
                Ok((r, n)) => (Some(r), n),
                Err(e) => (
                    None,
                    vec![Finding::new(
                        "workspace/missing-repo",
                        Severity::Info,
                        Location::file(id, ""),
                        format!("{id} checkout not read: {e}"),
                    )],
                ),
            }
        };
        let ((wb, wn), (lg, ln)) = rayon::join(
            || open_optional(RepoId::Workbench, workbench),
            || open_optional(RepoId::Legacy, legacy),
        );
        notes.extend(wn);
        notes.extend(ln);
        let mut repos = vec![spine];
        repos.extend(wb);
        repos.extend(lg);
        Workspace { repos, notes }
    }

    pub fn repo(&self, id: RepoId) -> Option<&Repo> {
        self.repos.iter().find(|r| r.id == id)
    }

    pub fn spine(&self) -> &Repo {
        // `assemble` always puts the spine first.
        &self.repos[0]
    }

    pub fn doc(&self, repo: RepoId, path: &str) -> Option<Arc<Document>> {
        self.repo(repo)?.doc(path)
    }

    pub fn has(&self, repo: RepoId, path: &str) -> bool {
        self.repo(repo).is_some_and(|r| r.has(path))
    }

    pub fn file_count(&self) -> usize {
        self.repos.iter().map(|r| r.files.len()).sum()
    }

    /// Source text of a file if it has been parsed (for snippets).
    pub fn source(&self, repo: RepoId, path: &str) -> Option<Arc<str>> {
        let slot = self.repo(repo)?.files.get(path)?;
        slot.doc.get().map(|d| d.text.clone())
    }

    /// Number of YAML/JSON files whose parse came from the cache.
    pub fn cache_hits(&self) -> usize {
        self.repos
            .iter()
            .flat_map(|r| r.files.values())
            .filter(|s| s.doc.get().is_some_and(|d| d.from_cache))
            .count()
    }

    /// Number of files parsed so far.
    pub fn parsed_count(&self) -> usize {
        self.repos
            .iter()
            .flat_map(|r| r.files.values())
            .filter(|s| s.doc.get().is_some())
            .count()
    }
}

impl FileSlot {
    pub fn new(source: Source, size: u64, blob: Option<gix::ObjectId>, executable: bool) -> Self {
        FileSlot {
            source,
            size,
            blob,
            executable,
            doc: OnceLock::new(),
        }
    }
}

impl Repo {
    /// Has `path` been parsed already (never triggers a parse)?
    pub fn is_parsed(&self, path: &str) -> bool {
        self.files.get(path).is_some_and(|s| s.doc.get().is_some())
    }
}
