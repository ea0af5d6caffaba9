//! D85 gate-registry-parity-lock, as the registry's script judges it (the
//! script's code is the spec):
//!
//! 1. Every gate id `surfaces/verify/drift-gate.sh` runs (its `echo -n
//!    "D<N>` lines) is an id of `ops/bindings/gate.registry.yaml`.
//! 2. Every gate that is neither retired nor inline names a `check_script`,
//!    and that file exists.
//! 3. `gate_count.total`, `.active` and `.retired` equal the counts of the
//!    `gates` list (retired = `retired: true`).
//! 4. Every such script starts a line with `# TRIAGE:` (the one-line
//!    instruction an operator reads when the gate fails).
//!
//! Beyond the script, a gate id registered twice is reported (declared in
//! the gate file).

use super::common::*;
use crate::findings::{Finding, RepoId};
use crate::gates::{GateContext, NativeGate};
use crate::model::registry::{flag, registry_gates, REGISTRY};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

pub struct RegistryParity;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: RegistryParity = RegistryParity;

const DRIFT_GATE: &str = "surfaces/verify/drift-gate.sh";

/// `(line, id)` of every `echo -n "D<N>` in drift-gate.sh, as the script's
/// `grep -oE 'echo -n "D[0-9]+'` finds them.
fn invoked_ids(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("echo -n \"D") {
            let after = &rest[at + "echo -n \"D".len()..];
            let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
            if !digits.is_empty() {
                out.push((i + 1, format!("D{digits}")));
            }
            rest = after;
        }
    }
    out
}

impl NativeGate for RegistryParity {
    fn name(&self) -> &'static str {
        "registry_parity"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let (Some(reg), Some(dg)) = (spine_doc(cx, REGISTRY), spine_doc(cx, DRIFT_GATE)) else {
            return Ok(Vec::new()); // required inputs: the engine skips
        };
        let mut out = Vec::new();
        let gates = match reg.value().and_then(|v| v.get("gates")) {
            Some(Value::Array(a)) => a.as_slice(),
            _ => &[],
        };
        let raw_id = |g: &Value| match g.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => "null".into(),
            Some(other) => other.to_string(),
        };
        let registered: HashSet<String> = gates.iter().map(raw_id).collect();

        // 1. drift-gate.sh ids are registered.
        let mut seen = HashSet::new();
        for (line, id) in invoked_ids(&dg.text) {
            if seen.insert(id.clone()) && !registered.contains(&id) {
                out.push(
                    cx.finding_at(
                        line_text_location(&dg, line),
                        format!("gate {id} is run by {DRIFT_GATE} but missing from {REGISTRY}"),
                    )
                    .with_subject(format!("gate:{id}")),
                );
            }
        }

        // 2 and 4. scripts exist and carry a `# TRIAGE:` line.
        for (i, g) in gates.iter().enumerate() {
            if flag(g, "retired") || flag(g, "inline") {
                continue;
            }
            let id = raw_id(g);
            let name = text(g.get("name")).unwrap_or_default();
            let who = if name.is_empty() { id.clone() } else { format!("{id} ({name})") };
            let script = text(g.get("check_script")).filter(|s| s != "null");
            let Some(script) = script else {
                out.push(
                    cx.finding(&reg, &format!("/gates/{i}"), format!("gate {who} has no check_script"))
                        .with_subject(format!("gate:{id}")),
                );
                continue;
            };
            let at = format!("/gates/{i}/check_script");
            if !cx.inputs.has(RepoId::Spine, &script) {
                out.push(
                    cx.finding(&reg, &at, format!("gate {who} names check_script {script}, which does not exist"))
                        .with_subject(format!("gate:{id}")),
                );
                continue;
            }
            let Some(doc) = cx.doc(RepoId::Spine, &script) else {
                continue; // outside the declared script globs: the engine reports it
            };
            if !doc.text.lines().any(|l| l.starts_with("# TRIAGE:")) {
                out.push(
                    cx.finding(&reg, &at, format!("gate {who}: its script {script} has no `# TRIAGE:` header line"))
                        .with_subject(format!("gate:{id}")),
                );
            }
        }

        // 3. declared counts.
        let total = gates.len();
        let retired = gates
            .iter()
            .filter(|g| matches!(g.get("retired"), Some(Value::Bool(true))))
            .count();
        let counts = reg.value().and_then(|v| v.get("gate_count"));
        for (key, want) in [("total", total), ("active", total - retired), ("retired", retired)] {
            let declared = counts.and_then(|c| c.get(key));
            let shown = match declared {
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => "null".into(),
            };
            if shown != want.to_string() {
                let ptr = if declared.is_some() {
                    format!("/gate_count/{key}")
                } else if counts.is_some() {
                    "/gate_count".to_string()
                } else {
                    "/gates".to_string()
                };
                out.push(
                    cx.finding(&reg, &ptr, format!("gate_count.{key} says {shown}, but the gates list has {want}"))
                        .with_subject(format!("gate_count:{key}")),
                );
            }
        }

        // Beyond the script: an id registered twice.
        let mut first: HashMap<String, usize> = HashMap::new();
        for g in registry_gates(&reg) {
            if let Some(prev) = first.get(&g.id) {
                let line = reg.location(&format!("/gates/{prev}")).line();
                out.push(
                    cx.finding(&reg, &g.ptr(), format!("gate id {} is registered twice (first at line {line})", g.id))
                        .with_subject(format!("gate:{}", g.id)),
                );
            } else {
                first.insert(g.id.clone(), g.index);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const DG: &str = "#!/usr/bin/env bash\necho -n \"D52 \"; bash d52.sh\necho -n \"D85 \"; bash d85.sh\necho -n \"D99 \"; bash d99.sh\n";

    fn reg(counts: &str) -> String {
        format!("{counts}gates:\n  - id: D52\n    name: udr6\n    check_script: surfaces/verify/d52.sh\n  - id: D85\n    name: registry-parity\n    check_script: surfaces/verify/d85.sh\n  - id: D7\n    name: old\n    retired: true\n    check_script: surfaces/verify/gone.sh\n  - id: D8\n    name: inside\n    inline: true\n")
    }

    #[test]
    fn what_the_script_checks() {
        let registry = reg("gate_count:\n  total: 4\n  active: 3\n  retired: 1\n");
        let files = [
            (REGISTRY, registry.as_str()),
            (DRIFT_GATE, DG),
            ("surfaces/verify/d52.sh", "#!/bin/bash\n# TRIAGE: fix the gateway docs.\n"),
            ("surfaces/verify/d85.sh", "#!/bin/bash\n# D85\n"),
        ];
        let f = findings(run_gate("D85", &files, None, None));
        let got: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            got,
            vec![
                "gate D99 is run by surfaces/verify/drift-gate.sh but missing from ops/bindings/gate.registry.yaml",
                "gate D85 (registry-parity): its script surfaces/verify/d85.sh has no `# TRIAGE:` header line",
            ]
        );
        assert_eq!(f[0].location.line(), 4);
    }

    #[test]
    fn counts_missing_scripts_and_duplicates() {
        let registry = format!(
            "{}  - id: D052\n    name: dup\n    check_script: surfaces/verify/d52.sh\n",
            reg("gate_count:\n  total: 9\n  active: 3\n  retired: 1\n")
        );
        let files = [
            (REGISTRY, registry.as_str()),
            (DRIFT_GATE, "echo -n \"D52 \"\n"),
            ("surfaces/verify/d52.sh", "# TRIAGE: x\n"),
        ];
        let f = findings(run_gate("D85", &files, None, None));
        let got: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            got,
            vec![
                "gate D85 (registry-parity) names check_script surfaces/verify/d85.sh, which does not exist",
                "gate_count.total says 9, but the gates list has 5",
                "gate_count.active says 3, but the gates list has 4",
                "gate id D52 is registered twice (first at line 6)",
            ]
        );
    }
}
