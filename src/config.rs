//! `driftgate.yaml` at the spine root: repo paths, selection, schema mapping
//! overrides, waivers, limits. Parsed with the same span-aware reader as the
//! bindings, so a bad key or an expired waiver points at its own line.

use crate::documents::Document;
use crate::findings::{Finding, Location, RepoId, Severity};
use crate::vocab::{FailOn, Ring};
use serde::Deserialize;
use std::sync::Arc;

pub const CONFIG_FILE: &str = "driftgate.yaml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub workbench: Option<String>,
    pub legacy: Option<String>,
    pub fail_on: Option<FailOn>,
    #[serde(default)]
    pub select: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
    pub ring: Option<Ring>,
    pub max_file_bytes: Option<u64>,
    /// Extra or overriding path → schema mappings (first match wins, these
    /// before the built-in ones). `schema: null` turns checking off.
    #[serde(default)]
    pub schemas: Vec<SchemaMapping>,
    /// Directory (in the spine) holding extra gate files.
    pub gates_dir: Option<String>,
    /// Run every gate of the spine's gate.registry.yaml (default: on when present).
    pub registry: Option<bool>,
    /// Run external script gates (default true).
    pub exec: Option<bool>,
    pub exec_timeout_sec: Option<u64>,
    /// Run exec gates without network (`unshare -rn`; default true).
    /// `false` is `--unsandboxed`.
    pub exec_sandbox: Option<bool>,
    /// Run registry gates of class runtime (driftgate's registry classes;
    /// `gate_class: observational` for gates they do not list; default
    /// false). `true` is `--runtime`.
    pub runtime: Option<bool>,
    pub jobs: Option<usize>,
    #[serde(default)]
    pub waivers: Vec<Waiver>,
    /// Parity job configuration (sources, expectations); free-form here,
    /// interpreted by the parity module.
    pub parity: Option<serde_json::Value>,
    /// Options for individual gates, keyed by gate id.
    #[serde(default)]
    pub gate_options: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaMapping {
    pub glob: String,
    #[serde(default = "spine")]
    pub repo: String,
    /// Built-in schema id (`vm.lifecycle`) or a spine path to a schema file.
    pub schema: Option<String>,
}

fn spine() -> String {
    "spine".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    pub gate: String,
    pub subject: Option<String>,
    /// Glob over `repo:path` or `path`.
    pub path: Option<String>,
    pub reason: String,
    pub gap: Option<String>,
    /// `YYYY-MM-DD`
    pub expires: Option<String>,
}

/// The loaded config plus its document (for waiver spans).
#[derive(Debug, Clone, Default)]
pub struct LoadedConfig {
    pub config: Config,
    pub doc: Option<Arc<Document>>,
    pub problems: Vec<Finding>,
}

impl LoadedConfig {
    /// Location of waiver `i` in driftgate.yaml.
    pub fn waiver_location(&self, i: usize) -> Location {
        match &self.doc {
            Some(d) => d.value_location(&format!("/waivers/{i}")),
            None => Location::file(RepoId::Spine, CONFIG_FILE),
        }
    }
}

/// Reads driftgate.yaml from a parsed document. Problems are config errors
/// (exit 2), pointing at the offending key where possible.
pub fn from_document(doc: Arc<Document>) -> LoadedConfig {
    let mut problems: Vec<Finding> = doc
        .problems
        .iter()
        .cloned()
        .map(|mut f| {
            f.internal = true;
            f
        })
        .collect();
    let config = match doc.value() {
        None | Some(serde_json::Value::Null) => Config::default(),
        Some(v) => match serde_json::from_value::<Config>(checked_words(&doc, v, &mut problems)) {
            Ok(c) => c,
            Err(e) => {
                let msg = e.to_string();
                // serde names the unknown field in backticks: point at it.
                let loc = msg
                    .split('`')
                    .nth(1)
                    .map(|k| doc.location(&format!("/{}", crate::documents::pointer_escape(k))))
                    .unwrap_or_else(|| Location::file(doc.repo, &doc.path));
                problems.push(
                    Finding::new(
                        "config/invalid",
                        Severity::Error,
                        loc,
                        format!("invalid {CONFIG_FILE}: {msg}"),
                    )
                    .with_help("see `driftgate explain config` for the keys driftgate.yaml accepts")
                    .internal(),
                );
                Config::default()
            }
        },
    };
    let mut loaded = LoadedConfig {
        config,
        doc: Some(doc),
        problems,
    };
    validate(&mut loaded);
    loaded
}

/// The config value with `fail_on` and `ring` checked: a word that is not
/// one of theirs is a config error at its own line (not serde's message for
/// the whole file), and the key is left out so the rest still loads.
fn checked_words(
    doc: &Document,
    v: &serde_json::Value,
    problems: &mut Vec<Finding>,
) -> serde_json::Value {
    let mut v = v.clone();
    let Some(map) = v.as_object_mut() else {
        return v;
    };
    type Check = fn(&str) -> Result<(), String>;
    let checks: [(&str, Check, &str); 2] = [
        (
            "fail_on",
            |w| w.parse::<FailOn>().map(drop),
            "error, warning, info, never",
        ),
        (
            "ring",
            |w| w.parse::<Ring>().map(drop),
            "instant, standard, deep",
        ),
    ];
    for (key, check, words) in checks {
        let Some(found) = map.get(key) else {
            continue;
        };
        let ok = match found {
            serde_json::Value::String(w) => check(w).is_ok(),
            serde_json::Value::Null => true,
            _ => false,
        };
        if !ok {
            let shown = match found {
                serde_json::Value::String(w) => w.clone(),
                other => other.to_string(),
            };
            problems.push(
                Finding::new(
                    "config/invalid",
                    Severity::Error,
                    doc.value_location(&format!("/{key}")),
                    format!("{key} `{shown}` is not one of {words}"),
                )
                .internal(),
            );
            map.remove(key);
        }
    }
    v
}

fn validate(lc: &mut LoadedConfig) {
    let mut extra = Vec::new();
    for (i, w) in lc.config.waivers.iter().enumerate() {
        if let Some(exp) = &w.expires {
            if chrono::NaiveDate::parse_from_str(exp, "%Y-%m-%d").is_err() {
                extra.push(
                    Finding::new(
                        "config/invalid",
                        Severity::Error,
                        lc.waiver_location(i),
                        format!(
                            "waiver for {}: expires `{exp}` is not a YYYY-MM-DD date",
                            w.gate
                        ),
                    )
                    .internal(),
                );
            }
        }
        if w.subject.is_none() && w.path.is_none() {
            extra.push(
                Finding::new(
                    "config/invalid",
                    Severity::Error,
                    lc.waiver_location(i),
                    format!(
                        "waiver for {} names neither `subject` nor `path`; it would waive every finding of the gate",
                        w.gate
                    ),
                )
                .with_help("add `subject: vm:pve/215` or `path: ops/bindings/x.yaml`")
                .internal(),
            );
        }
    }
    lc.problems.extend(extra);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> LoadedConfig {
        from_document(Arc::new(Document::parse(
            RepoId::Spine,
            CONFIG_FILE,
            text.as_bytes(),
        )))
    }

    #[test]
    fn unknown_key_is_a_config_error_at_its_line() {
        let lc = load("fail_on: error\nwaivrs: []\n");
        assert_eq!(lc.problems.len(), 1);
        assert!(lc.problems[0].internal);
        assert_eq!(lc.problems[0].location.line(), 2);
    }

    #[test]
    fn waiver_needs_subject_or_path_and_a_real_date() {
        let lc = load("waivers:\n  - gate: D52\n    reason: x\n    expires: 2026-13-01\n");
        assert_eq!(lc.problems.len(), 2);
        assert!(lc.problems.iter().all(|p| p.location.line() == 2));
    }

    #[test]
    fn bad_ring_or_fail_on_is_a_config_error_at_its_line() {
        let lc = load("select: [D69]\nring: bogus\nfail_on: sometimes\n");
        let lines: Vec<(usize, &str)> = lc
            .problems
            .iter()
            .map(|p| (p.location.line(), p.message.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                (
                    3,
                    "fail_on `sometimes` is not one of error, warning, info, never"
                ),
                (2, "ring `bogus` is not one of instant, standard, deep"),
            ]
        );
        assert!(lc.problems.iter().all(|p| p.internal));
        // The rest of the file still loads.
        assert_eq!(lc.config.select, ["D69"]);
        assert_eq!(lc.config.ring, None);
        let lc = load("ring: Deep\nfail_on: never\n");
        assert!(lc.problems.is_empty(), "{:?}", lc.problems);
        assert_eq!(lc.config.ring, Some(Ring::Deep));
        assert_eq!(lc.config.fail_on, Some(FailOn::Never));
    }

    #[test]
    fn good_config_loads() {
        let lc = load("workbench: ../wb\nselect: [D69]\nwaivers:\n  - gate: D52\n    subject: vm:pve/215\n    reason: known\n    gap: GAP-OP-12\n    expires: 2027-01-01\n");
        assert!(lc.problems.is_empty(), "{:?}", lc.problems);
        assert_eq!(lc.config.waivers[0].subject.as_deref(), Some("vm:pve/215"));
        assert_eq!(lc.config.workbench.as_deref(), Some("../wb"));
    }
}
