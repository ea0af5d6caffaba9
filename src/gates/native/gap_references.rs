//! D284 gap-reference-integrity-lock: the registry's
//! `d284-gap-reference-integrity-lock.sh`, in-process. Every `GAP-OP-<n>`
//! mentioned in a loop scope (`mailroom/state/loop-scopes/*.scope.md`) or in
//! the two W60 closure docs under docs/planning/ is declared as a gap `id` in
//! `ops/bindings/operational.gaps.yaml` (ids that are exactly
//! `GAP-OP-<digits>` count). A register with no such id at all is a finding,
//! as the script fails then. Each undeclared id is reported once, at its
//! first mention.

use super::common::*;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use regex::Regex;
use std::collections::HashSet;
use std::sync::OnceLock;

pub struct GapReferences;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: GapReferences = GapReferences;

const GAPS: &str = "ops/bindings/operational.gaps.yaml";
const SCOPES: &str = "mailroom/state/loop-scopes/";
const W60: [&str; 2] = [
    "docs/planning/W60_FIX_TO_LOCK_MAPPING.md",
    "docs/planning/W60_SUPERVISOR_MASTER_RECEIPT.md",
];

fn gap_ref() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"GAP-OP-[0-9]+").ok()).as_ref()
}

fn declared_form(id: &str) -> bool {
    id.strip_prefix("GAP-OP-")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

impl NativeGate for GapReferences {
    fn name(&self) -> &'static str {
        "gap_references"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(gaps) = spine_doc(cx, GAPS) else {
            return Err(format!("{GAPS} is missing"));
        };
        let Some(re) = gap_ref() else {
            return Err("the gap reference pattern does not compile".into());
        };
        let declared: HashSet<String> = items(gaps.value(), "gaps")
            .iter()
            .filter_map(|g| g.get("id").and_then(|v| v.as_str()))
            .filter(|id| declared_form(id))
            .map(str::to_string)
            .collect();
        if declared.is_empty() {
            return Ok(vec![cx
                .finding(&gaps, "", format!("{GAPS} declares no GAP-OP-<n> gap id"))
                .with_subject(format!("file:{GAPS}"))]);
        }
        let mut files: Vec<String> = cx
            .inputs
            .paths(RepoId::Spine)
            .into_iter()
            .filter(|p| {
                p.strip_prefix(SCOPES).is_some_and(|n| {
                    !n.contains('/') && !n.starts_with('.') && n.ends_with(".scope.md")
                })
            })
            .map(str::to_string)
            .collect();
        files.extend(W60.iter().map(|s| s.to_string()));
        let mut reported = HashSet::new();
        let mut out = Vec::new();
        for p in &files {
            let Some(doc) = cx.doc(RepoId::Spine, p) else {
                continue;
            };
            for m in re.find_iter(&doc.text) {
                let id = m.as_str();
                if declared.contains(id) || !reported.insert(id.to_string()) {
                    continue;
                }
                out.push(
                    cx.finding_at(
                        Location::at(RepoId::Spine, p, doc.span(m.start(), m.end())),
                        format!("{id} is referenced here but not declared in {GAPS}"),
                    )
                    .with_subject(format!("gap:{id}")),
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
    fn undeclared_references_are_found_once() {
        let gaps = "gaps:\n  - id: GAP-OP-1\n  - id: GAP-OP-2\n  - id: GAP-OP-3x\n";
        let f = findings(run_gate(
            "D284",
            &[
                (GAPS, gaps),
                ("mailroom/state/loop-scopes/A.scope.md", "fixes GAP-OP-1 and GAP-OP-9\n"),
                ("mailroom/state/loop-scopes/B.scope.md", "GAP-OP-9 again, GAP-OP-3x\n"),
                ("mailroom/state/loop-scopes/notes.md", "GAP-OP-77\n"),
                (W60[0], "| GAP-OP-2 | D1 |\n| GAP-OP-40 | D2 |\n"),
            ],
            None,
            None,
        ));
        let s = summary(&f);
        // GAP-OP-9 once, GAP-OP-3 (from GAP-OP-3x), GAP-OP-40
        assert_eq!(f.len(), 3, "{s:?}");
        assert_eq!(s[0].0, "mailroom/state/loop-scopes/A.scope.md");
    }

    #[test]
    fn a_register_without_ids_fails() {
        let f = findings(run_gate("D284", &[(GAPS, "gaps: []\n")], None, None));
        assert_eq!(f.len(), 1);
    }
}
