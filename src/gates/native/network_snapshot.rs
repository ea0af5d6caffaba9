//! D194 network-inventory-snapshot-parity-lock: the network inventory
//! snapshot is fresh and covers every observed UniFi client. A port of the
//! registry's `d194-network-inventory-snapshot-parity-lock.sh` (Python):
//! - ops/bindings/network.inventory.snapshot.yaml has lists home_devices,
//!   shop_devices, hardware_assets and upgrade_candidates;
//! - its generated_at is at most freshness_policy.max_age_hours (default
//!   24) before --now at noon UTC (see `ha_snapshot::parse_instant`);
//! - every device of network.unifi.home.clients.observed.yaml and
//!   network.unifi.shop.clients.observed.yaml (`devices[].id`) is in the
//!   snapshot's home_devices / shop_devices, and a device observed with an
//!   ip has one in the snapshot too.
//!
//! Ids and ips compare as Python's `str(value).strip()` (a null is `None`).

use super::common::*;
use super::ha_snapshot::{age_hours, parse_instant};
use super::intake_envelopes::pystr;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use serde_json::{Map, Value};
use std::collections::HashMap;

pub struct NetworkSnapshot;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: NetworkSnapshot = NetworkSnapshot;

const SNAPSHOT: &str = "ops/bindings/network.inventory.snapshot.yaml";
const HOME: &str = "ops/bindings/network.unifi.home.clients.observed.yaml";
const SHOP: &str = "ops/bindings/network.unifi.shop.clients.observed.yaml";

/// `str(row.get(key, "")).strip()`.
fn field(row: &Map<String, Value>, key: &str) -> String {
    match row.get(key) {
        None => String::new(),
        Some(v) => pystr(Some(v)).trim().to_string(),
    }
}

fn root_map(v: Option<&Value>) -> Option<Map<String, Value>> {
    match v {
        None | Some(Value::Null) => Some(Map::new()),
        Some(Value::Object(m)) => Some(m.clone()),
        // `yaml.safe_load(...) or {}`: other falsy roots read as {}.
        Some(Value::Bool(false)) => Some(Map::new()),
        Some(Value::String(s)) if s.is_empty() => Some(Map::new()),
        Some(Value::Array(a)) if a.is_empty() => Some(Map::new()),
        Some(Value::Number(n)) if n.as_f64() == Some(0.0) => Some(Map::new()),
        Some(_) => None,
    }
}

impl NativeGate for NetworkSnapshot {
    fn name(&self) -> &'static str {
        "network_snapshot"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let (Some(snap), Some(home), Some(shop)) = (
            spine_doc(cx, SNAPSHOT),
            spine_doc(cx, HOME),
            spine_doc(cx, SHOP),
        ) else {
            return Err("a network inventory binding is missing".into());
        };
        let mut out = Vec::new();
        let mut maps = Vec::new();
        for d in [&snap, &home, &shop] {
            match root_map(d.value()) {
                Some(m) => maps.push(m),
                None => {
                    out.push(
                        cx.finding_at(
                            Location::file(RepoId::Spine, &d.path),
                            format!("{} is not a mapping", d.path),
                        )
                        .with_subject(format!("file:{}", d.path)),
                    );
                }
            }
        }
        if !out.is_empty() {
            return Ok(out);
        }
        let (s, h, p) = (&maps[0], &maps[1], &maps[2]);
        let whole = || Location::file(RepoId::Spine, SNAPSHOT);
        let at = |key: &str| {
            if s.contains_key(key) {
                snap.location(&ptr(&[key]))
            } else {
                whole()
            }
        };
        for key in [
            "home_devices",
            "shop_devices",
            "hardware_assets",
            "upgrade_candidates",
        ] {
            if !s.get(key).is_some_and(Value::is_array) {
                out.push(
                    cx.finding_at(at(key), format!("section `{key}` is missing or not a list"))
                        .with_subject(format!("section:{key}")),
                );
            }
        }
        let max_age = s
            .get("freshness_policy")
            .and_then(Value::as_object)
            .map(|f| match f.get("max_age_hours") {
                None => Some(24),
                Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|x| x as i64)),
                Some(Value::String(t)) => t.trim().parse::<i64>().ok(),
                Some(Value::Bool(b)) => Some(i64::from(*b)),
                Some(_) => None,
            })
            .map(|v| v.unwrap_or(24))
            .unwrap_or(24);
        match parse_instant(s.get("generated_at")) {
            None => out.push(
                cx.finding_at(at("generated_at"), "generated_at is missing or not a date-time")
                    .with_subject(format!("file:{SNAPSHOT}")),
            ),
            Some(t) => {
                let age = age_hours(cx.now, t);
                if age > max_age as f64 {
                    out.push(
                        cx.finding_at(
                            at("generated_at"),
                            format!("the network inventory snapshot is stale ({age:.1}h old, the limit is {max_age}h)"),
                        )
                        .with_subject(format!("file:{SNAPSHOT}")),
                    );
                }
            }
        }
        let index = |key: &str| -> HashMap<String, Map<String, Value>> {
            let mut m = HashMap::new();
            if let Some(Value::Array(rows)) = s.get(key) {
                for r in rows {
                    if let Value::Object(o) = r {
                        let id = field(o, "id");
                        if !id.is_empty() {
                            m.insert(id, o.clone());
                        }
                    }
                }
            }
            m
        };
        for (name, src, doc, key) in [
            ("home", h, &home, "home_devices"),
            ("shop", p, &shop, "shop_devices"),
        ] {
            let target = index(key);
            let Some(Value::Array(rows)) = src.get("devices") else {
                continue;
            };
            for (i, r) in rows.iter().enumerate() {
                let Value::Object(o) = r else {
                    continue;
                };
                let id = field(o, "id");
                if id.is_empty() {
                    continue;
                }
                let loc = doc.location(&ptr(&["devices", &i.to_string()]));
                let Some(snap_row) = target.get(&id) else {
                    out.push(
                        cx.finding_at(
                            loc,
                            format!("{name}: observed device {id} is not in the snapshot's {key}"),
                        )
                        .with_subject(format!("device:{id}")),
                    );
                    continue;
                };
                let ip = field(o, "ip");
                if !ip.is_empty() && field(snap_row, "ip").is_empty() {
                    out.push(
                        cx.finding_at(
                            loc,
                            format!("{name}: snapshot device {id} has no ip, observed ip {ip}"),
                        )
                        .with_subject(format!("device:{id}")),
                    );
                }
            }
        }
        Ok(out)
    }
}
