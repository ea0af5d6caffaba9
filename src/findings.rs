//! One finding model for everything driftgate reports: parse problems, schema
//! violations, gate findings, waiver problems and internal errors.
//!
//! Reporters are pure functions of a `Vec<Finding>` (plus the source texts for
//! snippets), so every output format says the same thing.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Which of the three checkouts a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepoId {
    Spine,
    Workbench,
    Legacy,
}

impl RepoId {
    pub const ALL: [RepoId; 3] = [RepoId::Spine, RepoId::Workbench, RepoId::Legacy];

    pub fn as_str(self) -> &'static str {
        match self {
            RepoId::Spine => "spine",
            RepoId::Workbench => "workbench",
            RepoId::Legacy => "legacy",
        }
    }

    pub fn parse(s: &str) -> Option<RepoId> {
        match s {
            "spine" => Some(RepoId::Spine),
            "workbench" => Some(RepoId::Workbench),
            "legacy" => Some(RepoId::Legacy),
            _ => None,
        }
    }
}

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How bad a finding is. The gate registry's vocabulary maps onto it:
/// critical/high → error, medium → warning, low/none → info.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    #[default]
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// Accepts both driftgate's words and the gate registry's.
    pub fn parse(s: &str) -> Option<Severity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "error" | "critical" | "high" => Some(Severity::Error),
            "warning" | "warn" | "medium" => Some(Severity::Warning),
            "info" | "note" | "low" | "none" => Some(Severity::Info),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A byte range in a source file plus its 1-based line and column (column in
/// characters, as editors count them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub col: usize,
}

/// A place in one file of one repo.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    pub repo: RepoId,
    pub path: String,
    pub span: Option<Span>,
}

impl Location {
    pub fn file(repo: RepoId, path: impl Into<String>) -> Location {
        Location {
            repo,
            path: path.into(),
            span: None,
        }
    }

    pub fn at(repo: RepoId, path: impl Into<String>, span: Span) -> Location {
        Location {
            repo,
            path: path.into(),
            span: Some(span),
        }
    }

    pub fn line(&self) -> usize {
        self.span.map_or(1, |s| s.line)
    }

    pub fn col(&self) -> usize {
        self.span.map_or(1, |s| s.col)
    }

    /// `repo:path:line:col`
    pub fn display(&self) -> String {
        format!("{}:{}:{}:{}", self.repo, self.path, self.line(), self.col())
    }
}

/// A secondary place worth showing next to the primary one (the other
/// occurrence of a duplicate key, the registry entry a gate compared with).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

/// What happened to a finding after waivers and baselines were applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Disposition {
    /// Counts toward the verdict.
    #[default]
    Active,
    /// Matched a waiver in driftgate.yaml; shown as skipped.
    Waived { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// `D69`, `schema/vm.lifecycle`, `parse/duplicate-key`, `waiver/expired`, ...
    pub code: String,
    pub severity: Severity,
    pub location: Location,
    /// What is wrong, in terms of the user's data.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    pub related: Vec<Related>,
    /// The entity the finding is about: `vm:pve/215`, `ssh_host:immich`,
    /// `service:grafana`, or a structural path when there is no entity.
    pub subject: Option<String>,
    /// Internal/config errors make the run exit 2 whatever the severity.
    pub internal: bool,
    pub disposition: Disposition,
}

impl Finding {
    pub fn new(
        code: impl Into<String>,
        severity: Severity,
        location: Location,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            code: code.into(),
            severity,
            location,
            message: message.into(),
            help: None,
            related: Vec::new(),
            subject: None,
            internal: false,
            disposition: Disposition::Active,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    pub fn with_subject(mut self, subject: impl Into<String>) -> Finding {
        self.subject = Some(subject.into());
        self
    }

    pub fn with_related(mut self, location: Location, message: impl Into<String>) -> Finding {
        self.related.push(Related {
            location,
            message: message.into(),
        });
        self
    }

    pub fn internal(mut self) -> Finding {
        self.internal = true;
        self
    }

    pub fn is_active(&self) -> bool {
        matches!(self.disposition, Disposition::Active)
    }

    /// The subject, or the file path when the finding has none.
    pub fn subject_or_path(&self) -> String {
        self.subject
            .clone()
            .unwrap_or_else(|| format!("{}:{}", self.location.repo, self.location.path))
    }

    /// Line-independent identity: code + repo + path + subject + message
    /// (with line/column references removed). Survives edits above the
    /// finding, so baselines and `--new-since` keep matching; two findings on
    /// one subject with different messages stay distinct.
    pub fn fingerprint(&self) -> String {
        let message = strip_positions(&self.message);
        let mut h = blake3::Hasher::new();
        for part in [
            self.code.as_str(),
            self.location.repo.as_str(),
            self.location.path.as_str(),
            self.subject.as_deref().unwrap_or(""),
            message.as_str(),
        ] {
            h.update(part.as_bytes());
            h.update(&[0]);
        }
        h.finalize().to_hex()[..16].to_string()
    }
}

/// Removes `line N`, `lines N-M` and `N:M` position references from a
/// message, so fingerprints do not change when lines move.
fn strip_positions(message: &str) -> String {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        // A constant pattern: compiling it cannot fail at run time.
        regex::Regex::new(r"(?i)\blines? \d+(?:[-–:]\d+)?|\b\d+:\d+\b").expect("valid regex")
    });
    re.replace_all(message, "").into_owned()
}

/// Stable order for every output: repo, path, line, column, code, message.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (
            a.location.repo,
            &a.location.path,
            a.location.line(),
            a.location.col(),
            &a.code,
            &a.message,
        )
            .cmp(&(
                b.location.repo,
                &b.location.path,
                b.location.line(),
                b.location.col(),
                &b.code,
                &b.message,
            ))
    });
}

/// Counts for the summary line and reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
    pub waived: usize,
}

impl Counts {
    pub fn of(findings: &[Finding]) -> Counts {
        let mut c = Counts::default();
        for f in findings {
            if !f.is_active() {
                c.waived += 1;
                continue;
            }
            match f.severity {
                Severity::Error => c.error += 1,
                Severity::Warning => c.warning += 1,
                Severity::Info => c.info += 1,
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(line: usize) -> Finding {
        Finding::new(
            "D52",
            Severity::Error,
            Location::at(
                RepoId::Spine,
                "ops/bindings/vm.lifecycle.yaml",
                Span {
                    start: 10,
                    end: 12,
                    line,
                    col: 3,
                },
            ),
            "VM 215 LAN IP last octet",
        )
        .with_subject("vm:pve/215")
    }

    #[test]
    fn fingerprint_ignores_line_but_not_subject() {
        assert_eq!(f(3).fingerprint(), f(40).fingerprint());
        let other = f(3).with_subject("vm:pve/216");
        assert_ne!(f(3).fingerprint(), other.fingerprint());
    }

    #[test]
    fn fingerprint_ignores_line_references_in_messages() {
        let mut a = f(3);
        a.message = "duplicate key `x` (first at line 12:5)".into();
        let mut b = f(30);
        b.message = "duplicate key `x` (first at line 40:5)".into();
        assert_eq!(a.fingerprint(), b.fingerprint());
        let mut c = f(3);
        c.message = "another problem with the same subject".into();
        assert_ne!(a.fingerprint(), c.fingerprint());
    }

    #[test]
    fn registry_severities_map() {
        assert_eq!(Severity::parse("critical"), Some(Severity::Error));
        assert_eq!(Severity::parse("HIGH"), Some(Severity::Error));
        assert_eq!(Severity::parse("medium"), Some(Severity::Warning));
        assert_eq!(Severity::parse("low"), Some(Severity::Info));
        assert_eq!(Severity::parse("bogus"), None);
    }
}

/// What happened to one check (a gate, or a schema) in a run, so reports can
/// show passing and skipped checks too, not only failures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckRecord {
    /// `D69`, `schema/vm.lifecycle`, ...
    pub code: String,
    /// Human name (`vm-creation-governance-lock`).
    pub name: String,
    #[serde(flatten)]
    pub status: CheckStatus,
    /// Fix hint / description for SARIF rules and JUnit.
    pub help: Option<String>,
    /// Elapsed time of the check in milliseconds (0 when unknown).
    pub millis: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "status", content = "reason")]
pub enum CheckStatus {
    /// Ran; findings (if any) carry its code.
    Ran,
    /// Not run: not selected, needs a missing repo, exec disabled, retired...
    Skipped(String),
    /// The check itself failed (bad rule, script crashed, panic).
    Errored(String),
}
