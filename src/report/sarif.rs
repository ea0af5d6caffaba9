//! `--format sarif` / `--sarif FILE`: SARIF 2.1.0.
//!
//! Built by hand with `serde_json::json!` rather than with `serde-sarif`:
//! the typed builders generated from the schema turn each object into a
//! fallible builder chain (three times the code for the same JSON), while
//! the output shape is small and fixed. Validity is not taken on trust:
//! `tests/report_sarif.rs` validates the output against the vendored
//! OASIS SARIF 2.1.0 JSON schema.
//!
//! Shape: one run; `tool.driver` = driftgate + version with one rule per
//! code seen (check records and findings); one result per finding with
//! `ruleId`/`ruleIndex`, `level` (error/warning/note), message, a physical
//! location relative to the repo (`uriBaseId` = `spine`/`workbench`/
//! `legacy`, resolved by `run.originalUriBaseIds` to the checkout paths),
//! a region with 1-based lines and columns counted in Unicode code points
//! (`run.columnKind`), plus `byteOffset`/`byteLength`; related locations;
//! `partialFingerprints["driftgate/v1"]` (line-independent); waived
//! findings carry an external, accepted suppression with the waiver reason.
//! Errored and skipped checks are `invocations[0].toolExecutionNotifications`.

use super::{redact, Report};
use crate::findings::{CheckStatus, Disposition, Finding, Location, RepoId, Severity, Span};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Key of the line-independent fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "driftgate/v1";

pub fn render(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&value(r)).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// The SARIF log as JSON (secrets redacted).
pub fn value(r: &Report) -> Value {
    redact::scrubbed(r, value_inner)
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Percent-encodes a path for a URI reference (RFC 3986 unreserved chars
/// and `/` kept).
pub fn encode_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `file:///abs/path/` for an absolute directory; None for a relative one.
fn dir_uri(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let mut u = format!("file://{}", encode_path(&super::normalize_path(path)));
    if !u.ends_with('/') {
        u.push('/');
    }
    Some(u)
}

/// 1-based line and 1-based column (in chars) of byte offset `at` of `text`.
pub(crate) fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn region(span: &Span, text: Option<&str>) -> Value {
    let mut reg = Map::new();
    reg.insert("startLine".into(), json!(span.line.max(1)));
    reg.insert("startColumn".into(), json!(span.col.max(1)));
    let end = text.and_then(|t| {
        let end = span.end.max(span.start);
        (end <= t.len() && t.is_char_boundary(end) && span.start <= t.len())
            .then(|| line_col(t, end))
    });
    if let Some((end_line, end_col)) = end {
        // Our line/col may come from the parser; never let the end precede
        // the start.
        if (end_line, end_col) >= (span.line.max(1), span.col.max(1)) {
            reg.insert("endLine".into(), json!(end_line));
            reg.insert("endColumn".into(), json!(end_col));
        }
    }
    reg.insert("byteOffset".into(), json!(span.start));
    reg.insert(
        "byteLength".into(),
        json!(span.end.saturating_sub(span.start)),
    );
    Value::Object(reg)
}

fn physical(loc: &Location, r: &Report) -> Value {
    let mut phys = Map::new();
    phys.insert(
        "artifactLocation".into(),
        json!({ "uri": encode_path(&loc.path), "uriBaseId": loc.repo.as_str() }),
    );
    if let Some(span) = &loc.span {
        let text = (r.source)(loc.repo, &loc.path);
        phys.insert("region".into(), region(span, text.as_deref()));
    }
    Value::Object(phys)
}

fn message(text: &str) -> Value {
    json!({ "text": text })
}

struct Rule {
    id: String,
    name: String,
    help: Option<String>,
    level: Option<Severity>,
}

fn rules(r: &Report) -> Vec<Rule> {
    let mut by_code: HashMap<&str, Rule> = HashMap::new();
    for c in r.checks {
        let rule = by_code.entry(c.code.as_str()).or_insert_with(|| Rule {
            id: c.code.clone(),
            name: c.code.clone(),
            help: None,
            level: None,
        });
        if !c.name.is_empty() {
            rule.name = c.name.clone();
        }
        if c.help.is_some() {
            rule.help = c.help.clone();
        }
    }
    for f in r.findings {
        let rule = by_code.entry(f.code.as_str()).or_insert_with(|| Rule {
            id: f.code.clone(),
            name: f.code.clone(),
            help: None,
            level: None,
        });
        if rule.help.is_none() {
            rule.help = f.help.clone();
        }
        rule.level = Some(rule.level.map_or(f.severity, |l| l.max(f.severity)));
    }
    let mut v: Vec<Rule> = by_code.into_values().collect();
    v.sort_by(|a, b| super::cmp_codes(&a.id, &b.id));
    v
}

fn rule_value(rule: &Rule) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), json!(rule.id));
    o.insert("name".into(), json!(rule.name));
    o.insert("shortDescription".into(), message(&rule.name));
    // `help.markdown` for viewers that render it (GitHub, the SARIF
    // viewer); `text` stays for the rest.
    let explain = format!("driftgate explain {}", rule.id);
    let markdown = match &rule.help {
        Some(h) => format!("**{}**\n\n{h}\n\nMore: `{explain}`", rule.name),
        None => format!("**{}**\n\nMore: `{explain}`", rule.name),
    };
    if let Some(h) = &rule.help {
        o.insert("fullDescription".into(), message(h));
        o.insert("help".into(), json!({ "text": h, "markdown": markdown }));
    } else {
        o.insert(
            "help".into(),
            json!({ "text": format!("Run `{explain}`."), "markdown": markdown }),
        );
    }
    if let Some(l) = rule.level {
        o.insert("defaultConfiguration".into(), json!({ "level": level(l) }));
    }
    Value::Object(o)
}

fn result_value(
    f: &Finding,
    rule_index: Option<usize>,
    rule_help: Option<&str>,
    r: &Report,
) -> Value {
    let mut o = Map::new();
    o.insert("ruleId".into(), json!(f.code));
    if let Some(i) = rule_index {
        o.insert("ruleIndex".into(), json!(i));
    }
    o.insert("level".into(), json!(level(f.severity)));
    let mut text = f.message.clone();
    if let Some(h) = f.help.as_deref().filter(|h| Some(*h) != rule_help) {
        text.push_str("\nhelp: ");
        text.push_str(h);
    }
    o.insert("message".into(), message(&text));
    if !f.location.path.is_empty() {
        o.insert(
            "locations".into(),
            json!([{ "physicalLocation": physical(&f.location, r) }]),
        );
    }
    let related: Vec<Value> = f
        .related
        .iter()
        .filter(|rel| !rel.location.path.is_empty())
        .enumerate()
        .map(|(i, rel)| {
            json!({
                "id": i,
                "physicalLocation": physical(&rel.location, r),
                "message": message(&rel.message),
            })
        })
        .collect();
    if !related.is_empty() {
        o.insert("relatedLocations".into(), Value::Array(related));
    }
    o.insert(
        "partialFingerprints".into(),
        json!({ FINGERPRINT_KEY: f.fingerprint() }),
    );
    if let Disposition::Waived { reason } = &f.disposition {
        o.insert(
            "suppressions".into(),
            json!([{ "kind": "external", "status": "accepted", "justification": reason }]),
        );
    }
    let mut props = Map::new();
    props.insert("repo".into(), json!(f.location.repo));
    if let Some(s) = &f.subject {
        props.insert("subject".into(), json!(s));
    }
    props.insert("severity".into(), json!(f.severity));
    if f.internal {
        props.insert("internal".into(), json!(true));
    }
    o.insert("properties".into(), Value::Object(props));
    Value::Object(o)
}

fn value_inner(r: &Report) -> Value {
    let rules = rules(r);
    let index: HashMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, rule)| (rule.id.as_str(), i))
        .collect();
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let i = index.get(f.code.as_str()).copied();
            let help = i.and_then(|i| rules.get(i)).and_then(|r| r.help.as_deref());
            result_value(f, i, help, r)
        })
        .collect();

    let mut bases = Map::new();
    let mut provenance = Vec::new();
    for repo in r.repos {
        let mut base = Map::new();
        let uri = dir_uri(&repo.path);
        if let Some(u) = &uri {
            base.insert("uri".into(), json!(u));
        }
        let mut desc = format!("{} ({}", repo.name, repo.snapshot);
        if let Some(c) = &repo.commit {
            desc.push_str(&format!(" @ {c}"));
        }
        desc.push_str(&format!(") at {}", repo.path));
        base.insert("description".into(), message(&desc));
        bases.insert(repo.name.as_str().into(), Value::Object(base));
        if let (Some(u), Some(c)) = (&uri, &repo.commit) {
            provenance.push(json!({
                "repositoryUri": u,
                "revisionId": c,
                "mappedTo": { "uriBaseId": repo.name.as_str() },
            }));
        }
    }
    // Every repo a finding mentions needs a base id entry, even when the
    // repo list is empty (a spine that could not be opened).
    for f in r.findings {
        for repo in
            std::iter::once(f.location.repo).chain(f.related.iter().map(|x| x.location.repo))
        {
            let key = repo.as_str();
            if !bases.contains_key(key) {
                bases.insert(
                    key.into(),
                    json!({ "description": message(&format!("{} checkout", repo_label(repo))) }),
                );
            }
        }
    }

    let mut notifications = Vec::new();
    let mut ok = !r.findings.iter().any(|f| f.internal && f.is_active());
    for c in r.checks {
        let (lvl, what, reason) = match &c.status {
            CheckStatus::Ran => continue,
            CheckStatus::Skipped(reason) => ("note", "skipped", reason),
            CheckStatus::Errored(reason) => {
                ok = false;
                ("error", "errored", reason)
            }
        };
        let mut n = json!({
            "level": lvl,
            "message": message(&format!("{} ({}) {what}: {reason}", c.code, c.name)),
            "associatedRule": { "id": c.code },
        });
        if let Some(i) = index.get(c.code.as_str()) {
            n["associatedRule"]["index"] = json!(i);
        }
        notifications.push(n);
    }
    let mut invocation = json!({ "executionSuccessful": ok });
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = Value::Array(notifications);
    }

    let c = r.counts();
    let mut run = json!({
        "tool": {
            "driver": {
                "name": "driftgate",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules.iter().map(rule_value).collect::<Vec<_>>(),
            }
        },
        "invocations": [invocation],
        "originalUriBaseIds": bases,
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "filesRead": r.files_read,
            "errors": c.error,
            "warnings": c.warning,
            "info": c.info,
            "waived": c.waived,
            "hiddenOld": r.hidden_old,
            "elapsedMs": r.elapsed_ms,
        },
    });
    if !provenance.is_empty() {
        run["versionControlProvenance"] = Value::Array(provenance);
    }
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [run],
    })
}

fn repo_label(r: RepoId) -> &'static str {
    r.as_str()
}
