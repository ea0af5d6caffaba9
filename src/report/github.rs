//! `--format github`: GitHub Actions workflow commands, one per active
//! finding:
//!
//! ```text
//! ::error file=ops/bindings/vm.lifecycle.yaml,line=10,col=13,title=schema/vm.lifecycle::VM 215 (immich): …
//! ```
//!
//! error → `::error`, warning → `::warning`, info → `::notice`. The finding's
//! help follows the message on a second line. Escaping follows the runner:
//! in the message `%`, CR and LF become `%25`, `%0D`, `%0A` (so a message can
//! never start a new workflow command), in properties also `:` → `%3A` and
//! `,` → `%2C`.
//!
//! **Paths.** Annotations are resolved against the checked-out repository,
//! i.e. the spine. Spine findings use their repo-relative path. A finding in
//! workbench or legacy uses `<dir>/<path>` when that checkout lies inside
//! the spine's directory (`<dir>` its relative location, e.g. a workflow that
//! checks the workbench out into `workbench/`); otherwise it gets no `file=`
//! (an annotation on a file the runner does not have would be misleading)
//! and the message starts with `workbench:path:line:col:`.
//!
//! Waived findings are not annotated; errored checks are `::error`
//! annotations without a file. The summary line ends the output.

use super::{redact, RepoInfo, Report};
use crate::findings::{CheckStatus, Finding, RepoId, Severity};
use std::path::Path;

pub fn render(r: &Report) -> String {
    redact::scrubbed(r, render_inner)
}

/// Escapes workflow-command data (the message).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// Where a repo's files are, relative to the spine checkout (`""` for the
/// spine itself); None when the repo is outside it or unknown.
fn prefix_of(repos: &[RepoInfo], repo: RepoId) -> Option<String> {
    if repo == RepoId::Spine {
        return Some(String::new());
    }
    let spine = repos.iter().find(|x| x.name == RepoId::Spine)?;
    let this = repos.iter().find(|x| x.name == repo)?;
    let this = super::normalize_path(&this.path);
    let spine = super::normalize_path(&spine.path);
    let rel = Path::new(&this).strip_prefix(Path::new(&spine)).ok()?;
    let rel = rel.to_str()?.trim_matches('/');
    if rel.is_empty() || rel.split('/').any(|c| c == "..") {
        return None;
    }
    Some(format!("{rel}/"))
}

fn annotation(f: &Finding, r: &Report) -> String {
    let loc = &f.location;
    let mut props = Vec::new();
    let mut message = String::new();
    match prefix_of(r.repos, loc.repo).filter(|_| !loc.path.is_empty()) {
        Some(prefix) => {
            props.push(format!(
                "file={}",
                escape_property(&format!("{prefix}{}", loc.path))
            ));
            if let Some(span) = &loc.span {
                props.push(format!("line={}", span.line));
                props.push(format!("col={}", span.col));
                let end_line = (r.source)(loc.repo, &loc.path).and_then(|t| {
                    let mut end = span.end.max(span.start);
                    // A span ending with its line break ends on that line.
                    if end > span.start && t.as_bytes().get(end - 1) == Some(&b'\n') {
                        end -= 1;
                    }
                    (end <= t.len() && t.is_char_boundary(end))
                        .then(|| super::sarif::line_col(&t, end).0)
                });
                if let Some(l) = end_line.filter(|&l| l > span.line) {
                    props.push(format!("endLine={l}"));
                }
            }
        }
        None => {
            message.push_str(&loc.display());
            message.push_str(": ");
        }
    }
    props.push(format!("title={}", escape_property(&f.code)));
    message.push_str(&f.message);
    if let Some(h) = &f.help {
        message.push_str("\nhelp: ");
        message.push_str(h);
    }
    format!(
        "::{} {}::{}\n",
        command(f.severity),
        props.join(","),
        escape_data(&message)
    )
}

fn render_inner(r: &Report) -> String {
    let mut out = String::new();
    for f in r.findings.iter().filter(|f| f.is_active()) {
        out.push_str(&annotation(f, r));
    }
    for c in r.checks {
        if let CheckStatus::Errored(reason) = &c.status {
            out.push_str(&format!(
                "::error title={}::{}\n",
                escape_property(&c.code),
                escape_data(&format!("check {} ({}) errored: {reason}", c.code, c.name))
            ));
        }
    }
    out.push_str(&r.summary_line());
    out.push('\n');
    out
}
