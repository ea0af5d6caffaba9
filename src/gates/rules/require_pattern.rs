//! `require_pattern`: every matched file must contain text matching each
//! regex (the inverse of `forbid_pattern`; raw text, any format).
//!
//! ```yaml
//! rule:
//!   kind: require_pattern
//!   files: ["spine:.gitea/workflows/verify.yml"]   # globs; nothing matching: skipped
//!   exclude: []
//!   pattern: 'drift-gate\.sh'                      # or patterns: [{pattern, name?, message?}]
//!   case_insensitive: false
//!   message: "{{$file}} never mentions `{{$name}}`"
//! ```
//! One finding per file and missing pattern, at the file (no line: the
//! text is absent). `^`/`$` anchor lines and `.` stops at a line end, as
//! grep and rg match. Variables: `$file`, `$name` (the pattern's name, else
//! the pattern), `$pattern`. The default subject is `file:<path>`.

use super::{render, Halt, Output, RuleCx, RuleResult};
use crate::findings::Location;
use regex::{Regex, RegexBuilder};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Named {
    pub pattern: String,
    pub name: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub files: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub pattern: Option<String>,
    #[serde(default)]
    pub patterns: Vec<Named>,
    #[serde(default)]
    pub case_insensitive: bool,
    pub message: Option<String>,
    pub subject: Option<String>,
}

struct Pat {
    re: Regex,
    source: String,
    name: String,
    message: Option<String>,
}

pub fn run(cx: &RuleCx<'_>, spec: Spec) -> RuleResult {
    let build = |p: &str, field: &str| {
        RegexBuilder::new(p)
            .case_insensitive(spec.case_insensitive)
            .multi_line(true)
            .size_limit(1 << 22)
            .build()
            .map_err(|e| Halt::Config {
                pointer: format!("{}{field}", cx.base),
                message: format!("bad regex `{p}`: {e}"),
            })
    };
    let mut pats = Vec::new();
    if let Some(p) = &spec.pattern {
        pats.push(Pat {
            re: build(p, "/pattern")?,
            source: p.clone(),
            name: p.clone(),
            message: None,
        });
    }
    for (i, n) in spec.patterns.iter().enumerate() {
        pats.push(Pat {
            re: build(&n.pattern, &format!("/patterns/{i}/pattern"))?,
            source: n.pattern.clone(),
            name: n.name.clone().unwrap_or_else(|| n.pattern.clone()),
            message: n.message.clone(),
        });
    }
    if pats.is_empty() {
        return Err(Halt::Config {
            pointer: cx.base.clone(),
            message: "`require_pattern` needs `pattern` or `patterns`".into(),
        });
    }
    let docs = cx.glob(&spec.files, &spec.exclude)?;
    let default_msg = "{{$file}} has no text matching `{{$name}}`";
    let mut out = Output::default();
    for doc in &docs {
        for pat in &pats {
            if pat.re.is_match(&doc.text) {
                continue;
            }
            let vars = [
                ("file", doc.path.clone()),
                ("name", pat.name.clone()),
                ("pattern", pat.source.clone()),
            ];
            let tpl = pat
                .message
                .as_deref()
                .or(spec.message.as_deref())
                .unwrap_or(default_msg);
            let msg = render(tpl, None, &vars);
            let subject = render(
                spec.subject.as_deref().unwrap_or("file:{{$file}}"),
                None,
                &vars,
            );
            let mut f = cx
                .gate
                .finding_at(Location::file(doc.repo, doc.path.clone()), msg);
            f.subject = Some(subject);
            out.findings.push(f);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::spine;
    use crate::gates::tests_support::{gate_cx, run_rule_on};
    use serde_json::json;

    #[test]
    fn each_missing_pattern_is_one_finding_per_file() {
        let t = spine(&[
            ("ci/a.yml", "jobs:\n  run: bash checks/all.sh\n"),
            ("ci/b.yml", "jobs:\n  run: make\n"),
        ]);
        let rule = json!({
            "kind": "require_pattern",
            "files": ["spine:ci/*.yml"],
            "patterns": [{"pattern": "checks/all\\.sh", "name": "the check runner"},
                         {"pattern": "^jobs:"}],
            "message": "{{$file}} lacks {{$name}}"
        });
        let out = run_rule_on(&t.ws, &gate_cx("D1"), &rule).unwrap();
        let got: Vec<_> = out
            .findings
            .iter()
            .map(|f| (f.location.path.as_str(), f.message.as_str()))
            .collect();
        assert_eq!(got, vec![("ci/b.yml", "ci/b.yml lacks the check runner")]);
        assert_eq!(out.findings[0].subject.as_deref(), Some("file:ci/b.yml"));
    }

    #[test]
    fn no_matching_file_skips_and_a_bad_regex_is_config() {
        let t = spine(&[("x.txt", "hello\n")]);
        let rule =
            json!({"kind": "require_pattern", "files": ["spine:none/*.yml"], "pattern": "x"});
        let err = run_rule_on(&t.ws, &gate_cx("D1"), &rule).unwrap_err();
        assert!(format!("{err:?}").contains("no file matches"), "{err:?}");
        let rule = json!({"kind": "require_pattern", "files": ["spine:x.txt"], "pattern": "("});
        let err = run_rule_on(&t.ws, &gate_cx("D1"), &rule).unwrap_err();
        assert!(format!("{err:?}").contains("bad regex"), "{err:?}");
        let rule = json!({"kind": "require_pattern", "files": ["spine:x.txt"], "pattern": "HELLO", "case_insensitive": true});
        assert!(run_rule_on(&t.ws, &gate_cx("D1"), &rule)
            .unwrap()
            .findings
            .is_empty());
    }
}
