//! Declarative rules (`rule:` in a gate file), evaluated in-process with jaq.
//!
//! One file per rule kind. Every kind reads its documents through the
//! workspace (each file is parsed once), selects items with jq *path*
//! expressions (so each offending item maps to a JSON pointer and from there
//! to its span), and renders messages and subjects from `{{field}}`
//! templates over the offending item.

pub mod allow_list;
pub mod equals_derived;
pub mod exists_in;
pub mod expr;
pub mod file_exists;
pub mod forbid_pattern;
pub mod fresh;
pub mod in_subnet;
pub mod jq;
pub mod references;
pub mod require_pattern;
pub mod required;
pub mod text_has;
pub mod unique;

use super::GateContext;
use crate::documents::Document;
use crate::findings::{Finding, Location, RepoId};
use crate::workspace::Workspace;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use jaq_json::Val;
use jq::Jq;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// State shared by every rule of one run: the workspace, today, the
/// catalogue, and each document's value converted to a jaq value once.
pub struct Shared<'a> {
    pub ws: &'a Workspace,
    pub now: chrono::NaiveDate,
    /// `{ "D69": true, ... }`: every gate id of the loaded catalogue.
    pub catalogue: Val,
    /// Staged mode: the changed files (see `GateContext::changed`).
    pub changed: Option<std::collections::HashSet<(RepoId, String)>>,
    /// Touch-and-fix: the files the change touches (see `GateContext::touched`).
    pub touched: Option<std::collections::HashSet<(RepoId, String)>>,
    /// The run's schema mapping (see `GateContext::schemas`).
    pub schemas: Option<&'a crate::schema::SchemaStore>,
    vals: Mutex<HashMap<DocKey, Arc<OnceLock<Val>>>>,
}

type DocKey = (RepoId, String);
/// Glob sets per repo, and the repos that are absent from the workspace.
type RepoGlobs = (Vec<(RepoId, GlobSet)>, Vec<RepoId>);

impl<'a> Shared<'a> {
    pub fn new(ws: &'a Workspace, now: chrono::NaiveDate, catalogue_ids: &[String]) -> Self {
        let cat: Map<String, Value> = catalogue_ids
            .iter()
            .map(|id| (id.clone(), Value::Bool(true)))
            .collect();
        Shared {
            ws,
            now,
            catalogue: jq::from_json(&Value::Object(cat)),
            changed: None,
            touched: None,
            schemas: None,
            vals: Mutex::new(HashMap::new()),
        }
    }

    /// The document's first YAML/JSON value as a jaq value (converted once).
    pub fn value(&self, doc: &Document) -> Val {
        let slot = match self.vals.lock() {
            Ok(mut m) => m
                .entry((doc.repo, doc.path.clone()))
                .or_insert_with(|| Arc::new(OnceLock::new()))
                .clone(),
            Err(_) => Arc::new(OnceLock::new()),
        };
        slot.get_or_init(|| doc.value().map(jq::from_json).unwrap_or(Val::Null))
            .clone()
    }
}

/// Why a rule stopped before judging anything.
#[derive(Debug, Clone, PartialEq)]
pub enum Halt {
    /// Inputs absent (missing file, glob matching nothing, missing repo):
    /// the gate is reported as skipped, not as a finding.
    Skip(String),
    /// The rule itself is broken (bad jq, bad key): `config/gate`, internal.
    /// `pointer` is inside the gate file.
    Config { pointer: String, message: String },
}

/// What a rule produced: findings, and errors it hit on single items (the
/// gate is reported as errored, the other items were still judged).
#[derive(Debug, Default)]
pub struct Output {
    pub findings: Vec<Finding>,
    pub errors: Vec<String>,
}

impl Output {
    fn merge(&mut self, other: Output) {
        self.findings.extend(other.findings);
        self.errors.extend(other.errors);
    }
}

pub type RuleResult = Result<Output, Halt>;

/// A document read for a rule, with its value as a jaq value.
pub struct Loaded {
    pub doc: Arc<Document>,
    pub val: Val,
}

/// One selected item of a document.
pub struct Item {
    /// Path (jaq array) of the item.
    pub path: Val,
    pub pointer: String,
    pub val: Val,
}

impl Item {
    /// The item's map key or index (`$key`).
    pub fn key(&self) -> Val {
        match &self.path {
            Val::Arr(a) => a.last().cloned().unwrap_or(Val::Null),
            _ => Val::Null,
        }
    }
}

/// Context of one rule evaluation.
pub struct RuleCx<'a> {
    pub shared: &'a Shared<'a>,
    pub gate: &'a GateContext<'a>,
    /// Pointer of this rule inside the gate file (`/rule`, `/rule/rules/1`).
    pub base: String,
    /// Documents bound by `with:` (name → document), visible as `$name` in
    /// every filter of the rule.
    pub with: Vec<(String, Loaded)>,
}

impl<'a> RuleCx<'a> {
    fn config(&self, field: &str, message: impl Into<String>) -> Halt {
        Halt::Config {
            pointer: format!("{}{}", self.base, field),
            message: message.into(),
        }
    }

    /// Deserialises a rule mapping (without `kind`) into its spec.
    pub fn spec<T: DeserializeOwned>(&self, spec: Map<String, Value>) -> Result<T, Halt> {
        serde_json::from_value(Value::Object(spec)).map_err(|e| {
            let msg = e.to_string();
            let field = msg
                .split('`')
                .nth(1)
                .map(|k| format!("/{k}"))
                .unwrap_or_default();
            self.config(&field, format!("invalid rule: {msg}"))
        })
    }

    fn names(&self) -> Vec<String> {
        self.with.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Compiles a jq filter named at `field` of the rule.
    pub fn jq(&self, code: &str, field: &str) -> Result<Arc<Jq>, Halt> {
        jq::compile(code, &self.names()).map_err(|e| {
            self.config(
                field,
                format!("jq filter `{}` does not compile: {e}", short(code)),
            )
        })
    }

    /// Compiles an `items` path expression (wrapped in `path(...)`).
    pub fn items_jq(&self, items: &str, field: &str) -> Result<Arc<Jq>, Halt> {
        jq::compile(&format!("path(\n{items}\n)"), &self.names()).map_err(|e| {
            self.config(
                field,
                format!("items expression `{}` does not compile: {e}", short(items)),
            )
        })
    }

    /// Compiles `path(code)` for locating a key inside an item; None when
    /// it does not compile (the item's own location is used then).
    pub fn path_jq(&self, code: &str) -> Option<Arc<Jq>> {
        jq::compile(&format!("path(\n{code}\n)"), &self.names()).ok()
    }

    /// Loads one repo-qualified file (`spine:ops/bindings/x.yaml`).
    pub fn load(&self, file: &str) -> Result<Loaded, Halt> {
        let (repo, path) = parse_ref(file);
        let view = self.gate.inputs;
        if !view.has_repo(repo) {
            return Err(Halt::Skip(format!("needs the {repo} checkout ({file})")));
        }
        // Through the gate's view: an undeclared file is refused (and the
        // engine reports the gate as errored).
        let Some(doc) = view.doc(repo, path) else {
            return Err(Halt::Skip(format!("{repo}:{path} not found")));
        };
        self.loaded(doc)
    }

    pub fn loaded(&self, doc: Arc<Document>) -> Result<Loaded, Halt> {
        if doc.is_unusable() {
            return Err(Halt::Skip(format!(
                "{}:{} could not be parsed (see its parse finding)",
                doc.repo, doc.path
            )));
        }
        let val = self.shared.value(&doc);
        Ok(Loaded { doc, val })
    }

    /// Documents matching repo-qualified globs, minus `exclude` globs.
    /// Skip when nothing matches.
    pub fn glob(
        &self,
        patterns: &[String],
        exclude: &[String],
    ) -> Result<Vec<Arc<Document>>, Halt> {
        let (sets, missing) = self.glob_sets(patterns, "/files")?;
        let (ex, _) = self.glob_sets(exclude, "/exclude")?;
        let mut out = Vec::new();
        let view = self.gate.inputs;
        for (repo, set) in &sets {
            for p in view.paths(*repo) {
                if !set.is_match(p) || ex.iter().any(|(xr, xs)| xr == repo && xs.is_match(p)) {
                    continue;
                }
                // Staged mode: a sweep judges only the changed files.
                if !self.gate.sweeps(*repo, p) {
                    continue;
                }
                if let Some(d) = view.doc(*repo, p) {
                    out.push(d);
                }
            }
        }
        if out.is_empty() {
            let mut why = format!("no file matches {}", patterns.join(", "));
            if !missing.is_empty() {
                why = format!(
                    "{why} (no {} checkout)",
                    missing
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            return Err(Halt::Skip(why));
        }
        Ok(out)
    }

    fn glob_sets(&self, patterns: &[String], field: &str) -> Result<RepoGlobs, Halt> {
        let mut by_repo: Vec<(RepoId, GlobSetBuilder)> = Vec::new();
        let mut missing = Vec::new();
        for p in patterns {
            let (repo, path) = parse_ref(p);
            let g = GlobBuilder::new(path)
                .literal_separator(true)
                .build()
                .map_err(|e| self.config(field, format!("bad glob `{p}`: {e}")))?;
            if !self.gate.inputs.has_repo(repo) && !missing.contains(&repo) {
                missing.push(repo);
            }
            match by_repo.iter_mut().find(|(r, _)| *r == repo) {
                Some((_, b)) => {
                    b.add(g);
                }
                None => {
                    let mut b = GlobSetBuilder::new();
                    b.add(g);
                    by_repo.push((repo, b));
                }
            }
        }
        let mut sets = Vec::new();
        for (repo, b) in by_repo {
            let set = b
                .build()
                .map_err(|e| self.config(field, format!("bad globs: {e}")))?;
            sets.push((repo, set));
        }
        Ok((sets, missing))
    }

    /// The standard variables for an item at `path`, then the `with` docs.
    pub fn vars(&self, path: &Val) -> Vec<Val> {
        let key = match path {
            Val::Arr(a) => a.last().cloned().unwrap_or(Val::Null),
            _ => Val::Null,
        };
        let mut v = Vec::with_capacity(4 + self.with.len());
        v.push(path.clone());
        v.push(key);
        v.push(jq::str_val(&self.shared.now.format("%Y-%m-%d").to_string()));
        v.push(self.shared.catalogue.clone());
        v.extend(self.with.iter().map(|(_, l)| l.val.clone()));
        v
    }

    /// Items selected by a compiled `path(...)` filter.
    pub fn items(&self, filter: &Jq, loaded: &Loaded) -> Result<Vec<Item>, String> {
        let root = Val::Arr(Default::default());
        let paths = filter.run(loaded.val.clone(), &self.vars(&root))?;
        let mut out = Vec::with_capacity(paths.len());
        for p in paths {
            let Some(pointer) = jq::pointer_of(&p) else {
                return Err("items must select plain paths (no slices)".into());
            };
            let val = jq::get_path(&loaded.val, &p).cloned().unwrap_or(Val::Null);
            out.push(Item {
                path: p,
                pointer,
                val,
            });
        }
        Ok(out)
    }

    /// [`RuleCx::items`], with a failure reported as the gate's own error
    /// on the document (`None` then: nothing to judge).
    pub fn items_or_report(
        &self,
        out: &mut Output,
        filter: &Jq,
        loaded: &Loaded,
    ) -> Option<Vec<Item>> {
        match self.items(filter, loaded) {
            Ok(i) => Some(i),
            Err(e) => {
                self.item_error(out, &loaded.doc, "", &e);
                None
            }
        }
    }

    /// [`RuleCx::keys`], with a failure reported as the gate's own error on
    /// the item (`None` then: skip the item).
    pub fn keys_or_report(
        &self,
        out: &mut Output,
        doc: &Document,
        key: &Jq,
        key_path: Option<&Jq>,
        item: &Item,
    ) -> Option<Vec<(String, String)>> {
        match self.keys(key, key_path, item) {
            Ok(k) => Some(k),
            Err(e) => {
                self.item_error(out, doc, &item.pointer, &e);
                None
            }
        }
    }

    /// Values of `key` for an item, each with the pointer it came from when
    /// `key` is a path expression (else the item's own pointer).
    pub fn keys(
        &self,
        key: &Jq,
        key_path: Option<&Jq>,
        item: &Item,
    ) -> Result<Vec<(String, String)>, String> {
        let vars = self.vars(&item.path);
        let vals = key.run(item.val.clone(), &vars)?;
        let paths = key_path
            .and_then(|kp| kp.run(item.val.clone(), &vars).ok())
            .filter(|ps| ps.len() == vals.len());
        let mut out = Vec::with_capacity(vals.len());
        for (i, v) in vals.iter().enumerate() {
            let Some(text) = jq::scalar_text(v) else {
                continue;
            };
            let ptr = paths
                .as_ref()
                .and_then(|ps| ps.get(i))
                .and_then(jq::pointer_of)
                .map(|rel| format!("{}{rel}", item.pointer))
                .unwrap_or_else(|| item.pointer.clone());
            out.push((text, ptr));
        }
        Ok(out)
    }

    /// A finding of this gate at `pointer` of `doc`.
    pub fn finding(
        &self,
        doc: &Document,
        pointer: &str,
        message: String,
        subject: Option<String>,
    ) -> Finding {
        let mut f = self.gate.finding(doc, pointer, message);
        f.subject = Some(subject.unwrap_or_else(|| default_subject(doc, pointer)));
        f
    }

    /// The gate's own error on one item: a finding plus the error text.
    pub fn item_error(&self, out: &mut Output, doc: &Document, pointer: &str, err: &str) {
        let (context, _) = doc
            .value()
            .map(|v| crate::schema::context_of(v, pointer))
            .unwrap_or_else(|| ("document".into(), String::new()));
        let msg = format!("could not judge {context}: rule error: {err}");
        let mut f = self.finding(doc, pointer, msg.clone(), None);
        f.help = Some(format!(
            "the rule of {} does not fit this data; fix the data or the gate file ({})",
            self.gate.meta.id, self.gate.meta.origin
        ));
        out.findings.push(f);
        out.errors.push(msg);
    }
}

/// `spine:path` → (Spine, path); no prefix means the spine.
pub fn parse_ref(s: &str) -> (RepoId, &str) {
    if let Some((r, p)) = s.split_once(':') {
        if let Some(id) = RepoId::parse(r) {
            return (id, p);
        }
    }
    (RepoId::Spine, s)
}

fn short(code: &str) -> String {
    let one: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 80 {
        format!("{}…", one.chars().take(80).collect::<String>())
    } else {
        one
    }
}

/// `path:vms[id=215]`: a stable subject when the rule names none.
pub fn default_subject(doc: &Document, pointer: &str) -> String {
    match doc.value() {
        Some(v) => format!("{}:{}", doc.path, crate::schema::context_of(v, pointer).1),
        None => format!("file:{}", doc.path),
    }
}

/// The JSON value of an item (for templates), by pointer.
pub fn item_json<'d>(doc: &'d Document, pointer: &str) -> Option<&'d Value> {
    doc.value().and_then(|v| v.pointer(pointer))
}

/// Renders `{{field}}`, `{{a.b}}`, `{{list.0}}` over `item` and `{{$name}}`
/// from `vars`; `{{id // vmid}}` takes the first present field (older
/// bindings key guests `vmid`); `{{field|text}}` falls back to `text`.
/// Missing → empty.
/// Strings unquoted, other values as JSON.
pub fn render(template: &str, item: Option<&Value>, vars: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str(&rest[open..]);
            return out;
        };
        let inner = after[..close].trim();
        // `{{field|fallback}}`: the fallback text when the field is missing.
        let (name, fallback) = match inner.split_once('|') {
            Some((n, f)) => (n.trim(), Some(f.trim())),
            None => (inner, None),
        };
        let before = out.len();
        if let Some(var) = name.strip_prefix('$') {
            if let Some((_, v)) = vars.iter().find(|(n, _)| *n == var) {
                out.push_str(v);
            }
        } else if let Some(v) = name
            .split("//")
            .find_map(|n| lookup(item, n.trim()).filter(|v| !v.is_null()))
        {
            push_value(&mut out, v);
        }
        if out.len() == before {
            if let Some(f) = fallback {
                out.push_str(f);
            }
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

fn lookup<'v>(item: Option<&'v Value>, path: &str) -> Option<&'v Value> {
    let mut node = item?;
    if path.is_empty() || path == "." {
        return Some(node);
    }
    for part in path.split('.') {
        node = match node {
            Value::Object(m) => m.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

fn push_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => {}
        Value::String(s) => out.push_str(s),
        other => out.push_str(&other.to_string()),
    }
}

/// Runs a rule mapping (`kind` plus its fields).
pub fn run_rule(cx: &RuleCx<'_>, rule: &Value) -> RuleResult {
    let Some(obj) = rule.as_object() else {
        return Err(cx.config("", "`rule` must be a mapping with a `kind`"));
    };
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    let mut spec = obj.clone();
    spec.remove("kind");
    if let Some(with) = spec.remove("with") {
        let bound = bind_with(cx, &with)?;
        let child = RuleCx {
            shared: cx.shared,
            gate: cx.gate,
            base: cx.base.clone(),
            with: cx
                .with
                .iter()
                .map(|(n, l)| {
                    (
                        n.clone(),
                        Loaded {
                            doc: l.doc.clone(),
                            val: l.val.clone(),
                        },
                    )
                })
                .chain(bound)
                .collect(),
        };
        return dispatch(&child, kind, spec);
    }
    dispatch(cx, kind, spec)
}

/// `with: {name: "spine:path"}` → loaded documents bound as `$name`.
fn bind_with(cx: &RuleCx<'_>, with: &Value) -> Result<Vec<(String, Loaded)>, Halt> {
    let Some(map) = with.as_object() else {
        return Err(cx.config("/with", "`with` maps names to files"));
    };
    let mut out = Vec::new();
    for (name, file) in map {
        let field = format!("/with/{name}");
        let ok_name = {
            let mut chars = name.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        if !ok_name || jq::STD_VARS.contains(&format!("${name}").as_str()) {
            return Err(cx.config(
                &field,
                format!("`{name}` cannot be a jq variable name here"),
            ));
        }
        let Some(file) = file.as_str() else {
            return Err(cx.config(
                &field,
                format!("`with.{name}` must be a file reference like spine:ops/bindings/x.yaml"),
            ));
        };
        out.push((name.clone(), cx.load(file)?));
    }
    Ok(out)
}

fn dispatch(cx: &RuleCx<'_>, kind: &str, spec: Map<String, Value>) -> RuleResult {
    match kind {
        "exists_in" => exists_in::run(cx, cx.spec(spec)?),
        "allow_list" => allow_list::run(cx, cx.spec(spec)?),
        "unique" => unique::run(cx, cx.spec(spec)?),
        "expr" => expr::run(cx, cx.spec(spec)?),
        "forbid_pattern" => forbid_pattern::run(cx, cx.spec(spec)?),
        "fresh" => fresh::run(cx, cx.spec(spec)?),
        "file_exists" => file_exists::run(cx, cx.spec(spec)?),
        "in_subnet" => in_subnet::run(cx, cx.spec(spec)?),
        "equals_derived" => equals_derived::run(cx, cx.spec(spec)?),
        "references" => references::run(cx, cx.spec(spec)?),
        "text_has" => text_has::run(cx, cx.spec(spec)?),
        "require_pattern" => require_pattern::run(cx, cx.spec(spec)?),
        "required" => required::run(cx, cx.spec(spec)?),
        "all" => run_all(cx, spec),
        other => Err(cx.config(
            "/kind",
            format!(
                "unknown rule kind `{other}` (exists_in, allow_list, unique, expr, forbid_pattern, fresh, file_exists, in_subnet, equals_derived, references, text_has, require_pattern, required, all)"
            ),
        )),
    }
}

/// `kind: all, rules: [...]`: every sub-rule runs; the gate is skipped only
/// when all of them are.
fn run_all(cx: &RuleCx<'_>, spec: Map<String, Value>) -> RuleResult {
    let Some(Value::Array(rules)) = spec.get("rules") else {
        return Err(cx.config("/rules", "`kind: all` needs a `rules` list"));
    };
    let mut out = Output::default();
    let mut skipped = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        let sub = RuleCx {
            shared: cx.shared,
            gate: cx.gate,
            base: format!("{}/rules/{i}", cx.base),
            with: cx
                .with
                .iter()
                .map(|(n, l)| {
                    (
                        n.clone(),
                        Loaded {
                            doc: l.doc.clone(),
                            val: l.val.clone(),
                        },
                    )
                })
                .collect(),
        };
        match run_rule(&sub, r) {
            Ok(o) => out.merge(o),
            Err(Halt::Skip(why)) => skipped.push(why),
            Err(h) => return Err(h),
        }
    }
    if !rules.is_empty() && skipped.len() == rules.len() {
        return Err(Halt::Skip(skipped.join("; ")));
    }
    Ok(out)
}

/// Location of a pointer inside a gate file document.
pub fn gate_file_location(doc: Option<&Document>, origin: &str, pointer: &str) -> Location {
    match doc {
        Some(d) => d.location(pointer),
        None => Location::file(RepoId::Spine, origin),
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    //! A tiny in-memory workspace for rule unit tests.
    use crate::findings::RepoId;
    use crate::workspace::{FileSlot, Limits, Repo, Snapshot, Source, Workspace};
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    pub struct Tmp {
        pub dir: tempfile::TempDir,
        pub ws: Workspace,
    }

    /// Writes `files` into a temp dir and opens it as the spine.
    pub fn spine(files: &[(&str, &str)]) -> Tmp {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut slots = BTreeMap::new();
        for (p, text) in files {
            let full: PathBuf = dir.path().join(p);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(&full, text).expect("write");
            slots.insert(
                p.to_string(),
                FileSlot::new(Source::Fs(full), text.len() as u64, None, false),
            );
        }
        let repo = Repo::new(
            RepoId::Spine,
            dir.path().to_path_buf(),
            Snapshot::WorkTree,
            None,
            slots,
            None,
            Limits::default(),
        );
        Tmp {
            ws: Workspace {
                repos: vec![repo],
                notes: Vec::new(),
            },
            dir,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn templates_fill_fields_paths_and_vars() {
        let item = json!({"id": 204, "hostname": "infra-core", "net": {"ip": "10.0.0.4"}, "tags": ["a", "b"]});
        let s = render(
            "VM {{id}} ({{ hostname }}) at {{net.ip}} tag {{tags.1}} missing [{{nope}}] in {{$file}}",
            Some(&item),
            &[("file", "x.yaml".into())],
        );
        assert_eq!(
            s,
            "VM 204 (infra-core) at 10.0.0.4 tag b missing [] in x.yaml"
        );
        assert_eq!(render("open {{ never", Some(&item), &[]), "open {{ never");
        assert_eq!(
            render("vm:{{cluster|pve}}/{{id|?}}", Some(&item), &[]),
            "vm:pve/204"
        );
        let old = json!({"vmid": 206, "id": null, "hostname": "dev-tools"});
        assert_eq!(
            render(
                "VM {{id // vmid}} ({{hostname}}) vm:pve/{{id // vmid|?}}",
                Some(&old),
                &[]
            ),
            "VM 206 (dev-tools) vm:pve/206"
        );
        assert_eq!(render("{{id // vmid|?}}", Some(&json!({})), &[]), "?");
    }

    #[test]
    fn refs_default_to_the_spine() {
        assert_eq!(parse_ref("workbench:a/b"), (RepoId::Workbench, "a/b"));
        assert_eq!(parse_ref("ops/x.yaml"), (RepoId::Spine, "ops/x.yaml"));
        assert_eq!(parse_ref("c:/x"), (RepoId::Spine, "c:/x"));
    }
}
