//! D97 surface-readonly-contract-lock: the read-only surface contract
//! declares its surfaces, none with write access. A port of the registry's
//! `d97-surface-readonly-contract-lock.sh`, which reads
//! `ops/bindings/surface.readonly.contract.yaml` as text, line by line:
//! - top-level `version:` and `enforcement:` lines;
//! - a `  <name>:` line for spine_status, gap_reconciliation, loop_summary,
//!   rag_status and proposal_queue;
//! - every line containing `    access:`: the text after the last
//!   `access:` must not contain mutating, write or delete (any case);
//! - every line containing `    capability:` and not `null`: the value
//!   (as `version_compat::quoted_value`) followed by `:` must occur in
//!   ops/capabilities.yaml (as grep's pattern: `.` is any character);
//! - below `surfaces:` (until `enforcement:`), each surface — a line of two
//!   spaces and a lowercase letter ending in `:` — whose last `exists:` value
//!   is `false` has `gap:` in its block (see `tenant_storage::block`);
//! - docs/product/AOF_SURFACE_READONLY_CONTRACT.md exists.

use super::common::*;
use super::tenant_storage::block;
use super::version_compat::quoted_value;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use regex::RegexBuilder;

pub struct SurfaceReadonly;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: SurfaceReadonly = SurfaceReadonly;

const CONTRACT: &str = "ops/bindings/surface.readonly.contract.yaml";
const CAPABILITIES: &str = "ops/capabilities.yaml";
const PRODUCT_DOC: &str = "docs/product/AOF_SURFACE_READONLY_CONTRACT.md";
const SURFACES: [&str; 5] = [
    "spine_status",
    "gap_reconciliation",
    "loop_summary",
    "rag_status",
    "proposal_queue",
];

/// `^  [a-z].*:$`
fn surface_line(l: &str) -> bool {
    let b = l.as_bytes();
    b.len() > 3 && l.starts_with("  ") && b[2].is_ascii_lowercase() && l.ends_with(':')
}

/// A grep (BRE) pattern made of a name: `.` matches any character, the
/// rest literally.
fn grep_name(name: &str) -> String {
    name.split('.')
        .map(regex::escape)
        .collect::<Vec<_>>()
        .join(".")
}

impl NativeGate for SurfaceReadonly {
    fn name(&self) -> &'static str {
        "surface_readonly"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(doc) = spine_doc(cx, CONTRACT) else {
            return Err(format!("{CONTRACT} is missing"));
        };
        let caps = spine_doc(cx, CAPABILITIES);
        let lines: Vec<&str> = doc.text.lines().collect();
        let whole = || Location::file(RepoId::Spine, CONTRACT);
        let at = |i: usize| line_text_location(&doc, i + 1);
        let mut out = Vec::new();
        let mut push = |loc: Location, msg: String, subject: String| {
            out.push(cx.finding_at(loc, msg).with_subject(subject));
        };
        let file_subject = format!("file:{CONTRACT}");
        if !lines.iter().any(|l| l.starts_with("version:")) {
            push(whole(), "the contract has no top-level `version:`".into(), file_subject.clone());
        }
        for s in SURFACES {
            let start = format!("  {s}:");
            if !lines.iter().any(|l| l.starts_with(&start)) {
                push(
                    whole(),
                    format!("surface `{s}` is not declared (no `  {s}:` line)"),
                    format!("surface:{s}"),
                );
            }
        }
        let writes = RegexBuilder::new("mutating|write|delete")
            .case_insensitive(true)
            .build()
            .map_err(|e| e.to_string())?;
        for (i, l) in lines.iter().enumerate() {
            if !l.contains("    access:") {
                continue;
            }
            let value = l.rfind("access:").map_or("", |p| {
                l[p + "access:".len()..].trim_start_matches(' ')
            });
            if writes.is_match(value) {
                push(
                    at(i),
                    format!("a surface declares write access: `{value}`"),
                    file_subject.clone(),
                );
            }
        }
        for (i, l) in lines.iter().enumerate() {
            if !l.contains("    capability:") || l.contains("null") {
                continue;
            }
            let cap = quoted_value(l, "capability:");
            if cap.is_empty() || cap == "null" {
                continue;
            }
            let re = RegexBuilder::new(&format!("{}:", grep_name(&cap)))
                .build()
                .map_err(|e| e.to_string())?;
            let found = caps
                .as_ref()
                .is_some_and(|c| c.text.lines().any(|cl| re.is_match(cl)));
            if !found {
                push(
                    at(i),
                    format!("surface capability `{cap}` is not in {CAPABILITIES}"),
                    format!("capability:{cap}"),
                );
            }
        }
        // Surfaces that do not exist yet need a gap reference.
        let mut in_surfaces = false;
        let mut current: Option<(usize, String)> = None;
        let mut exists = String::new();
        let mut judge = |cur: &Option<(usize, String)>, exists: &str| {
            let Some((line, name)) = cur else { return };
            if exists != "false" {
                return;
            }
            let text = block(&lines, &format!("  {name}:"), 20);
            if !text.iter().any(|(_, l)| l.contains("gap:")) {
                push(
                    at(*line),
                    format!("surface `{name}` does not exist yet (exists: false) but names no gap"),
                    format!("surface:{name}"),
                );
            }
        };
        for (i, l) in lines.iter().enumerate() {
            if l.contains("surfaces:") && l.starts_with("surfaces:") {
                in_surfaces = true;
                continue;
            }
            if !in_surfaces {
                continue;
            }
            if surface_line(l) {
                judge(&current, &exists);
                let name = l.trim_start_matches(' ');
                let name = name.split(':').next().unwrap_or("").to_string();
                current = Some((i, name));
                exists.clear();
            }
            if let Some(p) = l.rfind("exists:") {
                if l.contains("exists:") {
                    exists = l[p + "exists:".len()..].trim_start_matches(' ').to_string();
                }
            }
            if l.starts_with("enforcement:") {
                in_surfaces = false;
            }
        }
        judge(&current, &exists);
        if !lines.iter().any(|l| l.starts_with("enforcement:")) {
            out.push(
                cx.finding_at(whole(), "the contract has no top-level `enforcement:` section")
                    .with_subject(file_subject.clone()),
            );
        }
        if !cx.inputs.has(RepoId::Spine, PRODUCT_DOC) {
            out.push(super::common::file_finding(cx, PRODUCT_DOC, format!("{PRODUCT_DOC} does not exist")));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::{grep_name, surface_line};

    #[test]
    fn lines_as_the_script_matches_them() {
        assert!(surface_line("  spine_status:"));
        assert!(!surface_line("  gate: D97"));
        assert!(!surface_line("    access: local"));
        assert!(regex::Regex::new(&grep_name("spine.status"))
            .expect("re")
            .is_match("spineXstatus"));
    }
}
