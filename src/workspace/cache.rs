//! Parse cache: the YAML result of a file (value + span tree + parse
//! findings), keyed by a hash of the file's bytes, the cache format version
//! and the binary's build, so a warm run re-parses only changed files.
//!
//! The cache may save time; it must never change a result. So:
//!
//! - **Never inside a work tree.** Entries live under the user's cache dir
//!   (`$XDG_CACHE_HOME/driftgate/<repo tag>/`, else `~/.cache/driftgate/…`),
//!   keyed by a hash of the repo's canonical path, not under `.git` (which a
//!   worktree or submodule's `.git` *file* or a committed `HEAD` + `objects/`
//!   could redirect into committed files). No cache dir (no `HOME`): no cache.
//! - **Checksummed.** Each entry is `<magic> <blake3 of payload>\n<payload>`;
//!   a payload whose hash does not match (a flipped byte), or whose recorded
//!   key, version or build differ, is ignored and rewritten.
//! - **Regular files only, never through a link, bounded read.** Entries are
//!   opened with `O_NOFOLLOW | O_NONBLOCK`, must be regular files, and are
//!   read up to [`MAX_ENTRY_BYTES`].
//! - **Bounded size.** When the cache of a repo grows past [`MAX_CACHE_BYTES`]
//!   the oldest entries are evicted (checked at most once a minute).
//!
//! Writes are atomic (temp file + rename); failures are ignored: the cache
//! is an optimisation, never a reason to fail a run. `--no-cache` turns it
//! off.

use crate::documents::Cached;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Bump when `Cached`, `YamlDoc`, `Spans`, the YAML reader's output or the
/// entry format changes.
pub const CACHE_VERSION: &str = "v5";

/// This binary's build: the package version plus a hash of its sources,
/// lock file and toolchain (build.rs).
pub const BUILD: &str = concat!(env!("CARGO_PKG_VERSION"), "+", env!("DRIFTGATE_BUILD_ID"));

/// Largest entry read; a bigger file is not an entry.
pub const MAX_ENTRY_BYTES: u64 = 256 * 1024 * 1024;

/// Size beyond which the oldest entries of a repo's cache are evicted.
pub const MAX_CACHE_BYTES: u64 = 512 * 1024 * 1024;

const MAGIC: &str = "driftgate-parse-cache";

#[derive(Debug, Clone)]
pub struct ParseCache {
    dir: PathBuf,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    version: String,
    driftgate: String,
    key: String,
    cached: Cached,
}

/// The user's cache base (`$XDG_CACHE_HOME` or `~/.cache`), if any.
fn user_cache_base() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| Path::new(v).is_absolute())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| Path::new(v).is_absolute())
                .map(|h| PathBuf::from(h).join(".cache"))
        })
}

impl ParseCache {
    /// The cache for a repo rooted at `root`: in the user's cache dir, one
    /// directory per repo (by canonical path), never inside the repo.
    pub fn for_repo(root: &Path) -> Option<ParseCache> {
        let base = user_cache_base()?;
        let canon = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let tag = blake3::hash(canon.as_os_str().as_encoded_bytes()).to_hex();
        let dir = base
            .join("driftgate")
            .join(&tag[..16])
            .join(format!("parse-cache-{CACHE_VERSION}"));
        // A cache dir inside the repo (HOME or XDG_CACHE_HOME in the work
        // tree) could be committed: refuse it.
        if dir.starts_with(&canon) || dir.starts_with(root) {
            return None;
        }
        let cache = ParseCache { dir };
        cache.prune_if_due(MAX_CACHE_BYTES);
        Some(cache)
    }

    pub fn at(dir: PathBuf) -> ParseCache {
        ParseCache { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Key of a file: its bytes plus the format version, the binary's build
    /// and the path's extension (YAML and JSON of the same bytes parse
    /// alike, but keep them apart anyway).
    pub fn key(path: &str, bytes: &[u8]) -> String {
        let mut h = blake3::Hasher::new();
        h.update(CACHE_VERSION.as_bytes());
        h.update(&[0]);
        h.update(BUILD.as_bytes());
        h.update(&[0]);
        h.update(
            Path::new(path)
                .extension()
                .map_or(&b""[..], |e| e.as_encoded_bytes()),
        );
        h.update(&[0]);
        h.update(bytes);
        h.finalize().to_hex().to_string()
    }

    fn file(&self, key: &str) -> Option<PathBuf> {
        // Keys are our own hex hashes; anything else never names a file.
        if key.len() < 8 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(self.dir.join(&key[..2]).join(&key[2..]))
    }

    /// The cached parse, or None (missing, corrupt, forged-looking or
    /// foreign entries alike). The path is rewritten on the way out: the
    /// same bytes may live at two paths.
    pub fn get(&self, key: &str, repo: crate::findings::RepoId, path: &str) -> Option<Cached> {
        let bytes = read_entry_file(&self.file(key)?)?;
        let payload = verified_payload(&bytes)?;
        let entry: Entry = serde_json::from_slice(payload).ok()?;
        if entry.version != CACHE_VERSION || entry.driftgate != BUILD || entry.key != key {
            return None;
        }
        let mut c = entry.cached;
        for f in &mut c.problems {
            f.location.repo = repo;
            f.location.path = path.to_string();
            for r in &mut f.related {
                r.location.repo = repo;
                r.location.path = path.to_string();
            }
        }
        Some(c)
    }

    /// Stores an entry; failures (read-only cache, full disk) are ignored.
    pub fn put(&self, key: &str, cached: &Cached) {
        let Some(target) = self.file(key) else {
            return;
        };
        let Some(parent) = target.parent() else {
            return;
        };
        if std::fs::create_dir_all(parent).is_err() {
            return;
        }
        let entry = Entry {
            version: CACHE_VERSION.into(),
            driftgate: BUILD.into(),
            key: key.into(),
            cached: cached.clone(),
        };
        let Ok(payload) = serde_json::to_vec(&entry) else {
            return;
        };
        let mut data = format!("{MAGIC} {}\n", blake3::hash(&payload).to_hex()).into_bytes();
        data.extend_from_slice(&payload);
        let tmp = parent.join(format!(
            ".{}.{}.{:?}.tmp",
            &key[2..8],
            std::process::id(),
            std::thread::current().id()
        ));
        let ok = create_new_nofollow(&tmp)
            .and_then(|mut f| f.write_all(&data))
            .is_ok();
        if ok {
            let _ = std::fs::rename(&tmp, &target);
        } else {
            let _ = std::fs::remove_file(&tmp);
        }
    }

    /// Evicts the oldest entries (by modification time) until the cache is
    /// at most 3/4 of `max_bytes`, if it is over `max_bytes`. Returns the
    /// number of entries removed.
    pub fn prune(&self, max_bytes: u64) -> usize {
        let mut entries: Vec<(std::time::SystemTime, u64, PathBuf)> = Vec::new();
        for sub in std::fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            if !sub.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            for f in std::fs::read_dir(sub.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let Ok(m) = f.metadata() else { continue };
                if m.is_file() {
                    let t = m.modified().unwrap_or(std::time::UNIX_EPOCH);
                    entries.push((t, m.len(), f.path()));
                }
            }
        }
        let mut total: u64 = entries.iter().map(|e| e.1).sum();
        if total <= max_bytes {
            return 0;
        }
        entries.sort();
        let goal = max_bytes / 4 * 3;
        let mut removed = 0;
        for (_, len, p) in entries {
            if total <= goal {
                break;
            }
            if std::fs::remove_file(&p).is_ok() {
                total = total.saturating_sub(len);
                removed += 1;
            }
        }
        removed
    }

    /// [`prune`](Self::prune), at most once a minute per cache (a stamp
    /// file's age), so a warm run does not stat every entry.
    fn prune_if_due(&self, max_bytes: u64) {
        let stamp = self.dir.join(".pruned");
        let due = std::fs::symlink_metadata(&stamp)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_none_or(|age| age > std::time::Duration::from_secs(60));
        if due && self.dir.is_dir() {
            self.prune(max_bytes);
            let _ = std::fs::remove_file(&stamp);
            let _ = create_new_nofollow(&stamp);
        }
    }
}

/// The payload of an entry whose header checksum matches, else None.
fn verified_payload(bytes: &[u8]) -> Option<&[u8]> {
    let nl = bytes.iter().position(|&b| b == b'\n')?;
    let header = std::str::from_utf8(&bytes[..nl]).ok()?;
    let payload = &bytes[nl + 1..];
    let sum = header.strip_prefix(MAGIC)?.strip_prefix(' ')?;
    let want = blake3::Hash::from_hex(sum).ok()?;
    // blake3::Hash compares in constant time.
    (blake3::hash(payload) == want).then_some(payload)
}

/// Reads an entry: a regular file opened without following a link,
/// without blocking on a FIFO, and at most [`MAX_ENTRY_BYTES`] long.
fn read_entry_file(path: &Path) -> Option<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .ok()?;
    let meta = f.metadata().ok()?;
    if !meta.file_type().is_file() || meta.len() > MAX_ENTRY_BYTES {
        return None;
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    // Bounded even if the file grows while we read.
    f.take(MAX_ENTRY_BYTES + 1).read_to_end(&mut buf).ok()?;
    (buf.len() as u64 <= MAX_ENTRY_BYTES).then_some(buf)
}

/// Creates a new file (never an existing one, never through a link).
fn create_new_nofollow(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}
