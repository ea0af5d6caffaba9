//! Import of the spine's own gate registry (`ops/bindings/gate.registry.yaml`):
//! every active gate runs, through the catalogue when driftgate has that id
//! (the registry's severity, ring and warn_only apply), else through its
//! `check_script` as an exec gate. Retired gates are reported as skipped, and
//! so are `inline` gates driftgate does not implement (they run inside
//! another gate's script).
//!
//! Words the registry schema does not allow never stop the import (the
//! schema check reports them): an unknown `severity` counts as `high` and an
//! unknown `ring` as `standard` (what a missing one means), an unknown
//! `gate_class` is kept as written (`GateClass::Other`).

use super::catalogue::{Catalogue, Gate};
use super::{normalize_id, ExecSpec, GateMeta, Implementation};
use crate::findings::{CheckStatus, Finding, Location, RepoId, Severity};
use crate::vocab::{GateClass, GateSeverity, Ring};
use crate::workspace::Workspace;
use serde_json::Value;

pub const REGISTRY: &str = "ops/bindings/gate.registry.yaml";

fn text(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(|x| match x {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    })
}

fn flag(v: &Value, k: &str) -> bool {
    match v.get(k) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

/// Should the registry be imported? `Some(x)` forces it; None: when present.
pub fn wanted(ws: &Workspace, setting: Option<bool>) -> bool {
    setting.unwrap_or_else(|| ws.spine().has(REGISTRY))
}

/// Merges the registry into the catalogue. Returns notes/problems.
pub fn import(ws: &Workspace, cat: &mut Catalogue) -> Vec<Finding> {
    let mut notes = Vec::new();
    let Some(doc) = ws.spine().doc(REGISTRY) else {
        notes.push(
            Finding::new(
                "config/registry",
                Severity::Warning,
                Location::file(RepoId::Spine, REGISTRY),
                format!("--registry was asked for, but the spine has no {REGISTRY}"),
            )
            .with_subject(format!("file:{REGISTRY}")),
        );
        return notes;
    };
    if doc.has_syntax_error() {
        return notes; // its parse finding says why
    }
    let Some(Value::Array(gates)) = doc.value().and_then(|v| v.get("gates")) else {
        return notes;
    };
    for (i, g) in gates.iter().enumerate() {
        let at = doc.location(&format!("/gates/{i}"));
        let Some(id) = g
            .get("id")
            .and_then(|v| {
                v.as_str()
                    .map(str::to_string)
                    .or_else(|| Some(v.to_string()))
            })
            .and_then(|s| normalize_id(&s))
        else {
            continue; // the registry schema reports bad ids
        };
        let retired = flag(g, "retired");
        let inline = flag(g, "inline");
        let warn_only = flag(g, "warn_only");
        if let Some(gate) = cat.get_mut(&id) {
            // The registry's operational metadata wins.
            if let Some(s) = text(g, "severity") {
                gate.meta.severity = GateSeverity::or_default(Some(&s));
            }
            if let Some(r) = text(g, "ring") {
                gate.meta.ring = Ring::or_default(Some(&r));
            }
            if let Some(c) = text(g, "category") {
                gate.meta.category = c;
            }
            if let Some(c) = text(g, "gate_class") {
                gate.meta.gate_class = GateClass::parse(&c);
            }
            gate.meta.warn_only |= warn_only;
            gate.registry_at = Some(at.clone());
            if retired {
                gate.preset = Some(CheckStatus::Skipped("retired in the gate registry".into()));
            }
            continue;
        }
        let script = text(g, "check_script");
        let preset = if retired {
            Some(CheckStatus::Skipped("retired in the gate registry".into()))
        } else if inline {
            Some(CheckStatus::Skipped(format!(
                "inline gate: runs inside {}",
                script.as_deref().unwrap_or("another gate's script")
            )))
        } else if script.is_none() {
            Some(CheckStatus::Errored(
                "no driftgate implementation and no check_script in the registry".into(),
            ))
        } else {
            None
        };
        let meta = GateMeta {
            id: id.clone(),
            name: text(g, "name").unwrap_or_default(),
            category: text(g, "category").unwrap_or_default(),
            gate_class: GateClass::or_default(text(g, "gate_class").as_deref()),
            severity: GateSeverity::or_default(text(g, "severity").as_deref()),
            ring: Ring::or_default(text(g, "ring").as_deref()),
            description: text(g, "description").unwrap_or_default(),
            why: None,
            fix_hint: text(g, "fix_hint"),
            inputs: Vec::new(),
            example: None,
            implementation: Implementation::Exec(ExecSpec {
                command: script.into_iter().collect(),
                timeout_sec: None,
            }),
            warn_only,
            origin: format!("spine:{REGISTRY}"),
        };
        cat.gates.push(Gate {
            meta,
            doc: None,
            defined_at: at.clone(),
            preset,
            registry_at: Some(at),
        });
    }
    cat.sort();
    notes
}
