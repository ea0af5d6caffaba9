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
use super::{ExecSpec, GateMeta, Implementation};
use crate::findings::{CheckStatus, Finding, Location, RepoId, Severity};
use crate::model::registry::registry_gates;
use crate::vocab::{GateClass, GateSeverity, Ring};
use crate::workspace::Workspace;

pub use crate::model::registry::REGISTRY;

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
    for rg in registry_gates(&doc) {
        let at = doc.location(&rg.ptr());
        let text = |k: &str| rg.field(k);
        let (id, retired, inline, warn_only) = (rg.id.clone(), rg.retired, rg.inline, rg.warn_only);
        if let Some(gate) = cat.get_mut(&id) {
            // The registry's operational metadata wins.
            if let Some(s) = text("severity") {
                gate.meta.severity = GateSeverity::or_default(Some(&s));
            }
            if let Some(r) = text("ring") {
                gate.meta.ring = Ring::or_default(Some(&r));
            }
            if let Some(c) = text("category") {
                gate.meta.category = c;
            }
            if let Some(c) = text("gate_class") {
                gate.meta.gate_class = GateClass::parse(&c);
            }
            gate.meta.warn_only |= warn_only;
            gate.registry_at = Some(at.clone());
            if retired {
                gate.preset = Some(CheckStatus::Skipped("retired in the gate registry".into()));
            }
            continue;
        }
        let script = rg.check_script.clone();
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
            name: text("name").unwrap_or_default(),
            category: text("category").unwrap_or_default(),
            gate_class: GateClass::or_default(text("gate_class").as_deref()),
            severity: GateSeverity::or_default(text("severity").as_deref()),
            ring: Ring::or_default(text("ring").as_deref()),
            description: text("description").unwrap_or_default(),
            why: None,
            fix_hint: text("fix_hint"),
            differs_from_script: Vec::new(),
            script_history: Vec::new(),
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
