//! D183 inventory-intake-schema-lock: intake envelopes under
//! mailroom/outbox/intake follow their schema. A port of the registry's
//! `d183-inventory-intake-schema-lock.sh` (Python): every `*.yaml` file
//! directly in that directory
//! - is named `ITK-<8 digits>-(part|material)-<id>.yaml`;
//! - is a mapping with the fifteen envelope keys;
//! - has `intake_id` equal to its file stem, `class` part or material,
//!   `status` and `lifecycle_status` in the lifecycle vocabulary, a
//!   non-empty `item_id`, `evidence_refs` a list and `runtime_homes` and
//!   `required_homes` mappings.
//!
//! Values compare as Python's `str(value).strip()` does (`null` is the text
//! `None`). No envelopes (or no directory) is clean, as in the script.

use super::common::*;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use regex::Regex;
use serde_json::Value;

pub struct IntakeEnvelopes;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: IntakeEnvelopes = IntakeEnvelopes;

const DIR: &str = "mailroom/outbox/intake/";
const LIFECYCLE: [&str; 8] = [
    "approved", "active", "depleted", "draft", "proposed", "recorded", "retired", "rma",
];
const REQUIRED: [&str; 15] = [
    "intake_id",
    "class",
    "item_id",
    "status",
    "lifecycle_status",
    "owner_agent",
    "site",
    "location_id",
    "evidence_refs",
    "runbook_path",
    "touches_runtime",
    "runtime_homes",
    "required_homes",
    "created_at",
    "updated_at",
];

/// Python's `str(value)` for a YAML scalar (containers as JSON text).
pub(crate) fn pystr(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "None".into(),
        Some(Value::Bool(true)) => "True".into(),
        Some(Value::Bool(false)) => "False".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

impl NativeGate for IntakeEnvelopes {
    fn name(&self) -> &'static str {
        "intake_envelopes"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let name_re = Regex::new(r"^ITK-\d{8}-(part|material)-[a-z0-9][a-z0-9-]*\.yaml$")
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for p in cx.inputs.paths(RepoId::Spine) {
            let Some(name) = p.strip_prefix(DIR) else {
                continue;
            };
            if name.contains('/') || !name.ends_with(".yaml") {
                continue;
            }
            let whole = || Location::file(RepoId::Spine, p);
            let mut push = |loc: Location, msg: String| {
                out.push(
                    cx.finding_at(loc, format!("{name}: {msg}"))
                        .with_subject(format!("file:{p}")),
                );
            };
            if !name_re.is_match(name) {
                push(
                    whole(),
                    "file name must be ITK-<YYYYMMDD>-<part|material>-<id>.yaml".into(),
                );
            }
            let Some(doc) = spine_doc(cx, p) else {
                continue;
            };
            if doc.is_unusable() {
                push(whole(), "is not valid YAML (see its parse finding)".into());
                continue;
            }
            let root = match doc.value() {
                None | Some(Value::Null) => Value::Object(Default::default()),
                Some(v) => v.clone(),
            };
            let Some(map) = root.as_object() else {
                push(whole(), "the YAML root must be a mapping".into());
                continue;
            };
            let at = |key: &str| {
                if map.contains_key(key) {
                    doc.location(&ptr(&[key]))
                } else {
                    whole()
                }
            };
            for key in REQUIRED {
                if !map.contains_key(key) {
                    push(whole(), format!("missing key `{key}`"));
                }
            }
            let stem = name.strip_suffix(".yaml").unwrap_or(name);
            // `str(doc.get(key, "")).strip()`: a missing key is empty text.
            let s = |key: &str| match map.get(key) {
                None => String::new(),
                Some(v) => pystr(Some(v)).trim().to_string(),
            };
            if s("intake_id") != stem {
                push(at("intake_id"), format!("intake_id must be the file stem `{stem}`"));
            }
            if !matches!(s("class").as_str(), "part" | "material") {
                push(at("class"), "class must be part or material".into());
            }
            for key in ["status", "lifecycle_status"] {
                if !LIFECYCLE.contains(&s(key).as_str()) {
                    push(
                        at(key),
                        format!("{key} must be one of {}", LIFECYCLE.join(", ")),
                    );
                }
            }
            if s("item_id").is_empty() {
                push(at("item_id"), "item_id cannot be empty".into());
            }
            if !map.get("evidence_refs").is_some_and(Value::is_array) {
                push(at("evidence_refs"), "evidence_refs must be a list".into());
            }
            for key in ["runtime_homes", "required_homes"] {
                if !map.get(key).is_some_and(Value::is_object) {
                    push(at(key), format!("{key} must be a mapping"));
                }
            }
        }
        Ok(out)
    }
}
