//! The class of every gate of the user's gate registry, kept as data:
//! `gates/registry.classes.yaml` (embedded; schema
//! `gates/registry.classes.schema.json`). A class says what the gate's
//! script reads, judged from the script and the plugin scripts it runs:
//!
//! - `static`: only files of the spine;
//! - `cross-repo`: also the workbench or legacy checkouts;
//! - `runtime`: the network, SSH, tailscale, docker, launchd/systemd,
//!   secrets, host files outside the checkouts, or git state beyond the
//!   files (branches, worktrees, remotes, status).
//!
//! ```yaml
//! schema_version: 1
//! spine_commit: a00cb7b7
//! gates:
//!   D4: {class: runtime, reads: [launchctl], note: "asks launchctl ..."}
//!   D18: {class: static, reads: []}
//! ```
//!
//! `check` skips registry exec gates of class `runtime` unless `--runtime`,
//! with the evidence as the reason. A registry gate the data does not know
//! falls back to its registry `gate_class`: `observational` is runtime.
//! Gates driftgate implements in-process are never skipped as runtime.

use super::catalogue::builtin_file;
use crate::documents::Document;
use crate::findings::RepoId;
use crate::vocab::GateClass;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Path of the data under `gates/`.
pub const CLASSES_FILE: &str = "registry.classes.yaml";
/// Path of its schema under `gates/`.
pub const CLASSES_SCHEMA: &str = "registry.classes.schema.json";

/// What a registry gate's script reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    Static,
    CrossRepo,
    Runtime,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Static => "static",
            Class::CrossRepo => "cross-repo",
            Class::Runtime => "runtime",
        }
    }
}

/// One gate's entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub class: Class,
    /// Evidence words (`ssh`, `curl`, `workbench`, …).
    #[serde(default)]
    pub reads: Vec<String>,
    /// Plugins (`ops/plugins/<name>`) whose scripts the gate runs.
    #[serde(default)]
    pub via: Vec<String>,
    /// A hand-checked entry's evidence in words.
    #[serde(default)]
    pub note: Option<String>,
}

impl Entry {
    /// The evidence in one line: `reads ssh, tailscale; runs the plugin infra; <note>`.
    pub fn evidence(&self) -> String {
        let mut parts = Vec::new();
        if !self.reads.is_empty() {
            parts.push(format!("reads {}", self.reads.join(", ")));
        }
        match self.via.len() {
            0 => {}
            1 => parts.push(format!("runs the plugin {}", self.via[0])),
            _ => parts.push(format!("runs the plugins {}", self.via.join(", "))),
        }
        if let Some(n) = &self.note {
            parts.push(n.clone());
        }
        if parts.is_empty() {
            "only spine files".to_string()
        } else {
            parts.join("; ")
        }
    }
}

/// The whole data file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Classes {
    pub schema_version: u32,
    /// The spine commit the classes were judged at.
    pub spine_commit: String,
    pub gates: BTreeMap<String, Entry>,
}

impl Classes {
    /// Parses the data (YAML). Errors say why.
    pub fn parse(text: &str) -> Result<Classes, String> {
        let doc = Document::parse(RepoId::Spine, CLASSES_FILE, text.as_bytes());
        if doc.has_syntax_error() {
            return Err(format!("{CLASSES_FILE} is not valid YAML"));
        }
        let v = doc
            .value()
            .cloned()
            .ok_or_else(|| format!("{CLASSES_FILE} is empty"))?;
        serde_json::from_value(v).map_err(|e| format!("{CLASSES_FILE}: {e}"))
    }

    /// The entry of a gate (`D69`, normalised ids).
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.gates.get(id)
    }
}

/// The embedded data (empty if it could not be read: the tests make sure
/// it can).
pub fn embedded() -> &'static Classes {
    static C: OnceLock<Classes> = OnceLock::new();
    C.get_or_init(|| {
        builtin_file(CLASSES_FILE)
            .and_then(|t| Classes::parse(t).ok())
            .unwrap_or_else(|| Classes {
                schema_version: 1,
                spine_commit: String::new(),
                gates: BTreeMap::new(),
            })
    })
}

/// How a registry gate is judged runtime, or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judged {
    /// The data knows the gate.
    Known(Class, String),
    /// Unknown to the data: by the registry's `gate_class`.
    Fallback { observational: bool },
}

impl Judged {
    pub fn is_runtime(&self) -> bool {
        match self {
            Judged::Known(c, _) => *c == Class::Runtime,
            Judged::Fallback { observational } => *observational,
        }
    }

    /// The class, when known.
    pub fn class(&self) -> Option<Class> {
        match self {
            Judged::Known(c, _) => Some(*c),
            Judged::Fallback { .. } => None,
        }
    }

    /// The evidence in words.
    pub fn evidence(&self, id: &str) -> String {
        match self {
            Judged::Known(_, e) => e.clone(),
            Judged::Fallback { observational: true } => format!(
                "gate_class observational in the registry (driftgate's registry classes do not list {id})"
            ),
            Judged::Fallback { observational: false } => {
                "not in driftgate's registry classes; its registry gate_class is not observational"
                    .to_string()
            }
        }
    }

    /// Why `check` skips it without `--runtime` (None: it is not runtime).
    pub fn skip_reason(&self, id: &str) -> Option<String> {
        self.is_runtime()
            .then(|| format!("runtime gate ({}); run with --runtime", self.evidence(id)))
    }
}

/// Judges a registry gate by the data, falling back on its `gate_class`.
pub fn judge(classes: &Classes, id: &str, gate_class: &GateClass) -> Judged {
    match classes.get(id) {
        Some(e) => Judged::Known(e.class, e.evidence()),
        None => Judged::Fallback {
            observational: *gate_class == GateClass::Observational,
        },
    }
}

/// Why `check` would skip this exec gate as runtime (None: it runs).
/// Registry gates are judged by the data (fallback: `gate_class`); other
/// exec gates (a spine's gate files) by their `gate_class` alone.
pub fn runtime_skip(g: &super::catalogue::Gate) -> Option<String> {
    let id = &g.meta.id;
    if g.registry_at.is_some() {
        judge(embedded(), id, &g.meta.gate_class).skip_reason(id)
    } else {
        (g.meta.gate_class == GateClass::Observational)
            .then(|| "runtime gate (gate_class observational); run with --runtime".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_data_parses_and_covers_the_spine_registry_size() {
        let text = builtin_file(CLASSES_FILE).expect("embedded");
        let c = Classes::parse(text).expect("parses");
        assert_eq!(c.schema_version, 1);
        assert!(c.gates.len() >= 373, "{}", c.gates.len());
        assert_eq!(embedded().gates.len(), c.gates.len());
    }

    #[test]
    fn the_embedded_data_is_valid_against_its_schema() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("gates");
        let schema: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(CLASSES_SCHEMA)).expect("schema"),
        )
        .expect("schema is JSON");
        let v = jsonschema::draft202012::options()
            .build(&schema)
            .expect("schema compiles");
        let text = builtin_file(CLASSES_FILE).expect("embedded");
        let doc = Document::parse(RepoId::Spine, CLASSES_FILE, text.as_bytes());
        let value = doc.value().expect("a document");
        let errors: Vec<String> = v
            .iter_errors(value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        // and the schema refuses what it should
        let bad = serde_json::json!({"schema_version": 1, "spine_commit": "abc1234",
            "gates": {"D1": {"class": "live", "reads": ["telepathy"]}}});
        assert!(v.iter_errors(&bad).count() >= 2);
    }

    #[test]
    fn evidence_and_reasons() {
        let c = Classes::parse(
            "schema_version: 1\nspine_commit: abc\ngates:\n  D4: {class: runtime, reads: [ssh, curl], via: [infra]}\n  D5: {class: static, reads: []}\n  D6: {class: cross-repo, reads: [workbench], note: reads a workbench doc}\n",
        )
        .expect("parses");
        let d4 = judge(&c, "D4", &GateClass::Invariant);
        assert_eq!(
            d4.skip_reason("D4").as_deref(),
            Some("runtime gate (reads ssh, curl; runs the plugin infra); run with --runtime")
        );
        // the data wins over an observational gate_class
        assert_eq!(
            judge(&c, "D5", &GateClass::Observational).skip_reason("D5"),
            None
        );
        assert_eq!(
            judge(&c, "D6", &GateClass::Invariant).evidence("D6"),
            "reads workbench; reads a workbench doc"
        );
        let unknown = judge(&c, "D900", &GateClass::Observational);
        assert_eq!(unknown.class(), None);
        assert!(unknown
            .skip_reason("D900")
            .is_some_and(|r| r.contains("observational") && r.contains("D900")));
        assert_eq!(
            judge(&c, "D901", &GateClass::Invariant).skip_reason("D901"),
            None
        );
    }

    #[test]
    fn unknown_fields_and_classes_are_errors() {
        assert!(Classes::parse(
            "schema_version: 1\nspine_commit: a\ngates:\n  D1: {class: live}\n"
        )
        .is_err());
        assert!(Classes::parse(
            "schema_version: 1\nspine_commit: a\ngates:\n  D1: {class: static, why: x}\n"
        )
        .is_err());
    }
}
