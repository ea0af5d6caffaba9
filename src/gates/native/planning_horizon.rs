//! D308 planning-horizon-integrity: the registry's
//! `d308-planning-horizon-integrity.sh`, in-process, reading the loop
//! scopes' front matter line by line as the script's awk/grep/sed do.
//!
//! Front matter: the lines after a first line `---` up to the next `---`
//! line (or the end). A field is the rest of the first front-matter line
//! starting `field:`, minus the spaces after the colon and every `"`
//! (so a trailing comment stays part of the value, as in the script).
//!
//! Per `mailroom/state/loop-scopes/*.scope.md`:
//! - no front matter: a line starting `status:` + blanks + active|open|draft
//!   (prefix) is a finding; otherwise the scope is not judged;
//! - front matter without `status`: a finding;
//! - status active|draft|open|planned with a `loop_id`: horizon (if set) is
//!   now|later|future; active/open loops with a horizon use `now`; planned
//!   loops use later|future; execution_readiness (if set) is
//!   runnable|blocked; a later/future loop's activation_trigger (if set) is
//!   manual|date|dependency, `date` needs not_before_est and `dependency`
//!   needs depends_on_loop; a blocked loop has a non-empty `blocked_by`
//!   (inline other than none/[]/{}/null, or indented lines below it).
//!
//! Per plan of `mailroom/state/plans/index.yaml` (when present): status
//! (default deferred; `cancelled` reads canceled) is
//! deferred|promoted|retired|canceled; retired needs retired_at_utc and
//! retired_reason, canceled needs canceled_at_utc and canceled_reason.

use super::common::*;
use crate::documents::Document;
use crate::findings::{Finding, RepoId};
use crate::gates::{GateContext, NativeGate};
use crate::model::values::{yq_or_empty as yq_text};

pub struct PlanningHorizon;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: PlanningHorizon = PlanningHorizon;

const SCOPES: &str = "mailroom/state/loop-scopes/";
const PLANS_INDEX: &str = "mailroom/state/plans/index.yaml";

/// Front-matter lines with their 1-based line numbers (None: the first line
/// is not `---`).
fn front_matter(text: &str) -> Option<Vec<(usize, &str)>> {
    let mut lines = text.split('\n').enumerate();
    let (_, first) = lines.next()?;
    if first != "---" {
        return None;
    }
    let mut out = Vec::new();
    for (i, l) in lines {
        if l == "---" {
            break;
        }
        out.push((i + 1, l));
    }
    // `split` yields a last empty piece after a final newline; awk sees none.
    if text.ends_with('\n') && out.last().is_some_and(|(_, l)| l.is_empty()) {
        let total = text.split('\n').count();
        if out.last().is_some_and(|(n, _)| *n == total) {
            out.pop();
        }
    }
    Some(out)
}

/// The script's `_fm_field`: (value, line).
fn field(fm: &[(usize, &str)], name: &str) -> (String, usize) {
    let prefix = format!("{name}:");
    for (n, l) in fm {
        if let Some(rest) = l.strip_prefix(&prefix) {
            return (rest.trim_start_matches(' ').replace('"', ""), *n);
        }
    }
    (String::new(), 0)
}

fn blocked_by_present(fm: &[(usize, &str)]) -> bool {
    let Some((_, header)) = fm.iter().find(|(_, l)| l.starts_with("blocked_by:")) else {
        return false;
    };
    let inline = header["blocked_by:".len()..].replace('"', "");
    let inline = inline.trim();
    if !inline.is_empty() {
        return !matches!(inline, "none" | "[]" | "{}" | "null");
    }
    // Indented payload below a bare `blocked_by:` line.
    let mut capture = false;
    let mut block = String::new();
    for (_, l) in fm {
        if l.starts_with("blocked_by:") && l["blocked_by:".len()..].trim().is_empty() {
            capture = true;
            continue;
        }
        if capture && top_level_key(l) {
            capture = false;
        }
        if capture {
            block.push_str(l);
        }
    }
    block.chars().any(|c| !c.is_whitespace())
}

/// awk's `/^[^[:space:]][^:]*:[[:space:]]*/`: a non-blank first character,
/// then a colon somewhere after it.
fn top_level_key(l: &str) -> bool {
    match l.chars().next() {
        Some(c) if !c.is_whitespace() => l[c.len_utf8()..].contains(':'),
        _ => false,
    }
}

/// `^status:\s*(active|open|draft)` on any line.
fn open_status_line(text: &str) -> Option<usize> {
    text.split('\n').position(|l| {
        l.strip_prefix("status:").is_some_and(|r| {
            let r = r.trim_start_matches(|c: char| c.is_ascii_whitespace());
            r.starts_with("active") || r.starts_with("open") || r.starts_with("draft")
        })
    })
}

impl NativeGate for PlanningHorizon {
    fn name(&self) -> &'static str {
        "planning_horizon"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let mut out = Vec::new();
        let scopes: Vec<String> = cx
            .inputs
            .paths(RepoId::Spine)
            .into_iter()
            .filter(|p| {
                p.strip_prefix(SCOPES).is_some_and(|n| {
                    !n.contains('/') && !n.starts_with('.') && n.ends_with(".scope.md")
                })
            })
            .map(str::to_string)
            .collect();
        for p in scopes {
            let Some(doc) = cx.doc(RepoId::Spine, &p) else {
                continue;
            };
            judge_scope(cx, &doc, &mut out);
        }
        if let Some(idx) = cx.doc(RepoId::Spine, PLANS_INDEX) {
            judge_plans(cx, &idx, &mut out);
        }
        Ok(out)
    }
}

fn judge_scope(cx: &GateContext<'_>, doc: &Document, out: &mut Vec<Finding>) {
    let base = doc.path.rsplit('/').next().unwrap_or(&doc.path).to_string();
    let subject = format!("file:{}", doc.path);
    let Some(fm) = front_matter(&doc.text) else {
        if let Some(i) = open_status_line(&doc.text) {
            out.push(
                cx.finding_at(
                    doc.line_location(i + 1),
                    format!("{base}: no parseable front matter, but an open status line"),
                )
                .with_subject(subject),
            );
        }
        return;
    };
    let mut push = |line: usize, msg: String| {
        let loc = if line > 0 {
            doc.line_location(line)
        } else {
            doc.line_location(1)
        };
        out.push(cx.finding_at(loc, msg).with_subject(subject.clone()));
    };
    let (status, status_line) = field(&fm, "status");
    let (loop_id, _) = field(&fm, "loop_id");
    if status.is_empty() {
        let who = if loop_id.is_empty() { base.clone() } else { loop_id };
        push(1, format!("{who}: front matter without a status field"));
        return;
    }
    if !matches!(status.as_str(), "active" | "draft" | "open" | "planned") || loop_id.is_empty() {
        return;
    }
    let (horizon, h_line) = field(&fm, "horizon");
    let (readiness, r_line) = field(&fm, "execution_readiness");
    if !horizon.is_empty() && !matches!(horizon.as_str(), "now" | "later" | "future") {
        push(h_line, format!("{loop_id}: invalid horizon '{horizon}' (now, later or future)"));
    }
    if (status == "active" || status == "open") && !horizon.is_empty() && horizon != "now" {
        push(
            h_line,
            format!("{loop_id}: status {status} with horizon {horizon} (deferred work is status planned)"),
        );
    }
    if status == "planned" && (horizon.is_empty() || horizon == "now") {
        push(
            if horizon.is_empty() { status_line } else { h_line },
            format!("{loop_id}: status planned needs horizon later or future"),
        );
    }
    if !readiness.is_empty() && !matches!(readiness.as_str(), "runnable" | "blocked") {
        push(
            r_line,
            format!("{loop_id}: invalid execution_readiness '{readiness}' (runnable or blocked)"),
        );
    }
    if horizon == "later" || horizon == "future" {
        let (trigger, t_line) = field(&fm, "activation_trigger");
        if !trigger.is_empty() {
            if !matches!(trigger.as_str(), "manual" | "date" | "dependency") {
                push(t_line, format!("{loop_id}: invalid activation_trigger '{trigger}'"));
            }
            if trigger == "date" && field(&fm, "not_before_est").0.is_empty() {
                push(t_line, format!("{loop_id}: a date trigger needs not_before_est"));
            }
            if trigger == "dependency" && field(&fm, "depends_on_loop").0.is_empty() {
                push(t_line, format!("{loop_id}: a dependency trigger needs depends_on_loop"));
            }
        }
    }
    if readiness == "blocked" && !blocked_by_present(&fm) {
        push(r_line, format!("{loop_id}: execution_readiness blocked without blocked_by"));
    }
}

fn judge_plans(cx: &GateContext<'_>, idx: &Document, out: &mut Vec<Finding>) {
    for (i, plan) in items(idx.value(), "plans").iter().enumerate() {
        let i_s = i.to_string();
        let get = |k: &str| yq_text(plan.get(k));
        let mut plan_id = get("plan_id");
        if plan_id.is_empty() {
            plan_id = format!("plans[{i}]");
        }
        let mut status = get("status");
        if status.is_empty() {
            status = "deferred".into();
        }
        if status == "cancelled" {
            status = "canceled".into();
        }
        let at = if plan.get("status").is_some() {
            ptr(&["plans", &i_s, "status"])
        } else {
            ptr(&["plans", &i_s])
        };
        let subject = format!("plan:{plan_id}");
        let mut push = |msg: String| {
            out.push(cx.finding(idx, &at, msg).with_subject(subject.clone()));
        };
        match status.as_str() {
            "deferred" | "promoted" => {}
            "retired" => {
                if get("retired_at_utc").is_empty() || get("retired_reason").is_empty() {
                    push(format!("{plan_id}: status retired needs retired_at_utc and retired_reason"));
                }
            }
            "canceled" => {
                if get("canceled_at_utc").is_empty() || get("canceled_reason").is_empty() {
                    push(format!("{plan_id}: status canceled needs canceled_at_utc and canceled_reason"));
                }
            }
            other => push(format!(
                "{plan_id}: invalid plan status '{other}' (deferred, promoted, retired or canceled)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    fn scope(name: &str) -> String {
        format!("{SCOPES}{name}.scope.md")
    }

    #[test]
    fn horizon_rules_are_enforced() {
        let ok = "---\nloop_id: LOOP-A\nstatus: planned\nhorizon: later\nactivation_trigger: date\nnot_before_est: 2026-12-01\n---\n# A\n";
        let bad = "---\nloop_id: LOOP-B\nstatus: active\nhorizon: \"later\"\nexecution_readiness: blocked\nblocked_by: []\n---\n";
        let planned_now = "---\nloop_id: LOOP-C\nstatus: planned\n---\n";
        let no_status = "---\nloop_id: LOOP-D\n---\n";
        let no_fm = "# legacy\nstatus: active\n";
        let closed = "---\nloop_id: LOOP-E\nstatus: closed\nhorizon: bogus\n---\n";
        let blocked_list = "---\nloop_id: LOOP-F\nstatus: open\nexecution_readiness: blocked\nblocked_by:\n  - LOOP-A\nowner: x\n---\n";
        let f = findings(run_gate(
            "D308",
            &[
                (&scope("A"), ok),
                (&scope("B"), bad),
                (&scope("C"), planned_now),
                (&scope("D"), no_status),
                (&scope("E"), no_fm),
                (&scope("F"), closed),
                (&scope("G"), blocked_list),
                ("ops/bindings/planning.horizon.contract.yaml", "version: 1\n"),
                (PLANS_INDEX, "plans:\n  - plan_id: P1\n    status: cancelled\n  - plan_id: P2\n  - plan_id: P3\n    status: live\n"),
            ],
            None,
            None,
        ));
        let s = summary(&f);
        // B: horizon vs active, blocked without blocked_by; C; D; E; P1; P3
        assert_eq!(f.len(), 7, "{s:?}");
    }
}
