//! D188 network-device-ledger-parity-lock, as the registry's script judges
//! it (its Python is the spec):
//!
//! 1. each observed UniFi client feed (home, shop) has a `generated_at`
//!    (a date, or an ISO time; naive times are UTC) no older than its
//!    `freshness_policy.max_age_hours` (default 24) at --now noon UTC;
//! 2. every observed device (`devices[]` of both feeds) has an `id`; one
//!    whose `status` (default `active`, case-insensitive) is active, online
//!    or present has a ledger entry (`items[]` of
//!    ops/bindings/network.devices.ledger.yaml, by `id`) with status
//!    approved or ignored; observed `site` and the entry's
//!    `location_or_site` agree when both are set; an ignored entry has an
//!    `expires_on` date not before --now.
//!
//! Values are read as the script's Python renders them (`str(None)` is
//! `None`).

use super::common::*;
use crate::findings::{Finding, Location};
use crate::gates::{GateContext, NativeGate};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;
use std::collections::HashMap;

pub struct NetworkLedger;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: NetworkLedger = NetworkLedger;

const LEDGER: &str = "ops/bindings/network.devices.ledger.yaml";
const FEEDS: [(&str, &str); 2] = [
    ("home", "ops/bindings/network.unifi.home.clients.observed.yaml"),
    ("shop", "ops/bindings/network.unifi.shop.clients.observed.yaml"),
];

/// Python's `str(value)` for a YAML scalar.
fn py_str(v: Option<&Value>) -> String {
    match v {
        None => String::new(),
        Some(Value::Null) => "None".into(),
        Some(Value::Bool(true)) => "True".into(),
        Some(Value::Bool(false)) => "False".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The script's `parse_dt`: `YYYY-MM-DD` (10 characters) is midnight UTC;
/// otherwise `datetime.fromisoformat` after `Z` → `+00:00`, naive = UTC.
fn parse_dt(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if t.chars().count() == 10 {
        return NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc());
    }
    let z = match t.strip_suffix('Z') {
        Some(head) => format!("{head}+00:00"),
        None => t.to_string(),
    };
    let iso = z.replacen(' ', "T", 1);
    if let Ok(d) = DateTime::parse_from_rfc3339(&iso) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_str(&iso, "%Y-%m-%dT%H:%M%:z") {
        return Some(d.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(&iso, f) {
            return Some(d.and_utc());
        }
    }
    None
}

/// The script's `parse_date`: the date of `parse_dt`'s reading (without
/// converting an offset to UTC first, as `fromisoformat(...).date()` does).
fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if t.chars().count() == 10 {
        return NaiveDate::parse_from_str(t, "%Y-%m-%d").ok();
    }
    parse_dt(t)?;
    NaiveDate::parse_from_str(t.get(..10)?, "%Y-%m-%d").ok()
}

fn items<'v>(root: Option<&'v Value>, key: &str) -> Vec<(usize, &'v Value)> {
    root.and_then(|r| r.get(key))
        .and_then(Value::as_array)
        .map(|a| a.iter().enumerate().collect())
        .unwrap_or_default()
}

impl NativeGate for NetworkLedger {
    fn name(&self) -> &'static str {
        "network_ledger"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let mut out = Vec::new();
        // All three are required inputs: without one the gate is skipped.
        let Some(ledger) = spine_doc(cx, LEDGER) else {
            return Ok(out);
        };
        let feeds: Vec<_> = FEEDS
            .iter()
            .filter_map(|(name, path)| spine_doc(cx, path).map(|d| (*name, d)))
            .collect();
        for doc in std::iter::once(&ledger).chain(feeds.iter().map(|(_, d)| d)) {
            if !matches!(doc.value(), Some(Value::Object(_))) {
                out.push(cx.finding_at(
                    Location::at(doc.repo, &doc.path, doc.lines().line_span(1)),
                    "not a mapping at the YAML root (the script cannot parse it)",
                ));
                return Ok(out);
            }
        }
        let now = cx
            .now
            .and_hms_opt(12, 0, 0)
            .map(|t| t.and_utc())
            .ok_or("bad --now")?;

        // 1. Feed freshness.
        for (name, doc) in &feeds {
            let root = doc.value();
            let max_hours = root
                .and_then(|r| r.get("freshness_policy"))
                .filter(|p| p.is_object())
                .and_then(|p| p.get("max_age_hours"))
                .map(|v| match v {
                    Value::Number(n) => n.as_f64().map(|f| f.trunc() as i64),
                    Value::String(s) => s.trim().parse::<i64>().ok(),
                    Value::Bool(b) => Some(i64::from(*b)),
                    _ => None,
                })
                .unwrap_or(Some(24));
            let Some(max_hours) = max_hours else {
                // int() of something else raises: the script crashes (fails).
                out.push(
                    cx.finding(doc, "/freshness_policy/max_age_hours", format!("{name}: freshness_policy.max_age_hours is not an integer"))
                        .with_subject(format!("file:{}", doc.path)),
                );
                continue;
            };
            let raw = py_str(root.and_then(|r| r.get("generated_at")));
            let ptr = if root.and_then(|r| r.get("generated_at")).is_some() {
                "/generated_at"
            } else {
                ""
            };
            match parse_dt(&raw) {
                None => out.push(
                    cx.finding(doc, ptr, format!("{name}: missing or invalid generated_at"))
                        .with_subject(format!("file:{}", doc.path)),
                ),
                Some(t) => {
                    let age = (now - t).num_seconds() as f64 / 3600.0;
                    if age > max_hours as f64 {
                        out.push(
                            cx.finding(
                                doc,
                                ptr,
                                format!("{name}: observed feed is stale ({age:.1} h old, the limit is {max_hours} h)"),
                            )
                            .with_subject(format!("file:{}", doc.path)),
                        );
                    }
                }
            }
        }

        // 2. Observed devices against the ledger.
        let mut map: HashMap<String, (usize, &Value)> = HashMap::new();
        for (i, row) in items(ledger.value(), "items") {
            if !row.is_object() {
                continue;
            }
            let id = py_str(row.get("id")).trim().to_string();
            if !id.is_empty() {
                map.insert(id, (i, row));
            }
        }
        for (_, doc) in &feeds {
            for (i, row) in items(doc.value(), "devices") {
                if !row.is_object() {
                    continue;
                }
                let ptr = format!("/devices/{i}");
                let id = py_str(row.get("id")).trim().to_string();
                let site = py_str(row.get("site")).trim().to_string();
                let status = match row.get("status") {
                    None => "active".to_string(),
                    v => py_str(v).trim().to_lowercase(),
                };
                if id.is_empty() {
                    out.push(cx.finding(doc, &ptr, "observed device entry has no id"));
                    continue;
                }
                if !matches!(status.as_str(), "active" | "online" | "present") {
                    continue;
                }
                let subject = format!("network-device:{id}");
                let Some((_, entry)) = map.get(&id) else {
                    out.push(
                        cx.finding(doc, &ptr, format!("observed network device `{id}` has no entry in {LEDGER}"))
                            .with_subject(subject),
                    );
                    continue;
                };
                let lstatus = py_str(entry.get("status")).trim().to_lowercase();
                if !matches!(lstatus.as_str(), "approved" | "ignored") {
                    let shown = if lstatus.is_empty() { "empty" } else { &lstatus };
                    out.push(
                        cx.finding(doc, &ptr, format!("network device `{id}`: ledger status must be approved or ignored (it is {shown})"))
                            .with_subject(subject),
                    );
                    continue;
                }
                let lsite = py_str(entry.get("location_or_site")).trim().to_string();
                if !site.is_empty() && !lsite.is_empty() && site != lsite {
                    out.push(
                        cx.finding(doc, &ptr, format!("network device `{id}`: observed site {site}, ledger says {lsite}"))
                            .with_subject(subject.clone()),
                    );
                }
                if lstatus == "ignored" {
                    match parse_date(&py_str(entry.get("expires_on"))) {
                        None => out.push(
                            cx.finding(doc, &ptr, format!("network device `{id}`: an ignored ledger entry needs a valid expires_on"))
                                .with_subject(subject),
                        ),
                        Some(d) if d < cx.now => out.push(
                            cx.finding(doc, &ptr, format!("network device `{id}`: ignored until {d}, which is past"))
                                .with_subject(subject),
                        ),
                        Some(_) => {}
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    #[test]
    fn times_parse_like_the_script() {
        let s = |t: &str| parse_dt(t).map(|d| d.to_rfc3339());
        assert_eq!(s("2026-03-04").as_deref(), Some("2026-03-04T00:00:00+00:00"));
        assert_eq!(s("2026-03-04T20:10:03Z").as_deref(), Some("2026-03-04T20:10:03+00:00"));
        assert_eq!(s("2026-03-04T20:10:03").as_deref(), Some("2026-03-04T20:10:03+00:00"));
        assert_eq!(s("2026-03-04T20:10:03+02:00").as_deref(), Some("2026-03-04T18:10:03+00:00"));
        assert_eq!(s("yesterday"), None);
        assert_eq!(parse_date("2026-03-04T23:00:00-05:00"), NaiveDate::from_ymd_opt(2026, 3, 4));
    }

    #[test]
    fn stale_feeds_and_unledgered_devices() {
        let f = findings(run_gate(
            "D188",
            &[
                (LEDGER, "items:\n  - id: a\n    status: approved\n    location_or_site: home\n  - id: b\n    status: ignored\n    expires_on: '2026-01-01'\n"),
                (FEEDS[0].1, "generated_at: '2026-11-20T06:00:00Z'\ndevices:\n  - id: a\n    site: shop\n  - id: b\n  - id: c\n    status: offline\n  - id: d\n"),
                (FEEDS[1].1, "generated_at: '2026-11-18T06:00:00Z'\nfreshness_policy:\n  max_age_hours: 24\ndevices: []\n"),
            ],
            None,
            None,
        ));
        let got: Vec<(String, usize)> = f
            .iter()
            .map(|f| (f.location.path.clone(), f.location.line()))
            .collect();
        assert_eq!(
            got,
            vec![
                (FEEDS[1].1.to_string(), 1),
                (FEEDS[0].1.to_string(), 3),
                (FEEDS[0].1.to_string(), 5),
                (FEEDS[0].1.to_string(), 8),
            ],
            "{f:#?}"
        );
    }
}
