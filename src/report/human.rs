//! Human output: one miette diagnostic per active finding (code, severity,
//! message, source snippet with labels, help), then waived findings, checks
//! that errored or were skipped, and the summary line.
//!
//! Rendered with `miette::GraphicalReportHandler` straight into a String
//! (no global hook), width 100, no hyperlinks; colour only when asked.

use super::{redact, Report};
use crate::findings::{CheckStatus, Disposition, Finding, Location, Severity, Span};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
    SourceSpan,
};
use std::fmt;
use std::sync::Arc;

/// Output width (miette wraps messages and help to it).
pub const WIDTH: usize = 100;

pub fn render(r: &Report) -> String {
    render_colored(r, false)
}

pub fn render_colored(r: &Report, color: bool) -> String {
    redact::scrubbed(r, |r| render_inner(r, color))
}

fn handler(color: bool) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(WIDTH)
        // miette counts the header column in bytes; we name the source
        // `repo:path:line:col` ourselves (column in characters, as in every
        // other output).
        .without_primary_span_start()
}

fn render_inner(r: &Report, color: bool) -> String {
    let handler = handler(color);
    let mut out = String::new();
    for f in r.findings.iter().filter(|f| f.is_active()) {
        render_finding(&handler, r, f, &mut out);
    }

    let waived: Vec<&Finding> = r.findings.iter().filter(|f| !f.is_active()).collect();
    if !waived.is_empty() {
        for f in waived {
            let reason = match &f.disposition {
                Disposition::Waived { reason } => reason.as_str(),
                Disposition::Active => "",
            };
            out.push_str(&format!(
                "waived: {} {} — {}\n",
                f.code,
                f.subject_or_path(),
                one_line(reason)
            ));
        }
        out.push('\n');
    }

    let mut any_check = false;
    for c in r.checks {
        if let CheckStatus::Errored(reason) = &c.status {
            out.push_str(&format!(
                "check errored: {} ({}) — {}\n",
                c.code,
                c.name,
                one_line(reason)
            ));
            any_check = true;
        }
    }
    let skipped: Vec<&str> = r
        .checks
        .iter()
        .filter(|c| matches!(c.status, CheckStatus::Skipped(_)))
        .map(|c| c.code.as_str())
        .collect();
    if !skipped.is_empty() {
        const SHOW: usize = 12;
        let mut list = skipped
            .iter()
            .take(SHOW)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        if skipped.len() > SHOW {
            list.push_str(&format!(", … {} more", skipped.len() - SHOW));
        }
        out.push_str(&format!(
            "skipped: {} check{} ({list}); see --format json for reasons\n",
            skipped.len(),
            if skipped.len() == 1 { "" } else { "s" }
        ));
        any_check = true;
    }
    if any_check {
        out.push('\n');
    }
    out.push_str(&r.summary_line());
    out.push('\n');
    out
}

fn one_line(s: &str) -> String {
    super::short::one_line(s)
}

/// A finding as a miette diagnostic.
struct Diag {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<Arc<str>>>,
    labels: Vec<LabeledSpan>,
}

impl fmt::Debug for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diag {}

impl Diagnostic for Diag {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}

fn miette_severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

/// Our byte span as a miette span inside `text`, clamped to the text and to
/// char boundaries. None when the span lies outside the text (a stale
/// source), so no misleading snippet is drawn.
pub(crate) fn source_span(text: &str, span: &Span) -> Option<SourceSpan> {
    let len = text.len();
    if span.start > len {
        return None;
    }
    let mut start = span.start;
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, len);
    while end < len && !text.is_char_boundary(end) {
        end += 1;
    }
    Some(SourceSpan::new(start.into(), end - start))
}

/// Spans longer than this many lines are cut to their first line (a
/// finding on a whole document must not print the whole file).
pub const MAX_SPAN_LINES: usize = 8;

/// Cuts a span of more than [`MAX_SPAN_LINES`] lines to the end of its
/// first line and says where it ends in the label.
fn limit_lines(text: &str, ss: SourceSpan, label: String) -> (SourceSpan, String) {
    let (start, end) = (ss.offset(), ss.offset() + ss.len());
    let covered = text.get(start..end).unwrap_or("");
    let breaks = covered.bytes().filter(|&b| b == b'\n').count();
    if breaks < MAX_SPAN_LINES {
        return (ss, label);
    }
    let first_end = covered.find('\n').map_or(end, |i| start + i).max(start);
    let first_end =
        if text.as_bytes().get(first_end.wrapping_sub(1)) == Some(&b'\r') && first_end > start {
            first_end - 1
        } else {
            first_end
        };
    // The line of the span's last character (a trailing line break belongs
    // to the line it ends).
    let last = if text.as_bytes().get(end.wrapping_sub(1)) == Some(&b'\n') {
        end - 1
    } else {
        end
    };
    let end_line = text
        .get(..last)
        .unwrap_or("")
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1;
    (
        SourceSpan::new(start.into(), first_end - start),
        format!("{label} (continues to line {end_line})"),
    )
}

/// Lines longer than this (minified JSON, binary junk) are not drawn: the
/// finding gets its `at repo:path:line:col` line instead.
pub const MAX_SNIPPET_LINE_BYTES: usize = 400;

fn long_line_at(text: &str, offset: usize) -> bool {
    let bytes = text.as_bytes();
    let at = offset.min(bytes.len());
    let start = bytes[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = bytes[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| at + i);
    end - start > MAX_SNIPPET_LINE_BYTES
}

/// Longest message drawn (the JSON/SARIF/JUnit reports keep it whole).
pub const MAX_MESSAGE_CHARS: usize = 2000;

fn bounded(s: &str) -> String {
    match s.char_indices().nth(MAX_MESSAGE_CHARS) {
        None => s.to_string(),
        Some((cut, _)) => format!(
            "{}… ({} more characters; see --format json)",
            &s[..cut],
            s[cut..].chars().count()
        ),
    }
}

/// Label text for the primary span.
fn primary_label(f: &Finding) -> String {
    match &f.subject {
        Some(s) => s.clone(),
        None => "here".to_string(),
    }
}

fn render_finding(handler: &GraphicalReportHandler, r: &Report, f: &Finding, out: &mut String) {
    let loc = &f.location;
    let text = loc
        .span
        .as_ref()
        .and_then(|_| (r.source)(loc.repo, &loc.path));
    let mut labels = Vec::new();
    let mut source = None;
    if let (Some(text), Some(span)) = (&text, &loc.span) {
        if let Some(ss) = source_span(text, span).filter(|ss| !long_line_at(text, ss.offset())) {
            let (ss, label) = limit_lines(text, ss, primary_label(f));
            labels.push(LabeledSpan::new_primary_with_span(Some(label), ss));
            source = Some(NamedSource::new(loc.display(), text.clone()));
        }
    }
    let mut extra = Vec::new();
    if source.is_none() && !loc.path.is_empty() {
        extra.push(format!("at {}", loc.display()));
    }
    for rel in &f.related {
        let same_file = rel.location.repo == loc.repo && rel.location.path == loc.path;
        let span = match (&text, &rel.location.span, same_file && source.is_some()) {
            (Some(text), Some(span), true) => {
                source_span(text, span).map(|ss| limit_lines(text, ss, rel.message.clone()))
            }
            _ => None,
        };
        match span {
            Some((ss, label)) => labels.push(LabeledSpan::new_with_span(Some(label), ss)),
            None => extra.push(related_line(&rel.location, &rel.message)),
        }
    }
    let diag = Diag {
        message: bounded(&f.message),
        code: f.code.clone(),
        severity: miette_severity(f.severity),
        help: f.help.clone(),
        source,
        labels,
    };
    let mut s = String::new();
    if handler.render_report(&mut s, &diag).is_err() {
        // Never lose a finding because of a rendering problem.
        s = format!(
            "{} {}: {}\n",
            f.code,
            f.severity,
            super::short::one_line(&f.message)
        );
        if !extra.iter().any(|e| e.starts_with("at ")) {
            extra.insert(0, format!("at {}", loc.display()));
        }
    }
    out.push_str(s.trim_end_matches('\n'));
    out.push('\n');
    for e in extra {
        out.push_str("  ");
        out.push_str(&e);
        out.push('\n');
    }
    out.push('\n');
}

fn related_line(loc: &Location, message: &str) -> String {
    let place = if loc.path.is_empty() {
        loc.repo.to_string()
    } else {
        loc.display()
    };
    format!("related: {place} {}", one_line(message))
}
