//! `--format markdown` / `--summary FILE`: a job summary for
//! `$GITHUB_STEP_SUMMARY` (Gitea ≥ 1.27, GitHub), readable on a phone:
//! verdict line, counts by severity, findings grouped by code (location,
//! subject, message), checks that errored or were skipped, waived findings
//! (collapsed), repos with commits, and the summary line.
//!
//! The verdict is ❌ when there is an active error, an internal error or an
//! errored check (what fails the default `--fail-on error`), else ✅.
//!
//! Long runs are capped: the first [`MAX_FINDINGS`] findings are listed,
//! then `… N more`. Table cells are escaped: `|`, line breaks, HTML
//! (`<`, `>`, `&`) and control characters cannot break the table or inject
//! markup.

use super::{redact, Report};
use crate::findings::{CheckRecord, CheckStatus, Disposition, Finding, RepoId, Severity};
use std::collections::HashMap;

/// Findings listed before `… N more`.
pub const MAX_FINDINGS: usize = 200;
/// Checks and waived findings listed before `… N more`.
const MAX_ITEMS: usize = 50;
/// Longest help line under a code heading.
const MAX_HELP_CHARS: usize = 300;
/// Longest message in a table cell.
const MAX_MESSAGE_CHARS: usize = 1000;

pub fn render(r: &Report) -> String {
    redact::scrubbed(r, render_inner)
}

/// Escapes text for a markdown table cell or list item.
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("<br>");
                }
            }
            '\n' => out.push_str("<br>"),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `path:line` for the spine, `repo:path:line` for the other checkouts.
fn location(f: &Finding) -> String {
    let loc = &f.location;
    let mut s = String::new();
    if loc.repo != RepoId::Spine {
        s.push_str(loc.repo.as_str());
        s.push(':');
    }
    s.push_str(&loc.path);
    if loc.span.is_some() {
        s.push_str(&format!(":{}", loc.line()));
    }
    s
}

fn severity_icon(s: Severity) -> &'static str {
    match s {
        Severity::Error => "❌",
        Severity::Warning => "⚠️",
        Severity::Info => "ℹ️",
    }
}

fn render_inner(r: &Report) -> String {
    let c = r.counts();
    let internal = r.findings.iter().any(|f| f.internal && f.is_active());
    let errored: Vec<&CheckRecord> = r
        .checks
        .iter()
        .filter(|c| matches!(c.status, CheckStatus::Errored(_)))
        .collect();
    let skipped: Vec<&CheckRecord> = r
        .checks
        .iter()
        .filter(|c| matches!(c.status, CheckStatus::Skipped(_)))
        .collect();
    // The verdict follows --fail-on, like the exit code.
    let over_threshold = r
        .findings
        .iter()
        .any(|f| f.is_active() && r.fail_on.is_some_and(|level| f.severity >= level));
    let failed = over_threshold || internal || !errored.is_empty();
    let active = c.error + c.warning + c.info;

    let mut out = String::new();
    let verdict = if failed { "❌" } else { "✅" };
    let mut parts = Vec::new();
    if c.error > 0 {
        parts.push(plural(c.error, "error"));
    }
    if c.warning > 0 {
        parts.push(plural(c.warning, "warning"));
    }
    if c.info > 0 {
        parts.push(format!("{} info", c.info));
    }
    if !errored.is_empty() {
        parts.push(format!("{} errored", plural(errored.len(), "check")));
    }
    let what = if parts.is_empty() {
        "no findings".to_string()
    } else {
        parts.join(", ")
    };
    out.push_str(&format!("## {verdict} driftgate: {what}\n\n"));

    out.push_str("| severity | count |\n|---|---:|\n");
    out.push_str(&format!("| ❌ error | {} |\n", c.error));
    out.push_str(&format!("| ⚠️ warning | {} |\n", c.warning));
    out.push_str(&format!("| ℹ️ info | {} |\n", c.info));
    out.push_str(&format!("| 💤 waived | {} |\n", c.waived));
    if r.hidden_old > 0 {
        out.push_str(&format!(
            "| 🕰️ pre-existing (hidden) | {} |\n",
            r.hidden_old
        ));
    }
    out.push('\n');

    // Findings grouped by code, codes in natural order, findings in report
    // order within a code.
    let names: HashMap<&str, &CheckRecord> =
        r.checks.iter().map(|c| (c.code.as_str(), c)).collect();
    let mut groups: Vec<(&str, Vec<&Finding>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for f in r.findings.iter().filter(|f| f.is_active()) {
        let i = *index.entry(f.code.as_str()).or_insert_with(|| {
            groups.push((f.code.as_str(), Vec::new()));
            groups.len() - 1
        });
        if let Some(g) = groups.get_mut(i) {
            g.1.push(f);
        }
    }
    groups.sort_by(|a, b| super::cmp_codes(a.0, b.0));
    let mut listed = 0;
    for (code, findings) in &groups {
        if listed >= MAX_FINDINGS {
            break;
        }
        let check = names.get(code);
        let title = match check {
            Some(c) if !c.name.is_empty() && c.name != *code => {
                format!("{} · {}", cell(code), cell(&c.name))
            }
            _ => cell(code),
        };
        let worst = findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Info);
        out.push_str(&format!(
            "### {} {title} ({})\n\n",
            severity_icon(worst),
            plural(findings.len(), "finding")
        ));
        let help = check
            .and_then(|c| c.help.as_deref())
            .or_else(|| findings.first().and_then(|f| f.help.as_deref()));
        if let Some(h) = help {
            let first = h.lines().next().unwrap_or("");
            out.push_str(&format!("> {}\n\n", cell(&truncate(first, MAX_HELP_CHARS))));
        }
        out.push_str("| location | subject | message |\n|---|---|---|\n");
        for f in findings {
            if listed >= MAX_FINDINGS {
                break;
            }
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                cell(&location(f)),
                f.subject.as_deref().map(cell).unwrap_or_default(),
                cell(&truncate(&f.message, MAX_MESSAGE_CHARS))
            ));
            listed += 1;
        }
        out.push('\n');
    }
    if active > listed {
        let more = active - listed;
        out.push_str(&format!(
            "… {more} more finding{} (see the JUnit, SARIF or JSON report)\n\n",
            if more == 1 { "" } else { "s" }
        ));
    }

    if !errored.is_empty() || !skipped.is_empty() {
        out.push_str("### Checks not run\n\n");
        let items = errored.iter().chain(skipped.iter());
        let total = errored.len() + skipped.len();
        for c in items.take(MAX_ITEMS) {
            let (icon, what, reason) = match &c.status {
                CheckStatus::Errored(reason) => ("⛔", "errored", reason.as_str()),
                CheckStatus::Skipped(reason) => ("⏭️", "skipped", reason.as_str()),
                CheckStatus::Ran => continue,
            };
            out.push_str(&format!(
                "- {icon} **{}** ({}) {what}: {}\n",
                cell(&c.code),
                cell(&c.name),
                cell(&truncate(reason, MAX_HELP_CHARS))
            ));
        }
        if total > MAX_ITEMS {
            out.push_str(&format!("- … {} more\n", total - MAX_ITEMS));
        }
        out.push('\n');
    }

    let waived: Vec<&Finding> = r.findings.iter().filter(|f| !f.is_active()).collect();
    if !waived.is_empty() {
        out.push_str(&format!(
            "<details><summary>💤 {} waived</summary>\n\n",
            plural(waived.len(), "finding")
        ));
        for f in waived.iter().take(MAX_ITEMS) {
            let reason = match &f.disposition {
                Disposition::Waived { reason } => reason.as_str(),
                Disposition::Active => "",
            };
            out.push_str(&format!(
                "- **{}** {} — {}\n",
                cell(&f.code),
                cell(&f.subject_or_path()),
                cell(reason)
            ));
        }
        if waived.len() > MAX_ITEMS {
            out.push_str(&format!("- … {} more\n", waived.len() - MAX_ITEMS));
        }
        out.push_str("\n</details>\n\n");
    }

    if !r.repos.is_empty() {
        out.push_str("| repo | snapshot | commit |\n|---|---|---|\n");
        for repo in r.repos {
            let commit = repo
                .commit
                .as_deref()
                .map(|c| format!("`{}`", cell(&c.chars().take(12).collect::<String>())))
                .unwrap_or_else(|| "—".into());
            out.push_str(&format!(
                "| {} | {} | {commit} |\n",
                repo.name,
                cell(&repo.snapshot)
            ));
        }
        out.push('\n');
    }
    out.push_str(&format!("<sub>{}</sub>\n", cell(&r.summary_line())));
    out
}
