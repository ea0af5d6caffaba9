//! A private copy of the spine at the snapshot being judged, for everything
//! that runs the registry's scripts: `driftgate shadow` and the exec gates
//! of `driftgate check`. Scripts run in the copy, so nothing a script does
//! can touch the user's checkout, and they judge the same files driftgate
//! judges (the work tree, the index with `--staged`, a revision with
//! `--rev`).
//!
//! Layout (inside a temporary directory, removed when dropped):
//!
//! ```text
//! home/                      HOME of the scripts
//! home/code/agentic-spine/   the spine at the chosen snapshot (a git clone)
//! home/code/workbench/       a copy of the workbench work tree, when given
//! ```
//!
//! The scripts' own defaults (`$HOME/code/agentic-spine`,
//! `$HOME/code/workbench`) therefore point at the copies even where a
//! script ignores `SPINE_ROOT`.
//!
//! git is run as a program here (not gix): the copy must be a real git
//! checkout the scripts can run `git` in, and `git clone --shared` plus
//! `checkout`/`checkout-index` is exactly that, with no network (the source
//! is a local path). Commands on the copy run without the git location
//! variables (`GIT_DIR`, `GIT_INDEX_FILE`, ... as a hook has them), so
//! they can never reach the user's repository. A spine that is a plain
//! directory (not a git work tree of its own) is copied file by file from
//! the listing driftgate read, when the caller gives one (exec gates do).

use std::path::{Component, Path, PathBuf};

/// Which state of the spine to copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The work tree as it is (tracked and untracked, not ignored, files).
    WorkTree,
    /// The index (`--staged`).
    Staged,
    /// A revision (`--rev`).
    Rev(String),
}

/// Temporary directories of the copies alive now, so that a run abandoned
/// at `--timeout` can remove them (`remove_live`); dropping a `Snapshot`
/// removes its own.
static LIVE: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Removes every copy still alive (the run is being abandoned; its scripts
/// were killed first).
pub fn remove_live() {
    if let Ok(mut live) = LIVE.lock() {
        for dir in live.drain(..) {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        if let Ok(mut live) = LIVE.lock() {
            live.retain(|d| d != self._dir.path());
        }
    }
}

pub struct Snapshot {
    _dir: tempfile::TempDir,
    pub home: PathBuf,
    pub spine: PathBuf,
    pub workbench: Option<PathBuf>,
    /// The commit the copy's HEAD is at (full sha), if the spine has one.
    pub commit: Option<String>,
    /// That commit's committer date (the default `--now` of a `--rev` run).
    pub commit_date: Option<chrono::NaiveDate>,
}

/// The variables that point git at a repository, an index or a work tree
/// other than the directory it runs in. A hook has some of them set; they
/// must never reach git commands on the copy, nor the scripts.
pub const GIT_LOCATION_VARS: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
];

/// git on the user's repository: the environment is honoured (a hook's
/// `GIT_INDEX_FILE` names the index being committed). Only commands that
/// read it, or write under the copy (`checkout-index --prefix`), run here.
fn git(cwd: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    crate::workspace::git::run_git(
        cwd,
        args,
        &[("GIT_TERMINAL_PROMPT", "0"), ("GIT_CONFIG_NOSYSTEM", "1")],
    )
}

/// git on the copy: none of the location variables reach it.
fn git_copy(cwd: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    crate::workspace::git::run_git_without(
        cwd,
        args,
        &[("GIT_TERMINAL_PROMPT", "0"), ("GIT_CONFIG_NOSYSTEM", "1")],
        GIT_LOCATION_VARS,
    )
}

fn text(b: Vec<u8>) -> String {
    String::from_utf8_lossy(&b).trim().to_string()
}

fn git_text(cwd: &Path, args: &[&str]) -> Result<String, String> {
    git(cwd, args).map(text)
}

fn git_copy_text(cwd: &Path, args: &[&str]) -> Result<String, String> {
    git_copy(cwd, args).map(text)
}

/// `rel` stays inside its root (no `..`, not absolute).
fn is_inside(rel: &Path) -> bool {
    rel.components().all(|c| matches!(c, Component::Normal(_)))
}

/// Copies `files` (relative paths) from `from` to `to`. Regular files are
/// copied; a symlink is recreated only when its target stays inside the
/// tree (never followed); anything else (a submodule directory, a file
/// deleted since the listing) is left out.
fn copy_files(from: &Path, to: &Path, files: &[PathBuf]) -> Result<(), String> {
    for rel in files {
        if !is_inside(rel) {
            continue;
        }
        let src = from.join(rel);
        let dst = to.join(rel);
        let Ok(meta) = std::fs::symlink_metadata(&src) else {
            continue;
        };
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        if meta.file_type().is_file() {
            std::fs::copy(&src, &dst).map_err(|e| format!("cannot copy {}: {e}", src.display()))?;
        } else if meta.file_type().is_symlink() {
            let Ok(target) = std::fs::read_link(&src) else {
                continue;
            };
            let base = rel.parent().unwrap_or(Path::new(""));
            if target.is_absolute() || !stays_inside(base, &target) {
                continue;
            }
            let _ = std::fs::remove_file(&dst);
            std::os::unix::fs::symlink(&target, &dst)
                .map_err(|e| format!("cannot link {}: {e}", dst.display()))?;
        }
    }
    Ok(())
}

/// `base/target` resolved lexically stays under the root.
fn stays_inside(base: &Path, target: &Path) -> bool {
    let mut depth: i64 = base.components().count() as i64;
    for c in target.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            _ => return false,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

/// Tracked and untracked (not ignored) files of a work tree.
fn work_tree_files(root: &Path) -> Result<Vec<PathBuf>, String> {
    let out = git(
        root,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    )?;
    let mut v: Vec<PathBuf> = out
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| {
            use std::os::unix::ffi::OsStrExt;
            PathBuf::from(std::ffi::OsStr::from_bytes(s))
        })
        .collect();
    v.sort();
    v.dedup();
    Ok(v)
}

/// Gives the copy the user's index (its blobs are reachable through the
/// shared object store); without one, the copy's index is its HEAD.
fn copy_index(top: &Path, copy: &Path, has_head: bool) -> Result<(), String> {
    let index = PathBuf::from(git_text(
        top,
        &["rev-parse", "--path-format=absolute", "--git-path", "index"],
    )?);
    let target = PathBuf::from(git_copy_text(
        copy,
        &["rev-parse", "--path-format=absolute", "--git-path", "index"],
    )?);
    match std::fs::symlink_metadata(&index) {
        Ok(m) if m.file_type().is_file() => {
            std::fs::copy(&index, &target)
                .map_err(|e| format!("cannot copy the index {}: {e}", index.display()))?;
            Ok(())
        }
        _ if has_head => git_copy(copy, &["reset", "--quiet"]).map(|_| ()),
        _ => Ok(()),
    }
}

fn is_git_repo(p: &Path) -> bool {
    git(p, &["rev-parse", "--git-dir"]).is_ok()
}

/// What to copy.
pub struct Request<'a> {
    pub spine: &'a Path,
    pub workbench: Option<&'a Path>,
    pub source: &'a Source,
    /// Files (relative to the spine) to copy when the spine is a plain
    /// directory rather than a git work tree of its own (work tree only).
    /// None: such a spine is refused (shadow needs git).
    pub plain_spine: Option<&'a [PathBuf]>,
    /// The same for a workbench that is not a git checkout.
    pub plain_workbench: Option<&'a [PathBuf]>,
    /// Start of the temporary directory's name (`driftgate-shadow-`).
    pub prefix: &'a str,
}

/// The top of the repository `spine` is the work tree of: None when the
/// spine is not a work tree of its own (a plain directory, or a directory
/// inside another repository's work tree, as test fixtures are).
fn own_top(spine: &Path) -> Option<PathBuf> {
    let top = PathBuf::from(git_text(spine, &["rev-parse", "--show-toplevel"]).ok()?);
    let same = match (std::fs::canonicalize(&top), std::fs::canonicalize(spine)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    same.then_some(top)
}

impl Snapshot {
    /// Copies the spine (and the workbench work tree, when given); both
    /// must be git checkouts.
    pub fn take(
        spine: &Path,
        workbench: Option<&Path>,
        source: &Source,
    ) -> Result<Snapshot, String> {
        Snapshot::take_with(&Request {
            spine,
            workbench,
            source,
            plain_spine: None,
            plain_workbench: None,
            prefix: "driftgate-shadow-",
        })
    }

    pub fn take_with(req: &Request<'_>) -> Result<Snapshot, String> {
        let spine = req.spine;
        let source = req.source;
        // A plain directory is copied from its listing (work tree only:
        // `--rev`/`--staged` need git, and the workspace refused already).
        let bare =
            || git_text(spine, &["rev-parse", "--is-bare-repository"]).as_deref() == Ok("true");
        let top = if let Some(top) = own_top(spine) {
            Some(top)
        } else if req.plain_spine.is_some() && *source == Source::WorkTree {
            None
        } else if matches!(source, Source::Rev(_)) && bare() {
            // A bare repository: its revisions can still be cloned.
            Some(spine.to_path_buf())
        } else if is_git_repo(spine) && !bare() {
            Some(PathBuf::from(git_text(
                spine,
                &["rev-parse", "--show-toplevel"],
            )?))
        } else {
            return Err(format!(
                "{} is not a git checkout (the registry's scripts run on a copy made with git)",
                spine.display()
            ));
        };
        let dir = tempfile::Builder::new()
            .prefix(req.prefix)
            .tempdir()
            .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        if let Ok(mut live) = LIVE.lock() {
            live.push(dir.path().to_path_buf());
        }
        let home = dir.path().join("home");
        let code = home.join("code");
        std::fs::create_dir_all(&code)
            .map_err(|e| format!("cannot create {}: {e}", code.display()))?;
        let copy = code.join("agentic-spine");
        let copy_s = copy.to_string_lossy().to_string();
        match &top {
            None => {
                std::fs::create_dir_all(&copy)
                    .map_err(|e| format!("cannot create {}: {e}", copy.display()))?;
                copy_files(spine, &copy, req.plain_spine.unwrap_or(&[]))?;
            }
            Some(top) => take_git(top, &copy, &copy_s, source, dir.path())?,
        }
        let workbench = match req.workbench {
            Some(wb) if wb.is_dir() => {
                let dst = code.join("workbench");
                std::fs::create_dir_all(&dst)
                    .map_err(|e| format!("cannot create {}: {e}", dst.display()))?;
                match (own_top(wb), req.plain_workbench) {
                    (Some(top), _) => copy_files(&top, &dst, &work_tree_files(&top)?)?,
                    (None, Some(files)) => copy_files(wb, &dst, files)?,
                    (None, None) if is_git_repo(wb) => copy_files(wb, &dst, &work_tree_files(wb)?)?,
                    (None, None) => {
                        return Err(format!(
                            "workbench {} is not a git checkout (shadow copies its tracked files)",
                            wb.display()
                        ))
                    }
                }
                Some(dst)
            }
            _ => None,
        };
        let (commit, commit_date) = if top.is_some() {
            let commit = git_copy_text(&copy, &["rev-parse", "--verify", "-q", "HEAD"]).ok();
            let date = commit.as_ref().and_then(|_| {
                git_copy_text(&copy, &["log", "-1", "--format=%cs", "HEAD"])
                    .ok()
                    .and_then(|s| chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
            });
            (commit, date)
        } else {
            (None, None)
        };
        Ok(Snapshot {
            _dir: dir,
            home,
            spine: copy,
            workbench,
            commit,
            commit_date,
        })
    }

    /// The environment that points a script at the copies: `HOME` (so
    /// `$HOME/code/agentic-spine` is the copy), `SPINE_ROOT`, `SPINE_REPO`,
    /// `SPINE_CODE`, `WORKBENCH_ROOT`, `SPINE_WORKBENCH`; git's location
    /// variables removed (a hook's `GIT_DIR`/`GIT_INDEX_FILE` would point a
    /// script's `git` at the user's repository).
    pub fn script_env(&self) -> Vec<(String, Option<String>)> {
        let s = |p: &Path| Some(p.to_string_lossy().into_owned());
        let code = self.home.join("code");
        let workbench = self
            .workbench
            .clone()
            .unwrap_or_else(|| code.join("workbench"));
        let mut env = vec![
            ("HOME".to_string(), s(&self.home)),
            ("SPINE_ROOT".to_string(), s(&self.spine)),
            ("SPINE_REPO".to_string(), s(&self.spine)),
            ("SPINE_CODE".to_string(), s(&code)),
            ("WORKBENCH_ROOT".to_string(), s(&workbench)),
            ("SPINE_WORKBENCH".to_string(), s(&workbench)),
            ("GIT_CONFIG_NOSYSTEM".to_string(), Some("1".to_string())),
            ("GIT_TERMINAL_PROMPT".to_string(), Some("0".to_string())),
        ];
        env.extend(GIT_LOCATION_VARS.iter().map(|v| (v.to_string(), None)));
        env
    }

    /// The files of the copies now (spine, then the workbench as
    /// `workbench:PATH`), by stat: compare two of them with
    /// `Manifest::changes_since` to see what a script wrote.
    pub fn manifest(&self) -> Manifest {
        Manifest::of(&self.spine, self.workbench.as_deref())
    }
}

/// Clones `top` into `copy` and checks out the snapshot.
fn take_git(
    top: &Path,
    copy: &Path,
    copy_s: &str,
    source: &Source,
    tmp: &Path,
) -> Result<(), String> {
    // Cloned from the work tree (a linked worktree's HEAD is its own),
    // or from the git directory when it lives elsewhere (`GIT_DIR`).
    let from = if top.join(".git").exists() {
        top.to_path_buf()
    } else {
        git_text(top, &["rev-parse", "--absolute-git-dir"])
            .map(PathBuf::from)
            .unwrap_or_else(|_| top.to_path_buf())
    };
    let top_s = from.to_string_lossy().to_string();
    let has_head = git(top, &["rev-parse", "--verify", "-q", "HEAD^{commit}"]).is_ok();
    if has_head {
        git_copy(
            tmp,
            &[
                "clone",
                "--quiet",
                "--shared",
                "--no-checkout",
                &top_s,
                copy_s,
            ],
        )?;
    } else {
        git_copy(tmp, &["init", "--quiet", copy_s])?;
    }
    match source {
        Source::Rev(rev) => {
            let spec = format!("{rev}^{{commit}}");
            let sha = git_text(top, &["rev-parse", "--verify", "-q", &spec])
                .map_err(|_| format!("unknown revision `{rev}` in {}", top.display()))?;
            git_copy(
                copy,
                &[
                    "-c",
                    "advice.detachedHead=false",
                    "checkout",
                    "--quiet",
                    "--detach",
                    &sha,
                ],
            )?;
        }
        Source::Staged => {
            // The copy's index is the user's (what `git diff --cached`
            // shows there is what the commit would record) and its work
            // tree holds the index content.
            copy_index(top, copy, has_head)?;
            let prefix = format!("{copy_s}/");
            git(
                top,
                &["checkout-index", "--all", "--force", "--prefix", &prefix],
            )?;
        }
        Source::WorkTree => {
            // The user's index and work tree: staged and unstaged
            // changes stay what they are.
            copy_index(top, copy, has_head)?;
            copy_files(top, copy, &work_tree_files(top)?)?;
        }
    }
    Ok(())
}

/// How one file looked: kind, size, modification and change times,
/// inode. A write changes the change time (which no script can set back),
/// so a file that was written differs even with its old size and mtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    kind: u8,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    ino: u64,
}

/// Upper bound on the files a manifest records (a script that creates
/// millions of files must not make driftgate walk them all).
const MANIFEST_MAX: usize = 500_000;

/// The files of a tree at one moment (see `Snapshot::manifest`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    files: std::collections::BTreeMap<String, Stamp>,
}

/// What happened to one path between two manifests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    Added,
    Changed,
    Deleted,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Changed => "changed",
            Change::Deleted => "deleted",
        }
    }
}

impl Manifest {
    /// The files of a spine copy and, when given, a workbench copy.
    pub fn of(spine: &Path, workbench: Option<&Path>) -> Manifest {
        let mut m = Manifest::default();
        m.add(spine, "");
        if let Some(wb) = workbench {
            m.add(wb, "workbench:");
        }
        m
    }

    /// Records every entry under `root` (never following a link; the
    /// copy's own `.git` directory is left out), named `label` + path.
    fn add(&mut self, root: &Path, label: &str) {
        use std::os::unix::fs::MetadataExt;
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                if self.files.len() >= MANIFEST_MAX {
                    return;
                }
                let p = entry.path();
                let Ok(meta) = std::fs::symlink_metadata(&p) else {
                    continue;
                };
                let ft = meta.file_type();
                if ft.is_dir() {
                    if !(dir == root && entry.file_name() == ".git") {
                        stack.push(p);
                    }
                    continue;
                }
                let name = format!("{label}{}", crate::workspace::walk::rel(root, &p));
                let kind = if ft.is_file() {
                    0
                } else if ft.is_symlink() {
                    1
                } else {
                    2
                };
                self.files.insert(
                    name,
                    Stamp {
                        kind,
                        size: meta.len(),
                        mtime: (meta.mtime(), meta.mtime_nsec()),
                        ctime: (meta.ctime(), meta.ctime_nsec()),
                        ino: meta.ino(),
                    },
                );
            }
        }
    }

    /// Paths added, changed or deleted since `before`, in path order.
    pub fn changes_since(&self, before: &Manifest) -> Vec<(String, Change)> {
        let mut out: Vec<(String, Change)> = self
            .files
            .iter()
            .filter_map(|(p, s)| match before.files.get(p) {
                None => Some((p.clone(), Change::Added)),
                Some(old) if old != s => Some((p.clone(), Change::Changed)),
                Some(_) => None,
            })
            .collect();
        out.extend(
            before
                .files
                .keys()
                .filter(|p| !self.files.contains_key(*p))
                .map(|p| (p.clone(), Change::Deleted)),
        );
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlink_targets_are_judged_lexically() {
        assert!(stays_inside(Path::new("a/b"), Path::new("../c")));
        assert!(stays_inside(Path::new(""), Path::new("x/y")));
        assert!(!stays_inside(Path::new("a"), Path::new("../../etc/passwd")));
        assert!(!stays_inside(Path::new(""), Path::new("../x")));
        assert!(is_inside(Path::new("a/b.yaml")));
        assert!(!is_inside(Path::new("../a")));
    }
}
