//! `--format short`: `repo:path:line:col: CODE message`, one line each,
//! then `driftgate: check CODE (name) errored: reason` for checks that
//! could not run, then the summary line.

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
    // Checks that could not run are no findings, but a log reader must see
    // them (Gitea shows only the log).
    for c in r.checks {
        if let crate::findings::CheckStatus::Errored(reason) = &c.status {
            out.push_str(&format!(
                "driftgate: check {} ({}) errored: {}\n",
                c.code,
                one_line(&c.name),
                one_line(reason)
            ));
        }
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
