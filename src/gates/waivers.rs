//! Waivers from driftgate.yaml: `{gate, subject | path, reason, gap, expires}`.
//!
//! A finding matched by a live waiver becomes `Waived` (counted, shown as
//! skipped in JUnit). A waiver whose `expires` date is before today waives
//! nothing and is itself a `waiver/expired` error at its line; a live waiver
//! that matched nothing is a `waiver/unused` warning. Both only when the
//! waiver's gate ran in this run, so `--select` or a staged run does not
//! judge the waivers of gates it did not run.

use super::normalize_id;
use crate::config::LoadedConfig;
use crate::findings::{CheckRecord, CheckStatus, Disposition, Finding, Severity};
use globset::{Glob, GlobMatcher};

/// Exact text, or a glob (`vm:pve/*`): subjects like `x.yaml:vms[id=2]`
/// contain glob metacharacters and must still match themselves.
struct Pattern {
    text: String,
    glob: Option<GlobMatcher>,
}

impl Pattern {
    fn is_match(&self, s: &str) -> bool {
        s == self.text || self.glob.as_ref().is_some_and(|g| g.is_match(s))
    }
}

fn matcher(pattern: &str) -> Option<Pattern> {
    Some(Pattern {
        text: pattern.to_string(),
        glob: Glob::new(pattern).ok().map(|g| g.compile_matcher()),
    })
}

/// Does waiver gate word `w` name finding code `code`?
pub fn gate_matches(w: &str, code: &str) -> bool {
    let w = w.trim();
    if let Some(prefix) = w.strip_suffix('*') {
        return code
            .to_ascii_lowercase()
            .starts_with(&prefix.to_ascii_lowercase());
    }
    match (normalize_id(w), normalize_id(code)) {
        (Some(a), Some(b)) => a == b,
        _ => w.eq_ignore_ascii_case(code),
    }
}

/// Applies the waivers of `lc` to `findings` (see module docs). `checks`
/// tells which gates ran.
pub fn apply(
    findings: &mut Vec<Finding>,
    lc: &LoadedConfig,
    now: chrono::NaiveDate,
    checks: &[CheckRecord],
) {
    let mut extra = Vec::new();
    for (i, w) in lc.config.waivers.iter().enumerate() {
        let label = w
            .subject
            .as_deref()
            .or(w.path.as_deref())
            .unwrap_or("everything");
        let gate_subject = normalize_id(&w.gate)
            .map(|id| format!("gate:{id}"))
            .unwrap_or_else(|| format!("code:{}", w.gate));
        let expires = w
            .expires
            .as_deref()
            .and_then(|e| chrono::NaiveDate::parse_from_str(e, "%Y-%m-%d").ok());
        // Records of the waiver's gate: did it run in this run?
        let records: Vec<&CheckRecord> = checks
            .iter()
            .filter(|c| gate_matches(&w.gate, &c.code))
            .collect();
        let gate_ran = records.iter().any(|c| c.status == CheckStatus::Ran);
        if let Some(exp) = expires {
            if exp < now {
                // A gate that did not run here (not selected, not affected by
                // a staged change) is not judged, and neither is its waiver.
                if records.is_empty() || gate_ran {
                    extra.push(
                        Finding::new(
                            "waiver/expired",
                            Severity::Error,
                            lc.waiver_location(i),
                            format!(
                                "waiver for {} ({label}) expired on {exp}; it no longer waives anything (reason was: {})",
                                w.gate, w.reason
                            ),
                        )
                        .with_help(
                            "fix the finding and delete the waiver, or re-check the reason and move `expires` forward",
                        )
                        .with_subject(gate_subject),
                    );
                }
                continue;
            }
        }
        let subject = w.subject.as_deref().and_then(matcher);
        let path = w.path.as_deref().and_then(matcher);
        let mut used = 0usize;
        for f in findings.iter_mut() {
            if !f.is_active() || f.internal || f.code.starts_with("waiver/") {
                continue;
            }
            if !gate_matches(&w.gate, &f.code) {
                continue;
            }
            if let Some(m) = &subject {
                if !f.subject.as_deref().is_some_and(|s| m.is_match(s)) {
                    continue;
                }
            }
            if let Some(m) = &path {
                let q = format!("{}:{}", f.location.repo, f.location.path);
                if !(m.is_match(&f.location.path) || m.is_match(&q)) {
                    continue;
                }
            }
            if subject.is_none() && path.is_none() {
                continue; // config.rs reports waivers that name neither
            }
            let mut reason = w.reason.clone();
            if let Some(g) = &w.gap {
                reason.push_str(&format!(" ({g})"));
            }
            if let Some(e) = expires {
                reason.push_str(&format!(" until {e}"));
            }
            f.disposition = Disposition::Waived { reason };
            used += 1;
        }
        if used == 0 {
            let known = !records.is_empty();
            let any_ran = gate_ran;
            let not_a_gate = normalize_id(&w.gate).is_none();
            let msg = if !known && !not_a_gate {
                Some(format!(
                    "waiver names gate {}, which this run does not know; it waives nothing",
                    w.gate
                ))
            } else if any_ran || (not_a_gate && !known) {
                Some(format!(
                    "waiver for {} ({label}) matched no finding; the drift it covered is gone",
                    w.gate
                ))
            } else {
                None
            };
            if let Some(msg) = msg {
                extra.push(
                    Finding::new(
                        "waiver/unused",
                        Severity::Warning,
                        lc.waiver_location(i),
                        msg,
                    )
                    .with_help("delete the waiver (or fix its gate/subject/path)")
                    .with_subject(gate_subject),
                );
            }
        }
    }
    findings.extend(extra);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::Document;
    use crate::findings::{Location, RepoId};
    use std::sync::Arc;

    fn lc(text: &str) -> LoadedConfig {
        crate::config::from_document(Arc::new(Document::parse(
            RepoId::Spine,
            "driftgate.yaml",
            text.as_bytes(),
        )))
    }

    fn f(code: &str, subject: &str) -> Finding {
        Finding::new(
            code,
            Severity::Error,
            Location::file(RepoId::Spine, "ops/bindings/vm.lifecycle.yaml"),
            "x",
        )
        .with_subject(subject)
    }

    fn ran(code: &str) -> CheckRecord {
        CheckRecord {
            code: code.into(),
            name: String::new(),
            status: CheckStatus::Ran,
            help: None,
            millis: 0,
        }
    }

    #[test]
    fn subjects_with_glob_metacharacters_match_themselves() {
        let lc = lc("waivers:\n  - gate: D9\n    subject: \"x.yaml:vms[id=2]\"\n    reason: r\n  - gate: D9\n    subject: \"vm:pve/*\"\n    reason: glob\n");
        let now = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let mut fs = vec![
            f("D9", "x.yaml:vms[id=2]"),
            f("D9", "vm:pve/7"),
            f("D9", "vm:home/7"),
        ];
        apply(&mut fs, &lc, now, &[ran("D9")]);
        assert!(!fs[0].is_active());
        assert!(!fs[1].is_active());
        assert!(fs[2].is_active());
    }

    const CFG: &str = "waivers:\n  - gate: D052\n    subject: \"vm:pve/205\"\n    reason: lease\n    gap: GAP-OP-1\n    expires: 2027-06-30\n  - gate: D60\n    subject: \"file:docs/*.md\"\n    reason: old\n    expires: 2026-01-31\n  - gate: D86\n    path: \"spine:ops/bindings/*.yaml\"\n    reason: nothing\n";

    #[test]
    fn used_expired_and_unused_waivers() {
        let lc = lc(CFG);
        assert!(lc.problems.is_empty(), "{:?}", lc.problems);
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let mut fs = vec![
            f("D52", "vm:pve/205"),
            f("D52", "vm:pve/202"),
            f("D60", "file:docs/a.md"),
        ];
        apply(&mut fs, &lc, now, &[ran("D52"), ran("D60"), ran("D86")]);
        assert!(
            matches!(&fs[0].disposition, Disposition::Waived { reason } if reason == "lease (GAP-OP-1) until 2027-06-30")
        );
        assert!(fs[1].is_active());
        assert!(fs[2].is_active(), "expired waiver does not waive");
        let expired = fs.iter().find(|x| x.code == "waiver/expired").unwrap();
        assert_eq!(expired.location.line(), 7);
        assert_eq!(expired.subject.as_deref(), Some("gate:D60"));
        let unused = fs.iter().find(|x| x.code == "waiver/unused").unwrap();
        assert_eq!(unused.location.line(), 11);
        assert_eq!(unused.severity, Severity::Warning);
        assert_eq!(fs.len(), 5);
    }

    #[test]
    fn unused_is_quiet_when_the_gate_did_not_run() {
        let lc = lc(CFG);
        let now = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let skipped = CheckRecord {
            status: CheckStatus::Skipped("not selected".into()),
            ..ran("D86")
        };
        let mut fs = vec![f("D52", "vm:pve/205"), f("D60", "file:docs/a.md")];
        apply(
            &mut fs,
            &lc,
            now,
            &[ran("D52"), ran("D60"), skipped.clone()],
        );
        assert!(fs.iter().all(|x| !x.code.starts_with("waiver/")), "{fs:?}");
        assert!(!fs[1].is_active(), "not expired yet on 2026-01-01");
        // Expired, but D60 did not run: its waiver is not judged either.
        let later = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let not_run = CheckRecord {
            status: CheckStatus::Skipped("not selected".into()),
            ..ran("D60")
        };
        let mut fs = vec![f("D52", "vm:pve/205")];
        apply(&mut fs, &lc, later, &[ran("D52"), not_run, skipped]);
        assert!(fs.iter().all(|x| x.code != "waiver/expired"), "{fs:?}");
    }
}
