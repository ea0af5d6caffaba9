//! `required`: named paths exist (as files, executables or directories) and
//! hold required text.
//!
//! ```yaml
//! rule:
//!   kind: required
//!   paths:
//!     - path: "spine:ops/runtime/nightly.sh"
//!       type: executable                  # file (default) | executable | dir
//!       contains: ["cap run receipts.index.build"]   # literal text, each must occur
//!       matches:                          # regexes, each must match some line
//!         - {regex: '^\s*nightly\.run:', message: "nightly.run is not wired"}
//!     - glob: "spine:docs/packs/*.md"     # every matching file (none: nothing to judge)
//!       contains: ["## Rollback"]
//!     - path: "spine:ops/plugins/maker/tests"
//!       type: dir
//!       has_files: "**/*.sh"              # the directory holds a file matching this
//!   from:                                 # paths named by a document's items
//!     - file: "spine:ops/bindings/briefing.config.yaml"
//!       items: '.sections[] | select(.enabled == true)'
//!       path: .runner                     # jq; may build a path: '"ops/plugins/\(.name)"'
//!       type: executable
//!       message: "section {{id}}: runner {{$path}} is missing or not executable"
//! ```
//! One finding per missing path, per missing needle. Content is read through
//! the gate's declared inputs (declare every file whose text is searched);
//! existence, the executable bit and directories are probes of the snapshot
//! (a directory exists when a file lies under it, as in a git checkout).
//! Findings about a static path point at the path itself; about an item, at
//! the item. Variables: `$path`, `$needle`, `$glob`, `$type`, `$file`.

use super::{item_json, render, Halt, Output, RuleCx, RuleResult};
use crate::findings::{Location, RepoId};
use globset::{GlobBuilder, GlobMatcher};
use regex::Regex;
use serde::Deserialize;

#[derive(Debug, Deserialize, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    File,
    Executable,
    Dir,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Executable => "executable",
            Kind::Dir => "dir",
        }
    }
}

/// A required text: a plain string, or `{text|regex, message}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Needle {
    Plain(String),
    Full {
        #[serde(default)]
        text: Option<String>,
        #[serde(default)]
        regex: Option<String>,
        message: Option<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub path: Option<String>,
    pub glob: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Kind,
    #[serde(default)]
    pub contains: Vec<Needle>,
    #[serde(default)]
    pub matches: Vec<Needle>,
    pub has_files: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FromSpec {
    pub file: String,
    pub items: String,
    pub path: String,
    pub repo: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Kind,
    pub has_files: Option<String>,
    pub message: Option<String>,
    pub subject: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    #[serde(default)]
    pub paths: Vec<Entry>,
    #[serde(default)]
    pub from: Vec<FromSpec>,
    pub subject: Option<String>,
}

/// A compiled needle: literal text or a per-line regex.
enum Test {
    Text(String),
    Regex(Regex),
}

struct Compiled {
    test: Test,
    shown: String,
    message: Option<String>,
}

impl Compiled {
    fn found(&self, text: &str) -> bool {
        match &self.test {
            Test::Text(t) => text.contains(t.as_str()),
            // Line by line, as grep and rg search.
            Test::Regex(re) => text.lines().any(|l| re.is_match(l)),
        }
    }
}

fn compile_glob(g: &str) -> Result<GlobMatcher, String> {
    GlobBuilder::new(g)
        .literal_separator(true)
        .build()
        .map(|m| m.compile_matcher())
        .map_err(|e| format!("bad glob `{g}`: {e}"))
}

/// What is wrong with `path` as a `kind` (None: it is there).
fn probe(
    cx: &RuleCx<'_>,
    repo: RepoId,
    path: &str,
    kind: Kind,
    has_files: Option<&GlobMatcher>,
) -> Option<&'static str> {
    let ws = cx.gate.inputs.workspace();
    let r = ws.repo(repo)?;
    match kind {
        Kind::File => (!r.has(path)).then_some("does not exist"),
        Kind::Executable => {
            if !r.has(path) {
                Some("does not exist")
            } else if !r.is_executable(path) {
                Some("is not executable")
            } else {
                None
            }
        }
        Kind::Dir => {
            let prefix = format!("{}/", path.trim_end_matches('/'));
            let mut under = r.paths().filter(|p| p.starts_with(&prefix)).peekable();
            if under.peek().is_none() {
                return Some("does not exist");
            }
            match has_files {
                Some(g) => (!under.any(|p| g.is_match(&p[prefix.len()..])))
                    .then_some("holds no matching file"),
                None => None,
            }
        }
    }
}

fn default_missing(kind: Kind, why: &str, has_files: Option<&str>) -> String {
    match (kind, why, has_files) {
        (Kind::Dir, "holds no matching file", Some(g)) => {
            format!("directory `{{{{$path}}}}` holds no file matching `{g}`")
        }
        (Kind::Dir, _, _) => "directory `{{$path}}` does not exist".into(),
        (_, w, _) => format!("`{{{{$path}}}}` {w}"),
    }
}

pub fn run(cx: &RuleCx<'_>, spec: Spec) -> RuleResult {
    let cfg = |field: String, message: String| Halt::Config {
        pointer: format!("{}{field}", cx.base),
        message,
    };
    if spec.paths.is_empty() && spec.from.is_empty() {
        return Err(cfg(
            String::new(),
            "`required` needs `paths` or `from`".into(),
        ));
    }
    let view = cx.gate.inputs;
    let mut out = Output::default();
    for (i, e) in spec.paths.iter().enumerate() {
        let field = format!("/paths/{i}");
        let mut needles = Vec::new();
        for (j, n) in e.contains.iter().chain(e.matches.iter()).enumerate() {
            let literal = j < e.contains.len();
            let (text, regex, message) = match n {
                Needle::Plain(s) if literal => (Some(s.clone()), None, None),
                Needle::Plain(s) => (None, Some(s.clone()), None),
                Needle::Full {
                    text,
                    regex,
                    message,
                } => (text.clone(), regex.clone(), message.clone()),
            };
            let c = match (text, regex) {
                (Some(t), None) => Compiled {
                    shown: t.clone(),
                    test: Test::Text(t),
                    message,
                },
                (None, Some(r)) => Compiled {
                    test: Test::Regex(
                        Regex::new(&r)
                            .map_err(|err| cfg(field.clone(), format!("bad regex `{r}`: {err}")))?,
                    ),
                    shown: r,
                    message,
                },
                _ => {
                    return Err(cfg(
                        field,
                        "a needle is a string or {text|regex, message}".into(),
                    ))
                }
            };
            needles.push(c);
        }
        let has_files = match &e.has_files {
            Some(g) => Some(compile_glob(g).map_err(|m| cfg(field.clone(), m))?),
            None => None,
        };
        let targets: Vec<(RepoId, String)> = match (&e.path, &e.glob) {
            (Some(p), None) => {
                let (repo, path) = super::parse_ref(p);
                if !view.has_repo(repo) {
                    return Err(Halt::Skip(format!("needs the {repo} checkout ({p})")));
                }
                vec![(repo, path.to_string())]
            }
            (None, Some(g)) => {
                let (repo, pat) = super::parse_ref(g);
                if !view.has_repo(repo) {
                    return Err(Halt::Skip(format!("needs the {repo} checkout ({g})")));
                }
                let m = compile_glob(pat).map_err(|msg| cfg(field.clone(), msg))?;
                view.paths(repo)
                    .into_iter()
                    .filter(|p| m.is_match(p))
                    .map(|p| (repo, p.to_string()))
                    .collect()
            }
            _ => {
                return Err(cfg(
                    field,
                    "an entry needs exactly one of `path` or `glob`".into(),
                ))
            }
        };
        for (repo, path) in targets {
            let vars = |needle: &str| {
                vec![
                    ("path", path.clone()),
                    ("needle", needle.to_string()),
                    ("glob", e.has_files.clone().unwrap_or_default()),
                    ("type", e.kind.as_str().to_string()),
                    ("file", path.clone()),
                ]
            };
            let subject = |v: &[(&str, String)]| {
                Some(
                    spec.subject
                        .as_deref()
                        .map(|s| render(s, None, v))
                        .unwrap_or_else(|| format!("file:{path}")),
                )
            };
            if let Some(why) = probe(cx, repo, &path, e.kind, has_files.as_ref()) {
                let v = vars("");
                let t = e
                    .message
                    .clone()
                    .unwrap_or_else(|| default_missing(e.kind, why, e.has_files.as_deref()));
                let mut f = cx
                    .gate
                    .finding_at(Location::file(repo, &path), render(&t, None, &v));
                f.subject = subject(&v);
                out.findings.push(f);
                continue;
            }
            if needles.is_empty() {
                continue;
            }
            let Some(doc) = view.doc(repo, &path) else {
                // Undeclared: the engine reports the gate as errored.
                continue;
            };
            if doc.format == crate::documents::Format::Opaque {
                return Err(Halt::Skip(format!("{repo}:{path} cannot be read as text")));
            }
            for n in &needles {
                if n.found(&doc.text) {
                    continue;
                }
                let v = vars(&n.shown);
                let t = n.message.clone().unwrap_or_else(|| match n.test {
                    Test::Text(_) => "`{{$path}}` does not contain `{{$needle}}`".into(),
                    Test::Regex(_) => "`{{$path}}` has no line matching `{{$needle}}`".into(),
                });
                let mut f = cx
                    .gate
                    .finding_at(Location::file(repo, &path), render(&t, None, &v));
                f.subject = subject(&v);
                out.findings.push(f);
            }
        }
    }
    for (i, fs) in spec.from.iter().enumerate() {
        let field = format!("/from/{i}");
        let items_f = cx.items_jq(&fs.items, &format!("{field}/items"))?;
        let path_f = cx.jq(&fs.path, &format!("{field}/path"))?;
        let repo = match fs.repo.as_deref() {
            None => RepoId::Spine,
            Some(r) => RepoId::parse(r)
                .ok_or_else(|| cfg(format!("{field}/repo"), format!("`{r}` is not a repo")))?,
        };
        if !view.has_repo(repo) {
            return Err(Halt::Skip(format!("needs the {repo} checkout")));
        }
        let has_files = match &fs.has_files {
            Some(g) => Some(compile_glob(g).map_err(|m| cfg(field.clone(), m))?),
            None => None,
        };
        let loaded = cx.load(&fs.file)?;
        let doc = &loaded.doc;
        let Some(items) = cx.items_or_report(&mut out, &items_f, &loaded) else {
            continue;
        };
        for item in &items {
            let Some(paths) = cx.keys_or_report(&mut out, doc, &path_f, None, item) else {
                continue;
            };
            for (p, ptr) in paths {
                let clean = p.trim_start_matches("./").to_string();
                if clean.is_empty() {
                    continue;
                }
                let Some(why) = probe(cx, repo, &clean, fs.kind, has_files.as_ref()) else {
                    continue;
                };
                let json = item_json(doc, &item.pointer);
                let vars = [
                    ("path", clean.clone()),
                    ("glob", fs.has_files.clone().unwrap_or_default()),
                    ("type", fs.kind.as_str().to_string()),
                    ("file", doc.path.clone()),
                ];
                let t = fs
                    .message
                    .clone()
                    .unwrap_or_else(|| default_missing(fs.kind, why, fs.has_files.as_deref()));
                let msg = render(&t, json, &vars);
                let subj = fs.subject.as_deref().map(|s| render(s, json, &vars));
                out.findings.push(cx.finding(doc, &ptr, msg, subj));
            }
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
    fn paths_contents_dirs_and_items() {
        let t = spine(&[
            ("ops/run.sh", "#!/bin/sh\ncap run receipts.index.build\n"),
            (
                "ops/caps.yaml",
                "capabilities:\n  nightly.run:\n    command: x\n",
            ),
            ("ops/plugins/a/tests/t.sh", "x"),
            ("ops/plugins/b/bin/x", "x"),
            (
                "ops/m.yaml",
                "plugins:\n  - name: a\n  - name: b\n  - name: c\n",
            ),
        ]);
        let meta = gate_cx("D1");
        let rule = json!({"kind": "required",
            "paths": [
                {"path": "spine:ops/run.sh", "contains": ["cap run receipts.index.build", "receipts.rotate"]},
                {"path": "spine:ops/caps.yaml", "matches": ["^\\s*nightly\\.run:", {"regex": "^\\s*other:", "message": "no other in {{$path}}"}]},
                {"path": "spine:ops/missing.sh", "type": "executable"},
                {"path": "spine:ops/plugins", "type": "dir"},
                {"glob": "spine:ops/*.sh", "contains": ["#!/bin/sh"]}
            ],
            "from": [{"file": "spine:ops/m.yaml", "items": ".plugins[]",
                      "path": "\"ops/plugins/\\(.name)/tests\"", "type": "dir", "has_files": "**/*.sh",
                      "message": "plugin {{name}}: {{$path}} missing"}]});
        let out = run_rule_on(&t.ws, &meta, &rule).expect("runs");
        let msgs: Vec<String> = out.findings.iter().map(|f| f.message.clone()).collect();
        assert_eq!(
            msgs,
            vec![
                "`ops/run.sh` does not contain `receipts.rotate`",
                "no other in ops/caps.yaml",
                "`ops/missing.sh` does not exist",
                "plugin b: ops/plugins/b/tests missing",
                "plugin c: ops/plugins/c/tests missing",
            ]
        );
        assert_eq!(out.findings[3].location.line(), 3);
    }

    #[test]
    fn bad_entries_are_config_errors() {
        let t = spine(&[("a.yaml", "x: 1\n")]);
        let meta = gate_cx("D1");
        for rule in [
            json!({"kind": "required"}),
            json!({"kind": "required", "paths": [{"path": "a.yaml", "glob": "*.yaml"}]}),
            json!({"kind": "required", "paths": [{"path": "a.yaml", "matches": ["("]}]}),
        ] {
            assert!(matches!(
                run_rule_on(&t.ws, &meta, &rule),
                Err(super::Halt::Config { .. })
            ));
        }
    }
}
