//! D187 inventory-item-contract-lock: every part and material carries its
//! required metadata. A port of the registry's
//! `d187-inventory-item-contract-lock.sh` (Python), for
//! ops/bindings/hardware.parts.inventory.yaml `parts` and
//! ops/bindings/business.inventory.catalog.yaml `materials`:
//! - the collection is a list and the document's `required_item_fields` is
//!   not empty;
//! - every row is a mapping with every required field: on_hand_qty and
//!   reorder_point are numbers (Python's `float()`) and not negative,
//!   last_counted_at is a date or ISO date-time, any other field is not
//!   empty (`str(value or "").strip()`: 0, false and empty lists are empty);
//! - when the document lists `lifecycle_statuses`, the row's
//!   lifecycle_status is one of them.

use super::common::*;
use super::ha_snapshot::parse_instant;
use super::intake_envelopes::pystr;
use crate::documents::Document;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use serde_json::{Map, Value};

pub struct InventoryItems;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: InventoryItems = InventoryItems;

const PARTS: &str = "ops/bindings/hardware.parts.inventory.yaml";
const CATALOG: &str = "ops/bindings/business.inventory.catalog.yaml";

/// Python truthiness of a YAML value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// `str(value or "")`.
fn or_empty(v: Option<&Value>) -> String {
    match v {
        Some(x) if truthy(x) => pystr(Some(x)),
        _ => String::new(),
    }
}

/// Python's `float(value)`.
fn as_float(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => {
            let t = s.trim().replace('_', "");
            match t.to_ascii_lowercase().as_str() {
                "nan" | "+nan" | "-nan" => Some(f64::NAN),
                "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
                "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
                _ => t.parse::<f64>().ok(),
            }
        }
        _ => None,
    }
}

/// The document's `key` list as trimmed, non-empty texts (`or []`).
fn texts(m: &Map<String, Value>, key: &str) -> Vec<String> {
    match m.get(key) {
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| pystr(Some(x)).trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

fn check(cx: &GateContext<'_>, doc: &Document, key: &str, out: &mut Vec<Finding>) {
    let whole = || Location::file(RepoId::Spine, &doc.path);
    let mut push = |l: Location, m: String, s: String| out.push(cx.finding_at(l, m).with_subject(s));
    let root = match doc.value() {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(v) if !truthy(v) => Value::Object(Map::new()),
        Some(v) => v.clone(),
    };
    let Some(m) = root.as_object() else {
        push(whole(), format!("{} is not a mapping", doc.path), format!("file:{}", doc.path));
        return;
    };
    let Some(Value::Array(rows)) = m.get(key) else {
        push(whole(), format!("`{key}` must be a list"), format!("file:{}", doc.path));
        return;
    };
    let lifecycle = texts(m, "lifecycle_statuses");
    let required = texts(m, "required_item_fields");
    if required.is_empty() {
        push(whole(), "required_item_fields must not be empty".into(), format!("file:{}", doc.path));
    }
    for (i, row) in rows.iter().enumerate() {
        let tag = format!("{key}[{i}]");
        let at = doc.location(&ptr(&[key, &i.to_string()]));
        let Value::Object(r) = row else {
            push(at, format!("{tag} must be a mapping"), format!("item:{tag}"));
            continue;
        };
        let id = match r.get("id") {
            None => tag.clone(),
            Some(v) => match pystr(Some(v)).trim() {
                "" => tag.clone(),
                s => s.to_string(),
            },
        };
        let subject = format!("item:{id}");
        for f in &required {
            let Some(v) = r.get(f.as_str()) else {
                push(at.clone(), format!("{id}: missing field {f}"), subject.clone());
                continue;
            };
            let fat = doc.location(&ptr(&[key, &i.to_string(), f]));
            match f.as_str() {
                "on_hand_qty" | "reorder_point" => match as_float(Some(v)) {
                    None => push(fat, format!("{id}.{f} must be numeric"), subject.clone()),
                    Some(n) if n < 0.0 => {
                        push(fat, format!("{id}.{f} cannot be negative"), subject.clone())
                    }
                    Some(_) => {}
                },
                "last_counted_at" => {
                    let t = or_empty(Some(v));
                    if parse_instant(Some(&Value::String(t))).is_none() {
                        push(fat, format!("{id}.last_counted_at is not a date or date-time"), subject.clone());
                    }
                }
                _ => {
                    if or_empty(Some(v)).trim().is_empty() {
                        push(fat, format!("{id}.{f} cannot be empty"), subject.clone());
                    }
                }
            }
        }
        let status = match r.get("lifecycle_status") {
            None => String::new(),
            Some(v) => pystr(Some(v)).trim().to_string(),
        };
        if !lifecycle.is_empty() && !lifecycle.contains(&status) {
            push(
                at.clone(),
                format!("{id}.lifecycle_status `{status}` is not one of lifecycle_statuses"),
                subject.clone(),
            );
        }
    }
}

impl NativeGate for InventoryItems {
    fn name(&self) -> &'static str {
        "inventory_items"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let (Some(parts), Some(catalog)) = (spine_doc(cx, PARTS), spine_doc(cx, CATALOG)) else {
            return Err("an inventory binding is missing".into());
        };
        let mut out = Vec::new();
        check(cx, &parts, "parts", &mut out);
        check(cx, &catalog, "materials", &mut out);
        Ok(out)
    }
}
