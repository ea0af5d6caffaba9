//! D68 rag-canonical-only-gate: the registry's `d68-rag-canonical-only-gate.sh`,
//! in-process.
//! - `ops/plugins/rag/bin/rag` mentions each exclusion `_audits/`,
//!   `_archived/`, `_imported/`, `legacy/` and the `has_required_frontmatter`
//!   filter (plain text search, as the script's grep);
//! - no markdown file under docs/, ops/ or surfaces/ that the RAG manifest
//!   would take (front matter: first line `---`, a closing `---` within the
//!   first 80 lines, holding `status:`, `owner:` and `last_verified:`), and
//!   that the manifest's prefix exclusions do not already drop (docs/legacy/,
//!   docs/governance/_audits|_archived|_imported/, receipts/, mailroom/state/,
//!   fixtures/, `.archive` folders), lies on a non-canonical path (`_audits/`,
//!   `_archived/`, `_imported/` or `/legacy/` in it).

use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};

pub struct RagCanonical;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: RagCanonical = RagCanonical;

const RAG: &str = "ops/plugins/rag/bin/rag";
const EXCLUSIONS: [&str; 4] = ["_audits/", "_archived/", "_imported/", "legacy/"];
const ROOTS: [&str; 3] = ["docs/", "ops/", "surfaces/"];
const EXCLUDED_PREFIXES: [&str; 9] = [
    "docs/legacy/",
    "docs/governance/_audits/",
    "docs/governance/_archived/",
    "docs/governance/_imported/",
    "receipts/",
    "mailroom/state/",
    "fixtures/",
    ".git/",
    "node_modules/",
];
const DENY: [&str; 4] = ["_audits/", "_archived/", "_imported/", "/legacy/"];

fn excluded(rel: &str) -> bool {
    rel.contains("/.archive/")
        || rel.starts_with(".archive/")
        || rel.ends_with("/.archive")
        || EXCLUDED_PREFIXES.iter().any(|p| rel.starts_with(p))
}

/// The manifest's front-matter test (the script's `has_required_frontmatter`).
fn has_required_frontmatter(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().collect();
    if lines.first().map(|l| l.trim()) != Some("---") {
        return false;
    }
    let Some(end) = (1..lines.len().min(80)).find(|&i| lines[i].trim() == "---") else {
        return false;
    };
    let front = lines[..=end].join("\n");
    ["status:", "owner:", "last_verified:"]
        .iter()
        .all(|r| front.contains(r))
}

impl NativeGate for RagCanonical {
    fn name(&self) -> &'static str {
        "rag_canonical"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(rag) = cx.doc(RepoId::Spine, RAG) else {
            return Err(format!("{RAG} is missing"));
        };
        let mut out = Vec::new();
        for token in EXCLUSIONS.iter().chain(["has_required_frontmatter"].iter()) {
            if !rag.text.contains(token) {
                out.push(
                    cx.finding_at(
                        Location::file(RepoId::Spine, RAG),
                        format!("the RAG manifest builder never mentions `{token}` (a required exclusion or filter)"),
                    )
                    .with_subject(format!("file:{RAG}")),
                );
            }
        }
        for p in cx.inputs.paths(RepoId::Spine) {
            if !p.ends_with(".md") || !ROOTS.iter().any(|r| p.starts_with(r)) || excluded(p) {
                continue;
            }
            if !DENY.iter().any(|d| p.contains(d)) || !cx.sweeps(RepoId::Spine, p) {
                continue;
            }
            let Some(doc) = cx.doc(RepoId::Spine, p) else {
                continue;
            };
            if has_required_frontmatter(&doc.text) {
                out.push(
                    cx.finding_at(
                        doc.line_location(1),
                        format!("the RAG manifest would index {p}, a non-canonical (audit, archived, imported or legacy) doc"),
                    )
                    .with_subject(format!("file:{p}")),
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

    const FM: &str = "---\nstatus: reference\nowner: \"@ops\"\nlast_verified: 2026-11-01\n---\n# x\n";
    const RAG_OK: &str = "skip = ['_audits/', '_archived/', '_imported/', 'legacy/']\ndef has_required_frontmatter(p): ...\n";

    #[test]
    fn non_canonical_docs_with_front_matter_are_found() {
        let f = findings(run_gate(
            "D68",
            &[
                (RAG, RAG_OK),
                ("docs/brain/_imported/a.md", FM),
                ("docs/legacy/old.md", FM),
                ("ops/notes/legacy/b.md", FM),
                ("ops/notes/legacy/c.md", "# no front matter\n"),
                ("docs/governance/_audits/x.md", FM),
                ("docs/ok.md", FM),
            ],
            None,
            None,
        ));
        let s = summary(&f);
        assert_eq!(f.len(), 2, "{s:?}");
    }

    #[test]
    fn missing_exclusions_are_found() {
        let f = findings(run_gate("D68", &[(RAG, "def build(): pass\n")], None, None));
        assert_eq!(f.len(), 5, "{:?}", summary(&f));
        assert!(!has_required_frontmatter("---\nstatus: x\n---\n"));
    }
}
