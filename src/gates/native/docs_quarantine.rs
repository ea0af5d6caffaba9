//! D16 docs-quarantine: the registry's `d16-docs-quarantine.sh`, in-process.
//! Three checks, each a finding:
//! - no `_imports/` directory at the spine root (a file under it);
//! - `docs/core/CANONICAL_DOCS.md` exists (a required input: without it the
//!   gate is skipped with the reason, where the script fails);
//! - no line of a file under `docs/` outside `docs/{core,legacy,governance,
//!   brain,planning}/` mentions `ronny-ops`, `LaunchAgents`, `launchd` or
//!   `.plist` (case-sensitive, as ripgrep's smart case is for this pattern).
//!   Like ripgrep, hidden files and directories (a path component starting
//!   with `.`) and binary files are not searched.

use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use regex::Regex;
use std::sync::OnceLock;

pub struct DocsQuarantine;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: DocsQuarantine = DocsQuarantine;

const QUARANTINED: [&str; 5] = [
    "docs/core/",
    "docs/legacy/",
    "docs/governance/",
    "docs/brain/",
    "docs/planning/",
];

fn marker() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"ronny-ops|LaunchAgents|launchd|\.plist").ok())
        .as_ref()
}

fn hidden(path: &str) -> bool {
    path.split('/').any(|c| c.starts_with('.'))
}

impl NativeGate for DocsQuarantine {
    fn name(&self) -> &'static str {
        "docs_quarantine"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let mut out = Vec::new();
        let paths = cx.inputs.paths(RepoId::Spine);
        if let Some(first) = paths.iter().find(|p| p.starts_with("_imports/")) {
            out.push(
                cx.finding_at(
                    Location::file(RepoId::Spine, *first),
                    "an `_imports/` directory exists at the spine root (quarantined imports belong under docs/legacy/_imports or .archive/_imports)",
                )
                .with_subject("dir:_imports"),
            );
        }
        let Some(re) = marker() else {
            return Err("the marker pattern does not compile".into());
        };
        for p in paths {
            if !p.starts_with("docs/") || hidden(p) || QUARANTINED.iter().any(|q| p.starts_with(q))
            {
                continue;
            }
            if !cx.sweeps(RepoId::Spine, p) {
                continue;
            }
            let Some(doc) = cx.doc(RepoId::Spine, p) else {
                continue;
            };
            for m in re.find_iter(&doc.text) {
                out.push(
                    cx.finding_at(
                        Location::at(RepoId::Spine, p, doc.span(m.start(), m.end())),
                        format!(
                            "`{}` (legacy ronny-ops/launchd coupling) in a doc outside docs/core, docs/legacy, docs/governance, docs/brain and docs/planning",
                            m.as_str()
                        ),
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

    const CANON: (&str, &str) = ("docs/core/CANONICAL_DOCS.md", "# canon\n");

    #[test]
    fn markers_outside_quarantine_and_imports_are_found() {
        let f = findings(run_gate(
            "D16",
            &[
                CANON,
                ("docs/ops/run.md", "start it\nvia launchd and a .plist file\n"),
                ("docs/legacy/old.md", "ronny-ops was here\n"),
                ("docs/.hidden/x.md", "ronny-ops\n"),
                ("docs/ops/case.md", "Launchd is fine (case differs)\n"),
                ("_imports/a.md", "x\n"),
            ],
            None,
            None,
        ));
        let s = summary(&f);
        assert_eq!(f.len(), 3, "{s:?}");
        assert!(s.iter().any(|x| x.0 == "_imports/a.md"));
        assert!(s.iter().any(|x| x.0 == "docs/ops/run.md" && x.1 == 2));
    }

    #[test]
    fn clean_docs_pass_and_missing_canon_skips() {
        let f = findings(run_gate("D16", &[CANON, ("docs/ops/a.md", "fine\n")], None, None));
        assert!(f.is_empty(), "{:?}", summary(&f));
        assert!(skip_reason("D16", &[("docs/ops/a.md", "fine\n")]).is_some());
    }
}
