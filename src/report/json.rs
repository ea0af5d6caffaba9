//! `--format json`: one object with repos, findings (each with repo, path,
//! line, column, code, severity, message, subject) and check records.

use super::{redact, Report};
use serde_json::{json, Value};

/// The JSON document (secrets redacted, like every output).
pub fn value(r: &Report) -> Value {
    redact::scrubbed(r, value_inner)
}

fn value_inner(r: &Report) -> Value {
    let findings: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            json!({
                "code": f.code,
                "severity": f.severity,
                "repo": f.location.repo,
                "path": f.location.path,
                "line": f.location.line(),
                "column": f.location.col(),
                "end_offset": f.location.span.map(|s| s.end),
                "message": f.message,
                "help": f.help,
                "subject": f.subject,
                "fingerprint": f.fingerprint(),
                "waived": !f.is_active(),
                "related": f.related.iter().map(|rel| json!({
                    "repo": rel.location.repo,
                    "path": rel.location.path,
                    "line": rel.location.line(),
                    "column": rel.location.col(),
                    "message": rel.message,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let c = r.counts();
    json!({
        "version": 1,
        "repos": r.repos,
        "summary": {
            "files_read": r.files_read,
            "errors": c.error,
            "warnings": c.warning,
            "info": c.info,
            "waived": c.waived,
            "hidden_old": r.hidden_old,
            "gates_skipped": r.gates_skipped(),
            "elapsed_ms": r.elapsed_ms,
        },
        "checks": r.checks,
        "findings": findings,
    })
}

pub fn render(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&value(r)).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
