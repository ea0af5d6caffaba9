//! Work-tree snapshot: a plain directory walk that never follows symlinks.

use super::{FileSlot, Limits, OpenError, Repo, Snapshot, Source};
use crate::findings::{Finding, Location, RepoId, Severity};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// Directories never descended into.
const SKIP_DIRS: &[&str] = &[".git", "target", "node_modules"];
/// Upper bound on files listed per repo (a runaway tree must not hang us).
const MAX_FILES: usize = 200_000;

pub fn open_worktree(
    id: RepoId,
    path: &Path,
    limits: &Limits,
) -> Result<(Repo, Vec<Finding>), OpenError> {
    if !path.is_dir() {
        return Err(OpenError::Missing(path.to_path_buf()));
    }
    // Absolute, canonical root: reports name it, SARIF needs it as a URI.
    let root = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mut files = BTreeMap::new();
    let mut notes = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                notes.push(Finding::new(
                    "io/unreadable",
                    Severity::Warning,
                    Location::file(id, rel(&root, &dir)),
                    format!("directory could not be listed: {e}"),
                ));
                continue;
            }
        };
        for entry in entries.flatten() {
            let p = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if ft.is_symlink() {
                let relp = rel(&root, &p);
                let target = std::fs::read_link(&p)
                    .map(|t| t.display().to_string())
                    .unwrap_or_default();
                notes.push(
                    Finding::new(
                        "io/symlink",
                        Severity::Info,
                        Location::file(id, relp),
                        format!("symlink to `{target}` not followed"),
                    )
                    .with_help("driftgate never follows symlinks; commit the file itself if it must be checked"),
                );
                continue;
            }
            if ft.is_dir() {
                if !SKIP_DIRS.contains(&name.as_ref()) {
                    stack.push(p);
                }
                continue;
            }
            if !ft.is_file() {
                continue;
            }
            if files.len() >= MAX_FILES {
                notes.push(Finding::new(
                    "io/too-many-files",
                    Severity::Error,
                    Location::file(id, ""),
                    format!("more than {MAX_FILES} files; the rest were not listed"),
                ));
                stack.clear();
                break;
            }
            let meta = entry.metadata().ok();
            let size = meta.as_ref().map_or(0, |m| m.len());
            let executable = meta.as_ref().is_some_and(is_executable);
            let relp = rel(&root, &p);
            if !is_utf8(&root, &p) {
                // Shown escaped (`\xff`), so two names that differ only
                // in invalid bytes stay two files; a name whose escaped
                // form is taken already is said, never merged.
                if files.contains_key(&relp) {
                    notes.push(non_utf8_note(
                        id,
                        &relp,
                        Severity::Warning,
                        "file name is not UTF-8 and its escaped form is another file's name; not checked",
                    ));
                    continue;
                }
                notes.push(non_utf8_note(
                    id,
                    &relp,
                    Severity::Info,
                    "file name is not UTF-8; its invalid bytes are shown escaped (\\xNN)",
                ));
            } else if files.contains_key(&relp) {
                // A UTF-8 name spelled like an escaped one listed earlier:
                // this file (its name is its own) takes the entry.
                notes.push(non_utf8_note(
                    id,
                    &relp,
                    Severity::Warning,
                    "a file whose non-UTF-8 name escapes to this name is not checked (this file is)",
                ));
            }
            files.insert(
                relp,
                FileSlot::new(Source::Fs(p.clone()), size, None, executable),
            );
        }
    }
    // Only a directory that is itself a work tree has a commit of its own
    // (a fixture directory inside another repo does not).
    let commit = if root.join(".git").exists() {
        super::git::head_commit_of_dir(&root)
    } else {
        None
    };
    Ok((
        Repo::new(
            id,
            root,
            Snapshot::WorkTree,
            commit,
            files,
            None,
            limits.clone(),
        ),
        notes,
    ))
}

#[cfg(unix)]
fn is_executable(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_m: &std::fs::Metadata) -> bool {
    true
}

/// Repo-relative path with `/` separators; bytes that are not UTF-8 are
/// escaped (`\xff`, see `escape_name`).
pub fn rel(root: &Path, p: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let r = p.strip_prefix(root).unwrap_or(p);
    r.components()
        .map(|c| escape_name(c.as_os_str().as_bytes()))
        .collect::<Vec<_>>()
        .join("/")
}

fn is_utf8(root: &Path, p: &Path) -> bool {
    p.strip_prefix(root).unwrap_or(p).to_str().is_some()
}

/// A file name as text: valid UTF-8 as it is, every other byte as `\xNN`
/// (lossy conversion would make names that differ only in invalid bytes
/// one name).
pub fn escape_name(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

pub(crate) fn non_utf8_note(id: RepoId, path: &str, severity: Severity, msg: &str) -> Finding {
    Finding::new("io/non-utf8-name", severity, Location::file(id, path), msg)
        .with_help("rename the file to a UTF-8 name")
}

/// Reads a regular file without following a symlink that replaced it after
/// listing, and without reading more than `max` bytes.
pub fn read_file_nofollow(p: &Path, max: u64) -> Result<Vec<u8>, String> {
    let meta = std::fs::symlink_metadata(p).map_err(|e| e.to_string())?;
    if meta.file_type().is_symlink() {
        return Err("became a symlink after listing; not followed".into());
    }
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let f = opts.open(p).map_err(|e| e.to_string())?;
    let mut buf = Vec::with_capacity(meta.len().min(max) as usize);
    f.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    if buf.len() as u64 > max {
        return Err(format!("grew over the {max}-byte limit while reading"));
    }
    Ok(buf)
}
