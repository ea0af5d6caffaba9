//! D276 fix-to-lock-closure-lock: every P0/P1 W60 finding that was fixed or
//! locked carries its closure evidence. A port of the registry's
//! `d276-fix-to-lock-closure-lock.sh`, reading both markdown files line by
//! line as the script's `awk -F'|'` and `read` do (no table parsing):
//! - docs/planning/W60_FINDING_TRUTH_MATRIX.md: a line starting with
//!   `| W60-F<digit>` is a finding; cells split at every `|`, trimmed of
//!   spaces and tabs; cell 1 is its id, cell 6 the severity, cell 7 the
//!   action. P0/P1 with `fix_now` or `lock_only` must be closed. None at all
//!   is a finding too (the matrix was emptied or reshaped).
//! - docs/planning/W60_FIX_TO_LOCK_MAPPING.md: every line whose first cell
//!   (trimmed) matches `^W60-F[0-9]+$` is a closure row: root_cause,
//!   regression_lock_id, owner, expiry_check and lock_evidence (cells 2–6)
//!   must be non-empty, and lock_evidence not `pending`, `tbd` or `TODO`. A
//!   last line without a newline is not read (as `while read`).
//! - every required finding has a closure row.

use super::common::*;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use std::collections::{BTreeMap, HashSet};

pub struct FixToLock;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: FixToLock = FixToLock;

const MATRIX: &str = "docs/planning/W60_FINDING_TRUTH_MATRIX.md";
const MAPPING: &str = "docs/planning/W60_FIX_TO_LOCK_MAPPING.md";

fn awk_trim(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t')
}

fn is_finding_id(s: &str) -> bool {
    s.strip_prefix("W60-F")
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Lines `while read` sees: all but an unterminated last one.
fn read_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.split('\n').collect();
    // The piece after the last newline: empty, or a line read cannot finish.
    lines.pop();
    lines
}

impl NativeGate for FixToLock {
    fn name(&self) -> &'static str {
        "fix_to_lock"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let (Some(matrix), Some(mapping)) = (spine_doc(cx, MATRIX), spine_doc(cx, MAPPING)) else {
            return Err(format!("{MATRIX} or {MAPPING} is missing"));
        };
        let mut out = Vec::new();
        // Required ids, sorted and unique (`sort -u`), with their first line.
        let mut required: BTreeMap<String, usize> = BTreeMap::new();
        for (i, line) in matrix.text.lines().enumerate() {
            let Some(rest) = line.strip_prefix("| W60-F") else {
                continue;
            };
            if !rest.starts_with(|c: char| c.is_ascii_digit()) {
                continue;
            }
            let f: Vec<&str> = line.split('|').collect();
            let cell = |n: usize| awk_trim(f.get(n).copied().unwrap_or(""));
            let (fid, sev, action) = (cell(1), cell(6), cell(7));
            if (sev == "P0" || sev == "P1") && (action == "fix_now" || action == "lock_only") {
                required.entry(fid.to_string()).or_insert(i + 1);
            }
        }
        if required.is_empty() {
            out.push(
                cx.finding_at(
                    Location::file(RepoId::Spine, MATRIX),
                    "the W60 matrix has no P0/P1 row with action fix_now or lock_only",
                )
                .with_subject(format!("file:{MATRIX}")),
            );
            return Ok(out);
        }
        let mut seen: HashSet<String> = HashSet::new();
        for (i, line) in read_lines(&mapping.text).into_iter().enumerate() {
            let mut f: Vec<&str> = line.splitn(8, '|').collect();
            f.resize(8, "");
            let cell = |n: usize| f[n].trim();
            let fid = cell(1);
            if !is_finding_id(fid) {
                continue;
            }
            seen.insert(fid.to_string());
            let at = || line_text_location(&mapping, i + 1);
            for (n, name) in [
                (2, "root_cause"),
                (3, "regression_lock_id"),
                (4, "owner"),
                (5, "expiry_check"),
                (6, "lock_evidence"),
            ] {
                if cell(n).is_empty() {
                    out.push(
                        cx.finding_at(at(), format!("{fid} has no {name}"))
                            .with_subject(format!("finding:{fid}")),
                    );
                }
            }
            let ev = cell(6);
            if matches!(ev, "pending" | "tbd" | "TODO") {
                out.push(
                    cx.finding_at(
                        at(),
                        format!("{fid}: lock_evidence `{ev}` is a placeholder, not a run key or command"),
                    )
                    .with_subject(format!("finding:{fid}")),
                );
            }
        }
        for (fid, line) in &required {
            if !seen.contains(fid) {
                out.push(
                    cx.finding_at(
                        line_text_location(&matrix, *line),
                        format!("{fid} (P0/P1, fixed or locked) has no row in {MAPPING}"),
                    )
                    .with_subject(format!("finding:{fid}")),
                );
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::{is_finding_id, read_lines};

    #[test]
    fn ids_and_lines_as_the_script_reads_them() {
        assert!(is_finding_id("W60-F003"));
        assert!(!is_finding_id("W60-F"));
        assert!(!is_finding_id("W60-F3 x"));
        assert_eq!(read_lines("a\nb\n"), vec!["a", "b"]);
        assert_eq!(read_lines("a\nb"), vec!["a"]);
    }
}
