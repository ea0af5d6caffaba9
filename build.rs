//! Build script: embeds the gate catalogue and registers the native gates,
//! so that adding a gate never means editing a central list.
//!
//! - `gates/<DNNN-name>/gate.yaml` files (plus `gates/gate.schema.json`,
//!   `gates/codes.yaml` and `gates/registry.classes.yaml`) are embedded as `(path, text)` pairs. The `pass/` and
//!   `fail/` fixtures beside them are test data and stay out of the binary
//!   (`include_dir!` of the whole directory would embed them).
//! - Every `src/gates/native/*.rs` file except `mod.rs` and `common.rs` is a
//!   native gate module exporting `pub(crate) static GATE`; the generated
//!   `natives.rs` declares the modules and lists them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    let gates = manifest.join("gates");
    let native = manifest.join("src/gates/native");
    println!("cargo:rerun-if-changed={}", gates.display());
    println!("cargo:rerun-if-changed={}", native.display());

    // The catalogue: gate.yaml of every gate folder, plus the shared files.
    let mut entries: Vec<(String, PathBuf)> = Vec::new();
    for name in ["gate.schema.json", "codes.yaml", "registry.classes.yaml"] {
        entries.push((name.to_string(), gates.join(name)));
    }
    for dir in sorted_dir(&gates) {
        let file = dir.join("gate.yaml");
        if dir.is_dir() && file.is_file() {
            println!("cargo:rerun-if-changed={}", file.display());
            let folder = dir.file_name().map(|n| n.to_string_lossy().to_string());
            entries.push((format!("{}/gate.yaml", folder.unwrap_or_default()), file));
        }
    }
    let mut src =
        String::from("/// `(path under gates/, text)` of every embedded catalogue file.\n");
    src.push_str("pub static BUILTIN_FILES: &[(&str, &str)] = &[\n");
    for (name, path) in &entries {
        let _ = writeln!(
            src,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    src.push_str("];\n");
    std::fs::write(out.join("catalogue.rs"), src).expect("write catalogue.rs");

    // Native gates: one module per file.
    let mut mods = String::new();
    let mut list = String::new();
    for file in sorted_dir(&native) {
        let Some(stem) = file.file_stem().map(|s| s.to_string_lossy().to_string()) else {
            continue;
        };
        if file.extension().is_none_or(|e| e != "rs") || stem == "mod" || stem == "common" {
            continue;
        }
        let _ = writeln!(
            mods,
            "#[path = {:?}]\nmod {stem};",
            file.display().to_string()
        );
        let _ = writeln!(list, "        &{stem}::GATE,");
    }
    let src = format!(
        "{mods}\n/// Every native gate, by the name gate files use (`native: NAME`).\n\
         pub fn registry() -> Vec<&'static dyn NativeGate> {{\n    vec![\n{list}    ]\n}}\n"
    );
    std::fs::write(out.join("natives.rs"), src).expect("write natives.rs");

    build_id(&manifest);
    commit_version(&manifest);
}

/// `DRIFTGATE_LONG_VERSION`, what `driftgate --version` prints after the
/// name: `0.1.0 (abc1234 2026-12-06)`, the commit the binary was built from
/// and its commit date. Asked of git (`git rev-parse`, `git log`) when the
/// crate is built from a git checkout that tracks this Cargo.toml; `unknown`
/// otherwise (a crate tarball, no git, or a tarball unpacked inside some
/// other repository, whose commit would be the wrong one).
/// `DRIFTGATE_BUILD_COMMIT` / `DRIFTGATE_BUILD_DATE` override both (e.g. a
/// packager building from an exported tree).
fn commit_version(manifest: &Path) {
    println!("cargo:rerun-if-env-changed=DRIFTGATE_BUILD_COMMIT");
    println!("cargo:rerun-if-env-changed=DRIFTGATE_BUILD_DATE");
    let git = |args: &[&str]| -> Option<String> {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(manifest)
            .args(args)
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (out.status.success() && !text.is_empty()).then_some(text)
    };
    let tracked = git(&["ls-files", "--error-unmatch", "--", "Cargo.toml"]).is_some();
    let (mut commit, mut date) = (None, None);
    if tracked {
        commit = git(&["rev-parse", "--short=7", "HEAD"]);
        date = git(&["log", "-1", "--format=%cd", "--date=short", "HEAD"]);
        // Rebuild when HEAD moves: HEAD itself (a checkout), the branch it
        // names (a commit) and packed refs. Paths from git, so a linked
        // worktree (`.git` is a file) works too.
        let mut watch = vec!["HEAD".to_string(), "packed-refs".to_string()];
        if let Some(head_ref) = git(&["symbolic-ref", "-q", "HEAD"]) {
            watch.push(head_ref);
        }
        for w in watch {
            // Only files that exist: cargo reruns a build script on every
            // build while a watched path is missing.
            let path = git(&["rev-parse", "--path-format=absolute", "--git-path", &w]);
            if let Some(p) = path.filter(|p| Path::new(p).exists()) {
                println!("cargo:rerun-if-changed={p}");
            }
        }
    }
    let pick = |var: &str, found: Option<String>| {
        std::env::var(var)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or(found)
            .unwrap_or_else(|| "unknown".to_string())
    };
    let commit = pick("DRIFTGATE_BUILD_COMMIT", commit);
    let date = pick("DRIFTGATE_BUILD_DATE", date);
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    println!("cargo:rustc-env=DRIFTGATE_LONG_VERSION={version} ({commit} {date})");
}

/// `DRIFTGATE_BUILD_ID`: a hash of the sources, the lock file and the
/// toolchain/profile, so the parse cache never serves an entry written by
/// another build of the same version (README, Parse cache).
fn build_id(manifest: &Path) {
    use std::hash::{Hash, Hasher};
    let src = manifest.join("src");
    println!("cargo:rerun-if-changed={}", src.display());
    println!(
        "cargo:rerun-if-changed={}",
        manifest.join("Cargo.lock").display()
    );
    let mut files = Vec::new();
    let mut stack = vec![src];
    while let Some(d) = stack.pop() {
        for p in sorted_dir(&d) {
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.push(manifest.join("Cargo.lock"));
    files.sort();
    // DefaultHasher::new() has fixed keys: the same inputs give the same id.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for f in &files {
        f.strip_prefix(manifest).unwrap_or(f).hash(&mut h);
        std::fs::read(f).unwrap_or_default().hash(&mut h);
    }
    for var in ["PROFILE", "TARGET", "RUSTC", "CARGO_PKG_VERSION"] {
        std::env::var(var).unwrap_or_default().hash(&mut h);
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    if let Ok(o) = std::process::Command::new(rustc).arg("-vV").output() {
        o.stdout.hash(&mut h);
    }
    println!("cargo:rustc-env=DRIFTGATE_BUILD_ID={:016x}", h.finish());
}

fn sorted_dir(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}
