//! Stage 3: JSON Schema validation of bindings.
//!
//! Schemas live in `schemas/` (embedded in the binary), the default path →
//! schema mapping in `schemas/index.yaml`. `driftgate.yaml` may add mappings
//! (checked first) and point at schema files of the spine's own. Each schema
//! is compiled once, on first use, and shared across threads.

use crate::config::SchemaMapping;
use crate::documents::{pointer_tokens, Document};
use crate::findings::{Finding, Location, RepoId, Severity};
use crate::workspace::Workspace;
use globset::{Glob, GlobMatcher};
use include_dir::{include_dir, Dir};
use jsonschema::error::ValidationErrorKind;
use jsonschema::{Retrieve, Uri, Validator};
use rayon::prelude::*;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

pub static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/schemas");
pub const ID_BASE: &str = "https://driftgate.dev/schemas/";

#[derive(Debug, Clone, serde::Deserialize)]
struct IndexEntry {
    schema: String,
    #[serde(default = "spine")]
    repo: String,
    glob: String,
}

fn spine() -> String {
    "spine".into()
}

struct Mapping {
    repo: RepoId,
    glob: GlobMatcher,
    glob_text: String,
    schema: Option<String>,
}

struct SchemaEntry {
    value: Value,
    /// Where the schema came from (`builtin:schemas/x.schema.json` or a spine path).
    origin: String,
    compiled: OnceLock<Result<Arc<Validator>, String>>,
}

/// All known schemas and the mapping from files to them.
pub struct SchemaStore {
    schemas: HashMap<String, SchemaEntry>,
    by_uri: Arc<HashMap<String, Value>>,
    mappings: Vec<Mapping>,
    pub problems: Vec<Finding>,
}

struct Embedded(Arc<HashMap<String, Value>>);

impl Retrieve for Embedded {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let key = uri.as_str().split('#').next().unwrap_or_default();
        self.0.get(key).cloned().ok_or_else(|| {
            format!("schema `{key}` is not bundled (driftgate never fetches schemas)").into()
        })
    }
}

fn builtin_id(file_name: &str) -> Option<&str> {
    file_name.strip_suffix(".schema.json")
}

impl SchemaStore {
    /// Built-in schemas and mappings, plus the config's overrides and the
    /// spine's own schema files.
    pub fn load(overrides: &[SchemaMapping], ws: Option<&Workspace>) -> SchemaStore {
        let mut problems = Vec::new();
        let mut schemas = HashMap::new();
        let mut by_uri = HashMap::new();
        for f in BUILTIN.files() {
            let name = f.path().to_string_lossy().to_string();
            let Some(id) = builtin_id(&name) else {
                continue;
            };
            match serde_json::from_slice::<Value>(f.contents()) {
                Ok(v) => {
                    by_uri.insert(format!("{ID_BASE}{name}"), v.clone());
                    if let Some(declared) = v.get("$id").and_then(Value::as_str) {
                        by_uri.insert(declared.to_string(), v.clone());
                    }
                    schemas.insert(
                        id.to_string(),
                        SchemaEntry {
                            value: v,
                            origin: format!("builtin:schemas/{name}"),
                            compiled: OnceLock::new(),
                        },
                    );
                }
                Err(e) => problems.push(
                    Finding::new(
                        "config/schema",
                        Severity::Error,
                        Location::file(RepoId::Spine, format!("<builtin>/schemas/{name}")),
                        format!("built-in schema is not valid JSON: {e}"),
                    )
                    .internal(),
                ),
            }
        }
        let mut mappings = Vec::new();
        // Config overrides first: first match wins.
        for m in overrides {
            let repo = RepoId::parse(&m.repo).unwrap_or(RepoId::Spine);
            let schema = match &m.schema {
                None => None,
                Some(s) if schemas.contains_key(s) => Some(s.clone()),
                Some(path) => {
                    // A schema file of the spine's own.
                    let doc = ws.and_then(|w| w.doc(RepoId::Spine, path));
                    match doc.as_ref().and_then(|d| d.value().cloned()) {
                        Some(v) if doc.as_ref().is_some_and(|d| d.problems.is_empty()) => {
                            if let Some(declared) = v.get("$id").and_then(Value::as_str) {
                                by_uri.insert(declared.to_string(), v.clone());
                            }
                            schemas.insert(
                                path.clone(),
                                SchemaEntry {
                                    value: v,
                                    origin: path.clone(),
                                    compiled: OnceLock::new(),
                                },
                            );
                            Some(path.clone())
                        }
                        _ => {
                            problems.push(
                                Finding::new(
                                    "config/schema",
                                    Severity::Error,
                                    Location::file(RepoId::Spine, path.clone()),
                                    format!(
                                        "schema `{path}` named in driftgate.yaml is neither a built-in schema id nor a readable schema file in the spine"
                                    ),
                                )
                                .internal(),
                            );
                            continue;
                        }
                    }
                }
            };
            match Glob::new(&m.glob) {
                Ok(g) => mappings.push(Mapping {
                    repo,
                    glob: g.compile_matcher(),
                    glob_text: m.glob.clone(),
                    schema,
                }),
                Err(e) => problems.push(
                    Finding::new(
                        "config/invalid",
                        Severity::Error,
                        Location::file(RepoId::Spine, crate::config::CONFIG_FILE),
                        format!("schema glob `{}` is invalid: {e}", m.glob),
                    )
                    .internal(),
                ),
            }
        }
        if let Some(index) = BUILTIN.get_file("index.yaml") {
            let doc = Document::parse(
                RepoId::Spine,
                "<builtin>/schemas/index.yaml",
                index.contents(),
            );
            let entries: Vec<IndexEntry> = doc
                .value()
                .cloned()
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default();
            for e in entries {
                if let (Some(repo), Ok(g)) = (RepoId::parse(&e.repo), Glob::new(&e.glob)) {
                    mappings.push(Mapping {
                        repo,
                        glob: g.compile_matcher(),
                        glob_text: e.glob,
                        schema: Some(e.schema),
                    });
                }
            }
        }
        SchemaStore {
            schemas,
            by_uri: Arc::new(by_uri),
            mappings,
            problems,
        }
    }

    /// Schema id for a file, if any mapping matches.
    pub fn schema_for(&self, repo: RepoId, path: &str) -> Option<&str> {
        self.mappings
            .iter()
            .find(|m| m.repo == repo && m.glob.is_match(path))
            .and_then(|m| m.schema.as_deref())
    }

    /// Built-in schema ids, sorted.
    pub fn ids(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.schemas.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// (repo, glob, schema) rows of the mapping, in match order.
    pub fn mapping_rows(&self) -> Vec<(RepoId, &str, Option<&str>)> {
        self.mappings
            .iter()
            .map(|m| (m.repo, m.glob_text.as_str(), m.schema.as_deref()))
            .collect()
    }

    pub fn schema_value(&self, id: &str) -> Option<&Value> {
        self.schemas.get(id).map(|e| &e.value)
    }

    fn validator(&self, id: &str) -> Result<Arc<Validator>, String> {
        let entry = self
            .schemas
            .get(id)
            .ok_or_else(|| format!("unknown schema `{id}`"))?;
        entry
            .compiled
            .get_or_init(|| {
                jsonschema::draft202012::options()
                    .should_validate_formats(true)
                    .with_retriever(Embedded(self.by_uri.clone()))
                    .with_base_uri(ID_BASE)
                    .build(&entry.value)
                    .map(Arc::new)
                    .map_err(|e| format!("{} does not compile: {e}", entry.origin))
            })
            .clone()
    }

    /// Validates one document against schema `id`.
    pub fn validate(&self, id: &str, doc: &Document) -> Vec<Finding> {
        let code = format!("schema/{id}");
        let validator = match self.validator(id) {
            Ok(v) => v,
            Err(e) => {
                return vec![Finding::new(
                    "config/schema",
                    Severity::Error,
                    Location::file(doc.repo, &doc.path),
                    format!("schema `{id}` cannot be used: {e}"),
                )
                .with_subject(format!("schema:{id}"))
                .internal()]
            }
        };
        let mut out = Vec::new();
        if doc.docs.len() > 1 {
            let d = &doc.docs[1];
            out.push(
                Finding::new(
                    "parse/multi-document",
                    Severity::Error,
                    Location::at(doc.repo, &doc.path, doc.span(d.start, d.start)),
                    format!(
                        "{} YAML documents in one file, but schema `{id}` expects one; only the first was checked",
                        doc.docs.len()
                    ),
                )
                .with_help("remove the extra `---` documents or split them into their own files"),
            );
        }
        let Some(value) = doc.value() else {
            return out;
        };
        for err in validator.iter_errors(value) {
            let ptr = err.instance_path().as_str().to_string();
            let (loc, field, what) = match err.kind() {
                ValidationErrorKind::Required { property } => {
                    let name = property.as_str().unwrap_or_default().to_string();
                    (
                        doc.location(&ptr),
                        name.clone(),
                        format!("required field `{name}` is missing"),
                    )
                }
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    let first = unexpected.first().cloned().unwrap_or_default();
                    (
                        doc.location(&format!(
                            "{ptr}/{}",
                            crate::documents::pointer_escape(&first)
                        )),
                        first.clone(),
                        format!("unexpected field(s) {}", quote_list(unexpected)),
                    )
                }
                _ => (
                    doc.value_location(&ptr),
                    pointer_tokens(&ptr).last().cloned().unwrap_or_default(),
                    describe(&err),
                ),
            };
            let (context, subject_path) = context_of(value, &ptr);
            let message = if field.is_empty() || what.contains(&format!("`{field}`")) {
                format!("{context}: {what}")
            } else {
                format!("{context}: `{field}` {what}")
            };
            let help = schema_help(self.schema_value(id), err.schema_path().as_str())
                .unwrap_or_else(|| format!("see schema `{id}` (`driftgate explain {code}`)"));
            let mut subject = subject_path;
            if !field.is_empty() && !subject.ends_with(&field) {
                subject = format!("{subject}.{field}");
            }
            out.push(
                Finding::new(code.clone(), Severity::Error, loc, message)
                    .with_help(help)
                    .with_subject(subject),
            );
        }
        out
    }

    /// Validates every mapped file of the workspace, in parallel.
    /// `only`: restrict to these (repo, path) pairs (staged mode).
    pub fn check_workspace(
        &self,
        ws: &Workspace,
        only: Option<&std::collections::HashSet<(RepoId, String)>>,
    ) -> (Vec<Finding>, std::collections::BTreeSet<String>) {
        let jobs: Vec<(RepoId, &str, &str)> = ws
            .repos
            .iter()
            .flat_map(|r| {
                r.paths()
                    .filter(move |p| only.is_none_or(|o| o.contains(&(r.id, p.to_string()))))
                    .filter_map(move |p| self.schema_for(r.id, p).map(|s| (r.id, p, s)))
            })
            .collect();
        let used = jobs.iter().map(|(_, _, s)| s.to_string()).collect();
        let findings = jobs
            .par_iter()
            .flat_map_iter(|(repo, path, schema)| match ws.doc(*repo, path) {
                Some(doc) => self.validate(schema, &doc),
                None => Vec::new(),
            })
            .collect();
        (findings, used)
    }
}

fn quote_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A short, user-facing description of a validation error.
fn describe(err: &jsonschema::ValidationError<'_>) -> String {
    let instance = err.instance();
    let shown = match instance.as_ref() {
        Value::String(s) => format!("`{s}`"),
        Value::Object(_) => "a mapping".to_string(),
        Value::Array(_) => "a list".to_string(),
        other => format!("`{other}`"),
    };
    match err.kind() {
        ValidationErrorKind::Enum { options } => {
            let opts = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                        .collect::<Vec<_>>()
                        .join("|")
                })
                .unwrap_or_default();
            format!("is {shown}, not one of {opts}")
        }
        ValidationErrorKind::Format { format } => format!("is {shown}, not a valid {format}"),
        ValidationErrorKind::Type { kind } => format!("is {shown}, expected {}", type_words(kind)),
        ValidationErrorKind::Pattern { pattern } => {
            format!("is {shown}, which does not match `{pattern}`")
        }
        _ => {
            let mut s = err.to_string();
            if s.len() > 300 {
                s.truncate(300);
                s.push('…');
            }
            s
        }
    }
}

fn type_words(kind: &jsonschema::error::TypeKind) -> String {
    match kind {
        jsonschema::error::TypeKind::Single(t) => format!("{t}"),
        jsonschema::error::TypeKind::Multiple(ts) => ts
            .iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

const IDENTITY_KEYS: &[&str] = &[
    "id", "vmid", "name", "hostname", "stack_id", "unit_id", "target", "phase",
];

/// Human context (`VM 215 (immich)` style) and a stable subject path
/// (`vms[id=215]`) for an instance pointer.
pub fn context_of(root: &Value, pointer: &str) -> (String, String) {
    let mut node = root;
    let mut subject = String::new();
    let mut context = String::new();
    let toks = pointer_tokens(pointer);
    let last = toks.len().saturating_sub(1);
    for (i, tok) in toks.into_iter().enumerate() {
        let next = match node {
            Value::Array(items) => tok.parse::<usize>().ok().and_then(|i| items.get(i)),
            Value::Object(m) => m.get(&tok),
            _ => None,
        };
        let Some(next) = next else { break };
        if let Value::Array(_) = node {
            let ident = IDENTITY_KEYS.iter().find_map(|k| {
                next.get(*k)
                    .filter(|v| v.is_string() || v.is_number())
                    .map(|v| (*k, v))
            });
            match ident {
                Some((k, v)) => {
                    let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                    subject.push_str(&format!("[{k}={v}]"));
                    let label = next
                        .get("hostname")
                        .or_else(|| next.get("name"))
                        .and_then(Value::as_str)
                        .filter(|l| *l != v);
                    context = match label {
                        Some(l) => format!("{k} {v} ({l})"),
                        None => format!("{k} {v}"),
                    };
                }
                None => {
                    subject.push_str(&format!("[{tok}]"));
                    context = format!("item {}", tok.parse::<usize>().map_or(0, |i| i + 1));
                }
            }
        } else {
            if !subject.is_empty() {
                subject.push('.');
            }
            subject.push_str(&tok);
            if i < last && matches!(next, Value::Object(_) | Value::Array(_)) {
                context = format!("`{tok}`");
            }
        }
        node = next;
    }
    if context.is_empty() {
        context = "document".into();
    }
    if subject.is_empty() {
        subject = "(root)".into();
    }
    (context, subject)
}

/// The `description` of the schema node that failed, for the fix hint.
fn schema_help(schema: Option<&Value>, schema_path: &str) -> Option<String> {
    let schema = schema?;
    let mut toks = pointer_tokens(schema_path);
    toks.pop(); // the failing keyword itself
    let ptr: String = toks
        .iter()
        .map(|t| format!("/{}", crate::documents::pointer_escape(t)))
        .collect();
    schema
        .pointer(&ptr)
        .and_then(|n| n.get("description"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_names_list_items_by_identity() {
        let v = serde_json::json!({"vms": [{"id": 1}, {"id": 215, "hostname": "immich", "status": "x"}]});
        let (ctx, subj) = context_of(&v, "/vms/1/status");
        assert_eq!(ctx, "id 215 (immich)");
        assert_eq!(subj, "vms[id=215].status");
    }

    #[test]
    fn context_of_map_entries_uses_keys() {
        let v = serde_json::json!({"services": {"grafana": {"port": "x"}}});
        let (ctx, subj) = context_of(&v, "/services/grafana/port");
        assert_eq!(ctx, "`grafana`");
        assert_eq!(subj, "services.grafana.port");
    }
}
