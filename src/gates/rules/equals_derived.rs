//! `equals_derived`: a jq transform of one document equals another document
//! (or a jq projection of it): generated files must not go stale.
//!
//! ```yaml
//! rule:
//!   kind: equals_derived
//!   source:
//!     file: "spine:ops/bindings/vm.lifecycle.yaml"
//!     transform: '[.vms[] | select(.status == "active") | {id, hostname, proxmox_host, ssh_target, backup_target}]'
//!   target:
//!     file: "spine:ops/bindings/vm.lifecycle.derived.yaml"
//!     compare: .active_vms
//!   key: id                          # optional: match list elements by this field
//!   label: "VM {{id}} ({{hostname}})"  # how `$changes` names one element
//!   message: "{{$target}} is stale: {{$changes}}"
//! ```
//! Variables: `$source`, `$target`, `$added`/`$removed` (diff lines),
//! `$first` (the first differing node), `$changes` (with `key`: the missing,
//! extra and changed elements by label; else "first difference at …").
//! On mismatch: one finding at the first difference in the target, with a
//! unified diff (current → regenerated, YAML-style) appended to the help.

use super::{jq, render, Output, RuleCx, RuleResult};
use serde::Deserialize;
use serde_json::Value;
use similar::TextDiff;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub file: String,
    pub transform: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub file: String,
    pub compare: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub source: Source,
    pub target: Target,
    pub message: Option<String>,
    pub subject: Option<String>,
    /// Field that identifies an element when both sides are lists of
    /// mappings: `$changes` then names the missing, extra and changed
    /// elements by `label`.
    pub key: Option<String>,
    /// Template naming one element for `$changes` (default `{{<key>}}`).
    pub label: Option<String>,
}

const MAX_DIFF_LINES: usize = 200;

pub fn run(cx: &RuleCx<'_>, spec: Spec) -> RuleResult {
    let transform = cx.jq(
        spec.source.transform.as_deref().unwrap_or("."),
        "/source/transform",
    )?;
    let compare_code = spec.target.compare.as_deref().unwrap_or(".");
    let compare = cx.jq(compare_code, "/target/compare")?;
    let compare_path = cx.path_jq(compare_code);
    let src = cx.load(&spec.source.file)?;
    let tgt = cx.load(&spec.target.file)?;
    let mut out = Output::default();
    let root = jaq_json::Val::Arr(Default::default());
    let vars = cx.vars(&root);
    let expected = match transform.first(src.val.clone(), &vars) {
        Ok(v) => v.map(|v| jq::to_json(&v)).unwrap_or(Value::Null),
        Err(e) => {
            cx.item_error(&mut out, &src.doc, "", &e);
            return Ok(out);
        }
    };
    let current = match compare.first(tgt.val.clone(), &vars) {
        Ok(v) => v.map(|v| jq::to_json(&v)).unwrap_or(Value::Null),
        Err(e) => {
            cx.item_error(&mut out, &tgt.doc, "", &e);
            return Ok(out);
        }
    };
    if expected == current {
        return Ok(out);
    }
    // Where the target starts to differ.
    let base = compare_path
        .and_then(|p| p.first(tgt.val.clone(), &vars).ok().flatten())
        .and_then(|p| jq::pointer_of(&p))
        .unwrap_or_default();
    let mut rel = String::new();
    first_difference(&current, &expected, &mut rel);
    let first = tgt
        .doc
        .value()
        .map(|v| crate::schema::context_of(v, &format!("{base}{rel}")).0)
        .unwrap_or_default();
    // The finding points at the compared node (`active_vms:`); the first
    // difference is named in the message.
    let pointer = base;

    let cur_text = to_yaml(&current);
    let exp_text = to_yaml(&expected);
    let diff = TextDiff::from_lines(&cur_text, &exp_text);
    let (mut added, mut removed) = (0usize, 0usize);
    for op in diff.iter_all_changes() {
        match op.tag() {
            similar::ChangeTag::Insert => added += 1,
            similar::ChangeTag::Delete => removed += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    let target_name = format!("{}:{}", tgt.doc.repo, tgt.doc.path);
    let source_name = format!("{}:{}", src.doc.repo, src.doc.path);
    let unified = diff
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{target_name} (current)"),
            &format!("{target_name} (regenerated from {})", src.doc.path),
        )
        .to_string();
    let mut lines: Vec<&str> = unified.lines().collect();
    let total = lines.len();
    lines.truncate(MAX_DIFF_LINES);
    let mut shown = lines.join("\n");
    if total > MAX_DIFF_LINES {
        shown.push_str(&format!("\n… {} more diff lines", total - MAX_DIFF_LINES));
    }
    let vars = [
        ("source", source_name),
        ("target", target_name),
        ("added", added.to_string()),
        ("removed", removed.to_string()),
        ("changes", {
            let c = spec
                .key
                .as_deref()
                .map(|k| changes(&current, &expected, k, spec.label.as_deref()))
                .unwrap_or_default();
            if c.is_empty() {
                format!("first difference at {first}")
            } else {
                c
            }
        }),
        ("first", first),
    ];
    let msg = render(
        spec.message.as_deref().unwrap_or(
            "{{$target}} differs from its derivation from {{$source}} ({{$added}} lines missing, {{$removed}} extra; first difference at {{$first}})",
        ),
        None,
        &vars,
    );
    let subject = spec
        .subject
        .as_deref()
        .map(|s| render(s, None, &vars))
        .unwrap_or_else(|| format!("file:{}", tgt.doc.path));
    let mut f = cx.finding(&tgt.doc, &pointer, msg, Some(subject));
    let hint = f.help.take().unwrap_or_default();
    f.help = Some(if hint.is_empty() {
        shown
    } else {
        format!("{hint}\n{shown}")
    });
    out.findings.push(f);
    Ok(out)
}

/// The elements, matched by `key`, that the current list lacks, has extra,
/// or has changed: "missing VM 214 (x), VM 215 (y); extra VM 9 (z);
/// changed VM 3 (c)". Empty when either side is not a list of mappings.
fn changes(current: &Value, expected: &Value, key: &str, label: Option<&str>) -> String {
    let (Some(cur), Some(exp)) = (current.as_array(), expected.as_array()) else {
        return String::new();
    };
    let default_label = format!("{{{{{key}}}}}");
    let label = label.unwrap_or(&default_label);
    let name = |v: &Value| render(label, Some(v), &[]);
    let id = |v: &Value| v.get(key).filter(|x| !x.is_null()).cloned();
    if cur.iter().chain(exp).any(|v| id(v).is_none()) {
        return String::new();
    }
    let find = |list: &[Value], k: &Value| list.iter().find(|v| id(v).as_ref() == Some(k)).cloned();
    let mut missing = Vec::new();
    let mut changed = Vec::new();
    for e in exp {
        let Some(k) = id(e) else { continue };
        match find(cur, &k) {
            None => missing.push(name(e)),
            Some(c) if &c != e => changed.push(name(e)),
            Some(_) => {}
        }
    }
    let extra: Vec<String> = cur
        .iter()
        .filter(|c| id(c).is_some_and(|k| find(exp, &k).is_none()))
        .map(name)
        .collect();
    let mut parts = Vec::new();
    for (what, list) in [("missing", missing), ("extra", extra), ("changed", changed)] {
        if !list.is_empty() {
            parts.push(format!("{what} {}", list.join(", ")));
        }
    }
    if parts.is_empty() && cur != exp {
        parts.push("same elements in another order".to_string());
    }
    parts.join("; ")
}

/// Appends the pointer (relative) of the first place `a` and `b` differ.
fn first_difference(a: &Value, b: &Value, at: &mut String) {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                match (x.get(i), y.get(i)) {
                    (Some(p), Some(q)) if p == q => continue,
                    (Some(p), Some(q)) => {
                        at.push_str(&format!("/{i}"));
                        first_difference(p, q, at);
                        return;
                    }
                    _ => {
                        at.push_str(&format!("/{i}"));
                        return;
                    }
                }
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            for (k, p) in x {
                match y.get(k) {
                    Some(q) if p == q => {}
                    Some(q) => {
                        at.push_str(&format!("/{}", crate::documents::pointer_escape(k)));
                        first_difference(p, q, at);
                        return;
                    }
                    None => {
                        at.push_str(&format!("/{}", crate::documents::pointer_escape(k)));
                        return;
                    }
                }
            }
        }
        _ => {}
    }
}

/// A compact YAML rendering of a JSON value, for readable diffs.
pub fn to_yaml(v: &Value) -> String {
    let mut s = String::new();
    write_yaml(v, 0, &mut s);
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::String(s) => {
            let plain = !s.is_empty()
                && !s.contains([':', '#', '\n', '"', '\'', '{', '}', '[', ']', ','])
                && !s.starts_with(['-', '?', '&', '*', '!', '|', '>', '%', '@', '`', ' '])
                && !s.ends_with(' ')
                && s.parse::<f64>().is_err()
                && !matches!(s.as_str(), "true" | "false" | "null" | "~");
            if plain {
                s.clone()
            } else {
                Value::String(s.clone()).to_string()
            }
        }
        other => other.to_string(),
    }
}

fn write_yaml(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Array(a) if a.is_empty() => out.push_str(&format!("{pad}[]\n")),
        Value::Object(m) if m.is_empty() => out.push_str(&format!("{pad}{{}}\n")),
        Value::Array(a) => {
            for item in a {
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        let mut inner = String::new();
                        write_yaml(item, indent + 2, &mut inner);
                        // First line of the mapping goes after the dash.
                        let trimmed = inner.trim_start_matches(' ');
                        out.push_str(&format!("{pad}- {trimmed}"));
                    }
                    Value::Array(x) if !x.is_empty() => {
                        out.push_str(&format!("{pad}-\n"));
                        write_yaml(item, indent + 2, out);
                    }
                    other => out.push_str(&format!("{pad}- {}\n", scalar(other))),
                }
            }
        }
        Value::Object(m) => {
            for (k, val) in m {
                let key = scalar(&Value::String(k.clone()));
                match val {
                    Value::Object(x) if !x.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        write_yaml(val, indent + 2, out);
                    }
                    Value::Array(x) if !x.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        write_yaml(val, indent + 2, out);
                    }
                    Value::Array(_) => out.push_str(&format!("{pad}{key}: []\n")),
                    Value::Object(_) => out.push_str(&format!("{pad}{key}: {{}}\n")),
                    other => out.push_str(&format!("{pad}{key}: {}\n", scalar(other))),
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::spine;
    use super::*;
    use crate::gates::tests_support::{gate_cx, run_rule_on};
    use serde_json::json;

    const VMS: &str = "vms:\n  - id: 1\n    hostname: a\n    status: active\n  - id: 2\n    hostname: b\n    status: active\n  - id: 3\n    hostname: c\n    status: stopped\n";

    fn rule() -> serde_json::Value {
        json!({"kind": "equals_derived",
               "source": {"file": "vm.yaml", "transform": "[.vms[] | select(.status == \"active\") | {id, hostname}]"},
               "target": {"file": "derived.yaml", "compare": ".active_vms"}})
    }

    #[test]
    fn keyed_lists_name_missing_extra_and_changed_elements() {
        let t = spine(&[
            (
                "vm.yaml",
                "vms:\n  - {id: 1, hostname: a, status: active}\n  - {id: 2, hostname: b, status: active}\n  - {id: 4, hostname: d, status: active}\n  - {id: 5, hostname: e, status: active}\n",
            ),
            (
                "derived.yaml",
                "active_vms:\n  - {id: 1, hostname: old}\n  - {id: 2, hostname: b}\n  - {id: 9, hostname: z}\n",
            ),
        ]);
        let mut r = rule();
        r["key"] = json!("id");
        r["label"] = json!("VM {{id}} ({{hostname}})");
        r["message"] = json!("stale: {{$changes}}");
        let out = run_rule_on(&t.ws, &gate_cx("D402"), &r).unwrap();
        assert_eq!(out.findings.len(), 1);
        assert_eq!(
            out.findings[0].message,
            "stale: missing VM 4 (d), VM 5 (e); extra VM 9 (z); changed VM 1 (a)"
        );
    }

    #[test]
    fn stale_derived_file_gets_one_finding_with_a_diff() {
        let t = spine(&[
            ("vm.yaml", VMS),
            ("derived.yaml", "generated_at: x\nactive_vms:\n  - id: 1\n    hostname: a\n  - id: 3\n    hostname: c\n"),
        ]);
        let out = run_rule_on(&t.ws, &gate_cx("D402"), &rule()).unwrap();
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert_eq!(f.location.path, "derived.yaml");
        assert_eq!(f.location.line(), 2, "points at the compared node");
        assert!(
            f.message.contains("2 lines missing, 2 extra"),
            "{}",
            f.message
        );
        assert!(
            f.message.contains("first difference at id 3 (c)"),
            "{}",
            f.message
        );
        let help = f.help.as_deref().unwrap();
        assert!(
            help.contains("-- id: 3") || help.contains("-- id: 3"),
            "{help}"
        );
        assert!(help.contains("+- id: 2"), "{help}");
        assert!(help.contains("@@"), "{help}");
    }

    #[test]
    fn up_to_date_passes() {
        let t = spine(&[
            ("vm.yaml", VMS),
            (
                "derived.yaml",
                "active_vms:\n  - id: 1\n    hostname: a\n  - {id: 2, hostname: b}\n",
            ),
        ]);
        assert!(run_rule_on(&t.ws, &gate_cx("D402"), &rule())
            .unwrap()
            .findings
            .is_empty());
    }

    #[test]
    fn yaml_rendering_is_readable() {
        let v = json!([{"id": 1, "tags": ["a", "b"], "ip": "10.0.0.1", "n": null, "s": "x: y"}]);
        assert_eq!(
            to_yaml(&v),
            "- id: 1\n  tags:\n    - a\n    - b\n  ip: 10.0.0.1\n  n: null\n  s: \"x: y\"\n"
        );
    }
}
