//! D191 media-content-ledger-parity-lock: observed media items are
//! accounted for in the media ledger, and the observed snapshot is fresh. A
//! port of the registry's `d191-media-content-ledger-parity-lock.sh`
//! (Python), over ops/bindings/media.content.snapshot.yaml (observed) and
//! ops/bindings/media.content.ledger.yaml:
//! - the snapshot's generated_at is valid and at most
//!   freshness_policy.max_age_hours (default 24) before --now at noon UTC;
//! - every observed movie, tv and music item (a text, or a mapping's `id`)
//!   with a ledger entry (`items[].id`) has status approved or ignored, no
//!   other `class`, and, when ignored, an expires_on date not before --now;
//! - an observed item without a ledger entry fails once the snapshot is at
//!   least grace_policy.fail_at_or_after_hours (default 24) old; younger,
//!   the script only warns, and driftgate reports nothing.

use super::common::*;
use super::ha_snapshot::{age_hours, parse_instant};
use super::intake_envelopes::pystr;
use crate::documents::Document;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use serde_json::{Map, Value};
use std::collections::HashMap;

pub struct MediaLedger;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: MediaLedger = MediaLedger;

const LEDGER: &str = "ops/bindings/media.content.ledger.yaml";
const OBSERVED: &str = "ops/bindings/media.content.snapshot.yaml";

fn field(row: &Map<String, Value>, key: &str) -> String {
    match row.get(key) {
        None => String::new(),
        Some(v) => pystr(Some(v)).trim().to_string(),
    }
}

/// `int(m.get(key, default))`; Err when Python's int() would raise.
fn py_int(m: &Map<String, Value>, key: &str, default: i64) -> Result<i64, String> {
    match m.get(key) {
        None => Ok(default),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f.trunc() as i64))
            .ok_or_else(|| format!("{key} is not an integer")),
        Some(Value::Bool(b)) => Ok(i64::from(*b)),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("{key} `{s}` is not an integer")),
        Some(_) => Err(format!("{key} is not an integer")),
    }
}

fn root(doc: &Document) -> Option<Map<String, Value>> {
    match doc.value() {
        None | Some(Value::Null) | Some(Value::Bool(false)) => Some(Map::new()),
        Some(Value::Object(m)) => Some(m.clone()),
        Some(Value::String(s)) if s.is_empty() => Some(Map::new()),
        Some(Value::Array(a)) if a.is_empty() => Some(Map::new()),
        _ => None,
    }
}

fn sub<'m>(m: &'m Map<String, Value>, key: &str) -> Option<&'m Map<String, Value>> {
    m.get(key).and_then(Value::as_object)
}

impl NativeGate for MediaLedger {
    fn name(&self) -> &'static str {
        "media_ledger"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let (Some(ledger_doc), Some(obs_doc)) = (spine_doc(cx, LEDGER), spine_doc(cx, OBSERVED)) else {
            return Err("a media content binding is missing".into());
        };
        let mut out = Vec::new();
        let (Some(ledger), Some(observed)) = (root(&ledger_doc), root(&obs_doc)) else {
            out.push(
                cx.finding_at(
                    Location::file(RepoId::Spine, LEDGER),
                    "a media content binding is not a mapping",
                )
                .with_subject(format!("file:{LEDGER}")),
            );
            return Ok(out);
        };
        let empty = Map::new();
        let obs_at = |key: &str| {
            if observed.contains_key(key) {
                obs_doc.location(&ptr(&[key]))
            } else {
                Location::file(RepoId::Spine, OBSERVED)
            }
        };
        let max_age = match py_int(sub(&observed, "freshness_policy").unwrap_or(&empty), "max_age_hours", 24) {
            Ok(v) => v,
            Err(e) => {
                out.push(cx.finding_at(obs_at("freshness_policy"), format!("freshness_policy: {e}")));
                return Ok(out);
            }
        };
        let generated = parse_instant(observed.get("generated_at"));
        match generated {
            None => out.push(
                cx.finding_at(obs_at("generated_at"), "media.content.snapshot generated_at is missing or not a date-time")
                    .with_subject(format!("file:{OBSERVED}")),
            ),
            Some(t) => {
                let age = age_hours(cx.now, t);
                if age > max_age as f64 {
                    out.push(
                        cx.finding_at(
                            obs_at("generated_at"),
                            format!("media.content.snapshot is stale ({age:.1}h old, the limit is {max_age}h)"),
                        )
                        .with_subject(format!("file:{OBSERVED}")),
                    );
                }
            }
        }
        let policy = sub(&ledger, "grace_policy").unwrap_or(&empty);
        let grace = py_int(policy, "warn_under_hours", 24)
            .and_then(|_| py_int(policy, "fail_at_or_after_hours", 24));
        let fail_at = match grace {
            Ok(v) => v,
            Err(e) => {
                out.push(
                    cx.finding_at(Location::file(RepoId::Spine, LEDGER), format!("grace_policy: {e}")),
                );
                return Ok(out);
            }
        };
        let mut entries: HashMap<String, &Map<String, Value>> = HashMap::new();
        if let Some(Value::Array(rows)) = ledger.get("items") {
            for r in rows {
                if let Value::Object(o) = r {
                    let id = field(o, "id");
                    if !id.is_empty() {
                        entries.insert(id, o);
                    }
                }
            }
        }
        let today = cx.now.format("%Y-%m-%d").to_string();
        for (key, class) in [("movies", "movie"), ("tv", "tv"), ("music", "music")] {
            let Some(Value::Array(rows)) = observed.get(key) else {
                continue;
            };
            for (i, row) in rows.iter().enumerate() {
                let id = match row {
                    Value::String(s) => s.trim().to_string(),
                    Value::Object(o) => field(o, "id"),
                    _ => continue,
                };
                if id.is_empty() {
                    continue;
                }
                let at = obs_doc.location(&ptr(&[key, &i.to_string()]));
                let subject = format!("media:{id}");
                let mut push = |m: String| {
                    out.push(cx.finding_at(at.clone(), m).with_subject(subject.clone()));
                };
                match entries.get(&id).filter(|e| !e.is_empty()) {
                    Some(e) => {
                        let status = field(e, "status").to_lowercase();
                        if status != "approved" && status != "ignored" {
                            let shown = if status.is_empty() { "empty".to_string() } else { status };
                            push(format!("{id}: ledger status must be approved or ignored, not {shown}"));
                            continue;
                        }
                        let ledger_class = field(e, "class").to_lowercase();
                        if !ledger_class.is_empty() && ledger_class != class {
                            push(format!("{id}: observed as {class}, the ledger says {ledger_class}"));
                        }
                        if status == "ignored" {
                            let exp = e
                                .get("expires_on")
                                .map(|v| Value::String(pystr(Some(v))))
                                .and_then(|v| parse_instant(Some(&v)));
                            match exp {
                                None => push(format!("{id}: an ignored entry needs a valid expires_on")),
                                Some(t) => {
                                    let d = t.format("%Y-%m-%d").to_string();
                                    if d < today {
                                        push(format!("{id}: ignored until {d}, which has passed"));
                                    }
                                }
                            }
                        }
                    }
                    None => {
                        let age = generated.map_or(0.0, |t| age_hours(cx.now, t));
                        if age >= fail_at as f64 {
                            push(format!(
                                "unledgered media {class} {id}, observed {age:.1}h ago (the limit is {fail_at}h)"
                            ));
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}
