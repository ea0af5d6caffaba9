//! D289 loop-closeout-completeness-lock: the registry's
//! `d289-loop-closeout-completeness-lock.sh`, in-process, including the
//! `--self-check` of `ops/plugins/loops/bin/loop-closeout-finalize` it runs
//! (which only checks that its inputs exist and the contract parses).
//! - the contract `ops/bindings/loop.closeout.contract.yaml`, the finalize
//!   script (executable), ops/capabilities.yaml,
//!   ops/bindings/capability_map.yaml, ops/bindings/routing.dispatch.yaml and
//!   ops/plugins/MANIFEST.yaml exist;
//! - the contract sets validation.run_key_regex,
//!   validation.min_required_run_keys, fix_to_lock.p0_p1_severities,
//!   protected_lanes.loops, protected_lanes.gaps and
//!   closeout_receipts.directory (yq's `// ""`: absent, null, false and ""
//!   are unset; an empty list is set);
//! - capabilities, capability map and routing dispatch have a line
//!   `<blanks>loop.closeout.finalize:`; the plugin manifest mentions it;
//! - the self-check's inputs: mailroom/state/loop-scopes/,
//!   ops/bindings/operational.gaps.yaml, ops/commands/loops.sh and
//!   ops/lib/git-lock.sh exist.

use super::common::*;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use serde_json::Value;

pub struct LoopCloseout;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: LoopCloseout = LoopCloseout;

const CONTRACT: &str = "ops/bindings/loop.closeout.contract.yaml";
const SCRIPT: &str = "ops/plugins/loops/bin/loop-closeout-finalize";
const CAPS: &str = "ops/capabilities.yaml";
const MAP: &str = "ops/bindings/capability_map.yaml";
const DISPATCH: &str = "ops/bindings/routing.dispatch.yaml";
const MANIFEST: &str = "ops/plugins/MANIFEST.yaml";
const FIELDS: [&str; 6] = [
    "/validation/run_key_regex",
    "/validation/min_required_run_keys",
    "/fix_to_lock/p0_p1_severities",
    "/protected_lanes/loops",
    "/protected_lanes/gaps",
    "/closeout_receipts/directory",
];
const SELF_CHECK: [&str; 3] = [
    "ops/bindings/operational.gaps.yaml",
    "ops/commands/loops.sh",
    "ops/lib/git-lock.sh",
];

fn unset(v: Option<&Value>) -> bool {
    matches!(v, None | Some(Value::Null) | Some(Value::Bool(false)))
        || v.and_then(Value::as_str).is_some_and(str::is_empty)
}

impl NativeGate for LoopCloseout {
    fn name(&self) -> &'static str {
        "loop_closeout"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(contract) = spine_doc(cx, CONTRACT) else {
            return Err(format!("{CONTRACT} is missing"));
        };
        let mut out = Vec::new();
        let file = |p: &str, msg: String| {
            cx.finding_at(Location::file(RepoId::Spine, p), msg)
                .with_subject(format!("file:{p}"))
        };
        let has = |p: &str| cx.inputs.has(RepoId::Spine, p);
        for p in [SCRIPT, CAPS, MAP, DISPATCH, MANIFEST] {
            if !has(p) {
                out.push(file(p, format!("{p} is missing")));
            }
        }
        if !out.is_empty() {
            return Ok(out);
        }
        let executable = cx
            .inputs
            .workspace()
            .repo(RepoId::Spine)
            .is_some_and(|r| r.is_executable(SCRIPT));
        if !executable {
            out.push(file(SCRIPT, format!("{SCRIPT} is not executable")));
        }
        let v = contract.value();
        for f in FIELDS {
            if unset(v.and_then(|v| v.pointer(f))) {
                let name = f.trim_start_matches('/').replace('/', ".");
                out.push(
                    cx.finding(&contract, "", format!("the loop closeout contract does not set {name}"))
                        .with_subject(format!("file:{CONTRACT}")),
                );
            }
        }
        for p in [CAPS, MAP, DISPATCH] {
            let Some(doc) = cx.doc(RepoId::Spine, p) else {
                return Err(format!("{p} is not readable"));
            };
            let wired = doc.text.split('\n').any(|l| {
                l.trim_start_matches(|c: char| c.is_whitespace())
                    .starts_with("loop.closeout.finalize:")
            });
            if !wired {
                out.push(file(p, format!("{p} has no `loop.closeout.finalize:` entry")));
            }
        }
        let Some(manifest) = cx.doc(RepoId::Spine, MANIFEST) else {
            return Err(format!("{MANIFEST} is not readable"));
        };
        if !manifest.text.contains("loop.closeout.finalize") {
            out.push(file(MANIFEST, format!("{MANIFEST} does not list loop.closeout.finalize")));
        }
        let scopes = cx
            .inputs
            .workspace()
            .repo(RepoId::Spine)
            .is_some_and(|r| r.paths().any(|p| p.starts_with("mailroom/state/loop-scopes/")));
        if !scopes {
            out.push(file("mailroom/state/loop-scopes", "mailroom/state/loop-scopes/ is missing (loop.closeout.finalize --self-check needs it)".into()));
        }
        for p in SELF_CHECK {
            if !has(p) {
                out.push(file(p, format!("{p} is missing (loop.closeout.finalize --self-check needs it)")));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const C: &str = "version: 1\nvalidation:\n  run_key_regex: '^CAP-'\n  min_required_run_keys: 1\nfix_to_lock:\n  p0_p1_severities: [critical, high]\nprotected_lanes:\n  loops: []\n  gaps: [GAP-OP-1]\ncloseout_receipts:\n  directory: docs/planning/loop-closeouts\n";

    fn files(contract: &str) -> Vec<(&'static str, String)> {
        vec![
            (CONTRACT, contract.to_string()),
            (SCRIPT, "#!/bin/sh\n".into()),
            (CAPS, "capabilities:\n  loop.closeout.finalize:\n    safety: mutating\n".into()),
            (MAP, "  loop.closeout.finalize:\n    plugin: loops\n".into()),
            (DISPATCH, "routes:\n  loop.closeout.finalize: loops\n".into()),
            (MANIFEST, "plugins:\n  - name: loops\n    caps: [loop.closeout.finalize]\n".into()),
            ("mailroom/state/loop-scopes/A.scope.md", "x\n".into()),
            ("ops/bindings/operational.gaps.yaml", "gaps: []\n".into()),
            ("ops/commands/loops.sh", "#!/bin/sh\n".into()),
            ("ops/lib/git-lock.sh", "#!/bin/sh\n".into()),
        ]
    }

    #[test]
    fn contract_fields_and_wiring_are_checked() {
        let owned = files(&C.replace("  directory: docs/planning/loop-closeouts\n", "  directory: \"\"\n"));
        let refs: Vec<(&str, &str)> = owned.iter().map(|(a, b)| (*a, b.as_str())).collect();
        let f = findings(run_gate("D289", &refs, None, None));
        // not executable (test files are written 0644); directory unset
        assert_eq!(f.len(), 2, "{:?}", summary(&f));
    }
}
