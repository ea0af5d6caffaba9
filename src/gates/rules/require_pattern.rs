//! `require_pattern`: files must contain (or, per pattern, must not contain)
//! text matching regexes; the shape of the registry's "this script must
//! source X and call Y" locks.
//!
//! ```yaml
//! rule:
//!   kind: require_pattern
//!   files: ["spine:ops/runtime/*.sh"]        # globs: every matching file is judged
//!   paths: ["spine:.githooks/commit-msg"]    # exact files: a missing one is a finding
//!   exclude: []
//!   capture: '^surfaces/verify/d([0-9][^/-]*)-[^/]*\.sh$'  # optional: only paths matching
//!                                           # it; `{{$1}}` in a pattern is the capture
//!   section: {start: '^precondition_fail\(\)', end: '^}'}  # optional: judge only these
//!                                           # line ranges (awk `/start/,/end/`)
//!   patterns:
//!     - pattern: 'ops/runtime/lib/job-wrapper\.sh'
//!       message: "{{$file}} does not source the job wrapper"
//!     - pattern: 'exit[[:space:]]+0'
//!       absent: true                         # must NOT match (a finding per matching line)
//!   literal: false                           # patterns are plain text when true
//!   first_only: false                        # stop at a file's first missing pattern
//!   message: "{{$file}} lacks `{{$pattern}}`"
//!   missing_message: "{{$file}} does not exist"
//!   section_message: "{{$file}} has no section starting `{{$start}}`"
//! ```
//! Patterns are matched line by line (`^`/`$` anchor lines, `.` stops at a
//! line end), as grep and rg match. A required pattern that is missing is a
//! finding at the file's first line; an `absent` pattern that matches is a
//! finding at the match. A glob matching nothing makes the gate skipped; an
//! exact path that does not exist is a finding (declare it as an optional
//! input). Variables: `$file`, `$pattern`, `$1`…`$9`, `$start`. The default
//! subject is `file:<path>`.

use super::{parse_ref, render, Halt, Output, RuleCx, RuleResult};
use crate::documents::Document;
use crate::findings::Location;
use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    pub pattern: String,
    pub message: Option<String>,
    #[serde(default)]
    pub absent: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub capture: Option<String>,
    pub section: Option<Section>,
    pub patterns: Vec<Pattern>,
    #[serde(default)]
    pub literal: bool,
    #[serde(default)]
    pub first_only: bool,
    pub message: Option<String>,
    pub missing_message: Option<String>,
    pub section_message: Option<String>,
    pub subject: Option<String>,
}

/// A pattern as grep/rg read it: `^`/`$` anchor lines (`[[:space:]]`
/// classes work as in grep); `literal` escapes it.
fn build(p: &str, literal: bool) -> Result<Regex, regex::Error> {
    let src = if literal {
        regex::escape(p)
    } else {
        p.to_string()
    };
    RegexBuilder::new(&src)
        .multi_line(true)
        .size_limit(1 << 22)
        .build()
}

/// The awk range `/start/,/end/`: every line from one matching `start` up
/// to and including the next one matching `end` (or the end of the file),
/// repeatedly. Returns the kept lines with their 1-based numbers.
fn section_lines<'t>(text: &'t str, start: &Regex, end: &Regex) -> Vec<(usize, &'t str)> {
    let mut out = Vec::new();
    let mut inside = false;
    for (i, line) in text.lines().enumerate() {
        if !inside {
            if start.is_match(line) {
                inside = true;
                out.push((i + 1, line));
                // awk checks the end pattern on the start line too.
                if end.is_match(line) {
                    inside = false;
                }
            }
        } else {
            out.push((i + 1, line));
            if end.is_match(line) {
                inside = false;
            }
        }
    }
    out
}

pub fn run(cx: &RuleCx<'_>, spec: Spec) -> RuleResult {
    let cfg = |field: &str, message: String| Halt::Config {
        pointer: format!("{}{field}", cx.base),
        message,
    };
    if spec.files.is_empty() && spec.paths.is_empty() {
        return Err(cfg("", "`require_pattern` needs `files` or `paths`".into()));
    }
    if spec.patterns.is_empty() {
        return Err(cfg("/patterns", "`require_pattern` needs patterns".into()));
    }
    let capture = spec
        .capture
        .as_deref()
        .map(|c| Regex::new(c).map_err(|e| cfg("/capture", format!("bad regex `{c}`: {e}"))))
        .transpose()?;
    // Without a capture the patterns are fixed: check them once up front.
    if capture.is_none() {
        for (i, p) in spec.patterns.iter().enumerate() {
            build(&p.pattern, spec.literal).map_err(|e| {
                cfg(
                    &format!("/patterns/{i}/pattern"),
                    format!("bad regex `{}`: {e}", p.pattern),
                )
            })?;
        }
    }
    let section = spec
        .section
        .as_ref()
        .map(|s| -> Result<(Regex, Regex), Halt> {
            let a = Regex::new(&s.start)
                .map_err(|e| cfg("/section/start", format!("bad regex: {e}")))?;
            let b =
                Regex::new(&s.end).map_err(|e| cfg("/section/end", format!("bad regex: {e}")))?;
            Ok((a, b))
        })
        .transpose()?;

    let mut out = Output::default();
    let view = cx.gate.inputs;
    let subject_tpl = spec.subject.as_deref().unwrap_or("file:{{$file}}");
    let mut docs: Vec<Arc<Document>> = Vec::new();

    // Exact paths first, in the order given: a missing one is a finding.
    for p in &spec.paths {
        let (repo, path) = parse_ref(p);
        if !view.has_repo(repo) {
            return Err(Halt::Skip(format!("needs the {repo} checkout ({p})")));
        }
        if !view.has(repo, path) {
            let vars = [("file", path.to_string())];
            let msg = render(
                spec.missing_message
                    .as_deref()
                    .unwrap_or("{{$file}} does not exist"),
                None,
                &vars,
            );
            let mut f = cx.gate.finding_at(Location::file(repo, path), msg);
            f.subject = Some(render(subject_tpl, None, &vars));
            out.findings.push(f);
            continue;
        }
        match view.doc(repo, path) {
            Some(d) if d.format == crate::documents::Format::Opaque => {
                return Err(Halt::Skip(format!(
                    "{repo}:{path} could not be read as text (see its finding)"
                )))
            }
            Some(d) => docs.push(d),
            None => return Err(Halt::Skip(format!("{repo}:{path} could not be read"))),
        }
    }
    if !spec.files.is_empty() {
        docs.extend(cx.glob(&spec.files, &spec.exclude)?);
    }

    for doc in &docs {
        judge(
            cx,
            &spec,
            doc,
            capture.as_ref(),
            section.as_ref(),
            subject_tpl,
            &mut out,
        )?;
    }
    Ok(out)
}

fn judge(
    cx: &RuleCx<'_>,
    spec: &Spec,
    doc: &Document,
    capture: Option<&Regex>,
    section: Option<&(Regex, Regex)>,
    subject_tpl: &str,
    out: &mut Output,
) -> Result<(), Halt> {
    let mut vars: Vec<(&str, String)> = vec![("file", doc.path.clone())];
    const CAP_NAMES: [&str; 9] = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];
    let mut caps: Vec<String> = Vec::new();
    if let Some(c) = capture {
        let Some(m) = c.captures(&doc.path) else {
            return Ok(());
        };
        for (i, name) in CAP_NAMES.iter().enumerate() {
            let v = m
                .get(i + 1)
                .map(|g| g.as_str().to_string())
                .unwrap_or_default();
            caps.push(v.clone());
            vars.push((name, v));
        }
    }
    let subject = render(subject_tpl, None, &vars);
    let finding = |loc: Location, tpl: &str, extra: &[(&str, String)]| {
        let mut all = vars.clone();
        all.extend(extra.iter().cloned());
        let mut f = cx.gate.finding_at(loc, render(tpl, None, &all));
        f.subject = Some(subject.clone());
        f
    };
    // The judged lines: the whole file, or its sections.
    let lines: Vec<(usize, &str)> = match section {
        None => doc
            .text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l))
            .collect(),
        Some((start, end)) => {
            let s = section_lines(&doc.text, start, end);
            if s.is_empty() {
                let tpl = spec
                    .section_message
                    .as_deref()
                    .unwrap_or("{{$file}} has no section starting `{{$start}}`");
                let start_txt = spec
                    .section
                    .as_ref()
                    .map(|s| s.start.clone())
                    .unwrap_or_default();
                out.findings
                    .push(finding(doc.line_location(1), tpl, &[("start", start_txt)]));
                return Ok(());
            }
            s
        }
    };
    for (i, p) in spec.patterns.iter().enumerate() {
        let mut src = p.pattern.clone();
        if capture.is_some() {
            for (n, v) in caps.iter().enumerate() {
                let needle = format!("{{{{${}}}}}", n + 1);
                let val = if spec.literal {
                    v.clone()
                } else {
                    regex::escape(v)
                };
                src = src.replace(&needle, &val);
            }
        }
        let re = build(&src, spec.literal).map_err(|e| Halt::Config {
            pointer: format!("{}/patterns/{i}/pattern", cx.base),
            message: format!("bad regex `{src}`: {e}"),
        })?;
        let shown = [("pattern", p.pattern.clone())];
        if p.absent {
            for (n, line) in &lines {
                if let Some(m) = re.find(line) {
                    let tpl = p
                        .message
                        .as_deref()
                        .or(spec.message.as_deref())
                        .unwrap_or("{{$file}} must not contain `{{$pattern}}`");
                    let loc = doc.line_location(*n);
                    let loc = match loc.span {
                        Some(s) => {
                            let start = s.start + m.start();
                            Location::at(doc.repo, &doc.path, doc.span(start, start + m.len()))
                        }
                        None => loc,
                    };
                    out.findings.push(finding(loc, tpl, &shown));
                }
            }
        } else if !lines.iter().any(|(_, l)| re.is_match(l)) {
            let tpl = p
                .message
                .as_deref()
                .or(spec.message.as_deref())
                .unwrap_or("{{$file}} lacks a line matching `{{$pattern}}`");
            let first = lines.first().map_or(1, |(n, _)| *n);
            out.findings
                .push(finding(doc.line_location(first), tpl, &shown));
            if spec.first_only {
                break;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testutil::spine;
    use super::*;
    use crate::gates::tests_support::{gate_cx, run_rule_on};
    use serde_json::json;

    #[test]
    fn missing_patterns_files_and_sections_are_findings() {
        let t = spine(&[
            ("rt/a.sh", "#!/bin/sh\nsource lib/wrap.sh\nrun_job x\n"),
            ("rt/b.sh", "#!/bin/sh\nrun_job y\n"),
            ("v/d12-x.sh", "echo \"D12 PASS\"\n"),
            ("v/d13-y.sh", "echo \"D12 PASS\"\n"),
            ("h.sh", "f() {\n  exit 0\n}\n"),
        ]);
        let r = json!({"kind": "require_pattern", "files": ["rt/*.sh"], "paths": ["rt/gone.sh"],
                       "patterns": [{"pattern": "lib/wrap\\.sh"}, {"pattern": "\\brun_job\\b"}]});
        let out = run_rule_on(&t.ws, &gate_cx("D1"), &r).expect("runs");
        let got: Vec<(String, usize, String)> = out
            .findings
            .iter()
            .map(|f| {
                (
                    f.location.path.clone(),
                    f.location.line(),
                    f.message.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("rt/gone.sh".into(), 1, "rt/gone.sh does not exist".into()),
                (
                    "rt/b.sh".into(),
                    1,
                    "rt/b.sh lacks a line matching `lib/wrap\\.sh`".into()
                ),
            ]
        );
        let r = json!({"kind": "require_pattern", "files": ["v/*.sh"], "capture": "^v/d([0-9]+)-",
                       "patterns": [{"pattern": "(echo|printf).*D{{$1}}"}], "message": "{{$file}}: no D{{$1}}"});
        let out = run_rule_on(&t.ws, &gate_cx("D1"), &r).expect("runs");
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].message, "v/d13-y.sh: no D13");
        let r = json!({"kind": "require_pattern", "paths": ["h.sh"], "section": {"start": "^f\\(\\)", "end": "^}"},
                       "patterns": [{"pattern": "exit[[:space:]]+0", "absent": true}, {"pattern": "exit[[:space:]]+1"}]});
        let out = run_rule_on(&t.ws, &gate_cx("D1"), &r).expect("runs");
        let got: Vec<(usize, usize)> = out
            .findings
            .iter()
            .map(|f| (f.location.line(), f.location.col()))
            .collect();
        assert_eq!(got, vec![(2, 3), (1, 1)]);
        let r = json!({"kind": "require_pattern", "paths": ["rt/a.sh"], "section": {"start": "^g\\(\\)", "end": "^}"},
                       "patterns": [{"pattern": "x"}]});
        let out = run_rule_on(&t.ws, &gate_cx("D1"), &r).expect("runs");
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].message.contains("no section"));
    }

    #[test]
    fn a_glob_matching_nothing_skips() {
        let t = spine(&[("a.sh", "x\n")]);
        let r = json!({"kind": "require_pattern", "files": ["rt/*.sh"], "patterns": [{"pattern": "x"}]});
        assert!(matches!(
            run_rule_on(&t.ws, &gate_cx("D1"), &r),
            Err(Halt::Skip(_))
        ));
    }

    #[test]
    fn awk_ranges_repeat_and_include_both_ends() {
        let text = "a\nf() {\n  exit 1\n}\nb\nf() {\n}\n";
        let s = Regex::new(r"^f\(\)").expect("regex");
        let e = Regex::new(r"^}").expect("regex");
        let got: Vec<usize> = section_lines(text, &s, &e).iter().map(|x| x.0).collect();
        assert_eq!(got, vec![2, 3, 4, 6, 7]);
        let none = section_lines("x\ny\n", &s, &e);
        assert!(none.is_empty());
    }

    #[test]
    fn patterns_match_per_line() {
        let re = build("^echo.*D12", false).expect("regex");
        assert!(re.is_match("x\necho ok D12 PASS\n"));
        assert!(!re.is_match("echo ok\nD12"));
        let lit = build("a.b", true).expect("regex");
        assert!(!lit.is_match("axb"));
        assert!(build("[[:space:]]+", false).is_ok_and(|r| r.is_match("a b")));
    }
}
