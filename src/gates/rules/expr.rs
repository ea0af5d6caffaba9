//! `expr`: a jq filter over a document yields the offending items.
//!
//! ```yaml
//! rule:
//!   kind: expr
//!   file: "spine:ops/bindings/operational.gaps.yaml"     # or files: [globs] (+ exclude)
//!   with: {schema: "spine:ops/bindings/gap.schema.yaml"}  # bound as $schema
//!   filter: |
//!     ([$schema.required_fields[].name, $schema.optional_fields[].name]
//!       | map({key: ., value: true}) | from_entries) as $known
//!     | path(.gaps[] | to_entries[] ...)
//!   message: "gap {{id}}: undeclared key"
//! ```
//! Each output is one finding:
//! - an array: a path into the document (the finding points at it; the
//!   `message`/`subject` templates are rendered over the value there),
//! - an object `{path?, message?, subject?, file?}` (`file` names the
//!   checked file or one of the `with` files, for findings in those),
//! - a string: a message about the whole document.
//!
//! Template variables: `$file`, `$pointer`, `$key` (last path component).

use super::{item_json, jq, render, Halt, Loaded, Output, RuleCx, RuleResult};
use crate::documents::Document;
use jaq_json::Val;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub file: Option<String>,
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub filter: String,
    pub message: Option<String>,
    pub subject: Option<String>,
}

pub fn run(cx: &RuleCx<'_>, spec: Spec) -> RuleResult {
    let filter = cx.jq(&spec.filter, "/filter")?;
    let docs: Vec<std::sync::Arc<Document>> = match (&spec.file, spec.files.is_empty()) {
        (Some(f), true) => vec![cx.load(f)?.doc],
        (None, false) => cx.glob(&spec.files, &spec.exclude)?,
        _ => {
            return Err(Halt::Config {
                pointer: cx.base.clone(),
                message: "`expr` needs exactly one of `file` or `files`".into(),
            })
        }
    };
    let root = Val::Arr(Default::default());
    let vars = cx.vars(&root);
    let mut out = Output::default();
    for doc in docs {
        let loaded = match cx.loaded(doc) {
            Ok(l) => l,
            // A file of a glob that does not parse: its parse finding says so.
            Err(Halt::Skip(_)) => continue,
            Err(h) => return Err(h),
        };
        let results = match filter.run(loaded.val.clone(), &vars) {
            Ok(r) => r,
            Err(e) => {
                cx.item_error(&mut out, &loaded.doc, "", &e);
                continue;
            }
        };
        for r in results {
            emit(cx, &spec, &loaded, &r, &mut out);
        }
    }
    Ok(out)
}

fn emit(cx: &RuleCx<'_>, spec: &Spec, loaded: &Loaded, r: &Val, out: &mut Output) {
    let (path, message, subject, file) = match r {
        Val::Arr(_) => (Some(r.clone()), None, None, None),
        Val::Obj(m) => {
            let get = |k: &str| m.get(&jq::str_val(k)).cloned();
            (
                get("path").filter(|p| matches!(p, Val::Arr(_))),
                get("message").and_then(|v| jq::scalar_text(&v)),
                get("subject").and_then(|v| jq::scalar_text(&v)),
                get("file").and_then(|v| jq::scalar_text(&v)),
            )
        }
        Val::TStr(_) => (None, jq::scalar_text(r), None, None),
        other => {
            let msg = format!(
                "filter output must be a path (array), an object or a string, not `{}`",
                jq::to_json(other)
            );
            cx.item_error(out, &loaded.doc, "", &msg);
            return;
        }
    };
    // Which document the finding is in.
    let doc: &Document = match &file {
        Some(f) => {
            let (repo, p) = super::parse_ref(f);
            cx.with
                .iter()
                .map(|(_, l)| &*l.doc)
                .find(|d| d.repo == repo && d.path == p)
                .unwrap_or(&loaded.doc)
        }
        None => &loaded.doc,
    };
    let pointer = path.as_ref().and_then(jq::pointer_of).unwrap_or_default();
    let json = item_json(doc, &pointer);
    let key = path
        .as_ref()
        .and_then(|p| match p {
            Val::Arr(a) => a.last().and_then(jq::scalar_text),
            _ => None,
        })
        .unwrap_or_default();
    let vars = [
        ("file", doc.path.clone()),
        ("pointer", pointer.clone()),
        ("key", key),
    ];
    let message = message.unwrap_or_else(|| match &spec.message {
        Some(t) => render(t, json, &vars),
        None => {
            let (context, _) = doc
                .value()
                .map(|v| crate::schema::context_of(v, &pointer))
                .unwrap_or_else(|| ("document".into(), String::new()));
            format!("{context}: {}", cx.gate.meta.description)
        }
    });
    let subject = subject.or_else(|| spec.subject.as_deref().map(|t| render(t, json, &vars)));
    out.findings
        .push(cx.finding(doc, &pointer, message, subject));
}

#[cfg(test)]
mod tests {
    use super::super::testutil::spine;
    use super::super::Halt;
    use crate::gates::tests_support::{gate_cx, run_rule_on};
    use serde_json::json;

    const GAPS: &str = "gaps:\n  - id: GAP-OP-1\n    status: open\n  - id: GAP-OP-2\n    status: open\n    assigned_to: me\n";
    const SCHEMA: &str = "required_fields:\n  - name: id\noptional_fields:\n  - name: status\n";

    fn rule() -> serde_json::Value {
        json!({
            "kind": "expr",
            "file": "gaps.yaml",
            "with": {"schema": "spine:schema.yaml"},
            "filter": "([$schema.required_fields[].name, $schema.optional_fields[].name] | map({key: ., value: true}) | from_entries) as $known\n| .gaps | paths(..) as $p | select(($p | length) == 2 and ($known[$p[1]] | not)) | [\"gaps\"] + $p",
            "message": "undeclared key `{{$key}}`",
            "subject": "gap:x"
        })
    }

    #[test]
    fn paths_become_findings_at_their_key() {
        let t = spine(&[("gaps.yaml", GAPS), ("schema.yaml", SCHEMA)]);
        let out = run_rule_on(&t.ws, &gate_cx("D332"), &rule()).unwrap();
        assert_eq!(out.findings.len(), 1, "{:?}", out.findings);
        let f = &out.findings[0];
        assert_eq!(f.message, "undeclared key `assigned_to`");
        assert_eq!((f.location.line(), f.location.col()), (6, 5));
    }

    #[test]
    fn objects_and_strings_carry_their_own_message() {
        let t = spine(&[("gaps.yaml", GAPS)]);
        let r = json!({"kind": "expr", "file": "gaps.yaml",
            "filter": ".gaps[1] | {path: [\"gaps\", 1, \"id\"], message: \"gap \\(.id) bad\", subject: \"gap:\\(.id)\"}, \"whole file\""});
        let out = run_rule_on(&t.ws, &gate_cx("D9"), &r).unwrap();
        assert_eq!(out.findings.len(), 2);
        assert_eq!(out.findings[0].message, "gap GAP-OP-2 bad");
        assert_eq!(out.findings[0].location.line(), 4);
        assert_eq!(out.findings[0].subject.as_deref(), Some("gap:GAP-OP-2"));
        assert_eq!(out.findings[1].message, "whole file");
    }

    #[test]
    fn clean_document_passes() {
        let t = spine(&[
            ("gaps.yaml", "gaps:\n  - id: GAP-OP-1\n"),
            ("schema.yaml", SCHEMA),
        ]);
        let out = run_rule_on(&t.ws, &gate_cx("D332"), &rule()).unwrap();
        assert!(out.findings.is_empty());
    }

    #[test]
    fn runtime_error_is_the_gates_own_finding() {
        let t = spine(&[("gaps.yaml", GAPS)]);
        let r = json!({"kind": "expr", "file": "gaps.yaml", "filter": ".gaps[] | .id | tonumber"});
        let out = run_rule_on(&t.ws, &gate_cx("D9"), &r).unwrap();
        assert_eq!(out.errors.len(), 1);
        assert!(
            out.findings[0].message.contains("rule error"),
            "{}",
            out.findings[0].message
        );
    }

    #[test]
    fn missing_with_file_skips() {
        let t = spine(&[("gaps.yaml", GAPS)]);
        assert!(matches!(
            run_rule_on(&t.ws, &gate_cx("D332"), &rule()),
            Err(Halt::Skip(_))
        ));
    }
}
