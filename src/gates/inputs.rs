//! Engine-owned inputs.
//!
//! Every gate file declares what it reads (`inputs:`), repo-qualified and
//! required (the default) or optional:
//!
//! ```yaml
//! inputs:
//!   - spine:ops/bindings/vm.lifecycle.yaml          # required
//!   - file: spine:ops/bindings/gap.schema.yaml
//!     optional: true                                 # the gate handles absence
//!   - file: spine:ops/bindings/operational.gaps.yaml
//!     option: gaps_file                              # gate_options.<ID>.gaps_file moves it
//! ```
//!
//! Before a gate runs, the engine resolves its inputs ([`GateInputs::skip_reason`]):
//! a required file that is absent, refused (symlink, too large, binary, not
//! UTF-8) or does not parse, a required glob that matches nothing, or a repo
//! the workspace lacks makes the gate *skipped* with that reason, for every
//! kind of gate alike. Green never means "could not look".
//!
//! The gate then reads only through its [`GateInputs`] view: a content read
//! of a file no declared input covers is refused and recorded, and the engine
//! reports the gate as errored (`read undeclared input …`). This keeps
//! `--staged` affected-gate selection (which goes by the declared inputs)
//! honest. Existence probes ([`GateInputs::has`]) are not content reads and
//! may name any path (D85 checks that registered scripts exist).
//!
//! Members of a glob input that do not parse do not skip the gate: a sweep
//! judges the files it can read, and the parse finding reports the others.
//! An optional input that is present but broken skips the gate like a
//! required one: a truncated value is never judged.

use super::GateMeta;
use crate::documents::Document;
use crate::findings::RepoId;
use crate::workspace::Workspace;
use globset::{GlobBuilder, GlobMatcher};
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// One declared input of a gate file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputDecl {
    pub repo: RepoId,
    /// Path or glob inside the repo (`ops/bindings/**/*.yaml`).
    pub pattern: String,
    /// A required input that is unusable skips the gate.
    pub required: bool,
    /// `gate_options.<ID>.<option>` replaces `pattern` when set.
    pub option: Option<String>,
}

impl InputDecl {
    /// A required input from `repo:path` (no prefix: spine).
    pub fn required(qualified: &str) -> InputDecl {
        let (repo, pattern) = super::rules::parse_ref(qualified);
        InputDecl {
            repo,
            pattern: pattern.to_string(),
            required: true,
            option: None,
        }
    }

    /// An entry of `inputs:`: a `repo:path` string (required) or a mapping
    /// `{file, optional, option}`. None for other shapes (the gate schema
    /// rejects them at their line).
    pub fn from_value(v: &Value) -> Option<InputDecl> {
        match v {
            Value::String(s) => Some(InputDecl::required(s)),
            Value::Object(m) => {
                let mut d = InputDecl::required(m.get("file")?.as_str()?);
                d.required = !m.get("optional").and_then(Value::as_bool).unwrap_or(false);
                d.option = m.get("option").and_then(Value::as_str).map(str::to_string);
                Some(d)
            }
            _ => None,
        }
    }

    /// `spine:ops/bindings/x.yaml`
    pub fn qualified(&self) -> String {
        format!("{}:{}", self.repo, self.pattern)
    }

    /// The declaration as `explain` and `gates --json` show it.
    pub fn describe(&self) -> String {
        let mut s = self.qualified();
        if !self.required {
            s.push_str(" (optional)");
        }
        if let Some(o) = &self.option {
            s.push_str(&format!(" (gate_options.{o} moves it)"));
        }
        s
    }
}

/// Does the pattern have glob metacharacters?
pub fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '[', '{'])
}

fn matcher(pattern: &str) -> Result<GlobMatcher, String> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("bad input glob `{pattern}`: {e}"))
}

/// One input after `gate_options` were applied.
struct Resolved {
    repo: RepoId,
    pattern: String,
    glob: Option<GlobMatcher>,
    required: bool,
}

impl Resolved {
    fn covers(&self, repo: RepoId, path: &str) -> bool {
        self.repo == repo
            && match &self.glob {
                Some(g) => g.is_match(path),
                None => self.pattern == path,
            }
    }

    fn qualified(&self) -> String {
        format!("{}:{}", self.repo, self.pattern)
    }
}

/// A gate's view of the workspace: only its declared inputs.
pub struct GateInputs<'a> {
    ws: &'a Workspace,
    inputs: Vec<Resolved>,
    /// No inputs declared (registry-only and older spine gate files): the
    /// view is the whole workspace, and `--affected-only` skips the gate.
    unrestricted: bool,
    undeclared: Mutex<Vec<String>>,
}

impl<'a> GateInputs<'a> {
    /// The view for `meta`, with `gate_options.<ID>` applied. `Err` is a
    /// configuration problem (bad glob, an option that is not a string).
    pub fn new(
        ws: &'a Workspace,
        meta: &GateMeta,
        options: Option<&Value>,
    ) -> Result<GateInputs<'a>, String> {
        let mut inputs = Vec::with_capacity(meta.inputs.len());
        for d in &meta.inputs {
            let pattern = match (&d.option, options) {
                (Some(o), Some(opts)) => match opts.get(o) {
                    None | Some(Value::Null) => d.pattern.clone(),
                    Some(Value::String(s)) => {
                        let (repo, p) = super::rules::parse_ref(s);
                        if repo != d.repo {
                            return Err(format!(
                                "gate_options.{}.{o} names the {repo} repo, but the input is in the {}",
                                meta.id, d.repo
                            ));
                        }
                        p.to_string()
                    }
                    Some(_) => {
                        return Err(format!(
                            "gate_options.{}.{o} must be a path (a string)",
                            meta.id
                        ))
                    }
                },
                _ => d.pattern.clone(),
            };
            let glob = if is_glob(&pattern) {
                Some(matcher(&pattern)?)
            } else {
                None
            };
            inputs.push(Resolved {
                repo: d.repo,
                pattern,
                glob,
                required: d.required,
            });
        }
        Ok(GateInputs {
            ws,
            unrestricted: inputs.is_empty(),
            inputs,
            undeclared: Mutex::new(Vec::new()),
        })
    }

    /// A view of everything (tests of rule kinds without a gate file).
    pub fn unrestricted(ws: &'a Workspace) -> GateInputs<'a> {
        GateInputs {
            ws,
            inputs: Vec::new(),
            unrestricted: true,
            undeclared: Mutex::new(Vec::new()),
        }
    }

    /// Why the gate cannot judge: the first required input that is
    /// unusable, or an optional one that is present but broken.
    pub fn skip_reason(&self) -> Option<String> {
        for i in &self.inputs {
            let Some(repo) = self.ws.repo(i.repo) else {
                if i.required {
                    return Some(format!("no {} checkout (needs {})", i.repo, i.qualified()));
                }
                continue;
            };
            if let Some(g) = &i.glob {
                if i.required && !repo.paths().any(|p| g.is_match(p)) {
                    return Some(format!("no file matches {}", i.qualified()));
                }
                continue;
            }
            let Some(doc) = repo.doc(&i.pattern) else {
                let symlink = self.ws.notes.iter().any(|n| {
                    n.code == "io/symlink"
                        && n.location.repo == i.repo
                        && n.location.path == i.pattern
                });
                if symlink {
                    return Some(format!(
                        "{} is a symlink, which driftgate does not follow",
                        i.qualified()
                    ));
                }
                if i.required {
                    return Some(format!("{} not found", i.qualified()));
                }
                continue;
            };
            if let Some(why) = unusable(&doc) {
                return Some(format!("{} {why}", i.qualified()));
            }
        }
        None
    }

    fn declared(&self, repo: RepoId, path: &str) -> bool {
        self.unrestricted || self.inputs.iter().any(|i| i.covers(repo, path))
    }

    fn record(&self, repo: RepoId, path: &str) {
        if let Ok(mut u) = self.undeclared.lock() {
            let q = format!("{repo}:{path}");
            if !u.contains(&q) {
                u.push(q);
            }
        }
    }

    /// The parsed document at `path` if a declared input covers it. A read
    /// of an undeclared file returns None and is recorded: the engine then
    /// reports the gate as errored.
    pub fn doc(&self, repo: RepoId, path: &str) -> Option<Arc<Document>> {
        if !self.declared(repo, path) {
            self.record(repo, path);
            return None;
        }
        self.ws.doc(repo, path)
    }

    /// Does the file exist in the snapshot? (An existence probe, allowed
    /// for any path.)
    pub fn has(&self, repo: RepoId, path: &str) -> bool {
        self.ws.has(repo, path)
    }

    /// Is that checkout part of the workspace?
    pub fn has_repo(&self, repo: RepoId) -> bool {
        self.ws.repo(repo).is_some()
    }

    /// The repo's paths that a declared input covers, in sorted order.
    pub fn paths(&self, repo: RepoId) -> Vec<&'a str> {
        let Some(r) = self.ws.repo(repo) else {
            return Vec::new();
        };
        r.paths().filter(|p| self.declared(repo, p)).collect()
    }

    /// Files read that no input declares (`repo:path`).
    pub fn undeclared(&self) -> Vec<String> {
        self.undeclared
            .lock()
            .map(|u| u.clone())
            .unwrap_or_default()
    }

    /// The whole workspace (for the engine and the rule kinds' shared
    /// state; gates read through the view's methods).
    pub fn workspace(&self) -> &'a Workspace {
        self.ws
    }
}

/// Why a present document cannot be judged: refused or does not parse.
pub fn unusable(doc: &Document) -> Option<String> {
    // Not UTF-8: the text was decoded lossily, so values may be garbled.
    let encoding = doc.problems.iter().find(|p| p.code == "parse/encoding");
    if !doc.is_unusable() && encoding.is_none() {
        return None;
    }
    let p = doc
        .problems
        .iter()
        .find(|p| p.code == "parse/syntax" || p.code == "parse/limit")
        .or(encoding)
        .or_else(|| doc.problems.first());
    Some(match p {
        Some(p) if p.code == "parse/syntax" || p.code == "parse/limit" => match &p.location.span {
            Some(s) => format!("does not parse ({} at {}:{})", p.code, s.line, s.col),
            None => format!("does not parse ({})", p.code),
        },
        Some(p) => match &p.location.span {
            Some(s) => format!(
                "is refused ({} at {}:{}: {})",
                p.code, s.line, s.col, p.message
            ),
            None => format!("is refused ({}: {})", p.code, p.message),
        },
        None => "could not be read".to_string(),
    })
}
