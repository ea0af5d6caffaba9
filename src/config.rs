//! `driftgate.yaml` at the spine root: repo paths, selection, schema mapping
//! overrides, waivers, limits. Parsed with the same span-aware reader as the
//! bindings, so a bad key or an expired waiver points at its own line.

use crate::documents::Document;
use crate::findings::{Finding, Location, RepoId, Severity};
use serde::Deserialize;
use std::sync::Arc;

pub const CONFIG_FILE: &str = "driftgate.yaml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub workbench: Option<String>,
    pub legacy: Option<String>,
    pub fail_on: Option<String>,
    #[serde(default)]
    pub select: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
    pub ring: Option<String>,
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
        Some(v) => match serde_json::from_value::<Config>(v.clone()) {
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

fn validate(lc: &mut LoadedConfig) {
    let mut extra = Vec::new();
    if let Some(f) = &lc.config.fail_on {
        if Severity::parse(f).is_none() && f != "never" {
            extra.push(
                Finding::new(
                    "config/invalid",
                    Severity::Error,
                    lc.doc
                        .as_ref()
                        .map(|d| d.value_location("/fail_on"))
                        .unwrap_or_else(|| Location::file(RepoId::Spine, CONFIG_FILE)),
                    format!("fail_on `{f}` is not one of error, warning, info, never"),
                )
                .internal(),
            );
        }
    }
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
    fn good_config_loads() {
        let lc = load("workbench: ../wb\nselect: [D69]\nwaivers:\n  - gate: D52\n    subject: vm:pve/215\n    reason: known\n    gap: GAP-OP-12\n    expires: 2027-01-01\n");
        assert!(lc.problems.is_empty(), "{:?}", lc.problems);
        assert_eq!(lc.config.waivers[0].subject.as_deref(), Some("vm:pve/215"));
        assert_eq!(lc.config.workbench.as_deref(), Some("../wb"));
    }
}
