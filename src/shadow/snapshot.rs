//! A private copy of the checkout for `driftgate shadow`: both driftgate and
//! the registry's scripts judge the same files, and nothing a script does
//! can touch the user's checkout.
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
//! is a local path).

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

fn git(cwd: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    crate::workspace::git::run_git(
        cwd,
        args,
        &[("GIT_TERMINAL_PROMPT", "0"), ("GIT_CONFIG_NOSYSTEM", "1")],
    )
}

fn git_text(cwd: &Path, args: &[&str]) -> Result<String, String> {
    git(cwd, args).map(|b| String::from_utf8_lossy(&b).trim().to_string())
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
        .map(|s| PathBuf::from(String::from_utf8_lossy(s).into_owned()))
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
    let target = PathBuf::from(git_text(
        copy,
        &["rev-parse", "--path-format=absolute", "--git-path", "index"],
    )?);
    match std::fs::symlink_metadata(&index) {
        Ok(m) if m.file_type().is_file() => {
            std::fs::copy(&index, &target)
                .map_err(|e| format!("cannot copy the index {}: {e}", index.display()))?;
            Ok(())
        }
        _ if has_head => git(copy, &["reset", "--quiet"]).map(|_| ()),
        _ => Ok(()),
    }
}

fn is_git_repo(p: &Path) -> bool {
    git(p, &["rev-parse", "--git-dir"]).is_ok()
}

impl Snapshot {
    /// Copies the spine (and the workbench work tree, when given).
    pub fn take(
        spine: &Path,
        workbench: Option<&Path>,
        source: &Source,
    ) -> Result<Snapshot, String> {
        if !is_git_repo(spine) {
            return Err(format!(
                "{} is not a git checkout (shadow runs the registry's scripts on a copy made with git)",
                spine.display()
            ));
        }
        let top = PathBuf::from(git_text(spine, &["rev-parse", "--show-toplevel"])?);
        let dir = tempfile::Builder::new()
            .prefix("driftgate-shadow-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        let home = dir.path().join("home");
        let code = home.join("code");
        std::fs::create_dir_all(&code)
            .map_err(|e| format!("cannot create {}: {e}", code.display()))?;
        let copy = code.join("agentic-spine");
        let copy_s = copy.to_string_lossy().to_string();
        let top_s = top.to_string_lossy().to_string();
        let has_head = git(&top, &["rev-parse", "--verify", "-q", "HEAD^{commit}"]).is_ok();
        if has_head {
            git(
                dir.path(),
                &[
                    "clone",
                    "--quiet",
                    "--shared",
                    "--no-checkout",
                    &top_s,
                    &copy_s,
                ],
            )?;
        } else {
            git(dir.path(), &["init", "--quiet", &copy_s])?;
        }
        match source {
            Source::Rev(rev) => {
                let spec = format!("{rev}^{{commit}}");
                let sha = git_text(&top, &["rev-parse", "--verify", "-q", &spec])
                    .map_err(|_| format!("unknown revision `{rev}` in {}", top.display()))?;
                git(
                    &copy,
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
                copy_index(&top, &copy, has_head)?;
                let prefix = format!("{copy_s}/");
                git(
                    &top,
                    &["checkout-index", "--all", "--force", "--prefix", &prefix],
                )?;
            }
            Source::WorkTree => {
                // The user's index and work tree: staged and unstaged
                // changes stay what they are.
                copy_index(&top, &copy, has_head)?;
                copy_files(&top, &copy, &work_tree_files(&top)?)?;
            }
        }
        let workbench = match workbench {
            Some(wb) if wb.is_dir() => {
                let dst = code.join("workbench");
                std::fs::create_dir_all(&dst)
                    .map_err(|e| format!("cannot create {}: {e}", dst.display()))?;
                if is_git_repo(wb) {
                    copy_files(wb, &dst, &work_tree_files(wb)?)?;
                } else {
                    return Err(format!(
                        "workbench {} is not a git checkout (shadow copies its tracked files)",
                        wb.display()
                    ));
                }
                Some(dst)
            }
            _ => None,
        };
        let commit = git_text(&copy, &["rev-parse", "--verify", "-q", "HEAD"]).ok();
        let commit_date = commit.as_ref().and_then(|_| {
            git_text(&copy, &["log", "-1", "--format=%cs", "HEAD"])
                .ok()
                .and_then(|s| chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
        });
        Ok(Snapshot {
            _dir: dir,
            home,
            spine: copy,
            workbench,
            commit,
            commit_date,
        })
    }

    /// Tracked files of the copy a script changed, added or deleted (`git
    /// status --porcelain`): scripts run on the copy, so the user's
    /// checkout is never touched, but writing into it is still worth
    /// reporting.
    pub fn changes(&self) -> Vec<String> {
        git(
            &self.spine,
            &["status", "--porcelain", "--untracked-files=no"],
        )
        .map(|b| {
            String::from_utf8_lossy(&b)
                .lines()
                .map(|l| l.get(3..).unwrap_or(l).to_string())
                .collect()
        })
        .unwrap_or_default()
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
