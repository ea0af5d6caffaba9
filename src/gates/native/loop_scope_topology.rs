//! D330 execution-topology-enforcement, as the registry's script judges it:
//!
//! 1. `ops/bindings/planning.horizon.contract.yaml` declares at least two
//!    `execution_modes` (yq's `length`: list items, map keys, or a string's
//!    characters), a `default_execution_mode` and
//!    `scope_fields.execution_mode.type` (yq prints `null` for a missing
//!    value, which fails);
//! 2. the loop scope template `ops/plugins/lifecycle/templates/loop-scope.template.md`,
//!    when it exists, mentions `execution_mode:`;
//! 3. `mailroom/state/loop-scopes/` exists, and every `*.scope.md` directly
//!    in it whose status is `active`, `open` or `draft` declares
//!    `execution_mode:` — both read from the lines the script's
//!    `sed -n '/^---$/,/^---$/p'` prints (every `---`…`---` block, not only
//!    the first): the status is the second whitespace field of the first
//!    line starting `status:`.

use super::common::*;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use serde_json::Value;

pub struct LoopScopeTopology;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: LoopScopeTopology = LoopScopeTopology;

const CONTRACT: &str = "ops/bindings/planning.horizon.contract.yaml";
const TEMPLATE: &str = "ops/plugins/lifecycle/templates/loop-scope.template.md";
const SCOPES: &str = "mailroom/state/loop-scopes/";

/// The lines `sed -n '/^---$/,/^---$/p'` prints, with their 1-based numbers:
/// a range opens on a `---` line and closes on the next `---` line after it.
fn sed_blocks(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut inside = false;
    for (i, line) in text.lines().enumerate() {
        if inside {
            out.push((i + 1, line));
            if line == "---" {
                inside = false;
            }
        } else if line == "---" {
            inside = true;
            out.push((i + 1, line));
        }
    }
    out
}

/// yq's `length`: items of a list, keys of a map, characters of a string,
/// the absolute value of a number, 0 for null.
fn yq_length(v: Option<&Value>) -> i64 {
    match v {
        None | Some(Value::Null) => 0,
        Some(Value::Array(a)) => a.len() as i64,
        Some(Value::Object(m)) => m.len() as i64,
        Some(Value::String(s)) => s.chars().count() as i64,
        Some(Value::Number(n)) => n.as_f64().map_or(0, |f| f.abs() as i64),
        Some(Value::Bool(_)) => 0,
    }
}

/// yq's text for a scalar lookup (`null` when missing).
fn yq_is_null(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s == "null",
        _ => false,
    }
}

impl NativeGate for LoopScopeTopology {
    fn name(&self) -> &'static str {
        "loop_scope_topology"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let mut out = Vec::new();
        let subject = format!("file:{CONTRACT}");

        // 1. The contract (a required input: without it the gate is skipped).
        if let Some(doc) = spine_doc(cx, CONTRACT) {
            let root = doc.value();
            let get = |k: &str| root.and_then(|r| r.get(k));
            let modes = yq_length(get("execution_modes"));
            if modes < 2 {
                let ptr = if get("execution_modes").is_some() {
                    "/execution_modes"
                } else {
                    ""
                };
                out.push(
                    cx.finding(
                        &doc,
                        ptr,
                        format!("the contract must declare at least 2 execution_modes (it has {modes})"),
                    )
                    .with_subject(subject.clone()),
                );
            }
            if yq_is_null(get("default_execution_mode")) {
                out.push(
                    cx.finding(&doc, "", "the contract has no default_execution_mode")
                        .with_subject(subject.clone()),
                );
            }
            let field_type = get("scope_fields")
                .and_then(|s| s.get("execution_mode"))
                .and_then(|e| e.get("type"));
            if yq_is_null(field_type) {
                let ptr = if get("scope_fields").is_some() {
                    "/scope_fields"
                } else {
                    ""
                };
                out.push(
                    cx.finding(
                        &doc,
                        ptr,
                        "scope_fields has no execution_mode definition (execution_mode.type)",
                    )
                    .with_subject(subject.clone()),
                );
            }
        }

        // 2. The template, when present.
        if let Some(t) = spine_doc(cx, TEMPLATE) {
            if !t.text.lines().any(|l| l.contains("execution_mode:")) {
                out.push(
                    cx.finding_at(
                        Location::at(t.repo, &t.path, t.lines().line_span(1)),
                        "the loop scope template has no execution_mode: field",
                    )
                    .with_subject(format!("file:{TEMPLATE}")),
                );
            }
        }

        // 3. The scopes.
        let paths = cx.inputs.paths(RepoId::Spine);
        if !paths.iter().any(|p| p.starts_with(SCOPES)) {
            out.push(
                cx.finding_at(
                    Location::file(RepoId::Spine, SCOPES.trim_end_matches('/')),
                    "the loop scopes directory mailroom/state/loop-scopes is missing",
                )
                .with_subject("file:mailroom/state/loop-scopes".to_string()),
            );
            return Ok(out);
        }
        for path in paths {
            let Some(name) = path.strip_prefix(SCOPES) else {
                continue;
            };
            if name.contains('/') || !name.ends_with(".scope.md") || name.starts_with('.') {
                continue;
            }
            let Some(doc) = cx.doc(RepoId::Spine, path) else {
                continue;
            };
            let block = sed_blocks(&doc.text);
            let status = block
                .iter()
                .find(|(_, l)| l.starts_with("status:"))
                .and_then(|(_, l)| l.split_whitespace().nth(1));
            if !matches!(status, Some("active" | "open" | "draft")) {
                continue;
            }
            if block.iter().any(|(_, l)| l.starts_with("execution_mode:")) {
                continue;
            }
            let line = block
                .iter()
                .find(|(_, l)| l.starts_with("status:"))
                .map_or(1, |(n, _)| *n);
            out.push(
                cx.finding_at(
                    line_text_location(&doc, line),
                    format!(
                        "{} loop scope {name} has no execution_mode: in its front matter",
                        status.unwrap_or_default()
                    ),
                )
                .with_subject(format!("file:{path}")),
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const OK: &str = "execution_modes:\n  - id: single_worker\n  - id: orchestrator_subagents\ndefault_execution_mode: single_worker\nscope_fields:\n  execution_mode:\n    type: enum\n";

    #[test]
    fn sed_ranges_are_every_dash_block() {
        let t = "---\nstatus: closed\n---\n# x\n---\nstatus: active\n---\n";
        let lines: Vec<usize> = sed_blocks(t).iter().map(|x| x.0).collect();
        assert_eq!(lines, vec![1, 2, 3, 5, 6, 7]);
    }

    #[test]
    fn only_live_scopes_need_the_field() {
        let f = findings(run_gate(
            "D330",
            &[
                (CONTRACT, OK),
                (
                    "mailroom/state/loop-scopes/A.scope.md",
                    "---\nloop_id: A\nstatus: active\n---\n# A\n",
                ),
                (
                    "mailroom/state/loop-scopes/B.scope.md",
                    "---\nstatus: closed\n---\n",
                ),
                (
                    "mailroom/state/loop-scopes/C.scope.md",
                    "---\nstatus: draft\nexecution_mode: single_worker\n---\n",
                ),
                (
                    "mailroom/state/loop-scopes/D.scope.md",
                    "---\nstatus: \"open\"\n---\n",
                ),
                ("mailroom/state/loop-scopes/E.md", "---\nstatus: open\n---\n"),
            ],
            None,
            None,
        ));
        let got: Vec<(String, usize)> = f
            .iter()
            .map(|f| (f.location.path.clone(), f.location.line()))
            .collect();
        assert_eq!(
            got,
            vec![("mailroom/state/loop-scopes/A.scope.md".to_string(), 3)]
        );
    }

    #[test]
    fn a_thin_contract_and_no_scopes_dir_fail() {
        let f = findings(run_gate(
            "D330",
            &[(CONTRACT, "execution_modes: [one]\n")],
            None,
            None,
        ));
        assert_eq!(f.len(), 4, "{f:#?}");
    }
}
