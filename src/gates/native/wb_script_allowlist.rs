//! D79 workbench-script-allowlist-lock: every shell script on the
//! workbench's active surfaces is registered, and every registered script
//! exists. A port of the registry's `d79-workbench-script-allowlist-lock.sh`.
//!
//! `ops/bindings/workbench.script.allowlist.yaml` lists workbench paths
//! under `scripts`. The active surfaces are `scripts/root/`,
//! `scripts/agents/` and `dotfiles/raycast/`: every `*.sh` file under them
//! that is not inside an `archive/` or `.archive/` directory must be listed;
//! every listed path must be a file of the workbench. Entries compare as
//! text (a `null` entry is the path `null`, as yq prints it).

use super::common::*;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use serde_json::Value;
use std::collections::HashSet;

pub struct WbScriptAllowlist;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: WbScriptAllowlist = WbScriptAllowlist;

const BINDING: &str = "ops/bindings/workbench.script.allowlist.yaml";
const SURFACES: [&str; 3] = ["scripts/root/", "scripts/agents/", "dotfiles/raycast/"];

/// Is this workbench path a script the lock judges?
fn active_script(path: &str) -> bool {
    SURFACES.iter().any(|s| path.starts_with(s))
        && path.ends_with(".sh")
        && !path.contains("/archive/")
        && !path.contains("/.archive/")
        && !path.starts_with(".archive/")
}

impl NativeGate for WbScriptAllowlist {
    fn name(&self) -> &'static str {
        "wb_script_allowlist"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(doc) = spine_doc(cx, BINDING) else {
            return Ok(Vec::new()); // a required input: the engine skips
        };
        let listed: &[Value] = match doc.value().and_then(|v| v.get("scripts")) {
            Some(Value::Array(a)) => a,
            _ => &[],
        };
        let mut allowed: Vec<(String, usize)> = Vec::new();
        for (i, v) in listed.iter().enumerate() {
            let s = match v {
                Value::Null => "null".to_string(),
                other => text(Some(other)).unwrap_or_default(),
            };
            if !s.is_empty() {
                allowed.push((s, i));
            }
        }
        let names: HashSet<&str> = allowed.iter().map(|(s, _)| s.as_str()).collect();
        let mut out = Vec::new();
        for path in cx.inputs.paths(RepoId::Workbench) {
            if active_script(path) && !names.contains(path) {
                out.push(
                    cx.finding_at(
                        Location::file(RepoId::Workbench, path),
                        format!("workbench script {path} is not registered in {BINDING}"),
                    )
                    .with_subject(format!("workbench:{path}")),
                );
            }
        }
        let mut seen = HashSet::new();
        for (s, i) in &allowed {
            if !seen.insert(s.as_str()) {
                continue;
            }
            if !cx.inputs.has(RepoId::Workbench, s) {
                out.push(
                    cx.finding(
                        &doc,
                        &ptr(&["scripts", &i.to_string()]),
                        format!("allowlist entry {s} names no file of the workbench (stale entry)"),
                    )
                    .with_subject(format!("workbench:{s}")),
                );
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    #[test]
    fn unregistered_and_stale_scripts() {
        let files = [(
            BINDING,
            "scripts:\n  - scripts/root/sync.sh\n  - scripts/root/gone.sh\n  - dotfiles/raycast/open.sh\n",
        )];
        let wb: &[(&str, &str)] = &[
            ("scripts/root/sync.sh", "#!/bin/sh\n"),
            ("scripts/root/extra.sh", "#!/bin/sh\n"),
            ("scripts/root/archive/old.sh", "#!/bin/sh\n"),
            ("scripts/agents/.archive/older.sh", "#!/bin/sh\n"),
            ("scripts/other/free.sh", "#!/bin/sh\n"),
            ("dotfiles/raycast/open.sh", "#!/bin/sh\n"),
            ("dotfiles/raycast/notes.md", "x\n"),
        ];
        let f = findings(run_gate("D79", &files, Some(wb), None));
        let s = summary(&f);
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].3.contains("scripts/root/extra.sh is not registered"), "{s:?}");
        assert_eq!(s[1].1, 3);
        assert!(s[1].3.contains("scripts/root/gone.sh names no file"), "{s:?}");
    }

    #[test]
    fn needs_the_workbench() {
        let e = run_gate("D79", &[(BINDING, "scripts: []\n")], None, None).expect_err("skip");
        assert!(e.contains("workbench"), "{e}");
    }
}
