//! `driftgate gates --coverage`: how each gate of the spine's registry
//! runs, with its class (`classes`), and the counts.
//!
//! Modes, decided in this order:
//! - `retired`: retired in the registry (reported as skipped);
//! - `in-process`: driftgate's catalogue implements the id (rule or native);
//! - `inline`: the registry says it runs inside another gate's script;
//! - `runtime`: class `runtime` (or, unknown to the data, `gate_class:
//!   observational`): its script runs only with `--runtime`;
//! - `exec`: its `check_script` runs as an exec gate.

use super::catalogue::Catalogue;
use super::classes::{self, Class, Classes};
use super::Implementation;
use crate::documents::Document;
use crate::model::registry::{registry_gates, REGISTRY};
use crate::vocab::GateClass;
use crate::workspace::Workspace;
use serde_json::{json, Value};
use std::fmt::Write as _;

/// How a registry gate runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    InProcess,
    Exec,
    Runtime,
    Inline,
    Retired,
}

impl Mode {
    pub const ALL: [Mode; 5] = [
        Mode::InProcess,
        Mode::Exec,
        Mode::Runtime,
        Mode::Inline,
        Mode::Retired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::InProcess => "in-process",
            Mode::Exec => "exec",
            Mode::Runtime => "runtime",
            Mode::Inline => "inline",
            Mode::Retired => "retired",
        }
    }
}

/// One registry gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub name: String,
    pub mode: Mode,
    /// None: the classes data does not list the gate.
    pub class: Option<Class>,
    /// `rule (expr)` / `native (name)` for in-process gates.
    pub implementation: Option<String>,
    pub check_script: Option<String>,
    /// The class evidence in words.
    pub evidence: String,
}

/// The coverage of one registry.
#[derive(Debug, Clone)]
pub struct Coverage {
    pub registry: String,
    /// The spine commit the classes data was judged at.
    pub classes_judged_at: String,
    pub rows: Vec<Row>,
}

fn class_word(c: Option<Class>) -> &'static str {
    c.map_or("unknown", Class::as_str)
}

impl Coverage {
    pub fn mode_count(&self, m: Mode) -> usize {
        self.rows.iter().filter(|r| r.mode == m).count()
    }

    pub fn class_count(&self, c: Option<Class>) -> usize {
        self.rows.iter().filter(|r| r.class == c).count()
    }

    /// Active (not retired) gates of class static or cross-repo.
    pub fn static_total(&self) -> usize {
        self.static_rows().count()
    }

    /// Of those, the ones driftgate runs in-process.
    pub fn static_in_process(&self) -> usize {
        self.static_rows()
            .filter(|r| r.mode == Mode::InProcess)
            .count()
    }

    fn static_rows(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| {
            r.mode != Mode::Retired && matches!(r.class, Some(Class::Static | Class::CrossRepo))
        })
    }

    /// The counts lines (also the end of `text`).
    pub fn summary(&self) -> String {
        let modes: Vec<String> = Mode::ALL
            .iter()
            .map(|m| format!("{} {}", m.as_str(), self.mode_count(*m)))
            .collect();
        let classes: Vec<String> = [
            Some(Class::Static),
            Some(Class::CrossRepo),
            Some(Class::Runtime),
            None,
        ]
        .iter()
        .map(|c| format!("{} {}", class_word(*c), self.class_count(*c)))
        .collect();
        let (n, of) = (self.static_in_process(), self.static_total());
        let pct = if of == 0 {
            0.0
        } else {
            n as f64 * 100.0 / of as f64
        };
        format!(
            "{} registry gates\nby mode:  {}\nby class: {}\nin-process: {} of {} active static and cross-repo gates ({pct:.1}%); {} in-process in all\n",
            self.rows.len(),
            modes.join(", "),
            classes.join(", "),
            n,
            of,
            self.mode_count(Mode::InProcess),
        )
    }

    /// The table and the counts.
    pub fn text(&self) -> String {
        let w_name = self
            .rows
            .iter()
            .map(|r| r.name.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 48);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<6} {:<w_name$} {:<10} {:<10} HOW",
            "ID", "NAME", "MODE", "CLASS"
        );
        for r in &self.rows {
            let how = match r.mode {
                Mode::InProcess => r.implementation.clone().unwrap_or_default(),
                Mode::Exec => format!(
                    "{} ({})",
                    r.check_script.as_deref().unwrap_or("no check_script"),
                    r.evidence
                ),
                Mode::Retired => "retired in the registry".to_string(),
                Mode::Runtime | Mode::Inline => r.evidence.clone(),
            };
            let _ = writeln!(
                out,
                "{:<6} {:<w_name$} {:<10} {:<10} {}",
                r.id,
                r.name,
                r.mode.as_str(),
                class_word(r.class),
                how
            );
        }
        out.push('\n');
        let _ = writeln!(
            out,
            "{REGISTRY}: classes from driftgate's data, judged at spine {}",
            if self.classes_judged_at.is_empty() {
                "?"
            } else {
                &self.classes_judged_at
            }
        );
        out.push_str(&self.summary());
        out
    }

    /// The JSON report (`schemas/reports/coverage.schema.json`).
    pub fn json(&self) -> Value {
        let gates: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "name": r.name,
                    "mode": r.mode.as_str(),
                    "class": class_word(r.class),
                    "implementation": r.implementation,
                    "check_script": r.check_script,
                    "evidence": r.evidence,
                })
            })
            .collect();
        let mut modes = serde_json::Map::new();
        for m in Mode::ALL {
            modes.insert(m.as_str().into(), json!(self.mode_count(m)));
        }
        let mut classes = serde_json::Map::new();
        for c in [
            Some(Class::Static),
            Some(Class::CrossRepo),
            Some(Class::Runtime),
            None,
        ] {
            classes.insert(class_word(c).into(), json!(self.class_count(c)));
        }
        json!({
            "registry": self.registry,
            "classes_judged_at": self.classes_judged_at,
            "gates": gates,
            "counts": {
                "total": self.rows.len(),
                "mode": modes,
                "class": classes,
                "static_total": self.static_total(),
                "static_in_process": self.static_in_process(),
            },
        })
    }
}

/// The coverage of a registry document against a catalogue (without the
/// registry imported) and classes data.
pub fn of_registry(doc: &Document, cat: &Catalogue, data: &Classes) -> Coverage {
    let mut rows = Vec::new();
    for rg in registry_gates(doc) {
        let id = rg.id.clone();
        let gate_class = GateClass::or_default(rg.field("gate_class").as_deref());
        let judged = classes::judge(data, &id, &gate_class);
        let implemented = cat.get(&id).and_then(|g| match &g.meta.implementation {
            Implementation::Rule(r) => Some(format!(
                "rule ({})",
                r.get("kind").and_then(Value::as_str).unwrap_or("?")
            )),
            Implementation::Native(n) => Some(format!("native ({n})")),
            Implementation::Exec(_) => None,
        });
        let mode = if rg.retired {
            Mode::Retired
        } else if implemented.is_some() {
            Mode::InProcess
        } else if rg.inline {
            Mode::Inline
        } else if judged.is_runtime() {
            Mode::Runtime
        } else {
            Mode::Exec
        };
        let mut evidence = judged.evidence(&id);
        if mode == Mode::Inline {
            evidence = format!(
                "runs inside {}; {evidence}",
                rg.check_script
                    .as_deref()
                    .unwrap_or("another gate's script")
            );
        }
        rows.push(Row {
            name: rg.name.clone().unwrap_or_default(),
            mode,
            class: judged.class(),
            implementation: implemented,
            check_script: rg.check_script.clone(),
            evidence,
            id,
        });
    }
    rows.sort_by_key(|r| super::catalogue::id_number(&r.id));
    Coverage {
        registry: REGISTRY.to_string(),
        classes_judged_at: data.spine_commit.clone(),
        rows,
    }
}

/// The coverage of the workspace's spine registry (embedded classes data).
pub fn of_workspace(ws: &Workspace, cat: &Catalogue) -> Result<Coverage, String> {
    let doc = ws
        .spine()
        .doc(REGISTRY)
        .ok_or_else(|| format!("the spine has no {REGISTRY}: nothing to cover"))?;
    if doc.has_syntax_error() {
        return Err(format!("{REGISTRY} does not parse"));
    }
    Ok(of_registry(&doc, cat, classes::embedded()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::RepoId;

    #[test]
    fn modes_classes_and_counts() {
        let data = Classes::parse(
            "schema_version: 1\nspine_commit: abc1234\ngates:\n  D1: {class: static, reads: []}\n  D2: {class: runtime, reads: [ssh]}\n  D3: {class: cross-repo, reads: [workbench]}\n  D4: {class: static, reads: []}\n  D58: {class: static, reads: []}\n  D6: {class: static, reads: []}\n",
        )
        .expect("data");
        let doc = Document::parse(
            RepoId::Spine,
            REGISTRY,
            b"gates:\n  - id: D1\n    name: a\n    check_script: s/a.sh\n  - id: D2\n    name: b\n    check_script: s/b.sh\n  - id: D3\n    name: c\n    check_script: s/c.sh\n  - id: D4\n    name: d\n    inline: true\n    check_script: s/all.sh\n  - id: D58\n    name: fresh\n    check_script: s/f.sh\n  - id: D6\n    retired: true\n  - id: D7\n    name: probe\n    gate_class: observational\n    check_script: s/p.sh\n  - id: D8\n    name: new\n    check_script: s/n.sh\n",
        );
        let cat = crate::gates::catalogue::builtin();
        let c = of_registry(&doc, &cat, &data);
        let modes: Vec<(&str, &str, &str)> = c
            .rows
            .iter()
            .map(|r| (r.id.as_str(), r.mode.as_str(), class_word(r.class)))
            .collect();
        assert_eq!(
            modes,
            vec![
                ("D1", "exec", "static"),
                ("D2", "runtime", "runtime"),
                ("D3", "exec", "cross-repo"),
                ("D4", "inline", "static"),
                ("D6", "retired", "static"),
                ("D7", "runtime", "unknown"),
                ("D8", "exec", "unknown"),
                ("D58", "in-process", "static"),
            ]
        );
        assert_eq!(c.static_total(), 4, "D1, D3, D4, D58 (not the retired D6)");
        assert_eq!(c.static_in_process(), 1);
        let s = c.summary();
        assert!(
            s.contains("by mode:  in-process 1, exec 3, runtime 2, inline 1, retired 1"),
            "{s}"
        );
        assert!(
            s.contains("by class: static 4, cross-repo 1, runtime 1, unknown 2"),
            "{s}"
        );
        assert!(
            s.contains("in-process: 1 of 4 active static and cross-repo gates (25.0%)"),
            "{s}"
        );
        let j = c.json();
        assert_eq!(j["counts"]["mode"]["runtime"], 2);
        assert_eq!(j["gates"][7]["implementation"], "native (ssot_freshness)");
    }
}
