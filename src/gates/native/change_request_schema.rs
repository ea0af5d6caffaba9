//! D210 domain-change-request-schema-lock: the registry's
//! `d210-domain-change-request-schema-lock.sh`, in-process. The schema
//! `ops/bindings/domain.change.request.schema.yaml` must be a mapping with a
//! non-empty `required_fields` list; every
//! `mailroom/outbox/domains/change-requests/*.yaml` must parse as one YAML
//! document whose root is a mapping (an empty or otherwise falsy document
//! counts as an empty mapping, as the script's `safe_load(...) or {}` does)
//! holding every required field as a key. No change requests: nothing to
//! judge (the script passes).

use super::common::*;
use crate::documents::Document;
use crate::findings::{Finding, RepoId};
use crate::gates::{GateContext, NativeGate};
use serde_json::Value;

pub struct ChangeRequestSchema;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: ChangeRequestSchema = ChangeRequestSchema;

const SCHEMA: &str = "ops/bindings/domain.change.request.schema.yaml";
pub(crate) const REQUEST_DIR: &str = "mailroom/outbox/domains/change-requests/";

/// The change-request files the gate can see (top level, `*.yaml`).
pub(crate) fn request_files(cx: &GateContext<'_>) -> Vec<std::sync::Arc<Document>> {
    cx.inputs
        .paths(RepoId::Spine)
        .into_iter()
        .filter(|p| {
            p.strip_prefix(REQUEST_DIR)
                .is_some_and(|n| !n.contains('/') && n.ends_with(".yaml"))
        })
        .filter_map(|p| cx.doc(RepoId::Spine, p))
        .collect()
}

/// Python's `str()` of a YAML value.
fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}

/// Python truthiness of a YAML value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// The request's root mapping as the script sees it, or the finding that
/// it cannot be judged.
pub(crate) fn request_root(
    cx: &GateContext<'_>,
    doc: &Document,
) -> Result<serde_json::Map<String, Value>, Box<Finding>> {
    let subject = format!("file:{}", doc.path);
    if doc.has_syntax_error() || doc.is_unusable() || doc.docs.len() > 1 {
        let msg = format!(
            "change request {} is not valid YAML (one document expected)",
            doc.path
        );
        return Err(Box::new(cx.finding(doc, "", msg).with_subject(subject)));
    }
    match doc.value() {
        None => Ok(serde_json::Map::new()),
        Some(v) if !truthy(v) => Ok(serde_json::Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(_) => {
            let msg = format!("change request {}: the YAML root must be a mapping", doc.path);
            Err(Box::new(cx.finding(doc, "", msg).with_subject(subject)))
        }
    }
}

impl NativeGate for ChangeRequestSchema {
    fn name(&self) -> &'static str {
        "change_request_schema"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(schema) = spine_doc(cx, SCHEMA) else {
            return Err(format!("{SCHEMA} is missing"));
        };
        let fields: Option<Vec<String>> = match schema.value().and_then(|v| v.get("required_fields")) {
            Some(Value::Array(a)) if !a.is_empty() => Some(
                a.iter()
                    .map(py_str)
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect(),
            ),
            _ => None,
        };
        let fields = match fields {
            Some(f) if !f.is_empty() => f,
            _ => {
                let at = if schema.value().and_then(|v| v.get("required_fields")).is_some() {
                    ptr(&["required_fields"])
                } else {
                    String::new()
                };
                return Ok(vec![cx
                    .finding(&schema, &at, "the change-request schema needs a non-empty `required_fields` list")
                    .with_subject(format!("file:{SCHEMA}"))]);
            }
        };
        let mut out = Vec::new();
        for doc in request_files(cx) {
            let root = match request_root(cx, &doc) {
                Ok(r) => r,
                Err(f) => {
                    out.push(*f);
                    continue;
                }
            };
            for field in &fields {
                if !root.contains_key(field) {
                    out.push(
                        cx.finding(
                            &doc,
                            "",
                            format!("change request {} lacks the required field `{field}`", doc.path),
                        )
                        .with_subject(format!("file:{}", doc.path)),
                    );
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    #[test]
    fn missing_fields_and_bad_roots_are_found() {
        let f = findings(run_gate(
            "D210",
            &[
                (SCHEMA, "required_fields: [change_id, domain, \" \"]\n"),
                ("mailroom/outbox/domains/change-requests/a.yaml", "change_id: x\ndomain: y\n"),
                ("mailroom/outbox/domains/change-requests/b.yaml", "change_id: x\n"),
                ("mailroom/outbox/domains/change-requests/c.yaml", "- a\n"),
                ("mailroom/outbox/domains/change-requests/d.yaml", "[]\n"),
                ("mailroom/outbox/domains/change-requests/sub/e.yaml", "x: 1\n"),
            ],
            None,
            None,
        ));
        // b: domain; c: root; d: both fields
        assert_eq!(f.len(), 4, "{:?}", summary(&f));
    }

    #[test]
    fn no_requests_pass_and_bad_schema_fails() {
        let f = findings(run_gate("D210", &[(SCHEMA, "required_fields: [a]\n")], None, None));
        assert!(f.is_empty(), "{:?}", summary(&f));
        let f = findings(run_gate("D210", &[(SCHEMA, "required_fields: []\n")], None, None));
        assert_eq!(f.len(), 1);
    }
}
