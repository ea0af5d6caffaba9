//! D184 inventory-location-parity-lock: parts, materials and intake
//! envelopes sit in known locations of the right site. A port of the
//! registry's `d184-inventory-location-parity-lock.sh` (Python):
//! - ops/bindings/inventory.locations.yaml has at least one location with
//!   an id, and no id twice;
//! - every row of hardware.parts.inventory.yaml `parts`,
//!   business.inventory.catalog.yaml `materials` and every
//!   mailroom/outbox/intake/ITK-*.yaml envelope has a location_id that is a
//!   known location, and its `site` equals that location's site.
//!
//! Values compare as Python's `str(value).strip()` (a null is `None`).

use super::common::*;
use super::intake_envelopes::pystr;
use crate::documents::Document;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

pub struct InventoryLocations;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: InventoryLocations = InventoryLocations;

const LOCATIONS: &str = "ops/bindings/inventory.locations.yaml";
const PARTS: &str = "ops/bindings/hardware.parts.inventory.yaml";
const CATALOG: &str = "ops/bindings/business.inventory.catalog.yaml";
const INTAKE: &str = "mailroom/outbox/intake/";

fn field(row: &Map<String, Value>, key: &str) -> String {
    match row.get(key) {
        None => String::new(),
        Some(v) => pystr(Some(v)).trim().to_string(),
    }
}

/// `yaml.safe_load(...) or {}` must be a mapping.
fn root(doc: &Document) -> Option<Map<String, Value>> {
    match doc.value() {
        None | Some(Value::Null) | Some(Value::Bool(false)) => Some(Map::new()),
        Some(Value::Object(m)) => Some(m.clone()),
        Some(Value::String(s)) if s.is_empty() => Some(Map::new()),
        Some(Value::Array(a)) if a.is_empty() => Some(Map::new()),
        _ => None,
    }
}

fn list<'m>(m: &'m Map<String, Value>, key: &str) -> &'m [Value] {
    match m.get(key) {
        Some(Value::Array(a)) => a,
        _ => &[],
    }
}

impl NativeGate for InventoryLocations {
    fn name(&self) -> &'static str {
        "inventory_locations"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let (Some(loc_doc), Some(parts_doc), Some(cat_doc)) = (
            spine_doc(cx, LOCATIONS),
            spine_doc(cx, PARTS),
            spine_doc(cx, CATALOG),
        ) else {
            return Err("an inventory binding is missing".into());
        };
        let mut out = Vec::new();
        let mut roots = Vec::new();
        for d in [&loc_doc, &parts_doc, &cat_doc] {
            match root(d) {
                Some(m) => roots.push(m),
                None => out.push(
                    cx.finding_at(
                        Location::file(RepoId::Spine, &d.path),
                        format!("{} is not a mapping", d.path),
                    )
                    .with_subject(format!("file:{}", d.path)),
                ),
            }
        }
        if !out.is_empty() {
            return Ok(out);
        }
        let mut sites: HashMap<String, String> = HashMap::new();
        for (i, r) in list(&roots[0], "locations").iter().enumerate() {
            let Value::Object(o) = r else { continue };
            let id = field(o, "id");
            if id.is_empty() {
                continue;
            }
            if sites.contains_key(&id) {
                out.push(
                    cx.finding(&loc_doc, &ptr(&["locations", &i.to_string()]), format!("location id {id} is declared twice"))
                        .with_subject(format!("location:{id}")),
                );
            }
            sites.insert(id, field(o, "site"));
        }
        if sites.is_empty() {
            out.push(
                cx.finding_at(
                    Location::file(RepoId::Spine, LOCATIONS),
                    "inventory.locations.yaml declares no location",
                )
                .with_subject(format!("file:{LOCATIONS}")),
            );
        }
        let check = |doc: &Arc<Document>, pointer: String, row: &Map<String, Value>, id_key: &str| -> Option<Finding> {
            let rid = match field(row, id_key) {
                s if s.is_empty() => "unknown".to_string(),
                s => s,
            };
            let site = field(row, "site");
            let lid = field(row, "location_id");
            let msg = if lid.is_empty() {
                format!("{rid}: no location_id")
            } else {
                match sites.get(&lid) {
                    None => format!("{rid}: location_id {lid} is not in inventory.locations.yaml"),
                    Some(s) if *s != site => {
                        format!("{rid}: site {site} does not match location {lid} (site {s})")
                    }
                    Some(_) => return None,
                }
            };
            Some(cx.finding(doc, &pointer, msg).with_subject(format!("item:{rid}")))
        };
        for (doc, m, key) in [(&parts_doc, &roots[1], "parts"), (&cat_doc, &roots[2], "materials")] {
            for (i, r) in list(m, key).iter().enumerate() {
                if let Value::Object(o) = r {
                    out.extend(check(doc, ptr(&[key, &i.to_string()]), o, "id"));
                }
            }
        }
        for p in cx.inputs.paths(RepoId::Spine) {
            let Some(name) = p.strip_prefix(INTAKE) else { continue };
            if name.contains('/') || !name.starts_with("ITK-") || !name.ends_with(".yaml") {
                continue;
            }
            let Some(doc) = spine_doc(cx, p) else { continue };
            let parsed = if doc.is_unusable() { None } else { root(&doc) };
            match parsed {
                Some(m) => out.extend(check(&doc, String::new(), &m, "intake_id")),
                None => out.push(
                    cx.finding_at(
                        Location::file(RepoId::Spine, p),
                        format!("{name} is not a valid YAML mapping"),
                    )
                    .with_subject(format!("file:{p}")),
                ),
            }
        }
        Ok(out)
    }
}
