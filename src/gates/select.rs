//! Which gates run: `--select`, `--ignore`, `--ring`, and the affected-paths
//! filter of pre-commit mode.
//!
//! Selector words (case-insensitive, comma-separated on the CLI):
//! - an id: `D69`, `d069` → exactly that gate (`D1` is D1, not D1x);
//! - a prefix with `*`: `D1*` → D1, D10..D19, D100..; `D*` → every gate;
//! - anything else: a category (`infra-hygiene`) or a gate name
//!   (`vm-creation-governance-lock`).
//!
//! `--ignore` wins over `--select`. Rings are cumulative: `instant` ⊂
//! `standard` ⊂ `deep`; a gate whose ring is above `--ring` is skipped.

use super::{normalize_id, GateMeta, GateOptions};
use crate::vocab::Ring;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

#[derive(Debug, Clone, PartialEq)]
enum Sel {
    Id(String),
    Prefix(String),
    Word(String),
}

impl Sel {
    fn parse(s: &str) -> Option<Sel> {
        let t = s.trim();
        if t.is_empty() {
            return None;
        }
        if let Some(p) = t.strip_suffix('*') {
            let up = p.to_ascii_uppercase();
            // `D1*`: digits after D compare textually, without leading zeros.
            if let Some(digits) = up.strip_prefix('D') {
                if digits.chars().all(|c| c.is_ascii_digit()) {
                    let trimmed = digits.trim_start_matches('0');
                    let digits = if trimmed.is_empty() && !digits.is_empty() {
                        "0"
                    } else {
                        trimmed
                    };
                    return Some(Sel::Prefix(format!("D{digits}")));
                }
            }
            return Some(Sel::Prefix(up));
        }
        match normalize_id(t) {
            Some(id) => Some(Sel::Id(id)),
            None => Some(Sel::Word(t.to_ascii_lowercase())),
        }
    }

    fn matches(&self, g: &GateMeta) -> bool {
        match self {
            Sel::Id(id) => g.id == *id,
            Sel::Prefix(p) => g.id.to_ascii_uppercase().starts_with(p.as_str()),
            Sel::Word(w) => g.category.eq_ignore_ascii_case(w) || g.name.eq_ignore_ascii_case(w),
        }
    }
}

pub struct Selection {
    select: Vec<(String, Sel)>,
    ignore: Vec<(String, Sel)>,
    ring: Option<Ring>,
    affected: Option<Vec<String>>,
    affected_only: bool,
}

impl Selection {
    /// Builds the selection.
    pub fn new(opts: &GateOptions) -> Selection {
        let words = |v: &[String]| -> Vec<(String, Sel)> {
            v.iter()
                .flat_map(|s| s.split(','))
                .filter_map(|s| Sel::parse(s).map(|sel| (s.trim().to_string(), sel)))
                .collect()
        };
        Selection {
            select: words(&opts.select),
            ignore: words(&opts.ignore),
            ring: opts.ring,
            affected: opts.affected.clone(),
            affected_only: opts.affected_only,
        }
    }

    /// None: run the gate. Some(reason): skip it.
    pub fn skip_reason(&self, g: &GateMeta) -> Option<String> {
        if let Some((word, _)) = self.ignore.iter().find(|(_, s)| s.matches(g)) {
            return Some(format!("not selected (--ignore {word})"));
        }
        if !self.select.is_empty() && !self.select.iter().any(|(_, s)| s.matches(g)) {
            return Some("not selected".into());
        }
        if let Some(ring) = self.ring {
            if g.ring > ring {
                return Some(format!(
                    "not selected (ring {} is above --ring {ring})",
                    g.ring
                ));
            }
        }
        if let Some(paths) = &self.affected {
            if g.inputs.is_empty() {
                if self.affected_only {
                    return Some("not selected (declares no inputs)".into());
                }
            } else if !inputs_match(&g.input_patterns(), paths) {
                return Some("not selected (none of its inputs changed)".into());
            }
        }
        None
    }

    /// Selector words that matched no gate (likely typos).
    pub fn unused<'a>(&'a self, gates: &[&GateMeta]) -> Vec<&'a str> {
        self.select
            .iter()
            .chain(self.ignore.iter())
            .filter(|(_, s)| !gates.iter().any(|g| s.matches(g)))
            .map(|(w, _)| w.as_str())
            .collect()
    }
}

/// Do repo-qualified input globs match any of `repo:path`?
pub fn inputs_match(inputs: &[String], paths: &[String]) -> bool {
    let set: GlobSet = {
        let mut b = GlobSetBuilder::new();
        for i in inputs {
            if let Ok(g) = GlobBuilder::new(i).literal_separator(true).build() {
                b.add(g);
            }
        }
        match b.build() {
            Ok(s) => s,
            Err(_) => return true,
        }
    };
    paths.iter().any(|p| {
        if p.contains(':') {
            set.is_match(p)
        } else {
            set.is_match(format!("spine:{p}"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gates::tests_support::gate_cx;

    fn g(id: &str, cat: &str, ring: &str) -> GateMeta {
        let mut m = gate_cx(id);
        m.category = cat.into();
        m.ring = Ring::parse(ring).expect("a ring");
        m.name = format!("{}-name", id.to_lowercase());
        m
    }

    fn sel(select: &[&str], ignore: &[&str], ring: Option<&str>) -> Selection {
        Selection::new(&GateOptions {
            select: select.iter().map(|s| s.to_string()).collect(),
            ignore: ignore.iter().map(|s| s.to_string()).collect(),
            ring: ring.map(|r| Ring::parse(r).expect("a ring")),
            ..Default::default()
        })
    }

    #[test]
    fn ids_prefixes_categories_and_names() {
        let gates = [
            g("D1", "a", "instant"),
            g("D10", "a", "standard"),
            g("D100", "b", "deep"),
            g("D69", "infra-hygiene", "standard"),
        ];
        let run = |s: &Selection| -> Vec<&str> {
            gates
                .iter()
                .filter(|m| s.skip_reason(m).is_none())
                .map(|m| m.id.as_str())
                .collect()
        };
        assert_eq!(run(&sel(&["d069"], &[], None)), vec!["D69"]);
        assert_eq!(run(&sel(&["D1"], &[], None)), vec!["D1"]);
        assert_eq!(run(&sel(&["D1*"], &[], None)), vec!["D1", "D10", "D100"]);
        assert_eq!(run(&sel(&["D01*"], &[], None)), vec!["D1", "D10", "D100"]);
        assert_eq!(run(&sel(&["INFRA-hygiene"], &[], None)), vec!["D69"]);
        assert_eq!(run(&sel(&["d10-name"], &[], None)), vec!["D10"]);
        assert_eq!(run(&sel(&["D1*"], &["D10", "b"], None)), vec!["D1"]);
        assert_eq!(run(&sel(&[], &[], Some("instant"))), vec!["D1"]);
        assert_eq!(
            run(&sel(&[], &[], Some("standard"))),
            vec!["D1", "D10", "D69"]
        );
        assert_eq!(run(&sel(&[], &[], Some("deep"))).len(), 4);
        let s = sel(&["D69,nope"], &[], None);
        let refs: Vec<&GateMeta> = gates.iter().collect();
        assert_eq!(s.unused(&refs), vec!["nope"]);
        assert!(s
            .skip_reason(&gates[0])
            .unwrap()
            .starts_with("not selected"));
    }

    #[test]
    fn affected_paths_pick_gates_by_inputs() {
        let mut a = g("D86", "x", "standard");
        a.inputs = vec![crate::gates::inputs::InputDecl::required(
            "spine:ops/bindings/vm.*.yaml",
        )];
        let b = g("D9", "x", "standard");
        let mut s = sel(&[], &[], None);
        s.affected = Some(vec!["spine:ops/bindings/vm.lifecycle.yaml".into()]);
        assert!(s.skip_reason(&a).is_none());
        assert!(
            s.skip_reason(&b).is_none(),
            "no inputs: runs unless affected_only"
        );
        s.affected_only = true;
        assert!(s.skip_reason(&b).is_some());
        s.affected = Some(vec!["docs/x.md".into()]);
        assert!(s.skip_reason(&a).is_some());
    }
}
