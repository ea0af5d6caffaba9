//! D115 ha-ssot-baseline-freshness: the registry's
//! `d115-ha-ssot-baseline-freshness.sh`, in-process, judged as on the
//! spine's own macOS machines. `ops/bindings/ha.ssot.baseline.yaml` is not
//! empty; its `generated` timestamp (`YYYY-MM-DDTHH:MM:SSZ`) parses and is
//! at most 14 whole days old; the twelve HA sub-bindings exist and are not
//! empty; `health.entities_unexpected_unavailable` (default 0) is below 50
//! (a value that is not an integer is not judged, as bash's `-ge` errors
//! inside an `if`).

use super::common::*;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use chrono::NaiveDateTime;
use crate::model::values::{yq_or_empty as yq_text};
use serde_json::Value;

pub struct HaBaseline;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: HaBaseline = HaBaseline;

const BASELINE: &str = "ops/bindings/ha.ssot.baseline.yaml";
const MAX_AGE_DAYS: i64 = 14;
const REQUIRED: [&str; 12] = [
    "ha.addons.yaml",
    "ha.automations.yaml",
    "ha.dashboards.yaml",
    "ha.helpers.yaml",
    "ha.integrations.yaml",
    "ha.scenes.yaml",
    "ha.scripts.yaml",
    "ha.hacs.yaml",
    "ha.entity.state.baseline.yaml",
    "ha.device.map.yaml",
    "z2m.devices.yaml",
    "zwave.devices.yaml",
];

impl NativeGate for HaBaseline {
    fn name(&self) -> &'static str {
        "ha_baseline"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(doc) = spine_doc(cx, BASELINE) else {
            return Err(format!("{BASELINE} is missing"));
        };
        let subject = format!("file:{BASELINE}");
        if doc.text.is_empty() {
            return Ok(vec![cx
                .finding_at(Location::file(RepoId::Spine, BASELINE), "the HA SSOT baseline is empty")
                .with_subject(subject)]);
        }
        let mut out = Vec::new();
        let v = doc.value();
        let generated = yq_text(v.and_then(|v| v.get("generated")));
        if generated.is_empty() {
            out.push(cx.finding(&doc, "", "the HA SSOT baseline has no `generated` timestamp").with_subject(subject.clone()));
        } else {
            match NaiveDateTime::parse_from_str(&generated, "%Y-%m-%dT%H:%M:%SZ") {
                Err(_) => out.push(
                    cx.finding(&doc, "/generated", format!("cannot parse the `generated` timestamp `{generated}` (YYYY-MM-DDTHH:MM:SSZ)"))
                        .with_subject(subject.clone()),
                ),
                Ok(at) => {
                    let now = cx.now.and_hms_opt(12, 0, 0).unwrap_or_default();
                    let age = (now - at).num_seconds().div_euclid(86_400);
                    if age > MAX_AGE_DAYS {
                        out.push(
                            cx.finding(&doc, "/generated", format!("the HA SSOT baseline is {age} days old (at most {MAX_AGE_DAYS}); rebuild it"))
                                .with_subject(subject.clone()),
                        );
                    }
                }
            }
        }
        for b in REQUIRED {
            let path = format!("ops/bindings/{b}");
            let present = cx.doc(RepoId::Spine, &path).is_some_and(|d| !d.text.is_empty());
            if !present {
                out.push(
                    cx.finding_at(Location::file(RepoId::Spine, &path), format!("required HA sub-binding {b} is missing or empty"))
                        .with_subject(format!("file:{path}")),
                );
            }
        }
        let unexpected = v
            .and_then(|v| v.pointer("/health/entities_unexpected_unavailable"))
            .cloned();
        let n = match &unexpected {
            None | Some(Value::Null) | Some(Value::Bool(false)) => Some(0),
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        if let Some(n) = n {
            if n >= 50 {
                out.push(
                    cx.finding(&doc, "/health/entities_unexpected_unavailable", format!("{n} entities are unexpectedly unavailable (fewer than 50 allowed)"))
                        .with_subject(subject),
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

    fn files(baseline: &str) -> Vec<(String, String)> {
        let mut v = vec![(BASELINE.to_string(), baseline.to_string())];
        for b in REQUIRED {
            v.push((format!("ops/bindings/{b}"), "items: []\n".to_string()));
        }
        v
    }

    fn run(baseline: &str, drop: usize) -> Vec<Finding> {
        let owned = files(baseline);
        let refs: Vec<(&str, &str)> = owned
            .iter()
            .take(owned.len() - drop)
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        findings(run_gate("D115", &refs, None, None))
    }

    #[test]
    fn fresh_complete_baseline_passes() {
        // --now 2026-11-20 in tests: 14 days and a half
        let f = run("generated: '2026-11-06T00:00:00Z'\nhealth:\n  entities_unexpected_unavailable: 49\n", 0);
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn stale_incomplete_or_unhealthy_baselines_fail() {
        let f = run("generated: '2026-11-05T11:00:00Z'\nhealth:\n  entities_unexpected_unavailable: 50\n", 1);
        assert_eq!(f.len(), 3, "{:?}", summary(&f));
        let f = run("generated: '2026-11-05'\n", 0);
        assert_eq!(f.len(), 1, "{:?}", summary(&f));
    }
}
