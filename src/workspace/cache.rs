//! Parse cache: the YAML result of a file (value + span tree + parse
//! findings), keyed by a hash of the file's bytes and the cache format
//! version, so a warm run re-parses only changed files.
//!
//! Where: `<git dir>/driftgate/parse-cache/` for a repo with a git dir,
//! else `$XDG_CACHE_HOME/driftgate/` (or `~/.cache/driftgate/`). One file per
//! entry, written atomically (temp file + rename); an entry that does not
//! deserialize — corrupt, truncated, or from another driftgate version — is
//! ignored and rewritten. `--no-cache` turns it off.

use crate::documents::Cached;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Bump when `Cached`, `YamlDoc`, `Spans` or the YAML reader's output changes.
pub const CACHE_VERSION: &str = "v4";

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

impl ParseCache {
    /// The cache for a repo rooted at `root`.
    pub fn for_repo(root: &Path) -> Option<ParseCache> {
        let git_dir = if root.join(".git").is_dir() {
            Some(root.join(".git"))
        } else if root.join("HEAD").is_file() && root.join("objects").is_dir() {
            Some(root.to_path_buf()) // bare
        } else {
            None
        };
        let base = match git_dir {
            Some(g) => g.join("driftgate"),
            None => {
                let xdg = std::env::var_os("XDG_CACHE_HOME")
                    .map(PathBuf::from)
                    .or_else(|| {
                        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache"))
                    })?;
                let canon = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
                let tag = blake3::hash(canon.to_string_lossy().as_bytes()).to_hex();
                xdg.join("driftgate").join(&tag[..16])
            }
        };
        Some(ParseCache {
            dir: base.join(format!("parse-cache-{CACHE_VERSION}")),
        })
    }

    pub fn at(dir: PathBuf) -> ParseCache {
        ParseCache { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Key of a file: its bytes plus the format version and the path's
    /// extension (YAML and JSON of the same bytes parse alike, but keep them
    /// apart anyway).
    pub fn key(path: &str, bytes: &[u8]) -> String {
        let mut h = blake3::Hasher::new();
        h.update(CACHE_VERSION.as_bytes());
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update(
            Path::new(path)
                .extension()
                .map_or(&b""[..], |e| e.as_encoded_bytes()),
        );
        h.update(&[0]);
        h.update(bytes);
        h.finalize().to_hex().to_string()
    }

    fn file(&self, key: &str) -> PathBuf {
        self.dir.join(&key[..2]).join(&key[2..])
    }

    /// The cached parse, or None (missing, corrupt or foreign entries alike).
    /// The path is rewritten on the way out: the same bytes may live at two
    /// paths.
    pub fn get(&self, key: &str, repo: crate::findings::RepoId, path: &str) -> Option<Cached> {
        let bytes = std::fs::read(self.file(key)).ok()?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        if entry.version != CACHE_VERSION
            || entry.driftgate != env!("CARGO_PKG_VERSION")
            || entry.key != key
        {
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

    /// Stores an entry; failures (read-only repo, full disk) are ignored:
    /// the cache is an optimisation, never a reason to fail a run.
    pub fn put(&self, key: &str, cached: &Cached) {
        let target = self.file(key);
        let Some(parent) = target.parent() else {
            return;
        };
        if std::fs::create_dir_all(parent).is_err() {
            return;
        }
        let entry = Entry {
            version: CACHE_VERSION.into(),
            driftgate: env!("CARGO_PKG_VERSION").into(),
            key: key.into(),
            cached: cached.clone(),
        };
        let Ok(data) = serde_json::to_vec(&entry) else {
            return;
        };
        let tmp = parent.join(format!(".{}.{}.tmp", &key[2..8], std::process::id()));
        let ok = std::fs::File::create(&tmp)
            .and_then(|mut f| f.write_all(&data))
            .is_ok();
        if ok {
            let _ = std::fs::rename(&tmp, &target);
        } else {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}
