//! D17 root-allowlist: the spine's top-level directories are only the
//! allowed ones. A port of the registry's `d17-root-allowlist.sh`: it lists
//! the visible directories at the spine root (`ls -d */`, so names starting
//! with `.` are not listed) and fails on any that is not bin, docs,
//! fixtures, infra, mailroom, ops, receipts or surfaces, and on any of the
//! forbidden agents, _imports, runs, scripts, lib, src.
//!
//! driftgate sees the directories that hold files of the snapshot (a
//! revision's tracked files; a work tree's tracked and untracked files), so
//! an empty directory, or one holding only git-ignored files, is not seen.

use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use std::collections::BTreeSet;

pub struct RootAllowlist;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: RootAllowlist = RootAllowlist;

const ALLOWED: &[&str] = &[
    "bin", "docs", "fixtures", "infra", "mailroom", "ops", "receipts", "surfaces",
];
const FORBIDDEN: &[&str] = &["agents", "_imports", "runs", "scripts", "lib", "src"];

impl NativeGate for RootAllowlist {
    fn name(&self) -> &'static str {
        "root_allowlist"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let dirs: BTreeSet<&str> = cx
            .inputs
            .paths(RepoId::Spine)
            .into_iter()
            .filter_map(|p| p.split_once('/').map(|(d, _)| d))
            .filter(|d| !d.starts_with('.'))
            .collect();
        let mut out = Vec::new();
        for d in dirs {
            let message = if FORBIDDEN.contains(&d) {
                format!("`{d}/` at the spine root is forbidden (quarantine or remove it)")
            } else if !ALLOWED.contains(&d) {
                format!(
                    "`{d}/` at the spine root is not one of the allowed directories ({})",
                    ALLOWED.join(", ")
                )
            } else {
                continue;
            };
            out.push(
                cx.finding_at(Location::file(RepoId::Spine, format!("{d}/")), message)
                    .with_subject(format!("dir:{d}")),
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;

    #[test]
    fn only_allowed_visible_root_directories_pass() {
        let ok = [
            ("ops/bindings/a.yaml", "a: 1\n"),
            ("docs/x.md", "# x\n"),
            (".archive/old/y.md", "# y\n"),
            ("README.md", "# r\n"),
        ];
        assert!(findings(run_gate("D17", &ok, None, None)).is_empty());
        let bad = [
            ("ops/bindings/a.yaml", "a: 1\n"),
            ("scripts/run.sh", "echo\n"),
            ("notes/todo.md", "# t\n"),
        ];
        let f = findings(run_gate("D17", &bad, None, None));
        let got: Vec<_> = f.iter().map(|f| f.location.path.as_str()).collect();
        assert_eq!(got, vec!["notes/", "scripts/"]);
        assert!(f[1].message.contains("forbidden"));
    }
}
