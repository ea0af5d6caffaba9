//! `references`: every value of the named fields, anywhere in a set of
//! documents, must be a key of the items of a target document.
//!
//! ```yaml
//! rule:
//!   kind: references
//!   files: ["spine:ops/bindings/**/*.yaml"]
//!   exclude: ["spine:ops/bindings/gate.registry.yaml"]
//!   fields: [gates, gate, gate_id, regression_lock_id]   # string values, or lists of strings
//!   pattern: '^D[0-9]+$'                                # only values like this are references
//!   target: {file: "spine:ops/bindings/gate.registry.yaml", items: .gates[], key: .id}
//!   include_catalogue: true                             # driftgate's own gate ids count as known
//!   message: "`{{$owner}}` refers to gate {{$value}}, which the registry does not have"
//! ```
//! The walk is native (no jq per node): one pass over each document. The
//! finding points at the offending value; templates render over the nearest
//! enclosing mapping that has an `id` or `name` (the "owner"). Variables:
//! `$value`, `$field`, `$owner`, `$file`, `$target`.

use super::{render, Output, RuleCx, RuleResult};
use regex::Regex;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashSet;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub file: String,
    pub items: String,
    pub key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub files: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub fields: Vec<String>,
    pub pattern: Option<String>,
    pub target: Target,
    #[serde(default)]
    pub include_catalogue: bool,
    pub message: Option<String>,
    pub subject: Option<String>,
}

/// One reference found in a document.
struct Hit<'v> {
    value: &'v str,
    field: &'v str,
    pointer: String,
    owner: Option<&'v Value>,
}

fn owner_label(v: &Value) -> Option<String> {
    ["id", "name"].iter().find_map(|k| {
        v.get(*k).and_then(|x| match x {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    })
}

/// Collects the references for which `wanted` is true (pointers are only
/// built for those).
fn walk<'v>(
    v: &'v Value,
    fields: &HashSet<&str>,
    wanted: &dyn Fn(&str) -> bool,
    path: &mut Vec<String>,
    owner: Option<&'v Value>,
    out: &mut Vec<Hit<'v>>,
) {
    let ptr = |path: &[String], extra: &[&str]| -> String {
        path.iter()
            .map(String::as_str)
            .chain(extra.iter().copied())
            .map(|t| format!("/{}", crate::documents::pointer_escape(t)))
            .collect()
    };
    match v {
        Value::Object(m) => {
            let owner = if owner_label(v).is_some() {
                Some(v)
            } else {
                owner
            };
            for (k, child) in m {
                if fields.contains(k.as_str()) {
                    match child {
                        Value::String(s) if wanted(s) => out.push(Hit {
                            value: s,
                            field: k,
                            pointer: ptr(path, &[k]),
                            owner,
                        }),
                        Value::Array(items) => {
                            for (i, item) in items.iter().enumerate() {
                                if let Value::String(s) = item {
                                    if !wanted(s) {
                                        continue;
                                    }
                                    out.push(Hit {
                                        value: s,
                                        field: k,
                                        pointer: ptr(path, &[k, &i.to_string()]),
                                        owner,
                                    });
                                }
                            }
                        }
                        _ => {}
                    }
                }
                if matches!(child, Value::Object(_) | Value::Array(_)) {
                    path.push(k.clone());
                    walk(child, fields, wanted, path, owner, out);
                    path.pop();
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                if matches!(child, Value::Object(_) | Value::Array(_)) {
                    path.push(i.to_string());
                    walk(child, fields, wanted, path, owner, out);
                    path.pop();
                }
            }
        }
        _ => {}
    }
}

pub fn run(cx: &RuleCx<'_>, spec: Spec) -> RuleResult {
    let items_f = cx.items_jq(&spec.target.items, "/target/items")?;
    let key_f = cx.jq(&spec.target.key, "/target/key")?;
    let pattern = spec
        .pattern
        .as_deref()
        .map(Regex::new)
        .transpose()
        .map_err(|e| super::Halt::Config {
            pointer: format!("{}/pattern", cx.base),
            message: format!("bad regex: {e}"),
        })?;
    let target = cx.load(&spec.target.file)?;
    let docs = cx.glob(&spec.files, &spec.exclude)?;
    let mut out = Output::default();
    let mut known: HashSet<String> = HashSet::new();
    match cx.items(&items_f, &target) {
        Ok(items) => {
            for item in &items {
                match cx.keys(&key_f, None, item) {
                    Ok(keys) => known.extend(keys.into_iter().map(|(k, _)| k)),
                    Err(e) => cx.item_error(&mut out, &target.doc, &item.pointer, &e),
                }
            }
        }
        Err(e) => {
            cx.item_error(&mut out, &target.doc, "", &e);
            return Ok(out);
        }
    }
    let catalogue: HashSet<String> = if spec.include_catalogue {
        match &cx.shared.catalogue {
            jaq_json::Val::Obj(m) => m.keys().filter_map(super::jq::scalar_text).collect(),
            _ => HashSet::new(),
        }
    } else {
        HashSet::new()
    };
    let fields: HashSet<&str> = spec.fields.iter().map(String::as_str).collect();
    let target_name = format!("{}:{}", target.doc.repo, target.doc.path);
    let message = spec
        .message
        .as_deref()
        .unwrap_or("`{{$value}}` (`{{$field}}`) is not in {{$target}}");
    for doc in docs {
        if doc.has_syntax_error() {
            continue;
        }
        let Some(root) = doc.value() else { continue };
        let wanted = |v: &str| {
            !known.contains(v)
                && !catalogue.contains(v)
                && pattern.as_ref().is_none_or(|p| p.is_match(v))
        };
        let mut hits = Vec::new();
        walk(root, &fields, &wanted, &mut Vec::new(), None, &mut hits);
        for h in hits {
            let vars = [
                ("value", h.value.to_string()),
                ("field", h.field.to_string()),
                ("owner", h.owner.and_then(owner_label).unwrap_or_default()),
                ("file", doc.path.clone()),
                ("target", target_name.clone()),
            ];
            let msg = render(message, h.owner, &vars);
            let subj = spec.subject.as_deref().map(|s| render(s, h.owner, &vars));
            out.findings.push(cx.finding(&doc, &h.pointer, msg, subj));
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
        json!({"kind": "references", "files": ["b/*.yaml"], "fields": ["gates", "regression_lock_id"],
               "pattern": "^D[0-9]+$",
               "target": {"file": "reg.yaml", "items": ".gates[]", "key": ".id"},
               "include_catalogue": true,
               "message": "`{{$owner}}` refers to {{$value}} ({{$field}})", "subject": "gate:{{$value}}"})
    }

    #[test]
    fn unknown_references_are_reported_at_the_value() {
        let t = spine(&[
            ("reg.yaml", "gates:\n  - id: D49\n  - id: D69\n"),
            ("b/agents.yaml", "agents:\n  - id: infra\n    gates: [D49, D69]\n  - id: ha\n    gates:\n      - D49\n      - D999\n      - not-a-gate\n"),
            ("b/gaps.yaml", "gaps:\n  - id: GAP-1\n    regression_lock_id: D1\n  - id: GAP-2\n    regression_lock_id: D7\n"),
        ]);
        let out = run_rule_on(&t.ws, &gate_cx("D404"), &rule()).unwrap();
        let got: Vec<_> = out
            .findings
            .iter()
            .map(|f| {
                (
                    f.location.path.as_str(),
                    f.location.line(),
                    f.message.as_str(),
                )
            })
            .collect();
        // D1 is in the (test) catalogue; `not-a-gate` does not match the pattern.
        assert_eq!(
            got,
            vec![
                ("b/agents.yaml", 7, "`ha` refers to D999 (gates)"),
                (
                    "b/gaps.yaml",
                    5,
                    "`GAP-2` refers to D7 (regression_lock_id)"
                ),
            ]
        );
        assert_eq!(out.findings[0].subject.as_deref(), Some("gate:D999"));
    }

    #[test]
    fn known_references_pass() {
        let t = spine(&[
            ("reg.yaml", "gates:\n  - id: D49\n"),
            (
                "b/agents.yaml",
                "agents:\n  - id: infra\n    gates: [D49]\n",
            ),
        ]);
        assert!(run_rule_on(&t.ws, &gate_cx("D404"), &rule())
            .unwrap()
            .findings
            .is_empty());
    }
}
