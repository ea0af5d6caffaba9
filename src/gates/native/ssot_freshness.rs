//! D58 ssot-freshness-lock, as the registry's script judges it (the
//! script's code is the spec):
//!
//! 1. `docs/governance/SSOT_REGISTRY.yaml`: every `ssots[]` row whose
//!    `last_reviewed` parses as a date was reviewed no more than
//!    `max_age_days` (default 21) ago.
//! 2. `docs/governance/*.md` (top level): a document whose `status:` line
//!    (within its first 10 lines) says `authoritative` has a
//!    `last_verified:` line (first 15 lines) no older than that; an
//!    authoritative document without one is a note (the script warns,
//!    never fails). Drafts and other statuses are not judged.
//! 3. `ops/bindings/*.yaml` (top level): an `updated:` line within the first
//!    20 lines (any indentation) is no older than that, except the files
//!    listed in `ops/bindings/binding.freshness.exemptions.yaml`
//!    (`exempt[].file`, a bare file name) and that file itself.
//!
//! Ages count whole days from the date (midnight UTC when it has no time)
//! to `--now` at noon UTC, the moment `driftgate shadow` pins the scripts'
//! clock to. Values that do not parse as ISO dates are skipped, as the
//! script skips them.

use super::common::*;
use crate::findings::{Finding, RepoId, Severity};
use crate::gates::{GateContext, NativeGate};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

pub struct SsotFreshness;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: SsotFreshness = SsotFreshness;

const SSOT_REGISTRY: &str = "docs/governance/SSOT_REGISTRY.yaml";
const EXEMPTIONS: &str = "ops/bindings/binding.freshness.exemptions.yaml";

/// Python's `datetime.fromisoformat` for the forms the spine writes: a
/// date, a date and time (`T` or space), optionally with `Z` or an offset.
fn parse_instant(raw: &str) -> Option<DateTime<Utc>> {
    let v = raw.trim().trim_matches(['"', '\'']);
    if v.is_empty() || v.eq_ignore_ascii_case("null") {
        return None;
    }
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    let z = v.replace('Z', "+00:00");
    if let Ok(t) = DateTime::parse_from_rfc3339(&z.replacen(' ', "T", 1)) {
        return Some(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(v, f) {
            return Some(t.and_utc());
        }
    }
    None
}

/// Whole days from `then` to `now` at noon UTC.
fn age_days(now: NaiveDate, then: DateTime<Utc>) -> i64 {
    let noon = now.and_hms_opt(12, 0, 0).map(|t| t.and_utc()).unwrap_or(then);
    (noon - then).num_seconds().div_euclid(86_400)
}

/// The value of the first line among the first `n` whose trimmed text is
/// `key: value` (the script's `^key:\s*(.+?)\s*$` on stripped lines).
fn header_value<'t>(text: &'t str, key: &str, n: usize) -> Option<(usize, &'t str)> {
    text.lines().take(n).enumerate().find_map(|(i, line)| {
        let rest = line.trim().strip_prefix(key)?.strip_prefix(':')?;
        let v = rest.trim();
        (!v.is_empty()).then_some((i + 1, v))
    })
}

/// A top-level file of `dir` (`dir/x.ext`, not deeper).
fn top_level(path: &str, dir: &str, ext: &str) -> bool {
    path.strip_prefix(dir)
        .and_then(|r| r.strip_prefix('/'))
        .is_some_and(|name| !name.contains('/') && name.ends_with(ext))
}

impl NativeGate for SsotFreshness {
    fn name(&self) -> &'static str {
        "ssot_freshness"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let max = cx
            .options
            .and_then(|o| o.get("max_age_days"))
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(21);
        let mut out = Vec::new();

        // 1. The SSOT registry (a required input: without it the gate is
        // skipped; the script fails).
        if let Some(reg) = spine_doc(cx, SSOT_REGISTRY) {
            for (i, row) in items(reg.value(), "ssots").iter().enumerate() {
                let Some(raw) = text(row.get("last_reviewed")) else {
                    continue;
                };
                let Some(then) = parse_instant(&raw) else {
                    continue;
                };
                let age = age_days(cx.now, then);
                if age > max {
                    let id = text(row.get("id")).unwrap_or_else(|| "unknown".into());
                    out.push(
                        cx.finding(
                            &reg,
                            &format!("/ssots/{i}/last_reviewed"),
                            format!("SSOT `{id}`: last_reviewed {raw} is {age} days old (the limit is {max})"),
                        )
                        .with_subject(format!("ssot:{id}")),
                    );
                }
            }
        }

        // 2. Authoritative governance documents.
        for path in cx.inputs.paths(RepoId::Spine) {
            if !top_level(path, "docs/governance", ".md") {
                continue;
            }
            let Some(doc) = cx.doc(RepoId::Spine, path) else {
                continue;
            };
            let status = header_value(&doc.text, "status", 10)
                .map(|(_, v)| v.trim_matches(['"', '\'']));
            if status != Some("authoritative") {
                continue;
            }
            let subject = format!("file:{path}");
            match header_value(&doc.text, "last_verified", 15) {
                Some((_, v)) if v.trim_matches(['"', '\'']).eq_ignore_ascii_case("null") => {}
                Some((line, v)) => {
                    let v = v.trim_matches(['"', '\'']);
                    if let Some(then) = parse_instant(v) {
                        let age = age_days(cx.now, then);
                        if age > max {
                            out.push(
                                cx.finding_at(
                                    line_text_location(&doc, line),
                                    format!("authoritative doc: last_verified {v} is {age} days old (the limit is {max})"),
                                )
                                .with_subject(subject),
                            );
                        }
                    }
                    continue;
                }
                None => {}
            }
            let mut f = cx
                .finding_at(
                    line_text_location(&doc, 1),
                    "authoritative doc has no last_verified line in its first 15 lines (a note: the script warns, never fails)",
                )
                .with_subject(subject);
            f.severity = Severity::Info;
            out.push(f);
        }

        // 3. Normative bindings with an `updated:` line.
        let exempt: Vec<String> = spine_doc(cx, EXEMPTIONS)
            .map(|d| {
                items(d.value(), "exempt")
                    .iter()
                    .filter_map(|r| text(r.get("file")))
                    .map(|f| f.trim().to_string())
                    .collect()
            })
            .unwrap_or_default();
        for path in cx.inputs.paths(RepoId::Spine) {
            if !top_level(path, "ops/bindings", ".yaml") || path == EXEMPTIONS {
                continue;
            }
            let name = path.rsplit('/').next().unwrap_or(path);
            if exempt.iter().any(|e| e == name) {
                continue;
            }
            let Some(doc) = cx.doc(RepoId::Spine, path) else {
                continue;
            };
            let Some((line, v)) = header_value(&doc.text, "updated", 20) else {
                continue;
            };
            let v = v.trim_matches(['"', '\'']);
            let Some(then) = parse_instant(v) else {
                continue;
            };
            let age = age_days(cx.now, then);
            if age > max {
                out.push(
                    cx.finding_at(
                        line_text_location(&doc, line),
                        format!("`updated: {v}` is {age} days old (the limit is {max})"),
                    )
                    .with_subject(format!("file:{path}")),
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

    #[test]
    fn instants_parse_like_python_fromisoformat() {
        let d = |s: &str| parse_instant(s).map(|t| t.to_rfc3339());
        assert_eq!(d("2026-02-08").as_deref(), Some("2026-02-08T00:00:00+00:00"));
        assert_eq!(d("'2026-02-08T10:00:00Z'").as_deref(), Some("2026-02-08T10:00:00+00:00"));
        assert_eq!(d("2026-02-08 10:00").as_deref(), Some("2026-02-08T10:00:00+00:00"));
        assert_eq!(d("2026-02-08T10:00:00+02:00").as_deref(), Some("2026-02-08T08:00:00+00:00"));
        assert_eq!(d("Feb 8"), None);
        assert_eq!(d("null"), None);
        let now = NaiveDate::from_ymd_opt(2026, 3, 5).expect("date");
        assert_eq!(parse_instant("2026-02-08").map(|t| age_days(now, t)), Some(25));
        assert_eq!(parse_instant("2026-03-05T13:00:00Z").map(|t| age_days(now, t)), Some(-1));
    }

    #[test]
    fn only_what_the_script_judges_is_judged() {
        let f = findings(run_gate(
            "D58",
            &[
                (SSOT_REGISTRY, "ssots:\n  - id: vm-lifecycle\n    last_reviewed: 2026-10-01\n  - id: fresh\n    last_reviewed: 2026-11-19\n  - id: undated\n    last_reviewed: soon\n"),
                ("docs/governance/OLD.md", "# Old\n\nstatus: authoritative\nlast_verified: 2026-10-01\n"),
                ("docs/governance/DRAFT.md", "---\nstatus: draft\nlast_verified: 2020-01-01\n---\n"),
                ("docs/governance/NODATE.md", "status: authoritative\n"),
                ("docs/governance/sub/DEEP.md", "status: authoritative\nlast_verified: 2020-01-01\n"),
                ("ops/bindings/a.yaml", "version: 1\nupdated: 2026-10-01\nlast_verified: 2020-01-01\n"),
                ("ops/bindings/b.yaml", "meta:\n  updated: '2026-10-02'\n"),
                ("ops/bindings/skip.yaml", "updated: 2020-01-01\n"),
                (EXEMPTIONS, "exempt:\n  - file: skip.yaml\n    reason: frozen\n"),
            ],
            None,
            None,
        ));
        let got: Vec<(String, usize, Severity)> = f
            .iter()
            .map(|f| (f.location.path.clone(), f.location.line(), f.severity))
            .collect();
        assert_eq!(
            got,
            vec![
                (SSOT_REGISTRY.to_string(), 3, Severity::Error),
                ("docs/governance/NODATE.md".to_string(), 1, Severity::Info),
                ("docs/governance/OLD.md".to_string(), 4, Severity::Error),
                ("ops/bindings/a.yaml".to_string(), 2, Severity::Error),
                ("ops/bindings/b.yaml".to_string(), 2, Severity::Error),
            ],
            "{:?}",
            summary(&f)
        );
        assert_eq!(
            f[0].message,
            "SSOT `vm-lifecycle`: last_reviewed 2026-10-01 is 50 days old (the limit is 21)"
        );
        assert_eq!(f[3].message, "`updated: 2026-10-01` is 50 days old (the limit is 21)");
    }

    #[test]
    fn the_limit_is_an_option() {
        let files = [
            (SSOT_REGISTRY, "ssots: []\n"),
            ("ops/bindings/a.yaml", "updated: 2026-11-01\n"),
        ];
        assert_eq!(findings(run_gate("D58", &files, None, None)).len(), 0);
        let f = findings(run_gate(
            "D58",
            &files,
            None,
            Some(serde_json::json!({"max_age_days": 7})),
        ));
        assert_eq!(f.len(), 1);
    }
}
