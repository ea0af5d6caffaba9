//! D252, D254, D255, D256: the W52 containment-control locks. Ports of the
//! registry's `d252-container-oom-exit-lock.sh`, `d254-image-age-budget-lock.sh`,
//! `d255-md1400-capacity-monitor-lock.sh` and `d256-credential-spof-lock.sh`,
//! four copies of one script that differ in the control id, the W51 evidence
//! marker and (D252) a check of the linked gap's parent loop.
//!
//! For control `<ID>` of `docs/CANONICAL/W52_FOUNDATIONAL_CONTAINMENT_CONTRACT_V1.yaml`:
//! `controls.<ID>.gate_id` is the id, `policy.report_mode` is true,
//! `policy.promotion_criteria` is not empty, `linked_gap_id` is set and is a
//! gap of `ops/bindings/operational.gaps.yaml`; when
//! `docs/planning/W52_CONTROL_TO_FINDING_MAPPING.md` exists it mentions the id
//! and the gap; when the W51 receipt exists it carries the evidence marker.
//! The contract's `mode.default_policy` (default `report`) decides: in
//! `report` mode the script only prints these and passes, so there are no
//! findings; in `enforce` mode each is a finding; any other mode is one.

use super::common::*;
use crate::documents::Document;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use regex::RegexBuilder;
use crate::model::values::{yq_or_empty as txt};
use serde_json::Value;

pub struct W52Control;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: W52Control = W52Control;

const CONTRACT: &str = "docs/CANONICAL/W52_FOUNDATIONAL_CONTAINMENT_CONTRACT_V1.yaml";
const GAPS: &str = "ops/bindings/operational.gaps.yaml";
const MAPPING: &str = "docs/planning/W52_CONTROL_TO_FINDING_MAPPING.md";
const W51: &str = "docs/planning/W51_FOUNDATIONAL_FORENSIC_AUDIT_MASTER_RECEIPT.md";
const D252_LOOP: &str = "LOOP-SPINE-W52-CONTAINMENT-AUTOMATION-20260227-20260301";

/// The W51 evidence marker (a case-insensitive regex) of each control.
fn marker(id: &str) -> Option<&'static str> {
    match id {
        "D252" => Some(r"OOM \(137\)|containers stopped with OOM"),
        "D254" => Some(r"minio image 173 days old|image age"),
        "D255" => Some(r"No MD1400 capacity monitoring|MD1400"),
        "D256" => Some(r"Single point of failure \(Ronny credentials\)|credential"),
        _ => None,
    }
}

/// yq's `length`: arrays and maps count members, strings characters, null 0.
fn yq_length(v: Option<&Value>) -> Option<usize> {
    match v {
        None | Some(Value::Null) => Some(0),
        Some(Value::Array(a)) => Some(a.len()),
        Some(Value::Object(o)) => Some(o.len()),
        Some(Value::String(s)) => Some(s.chars().count()),
        Some(_) => None,
    }
}

fn get<'a>(v: Option<&'a Value>, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v?, |v, k| v.get(*k))
}

/// The deepest existing pointer along `path` (for the finding's location).
fn nearest(doc: &Document, path: &[&str]) -> String {
    let mut n = path.len();
    while n > 0 && get(doc.value(), &path[..n]).is_none() {
        n -= 1;
    }
    ptr(&path[..n])
}

impl NativeGate for W52Control {
    fn name(&self) -> &'static str {
        "w52_control"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let id = cx.meta.id.as_str();
        let re = marker(id).ok_or_else(|| format!("w52_control does not know control {id}"))?;
        let Some(contract) = spine_doc(cx, CONTRACT) else {
            return Ok(vec![missing_file(cx, CONTRACT, "the control cannot be checked")]);
        };
        let Some(gaps) = spine_doc(cx, GAPS) else {
            return Ok(vec![missing_file(cx, GAPS, "the linked gap cannot be checked")]);
        };
        let c = contract.value();
        let subject = format!("control:{id}");
        let mode = match get(c, &["mode", "default_policy"]) {
            None | Some(Value::Null) | Some(Value::Bool(false)) => "report".to_string(),
            v => txt(v),
        };
        if mode != "report" && mode != "enforce" {
            let p = nearest(&contract, &["mode", "default_policy"]);
            return Ok(vec![cx
                .finding(
                    &contract,
                    &p,
                    format!("mode.default_policy `{mode}` is neither report nor enforce"),
                )
                .with_subject(subject)]);
        }
        if mode == "report" {
            return Ok(Vec::new());
        }
        let ctl = ["controls", id];
        let mut out: Vec<(String, String)> = Vec::new();
        let at = |rest: &[&str]| {
            let mut p = ctl.to_vec();
            p.extend_from_slice(rest);
            nearest(&contract, &p)
        };
        let gate_id = txt(get(c, &["controls", id, "gate_id"]));
        if gate_id != id {
            out.push((
                at(&["gate_id"]),
                format!("controls.{id}.gate_id is `{gate_id}`, not {id}"),
            ));
        }
        if txt(get(c, &["controls", id, "policy", "report_mode"])) != "true" {
            out.push((
                at(&["policy", "report_mode"]),
                format!("controls.{id}.policy.report_mode must stay true"),
            ));
        }
        let criteria = yq_length(get(c, &["controls", id, "policy", "promotion_criteria"]));
        if criteria.is_none_or(|n| n == 0) {
            out.push((
                at(&["policy", "promotion_criteria"]),
                format!("controls.{id}.policy.promotion_criteria is empty"),
            ));
        }
        let gap = txt(get(c, &["controls", id, "linked_gap_id"]));
        let mut findings: Vec<Finding> = Vec::new();
        if gap.is_empty() {
            out.push((
                at(&["linked_gap_id"]),
                format!("controls.{id} has no linked_gap_id"),
            ));
        } else {
            let first = gaps
                .value()
                .and_then(|g| g.get("gaps"))
                .and_then(Value::as_array)
                .and_then(|a| {
                    a.iter()
                        .find(|g| g.get("id").and_then(Value::as_str) == Some(gap.as_str()))
                });
            match first {
                None => out.push((
                    at(&["linked_gap_id"]),
                    format!("linked gap {gap} is not in {GAPS}"),
                )),
                Some(g) if id == "D252" => {
                    let parent = txt(g.get("parent_loop"));
                    if parent != D252_LOOP {
                        out.push((
                            at(&["linked_gap_id"]),
                            format!("linked gap {gap} has parent_loop `{parent}`, not {D252_LOOP}"),
                        ));
                    }
                }
                Some(_) => {}
            }
        }
        if let Some(map) = cx.doc(RepoId::Spine, MAPPING) {
            let mut wanted = vec![id.to_string()];
            if !gap.is_empty() {
                wanted.push(gap.clone());
            }
            for w in wanted {
                let found = RegexBuilder::new(&w)
                    .build()
                    .map(|r| r.is_match(&map.text))
                    .unwrap_or(false);
                if !found {
                    findings.push(
                        cx.finding_at(
                            Location::file(RepoId::Spine, MAPPING),
                            format!("the W52 control mapping does not mention {w}"),
                        )
                        .with_subject(subject.clone()),
                    );
                }
            }
        }
        if let Some(w51) = cx.doc(RepoId::Spine, W51) {
            let found = RegexBuilder::new(re)
                .case_insensitive(true)
                .build()
                .map(|r| r.is_match(&w51.text))
                .map_err(|e| e.to_string())?;
            if !found {
                findings.push(
                    cx.finding_at(
                        Location::file(RepoId::Spine, W51),
                        format!("the W51 receipt lacks the evidence marker of {id} (`{re}`)"),
                    )
                    .with_subject(subject.clone()),
                );
            }
        }
        let mut all: Vec<Finding> = out
            .into_iter()
            .map(|(p, m)| cx.finding(&contract, &p, m).with_subject(subject.clone()))
            .collect();
        all.extend(findings);
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    fn contract(mode: &str, report_mode: bool) -> String {
        format!(
            "mode:\n  default_policy: {mode}\ncontrols:\n  D254:\n    gate_id: D254\n    linked_gap_id: GAP-1\n    policy:\n      report_mode: {report_mode}\n      promotion_criteria: [a]\n"
        )
    }
    const GAPS_OK: &str = "gaps:\n  - id: GAP-1\n    parent_loop: L\n";

    #[test]
    fn report_mode_judges_nothing_enforce_mode_judges_everything() {
        let bad = contract("report", false);
        let f = findings(run_gate("D254", &[(CONTRACT, &bad), (GAPS, "gaps: []\n")], None, None));
        assert!(f.is_empty(), "{:?}", summary(&f));
        let bad = contract("enforce", false);
        let f = findings(run_gate(
            "D254",
            &[(CONTRACT, &bad), (GAPS, "gaps: []\n"), (W51, "nothing here\n")],
            None,
            None,
        ));
        let msgs: Vec<_> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(msgs[0].contains("report_mode"));
        assert!(msgs[1].contains("GAP-1 is not in"));
        assert!(msgs[2].contains("evidence marker"));
        let good = contract("enforce", true);
        let f = findings(run_gate(
            "D254",
            &[(CONTRACT, &good), (GAPS, GAPS_OK), (W51, "The Image Age of minio\n")],
            None,
            None,
        ));
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn an_unknown_mode_is_a_finding() {
        let odd = contract("strict", true);
        let f = findings(run_gate("D254", &[(CONTRACT, &odd), (GAPS, GAPS_OK)], None, None));
        assert_eq!(f.len(), 1, "{:?}", summary(&f));
        assert!(f[0].message.contains("`strict`"));
    }
}
