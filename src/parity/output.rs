//! Machine outputs of `driftgate parity`: the JSON document and JUnit (via
//! the shared JUnit reporter, with findings coded `parity/<kind>`).

use super::classify::{Kind, ParityFinding};
use super::ParityRun;
use crate::findings::{CheckRecord, CheckStatus, Finding, Location, Severity};
use crate::report::{RepoInfo, Report};
use serde_json::{json, Map, Value};

/// One finding as JSON: `kind, entity, key, repo, source, line` always;
/// `field, canonical, found, name` when they apply.
pub fn finding_value(f: &ParityFinding) -> Value {
    let mut m = Map::new();
    m.insert("kind".into(), json!(f.kind.as_str()));
    m.insert("entity".into(), json!(f.entity.as_str()));
    m.insert("key".into(), json!(f.key));
    m.insert("repo".into(), json!(f.repo.as_str()));
    m.insert("source".into(), json!(f.source));
    m.insert("line".into(), json!(f.line));
    for (k, v) in [
        ("field", &f.field),
        ("canonical", &f.canonical),
        ("found", &f.found),
        ("name", &f.name),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), json!(v));
        }
    }
    Value::Object(m)
}

pub fn value(run: &ParityRun) -> Value {
    let mut repos = Map::new();
    for r in &run.ws.repos {
        repos.insert(
            r.id.as_str().into(),
            json!({"path": r.root.display().to_string(), "commit": r.commit}),
        );
    }
    json!({
        "repos": repos,
        "missing_repos": run.missing_repos.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "notes": run.notes,
        "findings": run.findings.iter().map(finding_value).collect::<Vec<_>>(),
        "coverage": run.coverage.as_ref().map(coverage_value),
    })
}

/// The site coverage matrix as JSON: sites, one row per category (count and
/// lacking guests per site), the policy and where the sites fall short.
pub fn coverage_value(c: &super::ParityCoverage) -> Value {
    use crate::model::coverage::Shortfall;
    let m = &c.matrix;
    json!({
        "sites": m.sites.iter().map(|s| json!({
            "id": s.id, "status": s.status, "cluster": s.cluster,
        })).collect::<Vec<_>>(),
        "rows": m.rows.iter().map(|r| json!({
            "category": r.category.id(),
            "title": r.category.title(),
            "unavailable": r.unavailable,
            "cells": r.cells.iter().zip(&m.sites).map(|(cell, site)| json!({
                "site": site.id,
                "count": cell.count,
                "lacking": cell.lacking.iter().map(|g| json!({
                    "guest": g.label, "subject": g.subject,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "policy": {
            "source": c.policy.source,
            "sites": c.policy.sites,
            "minimum": c.policy.minimum.iter().map(|(k, v)| (k.id().to_string(), json!(v))).collect::<Map<String, Value>>(),
            "every_active_guest": c.policy.every_active_guest.iter().map(|k| k.id()).collect::<Vec<_>>(),
        },
        "shortfalls": c.shortfalls.iter().map(|f| match f {
            Shortfall::Minimum { site, category, count, minimum, .. } => json!({
                "site": site, "category": category.id(), "count": count,
                "minimum": minimum, "message": f.message(),
            }),
            Shortfall::Guest { site, category, guest } => json!({
                "site": site, "category": category.id(), "guest": guest.label,
                "subject": guest.subject, "message": f.message(),
            }),
            Shortfall::Unjudged { category, .. } => json!({
                "category": category.id(), "unjudged": true, "message": f.message(),
            }),
        }).collect::<Vec<_>>(),
    })
}

/// The coverage matrix in one line per site (JUnit property).
fn coverage_text(c: &super::ParityCoverage) -> String {
    let m = &c.matrix;
    m.sites
        .iter()
        .enumerate()
        .map(|(i, site)| {
            let cells: Vec<String> = m
                .rows
                .iter()
                .filter(|r| r.unavailable.is_none())
                .filter_map(|r| {
                    let cell = r.cells.get(i)?;
                    Some(format!("{} {}", r.category.id(), cell.count))
                })
                .collect();
            format!("{}: {}", site.id, cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The JSON document, secrets masked with the one secret model.
pub fn json(run: &ParityRun) -> String {
    let mut v = value(run);
    crate::report::redact::json_value(&mut v);
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

pub fn severity(k: Kind) -> Severity {
    match k {
        Kind::Missing | Kind::Stale | Kind::Mismatch | Kind::Subnet => Severity::Error,
        Kind::Alias | Kind::Untracked => Severity::Warning,
    }
}

/// Parity findings as driftgate findings (`parity/<kind>`), located at
/// their line with the spine entry as related location.
pub fn to_findings(run: &ParityRun) -> Vec<Finding> {
    run.findings
        .iter()
        .map(|f| {
            let loc = match (f.line, run.ws.doc(f.repo, &f.source)) {
                (Some(l), Some(d)) if l > 0 => d.line_location(l),
                _ => Location::file(f.repo, f.source.clone()),
            };
            let mut out = Finding::new(
                format!("parity/{}", f.kind.as_str()),
                severity(f.kind),
                loc,
                f.message(),
            )
            .with_help(f.help())
            .with_subject(f.subject());
            if let Some((path, line)) = &f.spine {
                let rel = match run.ws.doc(crate::findings::RepoId::Spine, path) {
                    Some(d) => d.line_location(*line),
                    None => Location::file(crate::findings::RepoId::Spine, path.clone()),
                };
                out = out.with_related(rel, "canonical entry in the spine");
            }
            for (path, line) in &f.also {
                let rel = match run.ws.doc(f.repo, path) {
                    Some(d) if *line > 0 => d.line_location(*line),
                    _ => Location::file(f.repo, path.clone()),
                };
                out = out.with_related(rel, "same drift here");
            }
            out
        })
        .collect()
}

/// Coverage shortfalls as findings (`parity/coverage`) at the site entry of
/// topology.sites.yaml or the guest's vm.lifecycle.yaml entry.
fn coverage_findings(run: &ParityRun) -> Vec<Finding> {
    use crate::findings::RepoId;
    let Some(c) = &run.coverage else {
        return Vec::new();
    };
    c.shortfalls
        .iter()
        .map(|f| {
            let (path, ptr, subject) = f.place();
            let loc = match run.ws.doc(RepoId::Spine, path) {
                Some(d) => d.location(&ptr),
                None => Location::file(RepoId::Spine, path),
            };
            Finding::new("parity/coverage", Severity::Error, loc, f.message())
                .with_help(format!(
                    "add the missing coverage, or change the coverage policy ({}) deliberately",
                    c.policy.source
                ))
                .with_subject(subject)
        })
        .collect()
}

/// One check record per finding kind, so JUnit shows passing kinds too
/// (plus `parity/coverage` when the spine has sites).
pub fn check_records_of(run: &ParityRun) -> Vec<CheckRecord> {
    let mut out = check_records();
    if let Some(c) = &run.coverage {
        out.push(CheckRecord {
            code: "parity/coverage".into(),
            name: "parity site coverage".into(),
            status: CheckStatus::Ran,
            help: Some(format!(
                "each judged site meets the coverage policy ({}); matrix: {}",
                c.policy.source,
                coverage_text(c)
            )),
            millis: 0,
        });
    }
    out
}

/// One check record per finding kind, so JUnit shows passing kinds too.
pub fn check_records() -> Vec<CheckRecord> {
    Kind::ALL
        .iter()
        .map(|k| CheckRecord {
            code: format!("parity/{}", k.as_str()),
            name: format!("parity {}", k.as_str()),
            status: CheckStatus::Ran,
            help: Some(
                match k {
                    Kind::Missing => "entities the spine tracks are listed by every source expected to track them",
                    Kind::Stale => "no source lists what the spine has decommissioned",
                    Kind::Mismatch => "addresses, users, status and names agree with the spine",
                    Kind::Alias => "cluster names are the canonical ones",
                    Kind::Untracked => "every entry outside the spine has a spine entity",
                    Kind::Subnet => "addresses are inside their site's lan_cidr",
                }
                .to_string(),
            ),
            millis: 0,
        })
        .collect()
}

pub fn repo_infos(run: &ParityRun) -> Vec<RepoInfo> {
    RepoInfo::of(&run.ws)
}

pub fn junit(run: &ParityRun) -> String {
    let mut findings = to_findings(run);
    findings.extend(coverage_findings(run));
    crate::findings::sort_findings(&mut findings);
    let checks = check_records_of(run);
    let repos = repo_infos(run);
    let ws = &run.ws;
    let source = |repo, path: &str| ws.source(repo, path);
    let r = Report {
        findings: &findings,
        checks: &checks,
        repos: &repos,
        files_read: ws.parsed_count(),
        elapsed_ms: run.elapsed_ms,
        hidden_old: 0,
        source: &source,
        // Parity fails on any finding.
        fail_on: Some(crate::findings::Severity::Info),
    };
    crate::report::junit::render(&r)
}
