//! D193 ha-inventory-snapshot-completeness-lock: the Home Assistant
//! inventory snapshot has every section and is at most 24 hours old. A port
//! of the registry's `d193-ha-inventory-snapshot-completeness-lock.sh`
//! (Python): ops/bindings/ha.inventory.snapshot.yaml is a mapping whose
//! devices, entities, scenes, dashboards, automations, addons, integrations
//! and hacs_addons are lists, and whose `generated_at` parses (see
//! [`parse_instant`]) to an instant no more than 24 hours before --now at
//! noon UTC (the time shadow gives the script).

use super::common::*;
use super::intake_envelopes::pystr;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

pub struct HaSnapshot;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: HaSnapshot = HaSnapshot;

const SNAPSHOT: &str = "ops/bindings/ha.inventory.snapshot.yaml";
const SECTIONS: [&str; 8] = [
    "devices",
    "entities",
    "scenes",
    "dashboards",
    "automations",
    "addons",
    "integrations",
    "hacs_addons",
];

/// The scripts' `parse_dt(str(value))`: a 10-character text is a date at
/// midnight UTC; otherwise an ISO 8601 date-time (`Z` or an offset; none
/// means UTC). None when it does not parse.
pub(crate) fn parse_instant(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let raw = match v {
        None => String::new(),
        Some(v) => pystr(Some(v)),
    };
    let text = raw.trim();
    if text.is_empty() {
        return None;
    }
    if text.chars().count() == 10 {
        let d = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
        return Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?));
    }
    let t = match text.strip_suffix('Z') {
        Some(s) => format!("{s}+00:00"),
        None => text.to_string(),
    };
    for f in ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M%:z"] {
        if let Ok(dt) = DateTime::<FixedOffset>::parse_from_str(&t, f) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(&t, f) {
            return Some(Utc.from_utc_datetime(&dt));
        }
    }
    None
}

/// Hours from `t` to --now at noon UTC.
pub(crate) fn age_hours(now: NaiveDate, t: DateTime<Utc>) -> f64 {
    let noon = now
        .and_hms_opt(12, 0, 0)
        .map(|n| Utc.from_utc_datetime(&n))
        .unwrap_or(t);
    (noon - t).num_seconds() as f64 / 3600.0
}

impl NativeGate for HaSnapshot {
    fn name(&self) -> &'static str {
        "ha_snapshot"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(doc) = spine_doc(cx, SNAPSHOT) else {
            return Err(format!("{SNAPSHOT} is missing"));
        };
        let whole = || Location::file(RepoId::Spine, SNAPSHOT);
        let root = match doc.value() {
            None | Some(Value::Null) => Value::Object(Default::default()),
            Some(v) => v.clone(),
        };
        let Some(map) = root.as_object() else {
            return Ok(vec![cx
                .finding_at(whole(), "the HA inventory snapshot is not a mapping")
                .with_subject(format!("file:{SNAPSHOT}"))]);
        };
        let mut out = Vec::new();
        for s in SECTIONS {
            if !map.get(s).is_some_and(Value::is_array) {
                let loc = if map.contains_key(s) {
                    doc.location(&ptr(&[s]))
                } else {
                    whole()
                };
                out.push(
                    cx.finding_at(loc, format!("section `{s}` is missing or not a list"))
                        .with_subject(format!("section:{s}")),
                );
            }
        }
        let at = || {
            if map.contains_key("generated_at") {
                doc.location(&ptr(&["generated_at"]))
            } else {
                whole()
            }
        };
        match parse_instant(map.get("generated_at")) {
            None => out.push(
                cx.finding_at(at(), "generated_at is missing or not a date-time")
                    .with_subject(format!("file:{SNAPSHOT}")),
            ),
            Some(t) => {
                let age = age_hours(cx.now, t);
                if age > 24.0 {
                    out.push(
                        cx.finding_at(
                            at(),
                            format!("the HA inventory snapshot is stale ({age:.1}h old, the limit is 24h)"),
                        )
                        .with_subject(format!("file:{SNAPSHOT}")),
                    );
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::{age_hours, parse_instant};
    use serde_json::json;

    #[test]
    fn instants_parse_as_the_scripts_parse_them() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 3, 4).expect("date");
        let t = parse_instant(Some(&json!("2026-03-04T06:00:00Z"))).expect("z");
        assert_eq!(age_hours(now, t), 6.0);
        let t = parse_instant(Some(&json!("2026-03-03"))).expect("date");
        assert_eq!(age_hours(now, t), 36.0);
        let t = parse_instant(Some(&json!("2026-03-04T07:00:00-05:00"))).expect("offset");
        assert_eq!(age_hours(now, t), 0.0);
        assert!(parse_instant(Some(&json!("soon"))).is_none());
        assert!(parse_instant(None).is_none());
    }
}
