//! D77 workbench-contract-lock: the workbench holds no stray launchd plists,
//! no runtime-like directories and no bare agent-tool launches. A port of
//! the registry's `d77-workbench-contract-lock.sh`.
//!
//! 1. Every `*.plist` file outside `archive/`, `.archive/` and `.git/` is one
//!    of the two allowed launchd templates.
//! 2. No directory named `mailroom`, `inbox`, `outbox`, `state` or `runs` at
//!    depth 1 or 2 (outside `.git/`, `.archive/`, `node_modules/`), and no
//!    top-level `logs/`. driftgate sees files, so a directory counts when it
//!    holds one (git keeps no empty directories either).
//! 3. No `*.sh` under `scripts/` or `dotfiles/raycast/` (outside `archive/`
//!    and `.archive/`; the approved launcher `spine_terminal_entry.sh` aside)
//!    has a non-comment line running `claude --`, `codex --` or `opencode --`
//!    (at the line start or after a blank).

use super::common::*;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use regex::Regex;
use std::collections::BTreeSet;
use std::sync::OnceLock;

pub struct WbContract;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: WbContract = WbContract;

const PLIST_ALLOW: [&str; 2] = [
    "dotfiles/macbook/launchd/com.ronny.agent-inbox.plist",
    "dotfiles/macbook/launchd/com.ronny.ha-sync-agent.plist",
];
const RUNTIME_DIRS: [&str; 5] = ["mailroom", "inbox", "outbox", "state", "runs"];
const LAUNCHER: &str = "spine_terminal_entry.sh";

fn bare_exec() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(^|\s)(claude|codex|opencode) --").expect("static regex"))
}

/// `-not -path '*/<dir>/*'` for each of `dirs` (on the path below the root).
fn under_any(path: &str, dirs: &[&str]) -> bool {
    let comps: Vec<&str> = path.split('/').collect();
    comps[..comps.len().saturating_sub(1)]
        .iter()
        .any(|c| dirs.contains(c))
}

impl NativeGate for WbContract {
    fn name(&self) -> &'static str {
        "wb_contract"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let mut out = Vec::new();
        let paths = cx.inputs.paths(RepoId::Workbench);
        let at = |p: &str| Location::file(RepoId::Workbench, p);
        // 1. plists
        for p in &paths {
            if p.ends_with(".plist")
                && !under_any(p, &[".archive", ".git", "archive"])
                && !PLIST_ALLOW.contains(p)
            {
                out.push(
                    cx.finding_at(at(p), format!("unexpected launchd plist in the workbench: {p}"))
                        .with_subject(format!("workbench:{p}")),
                );
            }
        }
        // 2. runtime-like directories (depth 1 or 2), and a top-level logs/
        let mut dirs: BTreeSet<(String, &str)> = BTreeSet::new();
        for p in &paths {
            let comps: Vec<&str> = p.split('/').collect();
            let parents = &comps[..comps.len().saturating_sub(1)];
            for (depth, c) in parents.iter().enumerate().take(2) {
                let dir = parents[..=depth].join("/");
                if RUNTIME_DIRS.contains(c)
                    && !parents[..=depth]
                        .iter()
                        .any(|x| [".git", ".archive", "node_modules"].contains(x))
                {
                    dirs.insert((dir, p));
                }
            }
            if parents.first() == Some(&"logs") {
                dirs.insert(("logs".to_string(), p));
            }
        }
        let mut reported = BTreeSet::new();
        for (dir, first) in dirs {
            if reported.insert(dir.clone()) {
                out.push(
                    cx.finding_at(
                        at(first),
                        format!("runtime-like directory in the workbench: {dir}/ (runtime state belongs under the spine's mailroom, not in the workbench)"),
                    )
                    .with_subject(format!("workbench:{dir}/")),
                );
            }
        }
        // 3. bare agent-tool launches
        for p in &paths {
            let scope = p.starts_with("scripts/") || p.starts_with("dotfiles/raycast/");
            if !scope
                || !p.ends_with(".sh")
                || under_any(p, &[".archive", "archive"])
                || p.ends_with(LAUNCHER)
            {
                continue;
            }
            let Some(doc) = cx.doc(RepoId::Workbench, p) else {
                continue;
            };
            let hit = doc.text.split('\n').position(|l| {
                bare_exec().is_match(l) && !l.trim_start().starts_with('#')
            });
            if let Some(i) = hit {
                out.push(
                    cx.finding_at(
                        line_text_location(&doc, i + 1),
                        format!("workbench script {p} launches an agent tool directly; go through {LAUNCHER}"),
                    )
                    .with_subject(format!("workbench:{p}")),
                );
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;

    #[test]
    fn plists_runtime_dirs_and_bare_launches() {
        let wb: &[(&str, &str)] = &[
            ("dotfiles/macbook/launchd/com.ronny.agent-inbox.plist", "<plist/>\n"),
            ("dotfiles/macbook/launchd/com.other.plist", "<plist/>\n"),
            ("dotfiles/archive/com.old.plist", "<plist/>\n"),
            ("infra/state/x.json", "{}\n"),
            ("state/y.txt", "y\n"),
            ("a/b/state/deep.txt", "too deep\n"),
            ("node_modules/runs/z.js", "z\n"),
            ("logs/run.log", "x\n"),
            ("scripts/root/go.sh", "# claude --help\n  codex --full-auto\n"),
            ("scripts/root/spine_terminal_entry.sh", "exec claude --resume\n"),
            ("dotfiles/raycast/ok.sh", "echo claude--x\n"),
        ];
        let f = findings(run_gate("D77", &[("README.md", "x\n")], Some(wb), None));
        let s: Vec<String> = summary(&f).into_iter().map(|r| r.3).collect();
        assert_eq!(s.len(), 5, "{s:?}");
        assert!(s.iter().any(|m| m.contains("com.other.plist")), "{s:?}");
        assert!(s.iter().any(|m| m.contains("directory in the workbench: infra/state/")), "{s:?}");
        assert!(s.iter().any(|m| m.contains("directory in the workbench: state/")), "{s:?}");
        assert!(s.iter().any(|m| m.contains("directory in the workbench: logs/")), "{s:?}");
        assert!(s.iter().any(|m| m.contains("scripts/root/go.sh launches")), "{s:?}");
    }
}
