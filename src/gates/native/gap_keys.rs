//! D332 gap-schema-conformance-lock: every key of every gap in
//! `ops/bindings/operational.gaps.yaml` is declared in the
//! `required_fields` or `optional_fields` (by `name`) of
//! `ops/bindings/gap.schema.yaml`.
//!
//! Native rather than a jq `expr` rule: the gap register is the largest
//! binding (over 1 MB in a real spine) and the jq version spent 40–80 ms
//! converting and walking it on every run, more than any other gate; this
//! walk reads the parsed value directly (~1 ms). Options
//! (`gate_options.D332`): `gaps_file`, `schema_file` (spine paths). Without
//! a gap register the gate is skipped; without gap.schema.yaml it reports
//! that one file missing.

use super::common::*;
use crate::findings::Finding;
use crate::gates::{GateContext, NativeGate};
use serde_json::Value;
use std::collections::HashSet;

pub struct GapKeysDeclared;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: GapKeysDeclared = GapKeysDeclared;

/// The gap register and its schema, from `gate_options.D332` or the defaults.
fn paths(cx: &GateContext<'_>) -> (String, String) {
    (
        opt_str(cx, "gaps_file").unwrap_or_else(|| GAPS.to_string()),
        opt_str(cx, "schema_file").unwrap_or_else(|| GAP_SCHEMA.to_string()),
    )
}

pub const GAPS: &str = "ops/bindings/operational.gaps.yaml";
pub const GAP_SCHEMA: &str = "ops/bindings/gap.schema.yaml";

impl NativeGate for GapKeysDeclared {
    fn name(&self) -> &'static str {
        "gap_keys_declared"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let (gaps_path, schema_path) = paths(cx);
        // No gap register (the engine asks `skip_reason` first).
        let Some(gaps_doc) = spine_doc(cx, &gaps_path) else {
            return Ok(Vec::new());
        };
        let gaps = items(gaps_doc.value(), "gaps");
        if gaps.is_empty() {
            return Ok(Vec::new());
        }
        let Some(schema_doc) = spine_doc(cx, &schema_path) else {
            return Ok(vec![missing_file(
                cx,
                &schema_path,
                "the keys of the gap register cannot be checked against declared fields",
            )]);
        };
        let schema = schema_doc.value();
        let known: HashSet<&str> = ["required_fields", "optional_fields"]
            .iter()
            .flat_map(|list| items(schema, list))
            .filter_map(|f| f.get("name").and_then(Value::as_str))
            .collect();

        let mut out = Vec::new();
        for (i, gap) in gaps.iter().enumerate() {
            let Value::Object(members) = gap else {
                continue;
            };
            let id = match gap.get("id") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(v @ Value::Number(_)) => Some(v.to_string()),
                _ => None,
            };
            for key in members.keys() {
                if known.contains(key.as_str()) {
                    continue;
                }
                let label = id.clone().unwrap_or_else(|| format!("#{i}"));
                let subject = id.clone().unwrap_or_else(|| i.to_string());
                out.push(
                    cx.finding(
                        &gaps_doc,
                        &ptr(&["gaps", &i.to_string(), key]),
                        format!(
                            "gap {label}: key `{key}` is declared in neither required_fields nor optional_fields of {schema_path}"
                        ),
                    )
                    .with_subject(format!("gap:{subject}")),
                );
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const SCHEMA: &str =
        "required_fields:\n  - name: id\n  - name: status\noptional_fields:\n  - name: notes\n";

    #[test]
    fn undeclared_keys_point_at_their_key() {
        let f = findings(run_gate(
            "D332",
            &[
                (GAP_SCHEMA, SCHEMA),
                (
                    GAPS,
                    "gaps:\n  - id: GAP-OP-1\n    status: open\n  - id: GAP-OP-2\n    status: open\n    assigned_to: me\n    notes: x\n  - status: open\n    owner: x\n",
                ),
            ],
            None,
            None,
        ));
        assert_eq!(
            summary(&f),
            vec![
                (
                    GAPS.to_string(),
                    6,
                    "gap:GAP-OP-2".to_string(),
                    format!("gap GAP-OP-2: key `assigned_to` is declared in neither required_fields nor optional_fields of {GAP_SCHEMA}")
                ),
                (
                    GAPS.to_string(),
                    9,
                    "gap:2".to_string(),
                    format!("gap #2: key `owner` is declared in neither required_fields nor optional_fields of {GAP_SCHEMA}")
                ),
            ]
        );
        assert_eq!(f[0].location.col(), 5, "points at the key");
    }

    #[test]
    fn declared_keys_pass() {
        let f = findings(run_gate(
            "D332",
            &[
                (GAP_SCHEMA, SCHEMA),
                (
                    GAPS,
                    "gaps:\n  - id: GAP-OP-1\n    status: open\n    notes: n\n  - just a string\n",
                ),
            ],
            None,
            None,
        ));
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn absent_or_broken_inputs_skip_the_gate() {
        let cx_skip = |files: &[(&str, &str)]| skip_reason("D332", files);
        let why = cx_skip(&[(GAP_SCHEMA, SCHEMA)]).expect("skipped");
        assert_eq!(why, "spine:ops/bindings/operational.gaps.yaml not found");
        let why = cx_skip(&[(GAP_SCHEMA, SCHEMA), (GAPS, "gaps:\n  - id: [unclosed\n")])
            .expect("skipped");
        assert!(
            why.starts_with("spine:ops/bindings/operational.gaps.yaml does not parse (parse/syntax at 3:"),
            "{why}"
        );
        // Optional, but present and broken: never judged on a truncated value.
        let why = cx_skip(&[(GAP_SCHEMA, "required_fields: [\n"), (GAPS, "gaps: []\n")])
            .expect("skipped");
        assert!(
            why.starts_with("spine:ops/bindings/gap.schema.yaml does not parse"),
            "{why}"
        );
        assert_eq!(cx_skip(&[(GAP_SCHEMA, SCHEMA), (GAPS, "gaps: []\n")]), None);
        assert_eq!(
            cx_skip(&[(GAPS, "gaps: []\n")]),
            None,
            "missing schema: run, one finding"
        );
    }

    #[test]
    fn missing_schema_is_one_finding_not_one_per_key() {
        let f = findings(run_gate(
            "D332",
            &[(GAPS, "gaps:\n  - id: GAP-OP-1\n    status: open\n")],
            None,
            None,
        ));
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("gap.schema.yaml not found"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn options_move_the_files() {
        let f = findings(run_gate(
            "D332",
            &[
                ("g/schema.yaml", "required_fields:\n  - name: id\n"),
                ("g/gaps.yaml", "gaps:\n  - id: G1\n    extra: 1\n"),
            ],
            None,
            Some(serde_json::json!({"gaps_file": "g/gaps.yaml", "schema_file": "g/schema.yaml"})),
        ));
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("`extra`") && f[0].message.contains("g/schema.yaml"));
    }
}
