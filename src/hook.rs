//! `driftgate hook install | uninstall`: a git pre-commit hook running
//! `driftgate check --staged --new-since HEAD` (what the commit introduces,
//! plus touch-and-fix findings of the files it touches: the same policy as
//! CI's `--new-since <merge base>`). An existing hook is kept and chained
//! (run first); `--force` replaces it instead.

use std::path::{Path, PathBuf};

const MARKER: &str = "# driftgate pre-commit hook";
const CHAINED: &str = "pre-commit.driftgate-chained";

/// The hook's command after `driftgate`: the staged snapshot judged against
/// HEAD. Also the entry of the pre-commit framework's staged hook ids.
pub const CHECK: &str = "check --staged --new-since HEAD --affected-only --format short";

/// The hooks directory git runs for the repo containing `dir`, asked of git
/// itself (`git rev-parse --git-path hooks`): it honours `core.hooksPath`
/// and resolves a linked worktree to the common directory, where a
/// `.git/worktrees/X/hooks` directory would be written but never run.
fn hooks_dir(dir: &Path) -> Result<PathBuf, String> {
    let out = crate::workspace::git::run_git(
        dir,
        &["rev-parse", "--path-format=absolute", "--git-path", "hooks"],
        &[],
    )
    .map_err(|e| format!("{}: not in a git repository ({e})", dir.display()))?;
    let text = String::from_utf8_lossy(&out).trim().to_string();
    if text.is_empty() {
        return Err(format!("{}: git named no hooks directory", dir.display()));
    }
    let p = PathBuf::from(text);
    Ok(if p.is_absolute() { p } else { dir.join(p) })
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The hook script. `exe` is the driftgate binary to call (absolute path of
/// the installing binary, so the hook works without PATH changes).
pub fn script(exe: &str, extra_args: &[String]) -> String {
    let args: String = extra_args
        .iter()
        .map(|a| format!(" {}", shell_quote(a)))
        .collect();
    format!(
        "#!/bin/sh\n{MARKER} (installed by `driftgate hook install`; remove with `driftgate hook uninstall`)\n\
         # A hook that existed before is kept as {CHAINED} and runs first.\n\
         hooks=$(dirname \"$0\")\n\
         if [ -x \"$hooks/{CHAINED}\" ]; then\n  \"$hooks/{CHAINED}\" \"$@\" || exit $?\nfi\n\
         DRIFTGATE=${{DRIFTGATE_BIN:-{exe}}}\n\
         if ! command -v \"$DRIFTGATE\" >/dev/null 2>&1 && [ ! -x \"$DRIFTGATE\" ]; then\n  DRIFTGATE=driftgate\nfi\n\
         exec \"$DRIFTGATE\" {CHECK}{args}\n",
        exe = shell_quote(exe)
    )
}

fn is_ours(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.contains(MARKER))
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<(), String> {
    Ok(())
}

/// Installs the hook calling the driftgate binary `exe` (the command line
/// passes its own path); returns a sentence saying what was done.
pub fn install(
    dir: &Path,
    force: bool,
    exe: &str,
    extra_args: &[String],
) -> Result<String, String> {
    let hooks = hooks_dir(dir)?;
    std::fs::create_dir_all(&hooks).map_err(|e| format!("{}: {e}", hooks.display()))?;
    let hook = hooks.join("pre-commit");
    let mut said = String::new();
    if hook.exists() && !is_ours(&hook) {
        if force {
            said = "replaced the existing pre-commit hook".into();
        } else {
            let chained = hooks.join(CHAINED);
            if chained.exists() {
                return Err(format!(
                    "{} exists and {} exists too; refusing to overwrite either (use --force to replace the hook)",
                    hook.display(),
                    chained.display()
                ));
            }
            std::fs::rename(&hook, &chained).map_err(|e| format!("{}: {e}", hook.display()))?;
            said = format!("kept the existing hook as {CHAINED}; it runs first");
        }
    }
    std::fs::write(&hook, script(exe, extra_args))
        .map_err(|e| format!("{}: {e}", hook.display()))?;
    make_executable(&hook)?;
    let mut msg = format!("installed {}", hook.display());
    if !said.is_empty() {
        msg.push_str(&format!(" ({said})"));
    }
    Ok(msg)
}

/// Removes our hook and restores a chained one.
pub fn uninstall(dir: &Path) -> Result<String, String> {
    let hooks = hooks_dir(dir)?;
    let hook = hooks.join("pre-commit");
    if !hook.exists() || !is_ours(&hook) {
        return Err(format!(
            "{} is not a driftgate hook; nothing removed",
            hook.display()
        ));
    }
    std::fs::remove_file(&hook).map_err(|e| format!("{}: {e}", hook.display()))?;
    let chained = hooks.join(CHAINED);
    if chained.exists() {
        std::fs::rename(&chained, &hook).map_err(|e| format!("{}: {e}", chained.display()))?;
        return Ok(format!(
            "removed the driftgate hook and restored the previous {}",
            hook.display()
        ));
    }
    Ok(format!("removed {}", hook.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_quotes_paths_and_runs_staged() {
        let s = script("/opt/my tools/driftgate", &["--no-exec".into()]);
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(s.contains("'/opt/my tools/driftgate'"));
        assert!(s.contains(
            "check --staged --new-since HEAD --affected-only --format short '--no-exec'"
        ));
        assert!(s.contains(MARKER));
    }
}
