//! Stage 5: reporters. Each is a pure function of the run's findings and
//! check records; one file per format.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod redact;
pub mod sarif;
pub mod short;

use crate::findings::{CheckRecord, Counts, Finding, RepoId};
use std::sync::Arc;

/// One repo as reported: name, where it was read from, which commit.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RepoInfo {
    pub name: RepoId,
    pub path: String,
    pub commit: Option<String>,
    pub snapshot: String,
}

impl RepoInfo {
    /// One entry per repo of the workspace, in workspace order.
    pub fn of(ws: &crate::workspace::Workspace) -> Vec<RepoInfo> {
        ws.repos
            .iter()
            .map(|r| RepoInfo {
                name: r.id,
                path: r.root.display().to_string(),
                commit: r.commit.clone(),
                snapshot: r.snapshot.describe(),
            })
            .collect()
    }
}

/// Everything a reporter may use.
pub struct Report<'a> {
    /// Sorted (see `findings::sort_findings`), including waived ones.
    pub findings: &'a [Finding],
    pub checks: &'a [CheckRecord],
    pub repos: &'a [RepoInfo],
    pub files_read: usize,
    pub elapsed_ms: u128,
    /// Findings hidden because they already existed at `--new-since REV`.
    pub hidden_old: usize,
    /// Source text lookup for snippets.
    pub source: &'a (dyn Fn(RepoId, &str) -> Option<Arc<str>> + Sync),
    /// Lowest severity that fails the run (`--fail-on`); None: never.
    pub fail_on: Option<crate::findings::Severity>,
}

impl Report<'_> {
    pub fn counts(&self) -> Counts {
        Counts::of(self.findings)
    }

    /// Checks that were selected but could not run (missing or broken
    /// inputs, exec disabled, no checkout...): green must not hide them.
    /// Gates left out by selection (`not selected …`) do not count.
    pub fn gates_skipped(&self) -> usize {
        self.checks
            .iter()
            .filter(|c| {
                matches!(&c.status, crate::findings::CheckStatus::Skipped(why)
                    if !why.starts_with("not selected"))
            })
            .count()
    }

    /// `12 files read · 3 errors, 1 warning, 0 info (2 waived) · 2 gates skipped · 41 ms`
    pub fn summary_line(&self) -> String {
        let c = self.counts();
        let mut s = format!(
            "{} files read · {} error{}, {} warning{}, {} info",
            self.files_read,
            c.error,
            if c.error == 1 { "" } else { "s" },
            c.warning,
            if c.warning == 1 { "" } else { "s" },
            c.info
        );
        if c.waived > 0 {
            s.push_str(&format!(" ({} waived)", c.waived));
        }
        let skipped = self.gates_skipped();
        if skipped > 0 {
            s.push_str(&format!(
                " · {skipped} gate{} skipped",
                if skipped == 1 { "" } else { "s" }
            ));
        }
        if self.hidden_old > 0 {
            s.push_str(&format!(
                " · {} pre-existing finding{} hidden",
                self.hidden_old,
                if self.hidden_old == 1 { "" } else { "s" }
            ));
        }
        s.push_str(&format!(" · {} ms", self.elapsed_ms));
        s
    }
}

/// Lexically normalises a `/`-separated path: drops `.` and empty
/// components and resolves `..` against the preceding component (no file
/// system access; a leading `..` of a relative path is kept).
pub fn normalize_path(p: &str) -> String {
    let absolute = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            c => parts.push(c),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// Orders check codes naturally: `D9` < `D52` < `D401` < `parse/...` <
/// `schema/...` (digit runs compare as numbers).
pub fn cmp_codes(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let mut digit = None;
        for (i, c) in s.char_indices() {
            let d = c.is_ascii_digit();
            if digit.is_some_and(|prev| prev != d) {
                out.push((digit == Some(true), &s[start..i]));
                start = i;
            }
            digit = Some(d);
        }
        if start < s.len() {
            out.push((digit == Some(true), &s[start..]));
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(cb.iter()) {
        let ord = match (x, y) {
            ((true, x), (true, y)) => {
                let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                x.len().cmp(&y.len()).then_with(|| x.cmp(y))
            }
            ((_, x), (_, y)) => x.cmp(y),
        };
        if ord != std::cmp::Ordering::Equal {
            return ord;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_normalise_lexically() {
        use super::normalize_path as n;
        assert_eq!(n("/srv/ci/spine/../workbench"), "/srv/ci/workbench");
        assert_eq!(n("/srv/./ci//spine/"), "/srv/ci/spine");
        assert_eq!(n("/.."), "/");
        assert_eq!(n("a/../../b"), "../b");
        assert_eq!(n("./"), ".");
    }

    #[test]
    fn codes_sort_naturally() {
        let mut v = vec![
            "schema/vm",
            "D401",
            "D52",
            "parse/dup",
            "D9",
            "D052",
            "config",
        ];
        v.sort_by(|a, b| super::cmp_codes(a, b));
        assert_eq!(
            v,
            [
                "D9",
                "D052",
                "D52",
                "D401",
                "config",
                "parse/dup",
                "schema/vm"
            ]
        );
    }
}
