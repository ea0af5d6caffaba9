//! `text_has`: named files exist (or must not), and their text has (or
//! lacks) some lines: the "this script still carries its guard" shape of many
//! registry gates (`[[ -x cmd ]] && rg -q 'guard' cmd`).
//!
//! ```yaml
//! rule:
//!   kind: text_has
//!   files: ["spine:ops/plugins/ops/bin/worktree-lifecycle-cleanup"]   # exact paths, no globs
//!   executable: true        # a file without an executable bit is a finding
//!   non_empty: false        # an empty file is a finding
//!   missing: "cleanup command {{$file}} is missing"   # when a file is absent
//!   require:                # each must match some line of every file
//!     - {pattern: 'active_lease', message: "{{$file}} lacks the active_lease guard"}
//!     - {pattern: '## Quick Commands', fixed: true}
//!   forbid:                 # none may match a line (one finding, at the first match)
//!     - {pattern: '\.worktrees/waves/', message: "{{$file}} names the legacy root"}
//!   case_insensitive: false
//!   same_text: "workbench:infra/copy/index.ts"   # every file must equal this one byte for byte
//! ```
//! or, for files that must be gone: `{kind: text_has, files: [...], absent: true,
//! message: "retired hook {{$file}} still exists"}`.
//!
//! Patterns are Rust regexes (the `rg` dialect) matched line by line, as
//! `grep`/`rg` do; `fixed: true` takes the text literally (`grep -F`).
//! Declare the files as optional inputs: an absent file is this rule's
//! finding (the `missing` message), not a skip. Only a missing checkout
//! skips. Variables: `$file` (repo path), `$repo`, `$pattern`, `$match`,
//! `$line`. The default subject is `file:<path>`.

use super::{parse_ref, render, Halt, Output, RuleCx, RuleResult};
use crate::documents::Document;
use crate::findings::{Location, RepoId};
use regex::{Regex, RegexBuilder};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    pub pattern: String,
    #[serde(default)]
    pub fixed: bool,
    pub message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub files: Vec<String>,
    #[serde(default)]
    pub absent: bool,
    #[serde(default)]
    pub executable: bool,
    #[serde(default)]
    pub non_empty: bool,
    #[serde(default)]
    pub require: Vec<Pattern>,
    #[serde(default)]
    pub forbid: Vec<Pattern>,
    #[serde(default)]
    pub case_insensitive: bool,
    pub missing: Option<String>,
    /// Every file's text must equal this file's (when both exist; an
    /// absent one is a finding with the `missing` message).
    pub same_text: Option<String>,
    /// `same_text`: the message when they differ (`$other` names it).
    pub differs: Option<String>,
    /// `absent: true`: the message for a file that exists.
    pub message: Option<String>,
    pub subject: Option<String>,
}

struct Compiled<'s> {
    re: Regex,
    src: &'s Pattern,
}

pub fn run(cx: &RuleCx<'_>, spec: Spec) -> RuleResult {
    let cfg = |field: String, message: String| Halt::Config {
        pointer: format!("{}{field}", cx.base),
        message,
    };
    if spec.files.is_empty() {
        return Err(cfg("/files".into(), "`text_has` needs `files`".into()));
    }
    let require = compile(cx, &spec.require, "require", spec.case_insensitive)?;
    let forbid = compile(cx, &spec.forbid, "forbid", spec.case_insensitive)?;
    let view = cx.gate.inputs;
    let mut out = Output::default();
    let other = match &spec.same_text {
        None => None,
        Some(o) => {
            let (orepo, opath) = parse_ref(o);
            if !view.has_repo(orepo) {
                return Err(Halt::Skip(format!("needs the {orepo} checkout ({o})")));
            }
            Some((orepo, opath))
        }
    };
    for (i, file) in spec.files.iter().enumerate() {
        let (repo, path) = parse_ref(file);
        if path.is_empty() || crate::gates::inputs::is_glob(path) {
            return Err(cfg(
                format!("/files/{i}"),
                format!("`{file}` must name one file (no globs)"),
            ));
        }
        if !view.has_repo(repo) {
            return Err(Halt::Skip(format!("needs the {repo} checkout ({file})")));
        }
        let base_vars = |extra: &[(&'static str, String)]| {
            let mut v = vec![
                ("file", path.to_string()),
                ("repo", repo.as_str().to_string()),
            ];
            v.extend(extra.iter().cloned());
            v
        };
        let subject = |vars: &[(&str, String)]| {
            render(
                spec.subject.as_deref().unwrap_or("file:{{$file}}"),
                None,
                vars,
            )
        };
        let mut push = |location: Location, tpl: &str, vars: Vec<(&str, String)>| {
            let mut f = cx.gate.finding_at(location, render(tpl, None, &vars));
            f.subject = Some(subject(&vars));
            out.findings.push(f);
        };
        let exists = view.has(repo, path);
        if spec.absent {
            if exists {
                push(
                    Location::file(repo, path),
                    spec.message
                        .as_deref()
                        .unwrap_or("{{$file}} must not exist"),
                    base_vars(&[]),
                );
            }
            continue;
        }
        if !exists {
            push(
                Location::file(repo, path),
                spec.missing
                    .as_deref()
                    .unwrap_or("{{$repo}}:{{$file}} does not exist"),
                base_vars(&[]),
            );
            continue;
        }
        if spec.executable && !is_executable(cx, repo, path) {
            push(
                Location::file(repo, path),
                "{{$file}} is not executable",
                base_vars(&[]),
            );
        }
        if let Some((orepo, opath)) = other {
            if !view.has(orepo, opath) {
                push(
                    Location::file(orepo, opath),
                    spec.missing
                        .as_deref()
                        .unwrap_or("{{$repo}}:{{$file}} does not exist"),
                    vec![
                        ("file", opath.to_string()),
                        ("repo", orepo.as_str().to_string()),
                    ],
                );
                continue;
            }
        }
        if require.is_empty() && forbid.is_empty() && !spec.non_empty && other.is_none() {
            continue;
        }
        let Some(doc) = view.doc(repo, path) else {
            // Present but not declared: the engine reports the gate errored.
            continue;
        };
        // Text is judged as text: only a refused file (binary, too big)
        // cannot be read.
        if doc.format == crate::documents::Format::Opaque {
            let why = crate::gates::inputs::unusable(&doc).unwrap_or_default();
            return Err(Halt::Skip(format!("{repo}:{path} {why}")));
        }
        if spec.non_empty && doc.text.is_empty() {
            push(
                Location::file(repo, path),
                "{{$file}} is empty",
                base_vars(&[]),
            );
        }
        if let Some((orepo, opath)) = other {
            let Some(odoc) = view.doc(orepo, opath) else {
                continue;
            };
            if odoc.format == crate::documents::Format::Opaque {
                let why = crate::gates::inputs::unusable(&odoc).unwrap_or_default();
                return Err(Halt::Skip(format!("{orepo}:{opath} {why}")));
            }
            if odoc.text != doc.text {
                let line = first_differing_line(&doc.text, &odoc.text);
                push(
                    Location::at(repo, path, doc.lines().line_span(line)),
                    spec.differs
                        .as_deref()
                        .unwrap_or("{{$file}} differs from {{$other}} (first at line {{$line}})"),
                    base_vars(&[
                        ("other", format!("{orepo}:{opath}")),
                        ("line", line.to_string()),
                    ]),
                );
            }
        }
        for p in &require {
            if first_match(&doc, &p.re).is_none() {
                push(
                    Location::file(repo, path),
                    p.src
                        .message
                        .as_deref()
                        .unwrap_or("{{$file}} has no line matching `{{$pattern}}`"),
                    base_vars(&[("pattern", p.src.pattern.clone())]),
                );
            }
        }
        for p in &forbid {
            if let Some((start, end)) = first_match(&doc, &p.re) {
                let span = doc.span(start, end);
                let vars = base_vars(&[
                    ("pattern", p.src.pattern.clone()),
                    ("match", doc.text[start..end].to_string()),
                    ("line", span.line.to_string()),
                ]);
                push(
                    Location::at(repo, path, span),
                    p.src
                        .message
                        .as_deref()
                        .unwrap_or("{{$file}}:{{$line}} matches `{{$pattern}}`"),
                    vars,
                );
            }
        }
    }
    Ok(out)
}

fn compile<'s>(
    cx: &RuleCx<'_>,
    list: &'s [Pattern],
    name: &str,
    case_insensitive: bool,
) -> Result<Vec<Compiled<'s>>, Halt> {
    list.iter()
        .enumerate()
        .map(|(i, p)| {
            let src = if p.fixed {
                regex::escape(&p.pattern)
            } else {
                p.pattern.clone()
            };
            RegexBuilder::new(&src)
                .case_insensitive(case_insensitive)
                .size_limit(1 << 22)
                .build()
                .map(|re| Compiled { re, src: p })
                .map_err(|e| Halt::Config {
                    pointer: format!("{}/{name}/{i}/pattern", cx.base),
                    message: format!("bad regex `{}`: {e}", p.pattern),
                })
        })
        .collect()
}

/// Byte range of the first match of `re` inside one line of the text (the
/// way `grep` and `rg` match: a pattern never spans a newline).
fn first_match(doc: &Document, re: &Regex) -> Option<(usize, usize)> {
    let mut offset = 0;
    for line in doc.text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        if let Some(m) = re.find(body) {
            return Some((offset + m.start(), offset + m.end()));
        }
        offset += line.len();
    }
    None
}

/// The first 1-based line where two texts differ (a text that is a prefix
/// of the other differs at the line after its end).
fn first_differing_line(a: &str, b: &str) -> usize {
    let mut la = a.split('\n');
    let mut lb = b.split('\n');
    let mut n = 1;
    loop {
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => n += 1,
            _ => return n,
        }
    }
}

/// The executable bit of a file in the snapshot (an existence probe, like
/// `has`: allowed for any path).
fn is_executable(cx: &RuleCx<'_>, repo: RepoId, path: &str) -> bool {
    cx.gate
        .inputs
        .workspace()
        .repo(repo)
        .is_some_and(|r| r.is_executable(path))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::spine;
    use crate::gates::tests_support::run_rule_on;
    use serde_json::json;

    fn meta() -> crate::gates::GateMeta {
        crate::gates::tests_support::gate_cx("D265")
    }

    #[test]
    fn required_and_forbidden_lines() {
        let t = spine(&[(
            "cmd.sh",
            "#!/bin/sh\n# guard: active_lease\necho .worktrees/waves/x\n",
        )]);
        let rule = json!({"kind": "text_has", "files": ["spine:cmd.sh"],
            "require": [{"pattern": "active_lease"}, {"pattern": "not_merged", "message": "no {{$pattern}} in {{$file}}"}],
            "forbid": [{"pattern": "\\.worktrees/waves/"}]});
        let out = run_rule_on(&t.ws, &meta(), &rule).expect("runs");
        let msgs: Vec<_> = out.findings.iter().map(|f| f.message.clone()).collect();
        assert_eq!(
            msgs,
            vec![
                "no not_merged in cmd.sh".to_string(),
                "cmd.sh:3 matches `\\.worktrees/waves/`".to_string()
            ]
        );
        let span = out.findings[1].location.span.as_ref().expect("span");
        assert_eq!((span.line, span.col), (3, 6));
    }

    #[test]
    fn fixed_patterns_are_literal_and_lines_do_not_join() {
        let t = spine(&[("a.md", "x report-only|archive-only y\n# Heading\n\nrest\n")]);
        let rule = json!({"kind": "text_has", "files": ["a.md"],
            "require": [{"pattern": "report-only|archive-only", "fixed": true},
                        {"pattern": "^#{1,3}\\s+rest"}]});
        let out = run_rule_on(&t.ws, &meta(), &rule).expect("runs");
        assert_eq!(out.findings.len(), 1, "{:?}", out.findings);
        assert!(out.findings[0].message.contains("^#{1,3}"));
    }

    #[test]
    fn missing_absent_and_empty_files() {
        let t = spine(&[("old-hook.sh", "x\n"), ("empty.md", "")]);
        let gone = json!({"kind": "text_has", "files": ["old-hook.sh", "never.sh"], "absent": true,
            "message": "retired {{$file}} still exists"});
        let out = run_rule_on(&t.ws, &meta(), &gone).expect("runs");
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].message, "retired old-hook.sh still exists");
        let need = json!({"kind": "text_has", "files": ["never.sh", "empty.md"], "non_empty": true,
            "missing": "{{$file}} is gone"});
        let out = run_rule_on(&t.ws, &meta(), &need).expect("runs");
        let msgs: Vec<_> = out.findings.iter().map(|f| f.message.clone()).collect();
        assert_eq!(msgs, vec!["never.sh is gone", "empty.md is empty"]);
    }

    #[test]
    fn same_text_compares_whole_files() {
        let t = spine(&[("a.ts", "x\ny\n"), ("b.ts", "x\nz\n"), ("c.ts", "x\ny\n")]);
        let rule = json!({"kind": "text_has", "files": ["a.ts", "c.ts"], "same_text": "b.ts"});
        let out = run_rule_on(&t.ws, &meta(), &rule).expect("runs");
        let msgs: Vec<_> = out.findings.iter().map(|f| f.message.clone()).collect();
        assert_eq!(
            msgs,
            vec![
                "a.ts differs from spine:b.ts (first at line 2)",
                "c.ts differs from spine:b.ts (first at line 2)"
            ]
        );
        let rule = json!({"kind": "text_has", "files": ["a.ts"], "same_text": "c.ts"});
        assert!(run_rule_on(&t.ws, &meta(), &rule)
            .expect("runs")
            .findings
            .is_empty());
        let rule = json!({"kind": "text_has", "files": ["a.ts"], "same_text": "gone.ts", "missing": "{{$file}} is gone"});
        let out = run_rule_on(&t.ws, &meta(), &rule).expect("runs");
        assert_eq!(out.findings[0].message, "gone.ts is gone");
    }

    #[test]
    fn globs_and_bad_regexes_are_config_errors() {
        let t = spine(&[("a.sh", "x\n")]);
        for rule in [
            json!({"kind": "text_has", "files": ["*.sh"]}),
            json!({"kind": "text_has", "files": ["a.sh"], "require": [{"pattern": "("}]}),
        ] {
            assert!(matches!(
                run_rule_on(&t.ws, &meta(), &rule),
                Err(super::Halt::Config { .. })
            ));
        }
    }
}
