//! D285 entry-surface-gate-metadata-no-manual-drift-lock: the gate metadata
//! block generated from the gate registry is current, in its generated file
//! and in every entry surface. A port of the registry's
//! `d285-entry-surface-gate-metadata-no-manual-drift-lock.sh`, which runs
//! `bin/generators/gen-entry-surface-gate-metadata.sh --check`.
//!
//! `ops/bindings/entry.surface.gate.metadata.contract.yaml` names the
//! `source_registry`, the `generated_file`, the markers and the `surfaces`.
//! The expected block is seven lines: a title line, then `source_registry`,
//! `registry_updated` (the registry's `updated`), `gate_count_total`,
//! `gate_count_active`, `gate_count_retired` (its `gate_count`, 0 when
//! unset) and `max_gate_id` (`D` + the highest numeric gate id). The
//! generated file must be exactly that block; each surface must contain
//! both markers, and its first block (the lines strictly between a line
//! that is exactly the start marker and the next line that is exactly the
//! end marker) must equal it, trailing newlines aside. The generator script
//! must exist and be executable. Every failed check is reported, where the
//! script stops at the first.

use super::common::*;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use serde_json::Value;

pub struct GateMetadata;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: GateMetadata = GateMetadata;

const CONTRACT: &str = "ops/bindings/entry.surface.gate.metadata.contract.yaml";
const GENERATOR: &str = "bin/generators/gen-entry-surface-gate-metadata.sh";
const TITLE: &str = "# ENTRY SURFACE GATE METADATA (generated)";

/// A scalar as `yq -r` prints it (`null` for a missing key).
fn yq_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "null".into(),
        other => text(other).unwrap_or_default(),
    }
}

/// `yq -r '.x // d'`: the default for missing, null and false.
fn or_default(v: Option<&Value>, d: &str) -> String {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => d.into(),
        other => text(other).unwrap_or_default(),
    }
}

/// The highest gate id as `sort -n | tail -1` picks it: by leading number
/// (none counts as 0), ties broken by the text.
fn max_gate(registry: &Value) -> String {
    let mut best: Option<(u64, String)> = None;
    for g in items(Some(registry), "gates") {
        let id = yq_text(g.get("id"));
        let bare = id.strip_prefix('D').unwrap_or(&id).to_string();
        let digits: String = bare.chars().take_while(char::is_ascii_digit).collect();
        let n = digits.parse::<u64>().unwrap_or(0);
        if best.as_ref().is_none_or(|(bn, bs)| (n, &bare) >= (*bn, bs)) {
            best = Some((n, bare));
        }
    }
    best.map(|(_, s)| s).unwrap_or_else(|| "0".into())
}

/// The lines of the first block between exact marker lines (awk with
/// `exit` at the first end marker), trailing newlines dropped.
fn first_block(text: &str, start: &str, end: &str) -> (String, Option<usize>) {
    let mut out = String::new();
    let mut capture = false;
    let mut at = None;
    for (i, line) in text.split('\n').enumerate() {
        if line == start {
            capture = true;
            at.get_or_insert(i + 1);
            continue;
        }
        if line == end {
            if capture {
                break;
            }
            continue;
        }
        if capture {
            out.push_str(line);
            out.push('\n');
        }
    }
    (out.trim_end_matches('\n').to_string(), at)
}

impl NativeGate for GateMetadata {
    fn name(&self) -> &'static str {
        "gate_metadata"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let mut out = Vec::new();
        let spine = cx.inputs.workspace().repo(RepoId::Spine);
        if !spine.is_some_and(|r| r.is_executable(GENERATOR)) {
            out.push(
                cx.finding_at(
                    Location::file(RepoId::Spine, GENERATOR),
                    format!("the generator {GENERATOR} is missing or not executable"),
                )
                .with_subject(format!("file:{GENERATOR}")),
            );
            return Ok(out);
        }
        let Some(contract) = spine_doc(cx, CONTRACT) else {
            out.push(missing_file(
                cx,
                CONTRACT,
                "the generated gate metadata cannot be checked",
            ));
            return Ok(out);
        };
        let c = contract.value().cloned().unwrap_or(Value::Null);
        let registry_rel = yq_text(c.get("source_registry"));
        let gen_rel = yq_text(c.get("generated_file"));
        let start = yq_text(c.get("marker_start"));
        let end = yq_text(c.get("marker_end"));
        let registry = if cx.inputs.has(RepoId::Spine, &registry_rel) {
            spine_doc(cx, &registry_rel)
        } else {
            None
        };
        let Some(registry) = registry else {
            out.push(
                cx.finding(
                    &contract,
                    "/source_registry",
                    format!("the source registry {registry_rel} does not exist"),
                )
                .with_subject(format!("file:{registry_rel}")),
            );
            return Ok(out);
        };
        if let Some(why) = crate::gates::inputs::unusable(&registry) {
            return Err(format!("{registry_rel} {why}"));
        }
        let r = registry.value().cloned().unwrap_or(Value::Null);
        let count = r.get("gate_count");
        let expected = format!(
            "{TITLE}\nsource_registry: {registry_rel}\nregistry_updated: {}\ngate_count_total: {}\ngate_count_active: {}\ngate_count_retired: {}\nmax_gate_id: D{}\n",
            or_default(r.get("updated"), ""),
            or_default(count.and_then(|c| c.get("total")), "0"),
            or_default(count.and_then(|c| c.get("active")), "0"),
            or_default(count.and_then(|c| c.get("retired")), "0"),
            max_gate(&r),
        );
        let help = format!("expected block:\n{expected}");
        let generated = if cx.inputs.has(RepoId::Spine, &gen_rel) {
            spine_doc(cx, &gen_rel)
        } else {
            None
        };
        match generated {
            None => out.push(
                cx.finding(
                    &contract,
                    "/generated_file",
                    format!("the generated file {gen_rel} does not exist (run the generator)"),
                )
                .with_subject(format!("file:{gen_rel}")),
            ),
            Some(g) if *g.text != *expected => {
                let mut f = cx
                    .finding_at(
                        first_difference(&g.text, &expected, &g),
                        format!("{gen_rel} is not what the generator makes from {registry_rel} (run it)"),
                    )
                    .with_subject(format!("file:{gen_rel}"));
                f.help = Some(help.clone());
                out.push(f);
            }
            Some(_) => {}
        }
        let want = expected.trim_end_matches('\n');
        for s in items(Some(&c), "surfaces") {
            let rel = text(Some(s)).unwrap_or_default();
            if rel.is_empty() {
                continue;
            }
            let sdoc = if cx.inputs.has(RepoId::Spine, &rel) {
                spine_doc(cx, &rel)
            } else {
                None
            };
            let Some(sdoc) = sdoc else {
                out.push(
                    cx.finding_at(
                        Location::file(RepoId::Spine, &rel),
                        format!("the entry surface {rel} does not exist"),
                    )
                    .with_subject(format!("file:{rel}")),
                );
                continue;
            };
            if let Some(m) = [&start, &end]
                .into_iter()
                .find(|m| !sdoc.text.contains(m.as_str()))
            {
                out.push(
                    cx.finding_at(
                        line_text_location(&sdoc, 1),
                        format!("{rel} lacks the marker `{m}`"),
                    )
                    .with_subject(format!("file:{rel}")),
                );
                continue;
            }
            let (have, at) = first_block(&sdoc.text, &start, &end);
            if have != want {
                let loc = at
                    .map(|l| line_text_location(&sdoc, l))
                    .unwrap_or_else(|| Location::file(RepoId::Spine, &rel));
                let mut f = cx
                    .finding_at(
                        loc,
                        format!("the gate metadata block of {rel} differs from what the generator makes from {registry_rel}"),
                    )
                    .with_subject(format!("file:{rel}"));
                f.help = Some(help.clone());
                out.push(f);
            }
        }
        Ok(out)
    }
}

/// The first line where `have` and `want` differ, in `doc`.
fn first_difference(have: &str, want: &str, doc: &crate::documents::Document) -> Location {
    let n = have
        .split('\n')
        .zip(want.split('\n'))
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| have.split('\n').count().min(want.split('\n').count()));
    let line = (n + 1).min(doc.lines().line_count().max(1));
    line_text_location(doc, line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_gate_sorts_numerically() {
        let r: Value = serde_json::json!({"gates": [{"id": "D9"}, {"id": "D100"}, {"id": "D99"}]});
        assert_eq!(max_gate(&r), "100");
        assert_eq!(max_gate(&serde_json::json!({})), "0");
    }

    #[test]
    fn first_block_stops_at_the_first_end() {
        let (b, at) = first_block("a\nS\nx\ny\n\nE\nS\nz\nE\n", "S", "E");
        assert_eq!((b.as_str(), at), ("x\ny", Some(2)));
    }

    #[test]
    fn yq_defaults() {
        assert_eq!(or_default(Some(&Value::Bool(false)), "0"), "0");
        assert_eq!(or_default(None, ""), "");
        assert_eq!(yq_text(None), "null");
    }
}
