//! D53 change-pack-integrity-lock: cutover work carries a change pack. A
//! port of the registry's `d53-change-pack-integrity-lock.sh`:
//! - docs/governance/CHANGE_PACK_TEMPLATE.md and
//!   ops/bindings/cutover.sequencing.yaml exist;
//! - every loop scope `mailroom/state/loop-scopes/*CUTOVER*.scope.md` (top
//!   level only) with no line matching `Status.*CLOSED` (any case, as
//!   `grep -qiE`) has a companion `<base>.changepack.md` next to it;
//! - every `mailroom/state/loop-scopes/*.changepack.md` has a line
//!   containing `## <section>` for each required section.

use super::common::*;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use regex::RegexBuilder;

pub struct ChangePacks;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: ChangePacks = ChangePacks;

const TEMPLATE: &str = "docs/governance/CHANGE_PACK_TEMPLATE.md";
const SEQUENCING: &str = "ops/bindings/cutover.sequencing.yaml";
const LOOP_DIR: &str = "mailroom/state/loop-scopes/";
const SECTIONS: [&str; 8] = [
    "Change Description",
    "IP Map",
    "Rollback Map",
    "Pre-Cutover Verification Matrix",
    "Cutover Sequence",
    "LAN-Only Devices",
    "Post-Cutover Verification Matrix",
    "Sign-Off",
];

/// A file directly in the loop-scope directory (bash's `dir/*`: no
/// subdirectories, no dot files).
fn top_level(path: &str) -> Option<&str> {
    let name = path.strip_prefix(LOOP_DIR)?;
    (!name.contains('/') && !name.starts_with('.')).then_some(name)
}

impl NativeGate for ChangePacks {
    fn name(&self) -> &'static str {
        "change_packs"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let mut out = Vec::new();
        for (path, what) in [
            (TEMPLATE, "the change pack template is missing"),
            (SEQUENCING, "the cutover sequencing rules are missing"),
        ] {
            if !cx.inputs.has(RepoId::Spine, path) {
                out.push(
                    cx.finding_at(
                        Location::file(RepoId::Spine, path),
                        format!("{path} does not exist: {what}"),
                    )
                    .with_subject(format!("file:{path}")),
                );
            }
        }
        let closed = RegexBuilder::new("Status.*CLOSED")
            .case_insensitive(true)
            .build()
            .map_err(|e| e.to_string())?;
        let paths = cx.inputs.paths(RepoId::Spine);
        for p in &paths {
            let Some(name) = top_level(p) else {
                continue;
            };
            let Some(base) = name.strip_suffix(".scope.md") else {
                continue;
            };
            if !base.contains("CUTOVER") {
                continue;
            }
            let Some(doc) = spine_doc(cx, p) else {
                continue;
            };
            if doc.text.lines().any(|l| closed.is_match(l)) {
                continue;
            }
            let companion = format!("{LOOP_DIR}{base}.changepack.md");
            if !cx.inputs.has(RepoId::Spine, &companion) {
                out.push(
                    cx.finding_at(
                        Location::file(RepoId::Spine, *p),
                        format!("open cutover loop {base} has no companion {companion}"),
                    )
                    .with_subject(format!("loop:{base}")),
                );
            }
        }
        for p in &paths {
            let Some(name) = top_level(p) else {
                continue;
            };
            if !name.ends_with(".changepack.md") {
                continue;
            }
            let Some(doc) = spine_doc(cx, p) else {
                continue;
            };
            for s in SECTIONS {
                let needle = format!("## {s}");
                if !doc.text.lines().any(|l| l.contains(&needle)) {
                    out.push(
                        cx.finding_at(
                            Location::file(RepoId::Spine, *p),
                            format!("change pack {name} has no `## {s}` section"),
                        )
                        .with_subject(format!("file:{p}")),
                    );
                }
            }
        }
        Ok(out)
    }
}
