//! D211 domain-change-plan-completeness-lock: the registry's
//! `d211-domain-change-plan-completeness-lock.sh`, in-process. Every
//! `mailroom/outbox/domains/change-requests/*.yaml` (one YAML document, a
//! mapping; a falsy document counts as an empty mapping) has the fields
//! prechecks, postchecks, rollback_steps and success_criteria, each
//! non-empty the way the script judges it: null is empty; a string is
//! empty when blank; a list when every item's text is blank (a null item
//! reads `None`, which is not blank); a mapping when it has no keys;
//! anything else (numbers, booleans) is non-empty.

use super::change_request_schema::{request_files, request_root};
use crate::findings::Finding;
use crate::gates::{GateContext, NativeGate};
use serde_json::Value;

pub struct ChangeRequestPlan;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: ChangeRequestPlan = ChangeRequestPlan;

const FIELDS: [&str; 4] = ["prechecks", "postchecks", "rollback_steps", "success_criteria"];

/// Python's `str(item).strip()` is non-empty.
fn item_text_non_blank(v: &Value) -> bool {
    match v {
        Value::String(s) => !s.trim().is_empty(),
        // None, True, 0, [], {} all print as non-blank text in Python
        _ => true,
    }
}

fn non_empty(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => a.iter().any(item_text_non_blank),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

impl NativeGate for ChangeRequestPlan {
    fn name(&self) -> &'static str {
        "change_request_plan"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let mut out = Vec::new();
        for doc in request_files(cx) {
            let root = match request_root(cx, &doc) {
                Ok(r) => r,
                Err(f) => {
                    out.push(*f);
                    continue;
                }
            };
            let subject = format!("file:{}", doc.path);
            for field in FIELDS {
                match root.get(field) {
                    None => out.push(
                        cx.finding(&doc, "", format!("change request {} lacks `{field}`", doc.path))
                            .with_subject(subject.clone()),
                    ),
                    Some(v) if !non_empty(v) => out.push(
                        cx.finding(
                            &doc,
                            &format!("/{field}"),
                            format!("change request {}: `{field}` is empty", doc.path),
                        )
                        .with_subject(subject.clone()),
                    ),
                    Some(_) => {}
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
    fn empty_and_missing_plan_fields_are_found() {
        let full = "prechecks: [a]\npostchecks: b\nrollback_steps: {x: 1}\nsuccess_criteria: 0\n";
        let thin = "prechecks: []\npostchecks: \"  \"\nrollback_steps: [\"\", null]\n";
        let f = findings(run_gate(
            "D211",
            &[
                ("mailroom/outbox/domains/change-requests/full.yaml", full),
                ("mailroom/outbox/domains/change-requests/thin.yaml", thin),
            ],
            None,
            None,
        ));
        // thin: prechecks empty, postchecks blank, success_criteria missing
        // (rollback_steps holds a null item, which Python prints as `None`)
        assert_eq!(f.len(), 3, "{:?}", summary(&f));
        assert!(non_empty(&serde_json::json!([null])));
    }
}
