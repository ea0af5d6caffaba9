//! D84 docs-index-registration-lock: the registry's
//! `d84-docs-index-registration-lock.sh`, in-process.
//! - Every `docs/governance/*.md` (top level only) is registered in
//!   `docs/governance/_index.yaml` `documents[].file`. As in the script, a
//!   doc counts as registered when its file name occurs *within* the base
//!   name of any entry (a fixed-string search over the list of base names).
//! - Every entry's `file` exists, resolved from docs/governance/ (`../`
//!   allowed). An entry without `file` reads as the text `null`, as yq
//!   prints it, and so never exists. Each distinct entry is judged once.

use super::common::*;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use serde_json::Value;
use std::collections::BTreeSet;

pub struct DocsIndex;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: DocsIndex = DocsIndex;

const INDEX: &str = "docs/governance/_index.yaml";
const DIR: &str = "docs/governance/";

/// `docs/governance/<f>` with `.` and `..` resolved; None when it leaves
/// the repository.
fn resolve(f: &str) -> Option<String> {
    let mut parts: Vec<&str> = vec!["docs", "governance"];
    for c in f.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

impl NativeGate for DocsIndex {
    fn name(&self) -> &'static str {
        "docs_index"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(doc) = spine_doc(cx, INDEX) else {
            return Ok(vec![missing_file(cx, INDEX, "governance docs cannot be checked")]);
        };
        let entries = items(doc.value(), "documents");
        // (entry text, pointer of its first occurrence), sorted and unique
        let mut raw: Vec<(String, String)> = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, e) in entries.iter().enumerate() {
            let i = i.to_string();
            let (f, pointer) = match e.get("file") {
                Some(v) if !v.is_null() => (
                    match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    },
                    ptr(&["documents", &i, "file"]),
                ),
                _ => ("null".to_string(), ptr(&["documents", &i])),
            };
            if f.is_empty() || !seen.insert(f.clone()) {
                continue;
            }
            raw.push((f, pointer));
        }
        let basenames: Vec<&str> = raw
            .iter()
            .map(|(f, _)| f.rsplit('/').next().unwrap_or(f))
            .collect();
        let mut out = Vec::new();
        for p in cx.inputs.paths(RepoId::Spine) {
            let Some(name) = p.strip_prefix(DIR) else {
                continue;
            };
            if name.contains('/') || !name.ends_with(".md") {
                continue;
            }
            if !basenames.iter().any(|b| b.contains(name)) {
                out.push(
                    cx.finding_at(
                        Location::file(RepoId::Spine, p),
                        format!("governance doc `{name}` is not registered in {INDEX}"),
                    )
                    .with_subject(format!("file:{p}")),
                );
            }
        }
        for (f, pointer) in &raw {
            let exists = resolve(f).is_some_and(|r| cx.inputs.has(RepoId::Spine, &r));
            if !exists {
                out.push(
                    cx.finding(
                        &doc,
                        pointer,
                        format!("indexed file `{f}` does not exist (resolved from docs/governance/)"),
                    )
                    .with_subject(format!("index:{f}")),
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
    fn unregistered_and_phantom_entries_are_found() {
        let idx = "documents:\n  - file: A.md\n  - file: ../core/C.md\n  - file: GONE.md\n  - purpose: no file\n  - file: XB.md\n";
        let f = findings(run_gate(
            "D84",
            &[
                (INDEX, idx),
                ("docs/governance/A.md", "a\n"),
                ("docs/governance/B.md", "b\n"), // registered: `B.md` occurs in `XB.md`
                ("docs/governance/XB.md", "x\n"),
                ("docs/governance/NEW.md", "n\n"),
                ("docs/governance/sub/D.md", "d\n"),
                ("docs/core/C.md", "c\n"),
            ],
            None,
            None,
        ));
        let s = summary(&f);
        assert_eq!(f.len(), 3, "{s:?}");
        assert!(s[0].3.contains("`NEW.md` is not registered"));
        assert!(s.iter().any(|x| x.3.contains("`GONE.md` does not exist") && x.1 == 4));
        assert!(s.iter().any(|x| x.3.contains("`null` does not exist") && x.1 == 5));
    }

    #[test]
    fn resolve_handles_parent_dirs() {
        assert_eq!(resolve("../core/X.md").as_deref(), Some("docs/core/X.md"));
        assert_eq!(resolve("../../../x"), None);
    }
}
