//! Shared helpers for the reporter tests: hand-made findings over hand-made
//! source files, and a `Report` built around them.
#![allow(dead_code)]

use driftgate::findings::{
    sort_findings, CheckRecord, CheckStatus, Disposition, Finding, Location, RepoId, Severity, Span,
};
use driftgate::report::{RepoInfo, Report};
use std::collections::HashMap;
use std::sync::Arc;

pub const VM_LIFECYCLE: &str = "ops/bindings/vm.lifecycle.yaml";
pub const SSH_TARGETS: &str = "ops/bindings/ssh.targets.yaml";

/// vm.lifecycle.yaml excerpt (LF).
pub const VM_TEXT: &str = "\
# VM lifecycle (governed)
proxmox_host: pve
vms:
  - id: 204
    hostname: infra-core
    status: active
    lan_ip: 10.0.0.204
  - id: 215
    hostname: immich
    status: stoped
    lan_ip: \"10.0.0.51\"
    notes: |
      photo library
      moved from legacy in 2024
";

/// ssh.targets.yaml with CRLF line endings and non-ASCII text before the
/// interesting value.
pub const SSH_TEXT_CRLF: &str = "targets:\r\n  - id: immich\r\n    host: 10.0.0.215\r\n    description: \"Fotos – Ümlaut 📷\"\r\n    user: admin\r\n";

/// A byte span of the `nth` occurrence of `needle` in `text`, with 1-based
/// line and char column.
pub fn span_of(text: &str, needle: &str, nth: usize) -> Span {
    let start = text
        .match_indices(needle)
        .nth(nth)
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("{needle:?} #{nth} not in text"));
    span_at(text, start, start + needle.len())
}

pub fn span_at(text: &str, start: usize, end: usize) -> Span {
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = text[line_start..start].chars().count() + 1;
    Span {
        start,
        end,
        line,
        col,
    }
}

pub fn at(repo: RepoId, path: &str, text: &str, needle: &str) -> Location {
    Location::at(repo, path, span_of(text, needle, 0))
}

/// A set of findings, checks and sources from which a `Report` is built.
pub struct Fixture {
    pub findings: Vec<Finding>,
    pub checks: Vec<CheckRecord>,
    pub repos: Vec<RepoInfo>,
    pub sources: HashMap<(RepoId, String), Arc<str>>,
    pub files_read: usize,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture {
            findings: Vec::new(),
            checks: Vec::new(),
            repos: vec![
                RepoInfo {
                    name: RepoId::Spine,
                    path: "/srv/ci/spine".into(),
                    commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
                    snapshot: "work tree".into(),
                },
                RepoInfo {
                    name: RepoId::Workbench,
                    path: "/srv/ci/spine/workbench".into(),
                    commit: Some("89abcdef0123456789abcdef0123456789abcdef".into()),
                    snapshot: "work tree".into(),
                },
                RepoInfo {
                    name: RepoId::Legacy,
                    path: "/srv/legacy checkout".into(),
                    commit: None,
                    snapshot: "work tree".into(),
                },
            ],
            sources: HashMap::new(),
            files_read: 7,
        }
    }

    pub fn source(mut self, repo: RepoId, path: &str, text: &str) -> Fixture {
        self.sources
            .insert((repo, path.to_string()), Arc::from(text));
        self
    }

    pub fn finding(mut self, f: Finding) -> Fixture {
        self.findings.push(f);
        self
    }

    pub fn check(mut self, code: &str, name: &str, status: CheckStatus) -> Fixture {
        self.checks.push(CheckRecord {
            code: code.into(),
            name: name.into(),
            status,
            help: Some(format!("How to fix {code}.")),
            millis: 3,
        });
        self
    }

    pub fn with_report<T>(&self, f: impl FnOnce(&Report) -> T) -> T {
        let sources = &self.sources;
        let lookup =
            move |repo: RepoId, path: &str| sources.get(&(repo, path.to_string())).cloned();
        let r = Report {
            findings: &self.findings,
            checks: &self.checks,
            repos: &self.repos,
            files_read: self.files_read,
            elapsed_ms: 42,
            hidden_old: 0,
            source: &lookup,
            fail_on: Some(driftgate::findings::Severity::Error),
        };
        f(&r)
    }
}

pub fn waived(f: Finding, reason: &str) -> Finding {
    Finding {
        disposition: Disposition::Waived {
            reason: reason.into(),
        },
        ..f
    }
}

/// The standard scenario used by several reporter tests: a schema error, a
/// gate error with a related span in the same file and one in another repo,
/// a warning on a CRLF file, an info finding without a span, a waived
/// finding, two findings with the same subject and code, and checks that
/// passed, were skipped, and errored.
pub fn scenario() -> Fixture {
    let vm = |needle: &str| at(RepoId::Spine, VM_LIFECYCLE, VM_TEXT, needle);
    let mut fx = Fixture::new()
        .source(RepoId::Spine, VM_LIFECYCLE, VM_TEXT)
        .source(RepoId::Workbench, SSH_TARGETS, SSH_TEXT_CRLF)
        .finding(
            Finding::new(
                "schema/vm.lifecycle",
                Severity::Error,
                vm("stoped"),
                "VM 215 (immich): status `stoped` is not one of active, stopped, decommissioned, planned",
            )
            .with_help("use one of the statuses of the vm.lifecycle schema")
            .with_subject("vm:pve/215"),
        )
        .finding(
            Finding::new(
                "D52",
                Severity::Error,
                vm("\"10.0.0.51\""),
                "VM 215 (immich): LAN IP last octet 51 does not match the VM id 215",
            )
            .with_help("set lan_ip to 10.0.0.215 or waive D52 for this VM with a reason")
            .with_subject("vm:pve/215")
            .with_related(vm("id: 215"), "VM id declared here")
            .with_related(
                at(RepoId::Workbench, SSH_TARGETS, SSH_TEXT_CRLF, "10.0.0.215"),
                "ssh target `immich` uses 10.0.0.215",
            ),
        )
        .finding(
            Finding::new(
                "D52",
                Severity::Error,
                vm("10.0.0.204"),
                "VM 215 (immich): second problem on the same subject",
            )
            .with_subject("vm:pve/215"),
        )
        .finding(
            Finding::new(
                "D69",
                Severity::Warning,
                at(RepoId::Workbench, SSH_TARGETS, SSH_TEXT_CRLF, "Ümlaut 📷"),
                "ssh target `immich`: description has \"quotes\" & <angle> brackets",
            )
            .with_help("keep descriptions plain")
            .with_subject("ssh_host:immich"),
        )
        .finding(
            Finding::new(
                "D401",
                Severity::Info,
                Location::file(RepoId::Legacy, "infrastructure/data/backup_inventory.json"),
                "backup inventory lists a host the spine does not know: `nas-old`",
            )
            .with_subject("service:nas-old"),
        )
        .finding(waived(
            Finding::new(
                "D52",
                Severity::Error,
                vm("10.0.0.204"),
                "VM 204 (infra-core): LAN IP drift",
            )
            .with_subject("vm:pve/204"),
            "GAP-OP-12: renumbering scheduled",
        ))
        .check("schema/vm.lifecycle", "vm.lifecycle schema", CheckStatus::Ran)
        .check("D52", "vm-lan-ip-octet", CheckStatus::Ran)
        .check("D69", "ssh-target-hygiene", CheckStatus::Ran)
        .check("D70", "passing-gate", CheckStatus::Ran)
        .check(
            "D80",
            "exec-only-gate",
            CheckStatus::Skipped("exec gates disabled (--no-exec)".into()),
        )
        .check(
            "D90",
            "broken-rule",
            CheckStatus::Errored("jq: error: null (null) cannot be iterated over".into()),
        );
    // Reports always receive sorted findings.
    sort_findings(&mut fx.findings);
    fx
}
