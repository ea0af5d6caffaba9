//! D323 dod-guard-closeout-lock: the registry's
//! `d323-dod-guard-closeout-lock.sh`, in-process. Both
//! `ops/bindings/wave.lifecycle.yaml` and
//! `ops/bindings/role.runtime.control.contract.yaml` set
//! `dod_guard.enforce_on_close: true` (the boolean) and list exactly the
//! required blocks verify_results, blocker_classification, cleanup_proof and
//! linkage in `dod_guard.required_blocks` (as sets); and `ops/commands/wave.sh`
//! contains each block name and `READY_FOR_ADOPTION` somewhere in its text.

use super::common::*;
use crate::documents::Document;
use crate::findings::{Finding, RepoId};
use crate::gates::{GateContext, NativeGate};
use serde_json::Value;
use std::collections::BTreeSet;

pub struct DodGuard;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: DodGuard = DodGuard;

const LIFECYCLE: &str = "ops/bindings/wave.lifecycle.yaml";
const ROLE: &str = "ops/bindings/role.runtime.control.contract.yaml";
const WAVE_SH: &str = "ops/commands/wave.sh";
const BLOCKS: [&str; 4] = [
    "verify_results",
    "blocker_classification",
    "cleanup_proof",
    "linkage",
];

/// The `dod_guard` mapping (empty when absent or not a mapping).
fn dod(doc: &Document) -> serde_json::Map<String, Value> {
    doc.value()
        .and_then(|v| v.get("dod_guard"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// `required_blocks` as a set of texts (a string counts as its characters,
/// as Python's `set()` of a string does).
fn blocks(d: &serde_json::Map<String, Value>) -> BTreeSet<String> {
    match d.get("required_blocks") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(Value::String(s)) => s.chars().map(|c| c.to_string()).collect(),
        _ => BTreeSet::new(),
    }
}

/// Pointer to the deepest of `dod_guard/<key>`, `dod_guard` or the root
/// that exists.
fn at(doc: &Document, key: &str) -> String {
    let deep = ptr(&["dod_guard", key]);
    let v = doc.value();
    if v.and_then(|v| v.pointer(&deep)).is_some() {
        deep
    } else if v.and_then(|v| v.get("dod_guard")).is_some() {
        ptr(&["dod_guard"])
    } else {
        String::new()
    }
}

impl NativeGate for DodGuard {
    fn name(&self) -> &'static str {
        "dod_guard"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let (Some(life), Some(role), Some(wave)) = (
            spine_doc(cx, LIFECYCLE),
            spine_doc(cx, ROLE),
            cx.doc(RepoId::Spine, WAVE_SH),
        ) else {
            return Err("a required input is missing".into());
        };
        let want: BTreeSet<String> = BLOCKS.iter().map(|s| s.to_string()).collect();
        let mut out = Vec::new();
        let (ld, rd) = (dod(&life), dod(&role));
        for (doc, d, label) in [(&life, &ld, "wave.lifecycle"), (&role, &rd, "role.runtime")] {
            if d.get("enforce_on_close") != Some(&Value::Bool(true)) {
                out.push(
                    cx.finding(
                        doc,
                        &at(doc, "enforce_on_close"),
                        format!("{label} dod_guard.enforce_on_close must be true"),
                    )
                    .with_subject(format!("{label}:dod_guard")),
                );
            }
            if blocks(d) != want {
                out.push(
                    cx.finding(
                        doc,
                        &at(doc, "required_blocks"),
                        format!(
                            "{label} dod_guard.required_blocks must be exactly {}",
                            BLOCKS.join(", ")
                        ),
                    )
                    .with_subject(format!("{label}:dod_guard")),
                );
            }
        }
        if blocks(&ld) != blocks(&rd) {
            out.push(
                cx.finding(
                    &role,
                    &at(&role, "required_blocks"),
                    "dod_guard.required_blocks differ between wave.lifecycle and role.runtime",
                )
                .with_subject("role.runtime:dod_guard"),
            );
        }
        for token in BLOCKS.iter().chain(["READY_FOR_ADOPTION"].iter()) {
            if !wave.text.contains(token) {
                out.push(
                    cx.finding(&wave, "", format!("{WAVE_SH} never mentions `{token}` (closeout must enforce it)"))
                        .with_subject(format!("file:{WAVE_SH}")),
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

    const GOOD: &str = "dod_guard:\n  enforce_on_close: true\n  required_blocks: [linkage, cleanup_proof, blocker_classification, verify_results]\n";
    const SH: &str = "#!/bin/sh\n# verify_results blocker_classification cleanup_proof linkage\necho READY_FOR_ADOPTION\n";

    #[test]
    fn aligned_contracts_pass() {
        let f = findings(run_gate("D323", &[(LIFECYCLE, GOOD), (ROLE, GOOD), (WAVE_SH, SH)], None, None));
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn drift_is_found() {
        let bad = "dod_guard:\n  enforce_on_close: \"true\"\n  required_blocks: [linkage]\n";
        let f = findings(run_gate(
            "D323",
            &[(LIFECYCLE, GOOD), (ROLE, bad), (WAVE_SH, "echo linkage\n")],
            None,
            None,
        ));
        // enforce, blocks, mismatch, 3 block tokens + READY_FOR_ADOPTION
        assert_eq!(f.len(), 7, "{:?}", summary(&f));
    }
}
