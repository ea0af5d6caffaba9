//! D78 workbench-path-lock: no uppercase code directory and no legacy repo
//! name on the workbench's executable surfaces. A port of the registry's
//! `d78-workbench-path-lock.sh`, which runs `rg` over `scripts/` and
//! `dotfiles/` of the workbench.
//!
//! The files are those `rg` searches there: `*.sh`, `*.lua` and `*.json`
//! (check 2: `*.sh` and `*.lua`), not hidden (no path component starting
//! with `.`, which rg skips without `--hidden`), not under `archive/`,
//! `.archive/` or `.git/`. Per file, one finding per check:
//! 1. the absolute uppercase code directory `/Users/ronnyworks/Code/`
//!    anywhere (comments included);
//! 2. `$HOME/Code/` or `~/Code/` on a line that is not a comment (a line
//!    starting, after blanks, with `#` or `--`);
//! 3. `ronny-ops` on a line that is not a comment, except in the governance
//!    and compatibility scripts the script exempts by name.

use super::common::*;
use crate::findings::{Finding, RepoId};
use crate::gates::{GateContext, NativeGate};
use regex::Regex;
use std::sync::OnceLock;

pub struct WbPathLock;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: WbPathLock = WbPathLock;

const UPPER_ABS: &str = "/Users/ronnyworks/Code/";
const LEGACY: &str = "ronny-ops";

fn home_code() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(\$HOME|~)/Code/").expect("static regex"))
}

fn exempt() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"authority-trace\.sh|ci-runner-drift-check\.sh|install\.sh|ronny-ops-compat\.sh|legacy-freeze\.sh|legacy-thaw\.sh",
        )
        .expect("static regex")
    })
}

/// A file rg searches under scripts/ or dotfiles/ (extensions aside).
fn searched(path: &str) -> bool {
    (path.starts_with("scripts/") || path.starts_with("dotfiles/"))
        && !path.split('/').any(|c| c.starts_with('.') || c == "archive")
}

/// `grep -v '^\s*#' | grep -v '^\s*--'`.
fn comment(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('#') || t.starts_with("--")
}

/// 1-based line of the first line satisfying `hit`.
fn first_line(text: &str, hit: impl Fn(&str) -> bool) -> Option<usize> {
    text.split('\n').position(hit).map(|i| i + 1)
}

impl NativeGate for WbPathLock {
    fn name(&self) -> &'static str {
        "wb_path_lock"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let mut out = Vec::new();
        for path in cx.inputs.paths(RepoId::Workbench) {
            if !searched(path) {
                continue;
            }
            let (sh_lua, json) = (
                path.ends_with(".sh") || path.ends_with(".lua"),
                path.ends_with(".json"),
            );
            if !sh_lua && !json {
                continue;
            }
            let Some(doc) = cx.doc(RepoId::Workbench, path) else {
                continue;
            };
            if doc.format == crate::documents::Format::Opaque {
                continue; // rg skips binary files
            }
            let text: &str = &doc.text;
            let subject = format!("workbench:{path}");
            let mut report = |line: usize, msg: String| {
                out.push(
                    cx.finding_at(line_text_location(&doc, line), msg)
                        .with_subject(subject.clone()),
                );
            };
            if let Some(l) = first_line(text, |l| l.contains(UPPER_ABS)) {
                report(
                    l,
                    format!("workbench {path} names the uppercase code directory {UPPER_ABS} (use /Users/ronnyworks/code/)"),
                );
            }
            if sh_lua {
                if let Some(l) = first_line(text, |l| home_code().is_match(l) && !comment(l)) {
                    report(
                        l,
                        format!("workbench {path} uses an uppercase code directory under $HOME or ~ (`/Code/`; use `/code/`)"),
                    );
                }
            }
            if !exempt().is_match(path) {
                if let Some(l) = first_line(text, |l| l.contains(LEGACY) && !comment(l)) {
                    report(
                        l,
                        format!("workbench {path} still names the legacy repo `{LEGACY}` outside a comment"),
                    );
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;

    #[test]
    fn the_three_checks_per_file() {
        let wb: &[(&str, &str)] = &[
            ("scripts/root/a.sh", "#!/bin/sh\n# ~/Code/ in a comment\ncd /Users/ronnyworks/Code/x\n"),
            ("scripts/root/b.sh", "# ronny-ops was the old name\nX=$HOME/Code/y\necho ronny-ops\n"),
            ("scripts/root/install.sh", "echo ronny-ops\n"),
            ("dotfiles/raycast/c.json", "{\"p\": \"~/Code/z\"}\n"),
            ("dotfiles/hammerspoon/.hammerspoon/init.lua", "x = '/Users/ronnyworks/Code/'\n"),
            ("scripts/archive/old.sh", "echo ronny-ops\n"),
            ("scripts/root/notes.md", "/Users/ronnyworks/Code/\n"),
        ];
        let f = findings(run_gate("D78", &[("README.md", "x\n")], Some(wb), None));
        let s = summary(&f);
        assert_eq!(s.len(), 3, "{s:?}");
        assert_eq!((s[0].0.as_str(), s[0].1), ("scripts/root/a.sh", 3));
        assert_eq!((s[1].0.as_str(), s[1].1), ("scripts/root/b.sh", 2));
        assert_eq!((s[2].0.as_str(), s[2].1), ("scripts/root/b.sh", 3));
    }
}
