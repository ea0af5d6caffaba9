//! `forbid_pattern`: a regex must not match the raw text of some files.
//!
//! ```yaml
//! rule:
//!   kind: forbid_pattern
//!   files: ["spine:docs/governance/**/*.md"]
//!   exclude: ["spine:docs/governance/_audits/**"]
//!   pattern: 'ronny-ops'                   # or patterns: [{pattern, name?, message?}]
//!   allow: {"docs/governance/LEGACY.md": ['ronny-ops archive']}
//!   message: "`{{$match}}` must not appear here"
//! ```
//! or with the patterns taken from a document (D60):
//! ```yaml
//!   patterns_from:
//!     file: "spine:ops/bindings/deprecated.terms.yaml"
//!     items: .terms[]
//!     pattern: .pattern          # literal text unless `regex: true`
//!     replacement: .replacement
//!     exclude_files: .exclude_files[]?
//!   message: "deprecated term `{{pattern}}`: use {{replacement}} ({{reason}})"
//! ```
//! The files may also come from a document (`files_from: {file, paths,
//! exclude}`: jq filters yielding paths, `dir/` meaning everything under
//! it), with `files` as the fallback when it lists none.
//! A finding per match, at its line:column. `allow` maps a path glob to
//! regexes; a match is allowed when one of them matches the matched text.
//! Templates are rendered over the `patterns_from` item (if any); variables:
//! `$match`, `$redacted` (first 4 characters then `…`), `$name`,
//! `$replacement`, `$file`, `$line`. The default subject is `file:<path>`.

use super::{render, Halt, Output, RuleCx, RuleResult};
use globset::{GlobBuilder, GlobMatcher};
use rayon::prelude::*;
use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Named {
    pub pattern: String,
    pub name: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct From {
    pub file: String,
    pub items: String,
    pub pattern: String,
    pub replacement: Option<String>,
    pub exclude_files: Option<String>,
    #[serde(default)]
    pub regex: bool,
}

/// Where the scanned files come from when a document lists them (D60's
/// `scan_paths` / `scan_exclude`): paths relative to the document's repo; a
/// path ending in `/` means everything under it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilesFrom {
    pub file: String,
    pub paths: String,
    pub exclude: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The files to scan (repo-qualified globs); with `files_from`, the
    /// fallback when that document lists none.
    pub files: Vec<String>,
    pub files_from: Option<FilesFrom>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub pattern: Option<String>,
    #[serde(default)]
    pub patterns: Vec<Named>,
    pub patterns_from: Option<From>,
    #[serde(default)]
    pub case_insensitive: bool,
    #[serde(default)]
    pub allow: Map<String, Value>,
    pub message: Option<String>,
    pub subject: Option<String>,
}

struct Pat {
    re: Regex,
    name: String,
    message: Option<String>,
    replacement: String,
    /// Paths (`path` or `repo:path`, globs allowed) this pattern ignores.
    exclude: Vec<GlobMatcher>,
    /// The item it came from (patterns_from), for templates.
    item: Option<Value>,
}

fn glob(p: &str) -> Result<GlobMatcher, String> {
    let (_, path) = super::parse_ref(p);
    GlobBuilder::new(path)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("bad glob `{p}`: {e}"))
}

pub fn run(cx: &RuleCx<'_>, spec: Spec) -> RuleResult {
    let cfg = |field: &str, message: String| Halt::Config {
        pointer: format!("{}{field}", cx.base),
        message,
    };
    let build = |p: &str, field: &str| {
        RegexBuilder::new(p)
            .case_insensitive(spec.case_insensitive)
            .size_limit(1 << 22)
            .build()
            .map_err(|e| cfg(field, format!("bad regex `{p}`: {e}")))
    };
    let mut pats = Vec::new();
    if let Some(p) = &spec.pattern {
        pats.push(Pat {
            re: build(p, "/pattern")?,
            name: p.clone(),
            message: None,
            replacement: String::new(),
            exclude: Vec::new(),
            item: None,
        });
    }
    for (i, n) in spec.patterns.iter().enumerate() {
        pats.push(Pat {
            re: build(&n.pattern, &format!("/patterns/{i}/pattern"))?,
            name: n.name.clone().unwrap_or_else(|| n.pattern.clone()),
            message: n.message.clone(),
            replacement: String::new(),
            exclude: Vec::new(),
            item: None,
        });
    }
    let mut allow: Vec<(GlobMatcher, Vec<Regex>)> = Vec::new();
    for (g, res) in &spec.allow {
        let field = format!("/allow/{}", crate::documents::pointer_escape(g));
        let m = glob(g).map_err(|e| cfg(&field, e))?;
        let list: Vec<&str> = match res {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => return Err(cfg(&field, "allow entries are lists of regexes".into())),
        };
        let mut compiled = Vec::new();
        for r in list {
            compiled.push(build(r, &field)?);
        }
        allow.push((m, compiled));
    }
    let mut out = Output::default();
    if let Some(from) = &spec.patterns_from {
        load_patterns(cx, from, &spec, &mut pats, &mut out)?;
    }
    if spec.pattern.is_none() && spec.patterns.is_empty() && spec.patterns_from.is_none() {
        return Err(cfg(
            "",
            "`forbid_pattern` needs `pattern`, `patterns` or `patterns_from`".into(),
        ));
    }
    let (files, exclude) = match &spec.files_from {
        Some(ff) => scan_scope(cx, ff, &spec)?,
        None => (spec.files.clone(), spec.exclude.clone()),
    };
    let docs = cx.glob(&files, &exclude)?;
    let default_msg = "forbidden text `{{$match}}`";
    // Files are independent and scanned in parallel; findings keep file
    // order. (A RegexSet prefilter was measured slower: the single
    // patterns' literal optimisations beat one combined automaton.)
    let scanned: Vec<Vec<(usize, usize, usize, &Pat)>> = docs
        .par_iter()
        .map(|doc| {
            let qualified = format!("{}:{}", doc.repo, doc.path);
            // Earlier patterns win: a match overlapping one already kept in
            // this file (a token inside a `password: ...` line) is not
            // reported twice.
            let mut kept: Vec<(usize, usize, usize, &Pat)> = Vec::new();
            for pat in &pats {
                if pat
                    .exclude
                    .iter()
                    .any(|g| g.is_match(&doc.path) || g.is_match(&qualified))
                {
                    continue;
                }
                for m in pat.re.find_iter(&doc.text) {
                    let text = m.as_str();
                    let allowed = allow.iter().any(|(g, res)| {
                        (g.is_match(&doc.path) || g.is_match(&qualified))
                            && res.iter().any(|r| r.is_match(text))
                    });
                    if allowed || text.is_empty() {
                        continue;
                    }
                    if kept
                        .iter()
                        .any(|(s, e, _, _)| m.start() < *e && *s < m.end())
                    {
                        continue;
                    }
                    kept.push((m.start(), m.end(), kept.len(), pat));
                }
            }
            kept
        })
        .collect();
    for (doc, mut kept) in docs.iter().zip(scanned) {
        kept.sort_by_key(|k| (k.0, k.2));
        for (start, end, _, pat) in kept {
            let text = &doc.text[start..end];
            let span = doc.span(start, end);
            let vars = [
                ("match", text.to_string()),
                ("redacted", redact(text)),
                ("name", pat.name.clone()),
                ("replacement", pat.replacement.clone()),
                ("file", doc.path.clone()),
                ("line", span.line.to_string()),
            ];
            let tpl = pat
                .message
                .as_deref()
                .or(spec.message.as_deref())
                .unwrap_or(default_msg);
            let msg = render(tpl, pat.item.as_ref(), &vars);
            let subject = render(
                spec.subject.as_deref().unwrap_or("file:{{$file}}"),
                pat.item.as_ref(),
                &vars,
            );
            let mut f = cx.gate.finding_at(
                crate::findings::Location::at(doc.repo, &doc.path, span),
                msg,
            );
            f.subject = Some(subject);
            out.findings.push(f);
        }
    }
    Ok(out)
}

/// `dir/` → `dir/**` (the script's directory-style entries); `./` dropped.
fn dir_glob(p: &str) -> String {
    let p = p.strip_prefix("./").unwrap_or(p);
    if p.ends_with('/') {
        format!("{p}**")
    } else {
        p.to_string()
    }
}

/// The scan scope a document lists, as repo-qualified globs; the rule's own
/// `files` / `exclude` when the document is absent or lists no path.
fn scan_scope(
    cx: &RuleCx<'_>,
    ff: &FilesFrom,
    spec: &Spec,
) -> Result<(Vec<String>, Vec<String>), Halt> {
    let paths_f = cx.jq(&ff.paths, "/files_from/paths")?;
    let exclude_f = ff
        .exclude
        .as_deref()
        .map(|e| cx.jq(e, "/files_from/exclude"))
        .transpose()?;
    let fallback = (spec.files.clone(), spec.exclude.clone());
    let loaded = match cx.load(&ff.file) {
        Ok(l) => l,
        Err(Halt::Skip(_)) => return Ok(fallback),
        Err(h) => return Err(h),
    };
    let (repo, _) = super::parse_ref(&ff.file);
    let root = jaq_json::Val::Arr(Default::default());
    let vars = cx.vars(&root);
    let list = |f: &super::jq::Jq| -> Vec<String> {
        f.run(loaded.val.clone(), &vars)
            .unwrap_or_default()
            .iter()
            .filter_map(super::jq::scalar_text)
            .filter(|p| !p.trim().is_empty() && !p.contains(".."))
            .map(|p| format!("{repo}:{}", dir_glob(p.trim())))
            .collect()
    };
    let files = list(&paths_f);
    if files.is_empty() {
        return Ok(fallback);
    }
    let mut exclude = exclude_f.as_ref().map(|f| list(f)).unwrap_or_default();
    exclude.extend(spec.exclude.iter().cloned());
    Ok((files, exclude))
}

fn redact(s: &str) -> String {
    let head: String = s.chars().take(4).collect();
    if head.len() < s.len() {
        format!("{head}…")
    } else {
        head
    }
}

fn load_patterns(
    cx: &RuleCx<'_>,
    from: &From,
    spec: &Spec,
    pats: &mut Vec<Pat>,
    out: &mut Output,
) -> Result<(), Halt> {
    let items_f = cx.items_jq(&from.items, "/patterns_from/items")?;
    let pattern = cx.jq(&from.pattern, "/patterns_from/pattern")?;
    let replacement = from
        .replacement
        .as_deref()
        .map(|r| cx.jq(r, "/patterns_from/replacement"))
        .transpose()?;
    let exclude = from
        .exclude_files
        .as_deref()
        .map(|r| cx.jq(r, "/patterns_from/exclude_files"))
        .transpose()?;
    let loaded = cx.load(&from.file)?;
    let doc = &loaded.doc;
    let Some(items) = cx.items_or_report(out, &items_f, &loaded) else {
        return Ok(());
    };
    for item in items {
        let vars = cx.vars(&item.path);
        let one = |f: &super::jq::Jq| -> Result<Vec<String>, String> {
            let mut v = Vec::new();
            for x in f.run(item.val.clone(), &vars)? {
                match x {
                    jaq_json::Val::Arr(a) => v.extend(a.iter().filter_map(super::jq::scalar_text)),
                    other => v.extend(super::jq::scalar_text(&other)),
                }
            }
            Ok(v)
        };
        let res = (|| -> Result<Option<Pat>, String> {
            let Some(p) = one(&pattern)?.into_iter().next() else {
                return Ok(None);
            };
            let source = if from.regex {
                p.clone()
            } else {
                regex::escape(&p)
            };
            let re = RegexBuilder::new(&source)
                .case_insensitive(spec.case_insensitive)
                .size_limit(1 << 22)
                .build()
                .map_err(|e| format!("bad pattern `{p}`: {e}"))?;
            let replacement = match &replacement {
                Some(r) => one(r)?.join(", "),
                None => String::new(),
            };
            let mut ex = Vec::new();
            if let Some(e) = &exclude {
                for path in one(e)? {
                    ex.push(glob(&dir_glob(&path))?);
                }
            }
            Ok(Some(Pat {
                re,
                name: p,
                message: None,
                replacement,
                exclude: ex,
                item: super::item_json(doc, &item.pointer).cloned(),
            }))
        })();
        match res {
            Ok(Some(p)) => pats.push(p),
            Ok(None) => {}
            Err(e) => cx.item_error(out, doc, &item.pointer, &e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testutil::spine;
    use crate::gates::tests_support::{gate_cx, run_rule_on};
    use serde_json::json;

    const TERMS: &str = "terms:\n  - pattern: \"OLD.md\"\n    replacement: NEW.yaml\n    exclude_files: [docs/keep.md]\n  - pattern: \"legacy-ops\"\n    replacement: spine\n";

    fn d60() -> serde_json::Value {
        json!({
            "kind": "forbid_pattern",
            "files": ["spine:docs/**/*.md"],
            "patterns_from": {"file": "terms.yaml", "items": ".terms[]", "pattern": ".pattern",
                               "replacement": ".replacement", "exclude_files": ".exclude_files[]?"},
            "message": "deprecated `{{pattern}}`: use {{$replacement}}"
        })
    }

    #[test]
    fn matches_are_reported_at_line_and_column() {
        let t = spine(&[
            ("terms.yaml", TERMS),
            ("docs/a.md", "# A\n\nsee OLDXmd and OLD.md here\n"),
            ("docs/keep.md", "OLD.md is fine here, legacy-ops is not\n"),
        ]);
        let out = run_rule_on(&t.ws, &gate_cx("D60"), &d60()).unwrap();
        let got: Vec<_> = out
            .findings
            .iter()
            .map(|f| {
                (
                    f.location.path.as_str(),
                    f.location.line(),
                    f.location.col(),
                    f.message.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("docs/a.md", 3, 16, "deprecated `OLD.md`: use NEW.yaml"),
                ("docs/keep.md", 1, 22, "deprecated `legacy-ops`: use spine"),
            ]
        );
        assert_eq!(out.findings[0].subject.as_deref(), Some("file:docs/a.md"));
    }

    #[test]
    fn scan_paths_from_the_terms_file_set_the_scope_and_dir_excludes() {
        let terms = "scan_paths: [\"docs/\", \"ops/bindings/\"]\nscan_exclude: [\"docs/_audits/\"]\nterms:\n  - pattern: \"legacy-ops\"\n    replacement: spine\n    exclude_files: [ops/bindings/old/]\n";
        let t = spine(&[
            ("terms.yaml", terms),
            ("docs/a.md", "legacy-ops\n"),
            ("docs/_audits/b.md", "legacy-ops\n"),
            ("ops/bindings/x.yaml", "a: legacy-ops\n"),
            ("ops/bindings/old/y.yaml", "a: legacy-ops\n"),
            ("other/z.md", "legacy-ops\n"),
        ]);
        let mut r = d60();
        r["files_from"] =
            json!({"file": "terms.yaml", "paths": ".scan_paths[]?", "exclude": ".scan_exclude[]?"});
        let out = run_rule_on(&t.ws, &gate_cx("D60"), &r).unwrap();
        let mut got: Vec<&str> = out
            .findings
            .iter()
            .map(|f| f.location.path.as_str())
            .collect();
        got.sort_unstable();
        assert_eq!(got, ["docs/a.md", "ops/bindings/x.yaml"]);
        // Without scan_paths the rule's own `files` apply.
        let t = spine(&[
            ("terms.yaml", TERMS),
            ("docs/a.md", "legacy-ops\n"),
            ("ops/q.yaml", "legacy-ops\n"),
        ]);
        let out = run_rule_on(&t.ws, &gate_cx("D60"), &r).unwrap();
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].location.path, "docs/a.md");
    }

    #[test]
    fn allowlist_and_clean_files_pass() {
        let t = spine(&[(
            "x/a.yaml",
            "password: hunter2\npassword_ref: infisical:/x\npassword: \"${VAR}\"\n",
        )]);
        let r = json!({"kind": "forbid_pattern", "files": ["x/*.yaml"],
            "patterns": [{"pattern": "(?m)\\bpassword:[ \\t]*\\S+", "name": "password literal"}],
            "allow": {"x/*.yaml": ["\\$\\{"]},
            "message": "{{$name}} `{{$redacted}}`"});
        let out = run_rule_on(&t.ws, &gate_cx("D407"), &r).unwrap();
        assert_eq!(out.findings.len(), 1, "{:?}", out.findings);
        assert_eq!(out.findings[0].location.line(), 1);
        assert_eq!(out.findings[0].message, "password literal `pass…`");
    }

    #[test]
    fn glob_matching_nothing_skips_and_bad_regex_is_config() {
        let t = spine(&[("terms.yaml", TERMS)]);
        assert!(matches!(
            run_rule_on(&t.ws, &gate_cx("D60"), &d60()),
            Err(super::super::Halt::Skip(_))
        ));
        let r = json!({"kind": "forbid_pattern", "files": ["*.yaml"], "pattern": "("});
        assert!(matches!(
            run_rule_on(&t.ws, &gate_cx("D60"), &r),
            Err(super::super::Halt::Config { .. })
        ));
    }
}
