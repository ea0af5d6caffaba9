//! The texts of `driftgate gates` (the catalogue listing) and `driftgate
//! explain CODE`. Functions here return Strings; the command line prints.

use super::catalogue::{self, Catalogue, Gate};
use super::{normalize_id, Implementation};
use crate::findings::CheckStatus;
use serde::Deserialize;
use serde_json::{json, Value};

fn kind_detail(g: &Gate) -> String {
    match &g.meta.implementation {
        Implementation::Rule(r) => format!(
            "rule ({})",
            r.get("kind").and_then(Value::as_str).unwrap_or("?")
        ),
        Implementation::Native(n) => format!("native ({n})"),
        Implementation::Exec(e) => format!("exec ({})", e.command.join(" ")),
    }
}

fn status_word(g: &Gate) -> String {
    match &g.preset {
        None => "active".into(),
        Some(CheckStatus::Skipped(why)) => format!("skipped: {why}"),
        Some(CheckStatus::Errored(why)) => format!("invalid: {why}"),
        Some(CheckStatus::Ran) => "active".into(),
    }
}

/// The catalogue listing: a table, or a JSON array with `json`.
pub fn listing(cat: &Catalogue, json: bool) -> String {
    let mut out = String::new();
    if json {
        let rows: Vec<Value> = cat
            .gates
            .iter()
            .map(|g| {
                json!({
                    "id": g.meta.id,
                    "name": g.meta.name,
                    "category": g.meta.category,
                    "gate_class": g.meta.gate_class,
                    "severity": g.meta.severity,
                    "ring": g.meta.ring,
                    "kind": g.kind(),
                    "inputs": g.meta.inputs.iter().map(|i| i.describe()).collect::<Vec<_>>(),
                    "warn_only": g.meta.warn_only,
                    "description": g.meta.description,
                    "origin": g.meta.origin,
                    "status": status_word(g),
                })
            })
            .collect();
        out = serde_json::to_string_pretty(&rows).unwrap_or_default();
        out.push('\n');
    } else {
        let w_name = cat
            .gates
            .iter()
            .map(|g| g.meta.name.chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        out.push_str(&format!(
            "{:<6} {:<w_name$} {:<8} {:<8} {:<6} INPUTS\n",
            "ID", "NAME", "SEVERITY", "RING", "KIND"
        ));
        for g in &cat.gates {
            let mut inputs = g.meta.input_patterns().join(", ");
            if let (true, Implementation::Exec(e)) = (inputs.is_empty(), &g.meta.implementation) {
                let cmd = e.command.join(" ");
                if !cmd.trim().is_empty() {
                    inputs = format!("(runs {cmd})");
                }
            }
            if let Some(CheckStatus::Skipped(why)) | Some(CheckStatus::Errored(why)) = &g.preset {
                inputs = format!("({why}) {inputs}").trim_end().to_string();
            }
            out.push_str(&format!(
                "{:<6} {:<w_name$} {:<8} {:<8} {:<6} {}\n",
                g.meta.id,
                g.meta.name,
                g.meta.severity,
                g.meta.ring,
                g.kind(),
                inputs.trim_end()
            ));
        }
        out.push_str(&format!("{} gates\n", cat.gates.len()));
    }
    out
}

#[derive(Debug, Deserialize)]
struct CodeEntry {
    code: String,
    title: String,
    checks: String,
    why: String,
    fix: String,
    example: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CodeFile {
    codes: Vec<CodeEntry>,
}

fn codes() -> Vec<CodeEntry> {
    catalogue::builtin_file("codes.yaml")
        .map(|text| {
            crate::documents::Document::parse(
                crate::findings::RepoId::Spine,
                "<builtin>/gates/codes.yaml",
                text.as_bytes(),
            )
        })
        .and_then(|d| d.value().cloned())
        .and_then(|v| serde_json::from_value::<CodeFile>(v).ok())
        .map(|c| c.codes)
        .unwrap_or_default()
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("  {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text `explain` prints for a gate.
pub fn explain_gate(g: &Gate) -> String {
    let m = &g.meta;
    let mut s = format!(
        "{} {}\n  severity {}{}, ring {}, class {}, category {}\n  implemented as {}; defined in {}\n",
        m.id,
        m.name,
        m.severity,
        if m.warn_only { " (warn only)" } else { "" },
        m.ring,
        m.gate_class,
        m.category,
        kind_detail(g),
        m.origin
    );
    if let Some(CheckStatus::Skipped(why)) | Some(CheckStatus::Errored(why)) = &g.preset {
        s.push_str(&format!("  status: {why}\n"));
    }
    if let Some(e) = super::classes::embedded().get(&m.id) {
        let runtime_exec = e.class == super::classes::Class::Runtime
            && matches!(m.implementation, Implementation::Exec(_));
        s.push_str(&format!(
            "  registry script: {} ({}){}\n",
            e.class.as_str(),
            e.evidence(),
            if runtime_exec {
                "; runs only with --runtime"
            } else {
                ""
            }
        ));
    }
    s.push_str(&format!("\nWhat it checks\n{}\n", indent(&m.description)));
    if let Some(w) = &m.why {
        s.push_str(&format!("\nWhy\n{}\n", indent(w)));
    }
    if !m.inputs.is_empty() {
        let mut lines: Vec<String> = m.inputs.iter().map(|i| i.describe()).collect();
        lines.push(
            "(a required input that is missing, refused or does not parse skips the gate)".into(),
        );
        s.push_str(&format!("\nInputs\n{}\n", indent(&lines.join("\n"))));
    }
    if !m.differs_from_script.is_empty() {
        let lines: Vec<String> = m
            .differs_from_script
            .iter()
            .map(|d| format!("- {d}"))
            .collect();
        s.push_str(&format!(
            "\nDiffers from the registry script (declared)\n{}\n",
            indent(&lines.join("\n"))
        ));
    }
    if !m.script_history.is_empty() {
        let lines: Vec<String> = m
            .script_history
            .iter()
            .map(|c| format!("- before spine commit {}: {}", c.until, c.note))
            .collect();
        s.push_str(&format!(
            "\nOlder versions of the registry script (declared)\n{}\n",
            indent(&lines.join("\n"))
        ));
    }
    if let Some(f) = &m.fix_hint {
        s.push_str(&format!("\nFix\n{}\n", indent(f)));
    }
    if let Some(e) = &m.example {
        s.push_str(&format!("\nFailing example\n{}\n", indent(e)));
    }
    s
}

/// The text `explain` prints for a built-in code, if it is one.
pub fn explain_code(code: &str) -> Option<String> {
    let all = codes();
    let lower = code.trim().to_ascii_lowercase();
    let entry = all.iter().find(|c| c.code == lower).or_else(|| {
        let family = lower.split('/').next().unwrap_or_default();
        all.iter().find(|c| c.code == format!("{family}/*"))
    })?;
    let mut s = format!("{lower} — {}\n", entry.title);
    if let Some(id) = lower.strip_prefix("schema/") {
        let store = crate::schema::SchemaStore::load(&[], None);
        let Some(schema) = store.schema_value(id) else {
            return Some(format!(
                "{s}\n`{id}` is not a built-in schema. Built-in: {}\n",
                store.ids().join(", ")
            ));
        };
        if let Some(d) = schema
            .get("description")
            .or_else(|| schema.get("title"))
            .and_then(Value::as_str)
        {
            s.push_str(&format!("\nSchema\n{}\n", indent(d)));
        }
        let globs: Vec<String> = store
            .mapping_rows()
            .into_iter()
            .filter(|(_, _, sch)| *sch == Some(id))
            .map(|(repo, glob, _)| format!("{repo}:{glob}"))
            .collect();
        if !globs.is_empty() {
            s.push_str(&format!("\nApplies to\n{}\n", indent(&globs.join("\n"))));
        }
    }
    s.push_str(&format!("\nWhat it checks\n{}\n", indent(&entry.checks)));
    s.push_str(&format!("\nWhy\n{}\n", indent(&entry.why)));
    s.push_str(&format!("\nFix\n{}\n", indent(&entry.fix)));
    if let Some(e) = &entry.example {
        s.push_str(&format!("\nFailing example\n{}\n", indent(e)));
    }
    Some(s)
}

/// The text `explain` prints for a gate id (`D69`, `d069`) or a built-in
/// code; None when it is neither. A gate that is not embedded is looked up
/// in `spine_catalogue` (gates_dir or registry of the spine), which is only
/// loaded then.
pub fn explain(code: &str, spine_catalogue: impl FnOnce() -> Catalogue) -> Option<String> {
    match normalize_id(code) {
        Some(id) => match catalogue::builtin().get(&id) {
            Some(g) => Some(explain_gate(g)),
            None => spine_catalogue().get(&id).map(explain_gate),
        },
        None => explain_code(code),
    }
}

/// What `explain` says about a code it does not know.
pub fn unknown(code: &str) -> String {
    format!(
        "unknown gate or code `{code}` (`driftgate gates` lists the gates; codes: parse/*, schema/*, io/*, config/*, waiver/*, workspace/*, internal/*)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_family_in_use_is_explained() {
        for code in [
            "parse/syntax",
            "parse/duplicate-key",
            "schema/vm.lifecycle",
            "io/too-large",
            "config",
            "config/gate",
            "config/invalid",
            "waiver/expired",
            "waiver/unused",
            "workspace/missing-repo",
            "internal/panic",
        ] {
            assert!(explain_code(code).is_some(), "{code} has no explanation");
        }
        assert!(explain_code("nonsense/x").is_none());
        let s = explain_code("schema/vm.lifecycle").unwrap();
        assert!(s.contains("Applies to"), "{s}");
    }

    #[test]
    fn explain_loads_the_spine_catalogue_only_for_unknown_gates() {
        let mut loaded = false;
        let t = explain("d086", || {
            loaded = true;
            Catalogue::default()
        });
        assert!(t.is_some_and(|t| t.starts_with("D86 ")));
        assert!(!loaded, "an embedded gate needs no spine");
        assert!(explain("D9999", || {
            loaded = true;
            Catalogue::default()
        })
        .is_none());
        assert!(loaded);
        assert!(explain("parse/syntax", Catalogue::default).is_some());
        assert!(unknown("x/y").contains("`x/y`"));
    }

    #[test]
    fn listing_has_a_header_and_a_count() {
        let cat = catalogue::builtin();
        let text = listing(&cat, false);
        assert!(text.starts_with("ID "), "{text}");
        assert!(text.ends_with(&format!("{} gates\n", cat.gates.len())));
        let rows: Vec<Value> = serde_json::from_str(&listing(&cat, true)).expect("json");
        assert_eq!(rows.len(), cat.gates.len());
        assert!(rows
            .iter()
            .all(|r| r["ring"].is_string() && r["severity"].is_string()));
    }

    #[test]
    fn explain_gate_prints_every_section() {
        let cat = catalogue::builtin();
        let g = cat.get("D86").expect("D86 in the catalogue");
        let s = explain_gate(g);
        for section in ["What it checks", "Why", "Inputs", "Fix", "Failing example"] {
            assert!(s.contains(section), "{section} missing in:\n{s}");
        }
    }
}

#[cfg(test)]
mod differs_tests {
    use super::*;

    #[test]
    fn declared_script_differences_are_explained() {
        let mut g = catalogue::builtin()
            .gates
            .into_iter()
            .find(|g| g.meta.id == "D86")
            .expect("D86");
        assert!(!explain_gate(&g).contains("Differs from the registry script"));
        g.meta.differs_from_script = vec!["skips decommissioned VMs".into()];
        let s = explain_gate(&g);
        assert!(
            s.contains("Differs from the registry script (declared)\n  - skips decommissioned VMs"),
            "{s}"
        );
    }
}

#[cfg(test)]
mod class_tests {
    use super::*;

    #[test]
    fn a_registry_gates_class_is_explained() {
        let mut g = catalogue::builtin()
            .gates
            .into_iter()
            .find(|g| g.meta.id == "D58")
            .expect("D58");
        let text = explain_gate(&g);
        assert!(
            text.contains("registry script: static (only spine files)\n"),
            "{text}"
        );
        // a runtime gate run by its script says when it runs
        g.meta.id = "D62".into();
        g.meta.implementation = Implementation::Exec(crate::gates::ExecSpec::default());
        let text = explain_gate(&g);
        assert!(
            text.contains("registry script: runtime (reads git-branches, git-status); runs only with --runtime"),
            "{text}"
        );
    }
}
