//! The gate catalogue: `gates/*.yaml` embedded in the binary, plus the gate
//! files of a spine directory named by `gates_dir` in driftgate.yaml.
//!
//! Each gate file is validated against `gates/gate.schema.json` when it is
//! loaded. A broken gate file becomes a `config/gate` finding at the
//! offending line (internal: exit 2) and the other gates still run.

use super::inputs::InputDecl;
use super::{normalize_id, ExecSpec, GateMeta, Implementation};
use crate::documents::Document;
use crate::findings::{Finding, Location, RepoId, Severity};
use crate::vocab::{GateClass, GateSeverity, Ring};
use crate::workspace::Workspace;
use jsonschema::Validator;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

// `BUILTIN_FILES`: every `gates/*/gate.yaml`, `gate.schema.json`,
// `codes.yaml` and `registry.classes.yaml`, embedded by build.rs (the fixtures beside them are not).
include!(concat!(env!("OUT_DIR"), "/catalogue.rs"));

/// An embedded catalogue file by its path under `gates/`.
pub fn builtin_file(name: &str) -> Option<&'static str> {
    BUILTIN_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// Prefix of the path of an embedded gate file in findings.
pub const BUILTIN_PREFIX: &str = "<builtin>/gates/";

/// One gate of this run, with where it was defined.
#[derive(Debug, Clone)]
pub struct Gate {
    pub meta: GateMeta,
    /// The gate file (for spans of config errors); None for registry-only gates.
    pub doc: Option<Arc<Document>>,
    /// The gate's definition: the gate file, or its gate.registry.yaml entry.
    pub defined_at: Location,
    /// Decided before selection: retired/inline in the registry, or a
    /// definition problem (`Errored`).
    pub preset: Option<crate::findings::CheckStatus>,
    /// The registry entry this gate was matched with, if any.
    pub registry_at: Option<Location>,
}

impl Gate {
    pub fn kind(&self) -> &'static str {
        match self.meta.implementation {
            Implementation::Rule(_) => "rule",
            Implementation::Native(_) => "native",
            Implementation::Exec(_) => "exec",
        }
    }

    /// Location of a pointer inside the gate file (the definition otherwise).
    pub fn location(&self, pointer: &str) -> Location {
        match &self.doc {
            Some(d) => d.location(pointer),
            None => self.defined_at.clone(),
        }
    }
}

#[derive(Debug, Default)]
pub struct Catalogue {
    pub gates: Vec<Gate>,
    pub problems: Vec<Finding>,
}

impl Catalogue {
    pub fn get(&self, id: &str) -> Option<&Gate> {
        self.gates.iter().find(|g| g.meta.id == id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Gate> {
        self.gates.iter_mut().find(|g| g.meta.id == id)
    }

    /// Sorts by gate number.
    pub fn sort(&mut self) {
        self.gates.sort_by_key(|g| id_number(&g.meta.id));
    }

    pub fn ids(&self) -> Vec<String> {
        self.gates.iter().map(|g| g.meta.id.clone()).collect()
    }
}

/// Numeric part of `D69` for ordering (unknown shapes last).
pub fn id_number(id: &str) -> (u64, String) {
    (
        id.trim_start_matches(['D', 'd'])
            .parse::<u64>()
            .unwrap_or(u64::MAX),
        id.to_string(),
    )
}

fn schema() -> &'static Result<Validator, String> {
    static V: OnceLock<Result<Validator, String>> = OnceLock::new();
    V.get_or_init(|| {
        let file = builtin_file("gate.schema.json")
            .ok_or_else(|| "gates/gate.schema.json is not embedded".to_string())?;
        let v: Value = serde_json::from_str(file).map_err(|e| e.to_string())?;
        jsonschema::draft202012::options()
            .build(&v)
            .map_err(|e| e.to_string())
    })
}

/// The embedded catalogue only.
pub fn builtin() -> Catalogue {
    let mut cat = Catalogue::default();
    for (name, text) in BUILTIN_FILES {
        if !name.ends_with("/gate.yaml") {
            continue;
        }
        let path = format!("{BUILTIN_PREFIX}{name}");
        let doc = Arc::new(Document::parse(RepoId::Spine, &path, text.as_bytes()));
        add(&mut cat, doc, path);
    }
    cat.sort();
    cat
}

/// Embedded gates plus the spine's `gates_dir` (if configured).
pub fn load(ws: Option<&Workspace>, gates_dir: Option<&str>) -> Catalogue {
    let mut cat = builtin();
    if let (Some(ws), Some(dir)) = (ws, gates_dir) {
        let prefix = format!("{}/", dir.trim_end_matches('/').trim_start_matches("./"));
        let spine = ws.spine();
        let paths: Vec<String> = spine
            .paths()
            .filter(|p| {
                p.starts_with(&prefix)
                    && !p[prefix.len()..].contains('/')
                    && (p.ends_with(".yaml") || p.ends_with(".yml"))
            })
            .map(str::to_string)
            .collect();
        if paths.is_empty() && !spine.paths().any(|p| p.starts_with(&prefix)) {
            cat.problems.push(
                Finding::new(
                    "config/gate",
                    Severity::Warning,
                    Location::file(RepoId::Spine, crate::config::CONFIG_FILE),
                    format!("gates_dir `{dir}` holds no gate files"),
                )
                .with_subject(format!("file:{dir}")),
            );
        }
        for p in paths {
            if let Some(doc) = spine.doc(&p) {
                add(&mut cat, doc, p.clone());
            }
        }
    }
    cat.sort();
    cat
}

fn config_finding(loc: Location, origin: &str, msg: String) -> Finding {
    Finding::new("config/gate", Severity::Error, loc, msg)
        .with_help(format!(
            "fix the gate file {origin}; `driftgate explain config/gate` lists the keys"
        ))
        .with_subject(format!("file:{origin}"))
        .internal()
}

/// Validates and adds one gate file.
fn add(cat: &mut Catalogue, doc: Arc<Document>, origin: String) {
    if let Some(p) = doc.problems.first() {
        let mut f = p.clone();
        f.internal = true;
        f.code = "config/gate".into();
        f.message = format!("gate file does not parse: {}", p.message);
        cat.problems.push(f);
        return;
    }
    let Some(value) = doc.value() else {
        cat.problems.push(config_finding(
            Location::file(doc.repo, &doc.path),
            &origin,
            "gate file is empty".into(),
        ));
        return;
    };
    let impls = ["rule", "native", "exec"]
        .iter()
        .filter(|k| value.get(**k).is_some())
        .count();
    let mut bad = false;
    if impls != 1 {
        bad = true;
        cat.problems.push(config_finding(
            doc.location(""),
            &origin,
            format!("a gate needs exactly one of `rule`, `native` or `exec` (found {impls})"),
        ));
    }
    match schema() {
        Ok(v) => {
            for err in v.iter_errors(value) {
                if err.schema_path().as_str().starts_with("/oneOf") {
                    continue; // reported above, in plain words
                }
                bad = true;
                let ptr = err.instance_path().as_str().to_string();
                let loc = match err.kind() {
                    jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                        let first = unexpected.first().cloned().unwrap_or_default();
                        doc.location(&format!(
                            "{ptr}/{}",
                            crate::documents::pointer_escape(&first)
                        ))
                    }
                    jsonschema::error::ValidationErrorKind::Required { .. } => doc.location(&ptr),
                    _ => doc.value_location(&ptr),
                };
                let at = if ptr.is_empty() {
                    "gate".to_string()
                } else {
                    format!("`{ptr}`")
                };
                cat.problems
                    .push(config_finding(loc, &origin, format!("{at}: {err}")));
            }
        }
        Err(e) => {
            cat.problems.push(config_finding(
                Location::file(RepoId::Spine, &origin),
                &origin,
                format!("gate schema unusable: {e}"),
            ));
            bad = true;
        }
    }
    let raw_id = value.get("id").and_then(Value::as_str).unwrap_or_default();
    if bad {
        // Keep the gate visible as errored when its id is readable.
        if let Some(id) = normalize_id(raw_id) {
            if cat.get(&id).is_none() {
                let mut meta = meta_from(value, &id, &origin);
                meta.implementation = Implementation::Exec(ExecSpec::default());
                cat.gates.push(Gate {
                    meta,
                    doc: Some(doc.clone()),
                    defined_at: doc.location(""),
                    preset: Some(crate::findings::CheckStatus::Errored(format!(
                        "gate file {origin} is invalid"
                    ))),
                    registry_at: None,
                });
            }
        }
        return;
    }
    let Some(id) = normalize_id(raw_id) else {
        return; // the schema reported it
    };
    if let Some(first) = cat.get(&id) {
        let first_origin = first.meta.origin.clone();
        let first_loc = first.defined_at.clone();
        cat.problems.push(
            config_finding(
                doc.location("/id"),
                &origin,
                format!("gate id {id} is defined twice: here and in {first_origin}"),
            )
            .with_related(first_loc, format!("{id} first defined here")),
        );
        return;
    }
    let meta = meta_from(value, &id, &origin);
    cat.gates.push(Gate {
        meta,
        defined_at: doc.location(""),
        doc: Some(doc),
        preset: None,
        registry_at: None,
    });
}

fn text(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

fn meta_from(v: &Value, id: &str, origin: &str) -> GateMeta {
    let implementation = if let Some(r) = v.get("rule") {
        Implementation::Rule(r.clone())
    } else if let Some(n) = v.get("native").and_then(Value::as_str) {
        Implementation::Native(n.to_string())
    } else {
        let e = v.get("exec");
        Implementation::Exec(ExecSpec {
            command: e
                .and_then(|e| e.get("command"))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            timeout_sec: e.and_then(|e| e.get("timeout_sec")).and_then(Value::as_u64),
        })
    };
    GateMeta {
        id: id.to_string(),
        name: text(v, "name").unwrap_or_default(),
        category: text(v, "category").unwrap_or_else(|| "custom".into()),
        // gate.schema.json has judged these words (a bad one makes the
        // gate errored, reported at its line); defaults stand in for them.
        gate_class: GateClass::or_default(text(v, "gate_class").as_deref()),
        severity: GateSeverity::or_default(text(v, "severity").as_deref()),
        ring: Ring::or_default(text(v, "ring").as_deref()),
        description: text(v, "description").unwrap_or_default(),
        why: text(v, "why"),
        fix_hint: text(v, "fix_hint"),
        differs_from_script: v
            .get("differs_from_script")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(|s| s.trim().to_string())
                    .collect()
            })
            .unwrap_or_default(),
        script_history: v
            .get("script_history")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|e| {
                        Some(super::ScriptChange {
                            until: e.get("until")?.as_str()?.trim().to_string(),
                            note: e.get("note")?.as_str()?.trim().to_string(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default(),
        inputs: v
            .get("inputs")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(InputDecl::from_value).collect())
            .unwrap_or_default(),
        example: text(v, "example"),
        implementation,
        warn_only: v.get("warn_only").and_then(Value::as_bool).unwrap_or(false),
        origin: origin.to_string(),
    }
}

/// Index by id (for lookups in hot paths).
pub fn index(cat: &Catalogue) -> HashMap<&str, usize> {
    cat.gates
        .iter()
        .enumerate()
        .map(|(i, g)| (g.meta.id.as_str(), i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_gate_file_is_valid_and_named_after_its_id() {
        let cat = builtin();
        assert!(cat.problems.is_empty(), "{:#?}", cat.problems);
        for g in &cat.gates {
            let file = g.meta.origin.trim_start_matches(BUILTIN_PREFIX);
            let num: u64 = g.meta.id[1..].parse().unwrap();
            let expected = format!("D{num:03}-{}/gate.yaml", g.meta.name);
            assert_eq!(
                file, expected,
                "gate folder name must be D + 3 digits + name"
            );
            assert!(!g.meta.description.is_empty());
            assert!(g.meta.fix_hint.is_some(), "{} needs a fix_hint", g.meta.id);
            assert!(!g.meta.inputs.is_empty(), "{} needs inputs", g.meta.id);
        }
    }

    fn one(text: &str) -> Catalogue {
        let mut cat = Catalogue::default();
        let doc = Arc::new(Document::parse(
            RepoId::Spine,
            "gates/x.yaml",
            text.as_bytes(),
        ));
        add(&mut cat, doc, "gates/x.yaml".into());
        cat
    }

    #[test]
    fn unknown_key_points_at_its_line() {
        let cat =
            one("id: D900\nname: x\ndescription: d\nseverity: high\nnative: foo\nsevrity: low\n");
        assert_eq!(cat.problems.len(), 1, "{:#?}", cat.problems);
        let p = &cat.problems[0];
        assert_eq!(p.code, "config/gate");
        assert!(p.internal);
        assert_eq!(p.location.line(), 6);
        // The gate stays visible, errored.
        assert!(matches!(
            cat.gates[0].preset,
            Some(crate::findings::CheckStatus::Errored(_))
        ));
    }

    #[test]
    fn two_implementations_or_bad_rule_kind_are_config_errors() {
        let cat = one("id: D900\nname: x\ndescription: d\nseverity: high\nnative: foo\nexec: {command: [x]}\n");
        assert!(cat
            .problems
            .iter()
            .any(|p| p.message.contains("exactly one")));
        let cat = one("id: D901\nname: x\ndescription: d\nseverity: high\nrule:\n  kind: exists_in\n  source: {file: a, items: ., key: .id}\n");
        assert!(!cat.problems.is_empty());
        assert!(
            cat.problems.iter().all(|p| p.location.line() == 5),
            "{:#?}",
            cat.problems
        );
    }

    #[test]
    fn duplicate_ids_are_a_config_error_with_the_first_related() {
        let mut cat = Catalogue::default();
        for (path, text) in [
            (
                "gates/a.yaml",
                "id: D70\nname: a\ndescription: d\nseverity: high\nnative: foo\n",
            ),
            (
                "gates/b.yaml",
                "# second\nid: D070\nname: b\ndescription: d\nseverity: high\nnative: bar\n",
            ),
        ] {
            let doc = Arc::new(Document::parse(RepoId::Spine, path, text.as_bytes()));
            add(&mut cat, doc, path.into());
        }
        assert_eq!(cat.gates.len(), 1);
        assert_eq!(cat.gates[0].meta.name, "a");
        assert_eq!(cat.problems.len(), 1);
        let p = &cat.problems[0];
        assert!(
            p.internal && p.message.contains("D70 is defined twice"),
            "{p:?}"
        );
        assert_eq!(
            (p.location.path.as_str(), p.location.line()),
            ("gates/b.yaml", 2)
        );
        assert_eq!(p.related[0].location.path, "gates/a.yaml");
    }

    #[test]
    fn ids_are_normalised() {
        let cat = one("id: D069\nname: x\ndescription: d\nseverity: high\nnative: foo\n");
        assert!(cat.problems.is_empty(), "{:#?}", cat.problems);
        assert_eq!(cat.gates[0].meta.id, "D69");
        assert_eq!(
            cat.gates[0].meta.implementation,
            Implementation::Native("foo".into())
        );
    }
}
