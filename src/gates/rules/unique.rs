//! `unique`: the key of every selected item is unique.
//!
//! ```yaml
//! rule:
//!   kind: unique
//!   file: "spine:ops/bindings/gate.registry.yaml"
//!   items: .gates[]
//!   key: .id
//!   message: "gate id {{$value}} is registered twice (first at line {{$first_line}})"
//!   subject: "gate:{{id}}"
//! ```
//! Every later duplicate is reported at its key, with the first occurrence
//! as a related location. Keys compare as strings; null keys are skipped.

use super::{item_json, render, Output, RuleCx, RuleResult};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub file: String,
    pub items: String,
    pub key: String,
    pub message: Option<String>,
    pub subject: Option<String>,
}

pub fn run(cx: &RuleCx<'_>, spec: Spec) -> RuleResult {
    let items_f = cx.items_jq(&spec.items, "/items")?;
    let key = cx.jq(&spec.key, "/key")?;
    let key_path = cx.path_jq(&spec.key);
    let loaded = cx.load(&spec.file)?;
    let doc = &loaded.doc;
    let mut out = Output::default();
    let Some(items) = cx.items_or_report(&mut out, &items_f, &loaded) else {
        return Ok(out);
    };
    let message = spec
        .message
        .as_deref()
        .unwrap_or("`{{$value}}` is not unique (first at line {{$first_line}})");
    let mut first: HashMap<String, String> = HashMap::new();
    for item in &items {
        let Some(keys) = cx.keys_or_report(&mut out, doc, &key, key_path.as_deref(), item) else {
            continue;
        };
        for (k, ptr) in keys {
            match first.get(&k) {
                None => {
                    first.insert(k, ptr);
                }
                Some(first_ptr) => {
                    let first_loc = doc.location(first_ptr);
                    let json = item_json(doc, &item.pointer);
                    let vars = [
                        ("value", k.clone()),
                        (
                            "key",
                            super::jq::scalar_text(&item.key()).unwrap_or_default(),
                        ),
                        ("file", doc.path.clone()),
                        ("first_line", first_loc.line().to_string()),
                    ];
                    let msg = render(message, json, &vars);
                    let subj = spec.subject.as_deref().map(|s| render(s, json, &vars));
                    out.findings.push(
                        cx.finding(doc, &ptr, msg, subj)
                            .with_related(first_loc, format!("`{k}` first used here")),
                    );
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::spine;
    use crate::gates::tests_support::{gate_cx, run_rule_on};
    use serde_json::json;

    fn rule() -> serde_json::Value {
        json!({"kind": "unique", "file": "reg.yaml", "items": ".gates[]", "key": ".id",
               "message": "gate id {{$value}} registered twice (first at line {{$first_line}})",
               "subject": "gate:{{id}}"})
    }

    #[test]
    fn second_occurrence_is_reported_with_the_first_related() {
        let t = spine(&[("reg.yaml", "gates:\n  - id: D1\n  - id: D2\n  - id: D1\n")]);
        let meta = gate_cx("D85");
        let out = run_rule_on(&t.ws, &meta, &rule()).unwrap();
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert_eq!(f.message, "gate id D1 registered twice (first at line 2)");
        assert_eq!(f.location.line(), 4);
        assert_eq!(f.related[0].location.line(), 2);
        assert_eq!(f.subject.as_deref(), Some("gate:D1"));
    }

    #[test]
    fn numbers_and_strings_collide_and_unique_passes() {
        let t = spine(&[("reg.yaml", "gates:\n  - id: 7\n  - id: \"7\"\n")]);
        let out = run_rule_on(&t.ws, &gate_cx("D85"), &rule()).unwrap();
        assert_eq!(out.findings.len(), 1);
        let t = spine(&[("reg.yaml", "gates:\n  - id: D1\n  - id: D2\n")]);
        let out = run_rule_on(&t.ws, &gate_cx("D85"), &rule()).unwrap();
        assert!(out.findings.is_empty());
    }
}
