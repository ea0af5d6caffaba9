//! D96 evidence-retention-policy-lock, as the registry's script judges
//! `ops/bindings/evidence.retention.policy.yaml` — by its text, line by line,
//! the way its grep and sed read it (not as YAML):
//!
//! 1. a line starting `version:`;
//! 2. each required retention class (session_receipts, ledger_entries,
//!    loop_scopes, gap_registry, proposals) has a line starting
//!    `  <class>:` (two spaces);
//! 3. the class's block — what `sed -n '/^  <class>:/,/^  [a-z]/p' | head -20`
//!    prints: from that line to the next line starting with two spaces and
//!    a lowercase letter, inclusive, every such range, first 20 lines —
//!    mentions `retention_days:`, `purge_eligible:` and `sensitivity:`;
//! 4. when the block's first `purge_eligible:` line ends in `true` (the text
//!    after its last `: `), its first `purge_requires:` line has a value
//!    other than empty or `null`;
//! 5. lines starting `export:` and `enforcement:`;
//! 6. the spine has a `receipts/` directory and
//!    `docs/product/AOF_EVIDENCE_RETENTION_EXPORT.md`.

use super::common::*;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};

pub struct EvidenceRetention;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: EvidenceRetention = EvidenceRetention;

const POLICY: &str = "ops/bindings/evidence.retention.policy.yaml";
const PRODUCT_DOC: &str = "docs/product/AOF_EVIDENCE_RETENTION_EXPORT.md";
const CLASSES: [&str; 5] = [
    "session_receipts",
    "ledger_entries",
    "loop_scopes",
    "gap_registry",
    "proposals",
];

/// `^  [a-z]`
fn sibling(line: &str) -> bool {
    line.strip_prefix("  ")
        .and_then(|r| r.chars().next())
        .is_some_and(|c| c.is_ascii_lowercase())
}

/// The lines (1-based number, text) sed's range `/^  class:/,/^  [a-z]/`
/// prints, cut to the first 20 as `head -20` does.
fn block<'t>(text: &'t str, class: &str) -> Vec<(usize, &'t str)> {
    let start = format!("  {class}:");
    let mut out = Vec::new();
    let mut inside = false;
    for (i, line) in text.lines().enumerate() {
        if inside {
            out.push((i + 1, line));
            if sibling(line) {
                inside = false;
            }
        } else if line.starts_with(&start) {
            inside = true;
            out.push((i + 1, line));
        }
        if out.len() >= 20 {
            break;
        }
    }
    out
}

/// `sed 's/.*: *//'`: the text after the last `:` and the spaces after it
/// (sed's `.*` is greedy).
fn after_last_colon(line: &str) -> &str {
    match line.rfind(':') {
        Some(i) => line[i + 1..].trim_start_matches(' '),
        None => line,
    }
}

impl NativeGate for EvidenceRetention {
    fn name(&self) -> &'static str {
        "evidence_retention"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let mut out = Vec::new();
        let subject = format!("file:{POLICY}");
        // A required input: without it the gate is skipped.
        let Some(doc) = spine_doc(cx, POLICY) else {
            return Ok(out);
        };
        let text = &*doc.text;
        let at_line = |n: usize| line_text_location(&doc, n);
        let first = || Location::at(doc.repo, &doc.path, doc.lines().line_span(1));
        let has_line = |prefix: &str| text.lines().any(|l| l.starts_with(prefix));

        if !has_line("version:") {
            out.push(
                cx.finding_at(first(), "the policy has no top-level version: line")
                    .with_subject(subject.clone()),
            );
        }
        for class in CLASSES {
            let b = block(text, class);
            let Some(&(start, _)) = b.first() else {
                out.push(
                    cx.finding_at(
                        first(),
                        format!("retention class `{class}` is not declared (no `  {class}:` line)"),
                    )
                    .with_subject(format!("retention-class:{class}")),
                );
                continue;
            };
            for field in ["retention_days", "purge_eligible", "sensitivity"] {
                let needle = format!("{field}:");
                if !b.iter().any(|(_, l)| l.contains(&needle)) {
                    out.push(
                        cx.finding_at(
                            at_line(start),
                            format!("retention class `{class}` lacks {field}"),
                        )
                        .with_subject(format!("retention-class:{class}")),
                    );
                }
            }
            let eligible = b
                .iter()
                .find(|(_, l)| l.contains("purge_eligible:"))
                .map(|(n, l)| (*n, after_last_colon(l)));
            if let Some((n, "true")) = eligible {
                let requires = b
                    .iter()
                    .find(|(_, l)| l.contains("purge_requires:"))
                    .map(|(_, l)| after_last_colon(l))
                    .unwrap_or_default();
                if requires.is_empty() || requires == "null" {
                    out.push(
                        cx.finding_at(
                            at_line(n),
                            format!("retention class `{class}` is purge-eligible but has no purge_requires rule"),
                        )
                        .with_subject(format!("retention-class:{class}")),
                    );
                }
            }
        }
        for section in ["export", "enforcement"] {
            if !has_line(&format!("{section}:")) {
                out.push(
                    cx.finding_at(first(), format!("the policy has no top-level {section}: section"))
                        .with_subject(subject.clone()),
                );
            }
        }
        // Existence probes (any path may be probed).
        let ws = cx.inputs.workspace();
        let receipts = ws
            .repo(RepoId::Spine)
            .is_some_and(|r| r.paths().any(|p| p.starts_with("receipts/")));
        if !receipts {
            out.push(super::common::file_finding(cx, "receipts", "the spine has no receipts/ directory"));
        }
        if !cx.inputs.has(RepoId::Spine, PRODUCT_DOC) {
            out.push(super::common::file_finding(cx, PRODUCT_DOC, format!("{PRODUCT_DOC} does not exist")));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    #[test]
    fn blocks_are_sed_ranges_cut_at_20_lines() {
        let t = "retention_classes:\n  a:\n    x: 1\n  b:\n    y: 2\n";
        let got: Vec<usize> = block(t, "a").iter().map(|x| x.0).collect();
        assert_eq!(got, vec![2, 3, 4]);
        assert_eq!(after_last_colon("    purge_eligible: true"), "true");
        assert_eq!(after_last_colon("    note: a: b"), "b");
        let long = format!("  a:\n{}", "    k: v\n".repeat(30));
        assert_eq!(block(&long, "a").len(), 20);
    }

    #[test]
    fn purge_needs_a_rule_and_docs_must_exist() {
        let policy = "version: 1\nretention_classes:\n  session_receipts:\n    retention_days: 14\n    purge_eligible: true\n    purge_requires: null\n    sensitivity: standard\n  ledger_entries:\n    retention_days: 1\n    purge_eligible: false\n    sensitivity: high\n  loop_scopes:\n    retention_days: 1\n    purge_eligible: false\n    sensitivity: high\n  gap_registry:\n    retention_days: 1\n    purge_eligible: false\n    sensitivity: high\n  proposals:\n    retention_days: 1\n    purge_eligible: false\nexport:\n  a: 1\nenforcement:\n  b: 2\n";
        let f = findings(run_gate(
            "D96",
            &[(POLICY, policy), ("receipts/x.yaml", "a: 1\n")],
            None,
            None,
        ));
        let got: Vec<(String, usize)> = f
            .iter()
            .map(|f| (f.location.path.clone(), f.location.line()))
            .collect();
        assert_eq!(
            got,
            vec![
                (POLICY.to_string(), 5),
                (POLICY.to_string(), 20),
                (PRODUCT_DOC.to_string(), 1)
            ],
            "{f:#?}"
        );
    }
}
