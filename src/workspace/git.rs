//! Revision and index snapshots through gix.

use super::{FileSlot, Limits, OpenError, Repo, Snapshot, Source};
use crate::findings::{Finding, Location, RepoId, Severity};
use std::collections::BTreeMap;
use std::path::Path;

fn git_err(path: &Path, what: impl std::fmt::Display) -> OpenError {
    OpenError::Git {
        path: path.to_path_buf(),
        what: what.to_string(),
    }
}

/// Opens the repository at `path` (work tree or bare), honouring the git
/// environment (`GIT_DIR`, `GIT_INDEX_FILE`) the way a hook sees it.
fn open(path: &Path) -> Result<gix::ThreadSafeRepository, OpenError> {
    // A work tree is opened through its `.git` (a dir, or a file for linked
    // worktrees); a bare repo directly.
    let dot_git = path.join(".git");
    let target = if dot_git.exists() {
        dot_git
    } else {
        path.to_path_buf()
    };
    gix::ThreadSafeRepository::open_with_environment_overrides(target, Default::default())
        .map_err(|e| git_err(path, format!("not a git repository ({e})")))
}

/// HEAD commit id of the repo containing `dir`, if any (unborn → None).
pub fn head_commit_of_dir(dir: &Path) -> Option<String> {
    let repo = gix::discover(dir).ok()?;
    let id = repo.head_id().ok()?;
    Some(id.to_string())
}

/// Files of the tree of `rev` (any rev-spec), read from git objects.
pub fn open_rev(
    id: RepoId,
    path: &Path,
    rev: &str,
    limits: &Limits,
) -> Result<(Repo, Vec<Finding>), OpenError> {
    let ts = open(path)?;
    let repo = ts.to_thread_local();
    let obj = repo
        .rev_parse_single(rev)
        .map_err(|e| git_err(path, format!("cannot resolve revision `{rev}`: {e}")))?;
    let commit_id = obj.detach();
    let object = obj
        .object()
        .map_err(|e| git_err(path, format!("cannot read `{rev}`: {e}")))?;
    let commit_str = object
        .clone()
        .try_into_commit()
        .ok()
        .map(|c| c.id.to_string())
        .unwrap_or_else(|| commit_id.to_string());
    let commit_date = object
        .clone()
        .try_into_commit()
        .ok()
        .and_then(|c| c.committer().ok().and_then(|sig| sig.time().ok()))
        .and_then(|t| {
            chrono::DateTime::from_timestamp(t.seconds + i64::from(t.offset), 0)
                .map(|d| d.date_naive())
        });
    let tree = object
        .peel_to_tree()
        .map_err(|e| git_err(path, format!("`{rev}` has no tree: {e}")))?;
    let entries = tree
        .traverse()
        .breadthfirst
        .files()
        .map_err(|e| git_err(path, format!("cannot walk the tree of `{rev}`: {e}")))?;
    let mut files = BTreeMap::new();
    let mut notes = Vec::new();
    for e in entries {
        let Some(p) = git_name(id, e.filepath.as_ref(), &files, &mut notes) else {
            continue;
        };
        if e.mode.is_link() {
            notes.push(symlink_note(id, &p));
            continue;
        }
        if e.mode.is_commit() {
            notes.push(submodule_note(id, &p));
            continue;
        }
        if !e.mode.is_blob() {
            continue;
        }
        let size = repo.find_header(e.oid).map(|h| h.size()).unwrap_or(0);
        files.insert(
            p,
            FileSlot::new(
                Source::Blob(e.oid),
                size,
                Some(e.oid),
                e.mode.is_executable(),
            ),
        );
    }
    let root = repo
        .workdir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| repo.git_dir().to_path_buf());
    drop(tree);
    let mut r = Repo::new(
        id,
        root,
        Snapshot::Rev(rev.to_string()),
        Some(commit_str),
        files,
        Some(ts),
        limits.clone(),
    );
    r.commit_date = commit_date;
    Ok((r, notes))
}

/// Files of the index (what `git commit` would record).
pub fn open_staged(
    id: RepoId,
    path: &Path,
    limits: &Limits,
) -> Result<(Repo, Vec<Finding>), OpenError> {
    let ts = open(path)?;
    let repo = ts.to_thread_local();
    let index = repo
        .index_or_empty()
        .map_err(|e| git_err(path, format!("cannot read the index: {e}")))?;
    let mut files = BTreeMap::new();
    let mut notes = Vec::new();
    let mut unmerged = std::collections::BTreeSet::new();
    for entry in index.entries() {
        let raw: &[u8] = entry.path(&index).as_ref();
        if entry.stage_raw() != 0 {
            // A conflict (stages 1-3 of one path): its staged content is
            // not decided, and `git commit` refuses it. Said once per path.
            unmerged.insert(super::walk::escape_name(raw));
            continue;
        }
        let Some(p) = git_name(id, raw, &files, &mut notes) else {
            continue;
        };
        let mode = entry.mode;
        if mode == gix::index::entry::Mode::SYMLINK {
            notes.push(symlink_note(id, &p));
            continue;
        }
        if mode == gix::index::entry::Mode::COMMIT {
            notes.push(submodule_note(id, &p));
            continue;
        }
        if !(mode == gix::index::entry::Mode::FILE
            || mode == gix::index::entry::Mode::FILE_EXECUTABLE)
        {
            continue;
        }
        let size = repo
            .find_header(entry.id)
            .map(|h| h.size())
            .unwrap_or(entry.stat.size as u64);
        files.insert(
            p,
            FileSlot::new(
                Source::Blob(entry.id),
                size,
                Some(entry.id),
                mode == gix::index::entry::Mode::FILE_EXECUTABLE,
            ),
        );
    }
    notes.extend(unmerged.into_iter().map(|p| {
        Finding::new(
            "workspace/unmerged",
            Severity::Error,
            Location::file(id, &p),
            "unmerged (conflicted) in the index: there is no staged content to check",
        )
        .with_help(
            "resolve the conflict and `git add` the file; `git commit` refuses it until then",
        )
    }));
    let commit = repo.head_id().ok().map(|i| i.to_string());
    let root = repo
        .workdir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| repo.git_dir().to_path_buf());
    drop(index);
    drop(repo);
    Ok((
        Repo::new(
            id,
            root,
            Snapshot::Staged,
            commit,
            files,
            Some(ts),
            limits.clone(),
        ),
        notes,
    ))
}

/// A path of a tree or the index as a key: escaped when it is not UTF-8
/// (with an `io/non-utf8-name` note), None (with a warning) when the
/// escaped form is another file's name already.
fn git_name(
    id: RepoId,
    raw: &[u8],
    files: &BTreeMap<String, FileSlot>,
    notes: &mut Vec<Finding>,
) -> Option<String> {
    let p = super::walk::escape_name(raw);
    if std::str::from_utf8(raw).is_err() {
        if files.contains_key(&p) {
            notes.push(super::walk::non_utf8_note(
                id,
                &p,
                Severity::Warning,
                "file name is not UTF-8 and its escaped form is another file's name; not checked",
            ));
            return None;
        }
        notes.push(super::walk::non_utf8_note(
            id,
            &p,
            Severity::Info,
            "file name is not UTF-8; its invalid bytes are shown escaped (\\xNN)",
        ));
    }
    Some(p)
}

fn symlink_note(id: RepoId, p: &str) -> Finding {
    Finding::new(
        "io/symlink",
        Severity::Info,
        Location::file(id, p),
        "symlink not followed",
    )
}

fn submodule_note(id: RepoId, p: &str) -> Finding {
    Finding::new(
        "io/submodule",
        Severity::Info,
        Location::file(id, p),
        "submodule not read (its files belong to another repository)",
    )
    .with_help("check the submodule's own repository if its files matter")
}

pub fn read_blob(repo: &gix::ThreadSafeRepository, oid: gix::ObjectId) -> Result<Vec<u8>, String> {
    let r = repo.to_thread_local();
    let obj = r.find_object(oid).map_err(|e| e.to_string())?;
    Ok(obj.detach().data)
}

/// Paths whose staged content differs from HEAD (added, modified, deleted),
/// i.e. what the next commit changes. An unborn HEAD makes every staged path
/// a change.
pub fn staged_changes(path: &Path) -> Result<Vec<String>, OpenError> {
    let ts = open(path)?;
    let repo = ts.to_thread_local();
    let index = repo
        .index_or_empty()
        .map_err(|e| git_err(path, format!("cannot read the index: {e}")))?;
    let mut head: std::collections::HashMap<String, gix::ObjectId> = Default::default();
    if let Ok(commit) = repo.head_commit() {
        let tree = commit
            .tree()
            .map_err(|e| git_err(path, format!("HEAD has no tree: {e}")))?;
        for e in tree
            .traverse()
            .breadthfirst
            .files()
            .map_err(|e| git_err(path, format!("cannot walk HEAD: {e}")))?
        {
            if !e.mode.is_tree() {
                head.insert(super::walk::escape_name(e.filepath.as_ref()), e.oid);
            }
        }
    }
    let mut changed = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for entry in index.entries() {
        let p = super::walk::escape_name(entry.path(&index).as_ref());
        if head.get(&p) != Some(&entry.id) {
            changed.push(p.clone());
        }
        seen.insert(p);
    }
    changed.extend(head.into_keys().filter(|p| !seen.contains(p)));
    changed.sort();
    changed.dedup();
    Ok(changed)
}

/// Runs the git program in `cwd` (`git -C cwd ARGS`, with `env` set):
/// stdout, or an error naming the command and git's stderr. For what needs
/// git's own answer (`rev-parse --git-path`, `diff --name-only`, a clone
/// scripts can run git in) rather than gix.
pub fn run_git(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<Vec<u8>, String> {
    run_git_without(cwd, args, env, &[])
}

/// `run_git` with the variables of `unset` removed from git's environment
/// (a private copy must not see a hook's `GIT_DIR`, `GIT_INDEX_FILE`, ...).
pub fn run_git_without(
    cwd: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    unset: &[&str],
) -> Result<Vec<u8>, String> {
    let mut cmd = std::process::Command::new("git");
    cmd.arg("-C").arg(cwd).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    for v in unset {
        cmd.env_remove(v);
    }
    let out = cmd.output().map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// True when `rev` names HEAD (`HEAD`, `@`) and HEAD is a branch with no
/// commit yet: a repository's first commit, where `--new-since HEAD` has
/// nothing to compare with and everything the change holds is new.
pub fn unborn_head(path: &Path, rev: &str) -> bool {
    matches!(rev, "HEAD" | "@")
        && run_git(path, &["rev-parse", "--verify", "-q", "HEAD^{commit}"], &[]).is_err()
        && run_git(path, &["symbolic-ref", "-q", "HEAD"], &[]).is_ok()
}

/// Spine paths whose content in `snapshot` differs from revision `base`
/// (added, copied, modified, renamed or type-changed; deleted paths are not
/// listed): what a change "touches" for touch-and-fix gates under
/// `--new-since`. Asked of git itself (`git diff --name-only`), plus the
/// untracked files of a work tree.
pub fn changed_since(
    path: &Path,
    base: &str,
    snapshot: &super::Snapshot,
) -> Result<Vec<String>, String> {
    let git = |args: &[&str]| -> Result<Vec<String>, String> {
        Ok(run_git(path, args, &[])?
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(super::walk::escape_name)
            .collect())
    };
    // A first commit has no HEAD to compare with: every file is new, as
    // against the empty tree.
    let base_spec = if unborn_head(path, base) {
        let tree = run_git(path, &["hash-object", "-t", "tree", "/dev/null"], &[])?;
        String::from_utf8_lossy(&tree).trim().to_string()
    } else {
        format!("{base}^{{commit}}")
    };
    let diff = [
        "diff",
        "-z",
        "--name-only",
        "--no-renames",
        "--diff-filter=ACMRT",
    ];
    let mut out = match snapshot {
        super::Snapshot::WorkTree => {
            let mut v = git(&[&diff[..], &[base_spec.as_str(), "--"]].concat())?;
            v.extend(git(&["ls-files", "-z", "--others", "--exclude-standard"])?);
            v
        }
        super::Snapshot::Staged => {
            git(&[&diff[..], &["--cached", base_spec.as_str(), "--"]].concat())?
        }
        super::Snapshot::Rev(r) => {
            let rev_spec = format!("{r}^{{commit}}");
            git(&[&diff[..], &[base_spec.as_str(), rev_spec.as_str(), "--"]].concat())?
        }
    };
    out.sort();
    out.dedup();
    Ok(out)
}
