//! D93 tenant-storage-boundary-lock: the tenant storage contract declares
//! every storage boundary with its fields. A port of the registry's
//! `d93-tenant-storage-boundary-lock.sh`, which reads
//! `ops/bindings/tenant.storage.contract.yaml` as text, line by line:
//! top-level `version:`, `isolation_mode:` and `enforcement:` lines; a line
//! `  <boundary>:` (two spaces) for each of receipts, ledger,
//! mailroom_inbox, mailroom_outbox and loop_scopes; and in each boundary's
//! block — its line through the next line indented by two spaces and
//! starting with a lowercase letter (that line included, as `sed -n
//! '/start/,/end/p'` prints it), at most 20 lines — the text
//! `current_path:`, `tenant_path_template:` and `sensitivity:`. The product
//! doc docs/product/AOF_TENANT_STORAGE_MODEL.md must exist. A missing
//! contract is the one finding, as in the script.

use super::common::*;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};

pub struct TenantStorage;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: TenantStorage = TenantStorage;

const CONTRACT: &str = "ops/bindings/tenant.storage.contract.yaml";
const PRODUCT_DOC: &str = "docs/product/AOF_TENANT_STORAGE_MODEL.md";
const BOUNDARIES: [&str; 5] = [
    "receipts",
    "ledger",
    "mailroom_inbox",
    "mailroom_outbox",
    "loop_scopes",
];
const FIELDS: [&str; 3] = ["current_path", "tenant_path_template", "sensitivity"];

/// `sed -n "/^  b:/,/^  [a-z]/p" | head -<max>`: the printed lines (1-based
/// line numbers with their text). A range restarts when the start matches
/// again after it closed. (D95 reads its matrix the same way.)
pub(crate) fn block<'t>(lines: &[&'t str], start: &str, max: usize) -> Vec<(usize, &'t str)> {
    let mut out = Vec::new();
    let mut inside = false;
    for (i, l) in lines.iter().enumerate() {
        if inside {
            out.push((i + 1, *l));
            let b = l.as_bytes();
            if b.len() > 2 && l.starts_with("  ") && b[2].is_ascii_lowercase() {
                inside = false;
            }
        } else if l.starts_with(start) {
            out.push((i + 1, *l));
            inside = true;
        }
        if out.len() >= max {
            break;
        }
    }
    out
}

impl NativeGate for TenantStorage {
    fn name(&self) -> &'static str {
        "tenant_storage"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(doc) = spine_doc(cx, CONTRACT) else {
            return Ok(vec![missing_file(
                cx,
                CONTRACT,
                "the tenant storage boundaries are not declared",
            )]);
        };
        let lines: Vec<&str> = doc.text.lines().collect();
        let whole = || Location::file(RepoId::Spine, CONTRACT);
        let mut out = Vec::new();
        for (key, what) in [
            ("version:", "the contract has no top-level `version:`"),
            (
                "isolation_mode:",
                "the contract does not declare `isolation_mode:`",
            ),
        ] {
            if !lines.iter().any(|l| l.starts_with(key)) {
                out.push(
                    cx.finding_at(whole(), what)
                        .with_subject(format!("file:{CONTRACT}")),
                );
            }
        }
        for b in BOUNDARIES {
            let start = format!("  {b}:");
            let Some(first) = lines.iter().position(|l| l.starts_with(&start)) else {
                out.push(
                    cx.finding_at(
                        whole(),
                        format!("boundary `{b}` is not declared (no `  {b}:` line)"),
                    )
                    .with_subject(format!("boundary:{b}")),
                );
                continue;
            };
            let text: Vec<&str> = block(&lines, &start, 20).into_iter().map(|(_, l)| l).collect();
            for f in FIELDS {
                let needle = format!("{f}:");
                if !text.iter().any(|l| l.contains(&needle)) {
                    out.push(
                        cx.finding_at(
                            line_text_location(&doc, first + 1),
                            format!("boundary `{b}` has no `{f}:` in its block"),
                        )
                        .with_subject(format!("boundary:{b}")),
                    );
                }
            }
        }
        if !lines.iter().any(|l| l.starts_with("enforcement:")) {
            out.push(
                cx.finding_at(whole(), "the contract has no top-level `enforcement:` section")
                    .with_subject(format!("file:{CONTRACT}")),
            );
        }
        if !cx.inputs.has(RepoId::Spine, PRODUCT_DOC) {
            out.push(
                cx.finding_at(
                    Location::file(RepoId::Spine, PRODUCT_DOC),
                    format!("{PRODUCT_DOC} does not exist: the tenant storage model is undocumented"),
                )
                .with_subject(format!("file:{PRODUCT_DOC}")),
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::block;

    #[test]
    fn the_block_ends_at_the_next_two_space_key_inclusive() {
        let text = "boundaries:\n  receipts:\n    current_path: a\n  ledger:\n    sensitivity: x\n";
        let lines: Vec<&str> = text.lines().collect();
        let b: Vec<usize> = block(&lines, "  receipts:", 20).into_iter().map(|(n, _)| n).collect();
        assert_eq!(b, vec![2, 3, 4]);
        let b: Vec<usize> = block(&lines, "  ledger:", 20).into_iter().map(|(n, _)| n).collect();
        assert_eq!(b, vec![4, 5]);
    }
}
