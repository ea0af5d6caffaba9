//! `--format short`: `repo:path:line:col: CODE message`, one line each.

use super::{redact, Report};

pub fn render(r: &Report) -> String {
    redact::scrubbed(r, render_inner)
}

fn render_inner(r: &Report) -> String {
    let mut out = String::new();
    for f in r.findings.iter().filter(|f| f.is_active()) {
        out.push_str(&format!(
            "{}: {} {}\n",
            f.location.display(),
            f.code,
            one_line(&f.message)
        ));
    }
    out.push_str(&r.summary_line());
    out.push('\n');
    out
}

/// Messages never break the one-line-per-finding contract.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect()
}
