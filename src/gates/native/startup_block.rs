//! D124 entry-surface-parity-lock: the startup block of every governed entry
//! surface is the same, has the required lines and none of the forbidden
//! ones. A port of the registry's `d124-entry-surface-parity-lock.sh`.
//!
//! `ops/bindings/entry.surface.contract.yaml` names the markers
//! (`startup_block.marker_start` / `marker_end`), `required_lines`,
//! `forbidden_lines` and the `surfaces` (`id`, `path`). A path is relative to
//! the spine, or `~/code/agentic-spine/…` (the spine) or `~/code/workbench/…`
//! (the workbench checkout). Per surface, as the script does: the file
//! exists; both markers occur somewhere in it; the block (the lines strictly
//! between a line equal to the start marker and a line equal to the end
//! marker, every such block joined, trailing newlines dropped) is not empty;
//! every required line occurs in the block and no forbidden line does (as
//! text inside a line); and the block equals the first surface's block that
//! got that far. A surface in a checkout this run lacks cannot be judged:
//! the gate is skipped with the reason; a host file elsewhere makes it error.

use super::common::*;
use crate::documents::Document;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use serde_json::Value;
use std::sync::Arc;

pub struct StartupBlock;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: StartupBlock = StartupBlock;

const CONTRACT: &str = "ops/bindings/entry.surface.contract.yaml";

/// Where a surface path points.
fn resolve(path: &str) -> Result<(RepoId, String), String> {
    if let Some(rest) = path.strip_prefix("~/") {
        if let Some(p) = rest.strip_prefix("code/agentic-spine/") {
            return Ok((RepoId::Spine, p.to_string()));
        }
        if let Some(p) = rest.strip_prefix("code/workbench/") {
            return Ok((RepoId::Workbench, p.to_string()));
        }
        return Err(format!("`{path}` is a file of the home directory, outside the checkouts"));
    }
    if path.starts_with('/') {
        return Err(format!("`{path}` is a host file outside the checkouts"));
    }
    Ok((RepoId::Spine, path.trim_start_matches("./").to_string()))
}

/// The startup block as the script's awk extracts it: lines strictly
/// between a line equal to `start` and one equal to `end`, every block
/// joined; `$(...)` drops trailing newlines. Also the 1-based line of the
/// first start marker line (if any).
fn block(text: &str, start: &str, end: &str) -> (String, Option<usize>) {
    let mut out = String::new();
    let mut capture = false;
    let mut first = None;
    for (i, line) in text.split('\n').enumerate() {
        if line == start {
            capture = true;
            first.get_or_insert(i + 1);
            continue;
        }
        if line == end {
            capture = false;
            continue;
        }
        if capture {
            out.push_str(line);
            out.push('\n');
        }
    }
    // A file without a final newline: awk still prints the last line
    // with one, which `$(...)` then drops, as it drops every trailing
    // newline.
    (out.trim_end_matches('\n').to_string(), first)
}

fn strings_at(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| text(Some(x)))
            .filter(|s| !s.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

impl NativeGate for StartupBlock {
    fn name(&self) -> &'static str {
        "startup_block"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(doc) = spine_doc(cx, CONTRACT) else {
            return Ok(vec![missing_file(
                cx,
                CONTRACT,
                "the entry surfaces' startup blocks cannot be checked",
            )]);
        };
        let root = doc.value().cloned().unwrap_or(Value::Null);
        let sb = root.get("startup_block");
        let marker = |k: &str| text(sb.and_then(|s| s.get(k))).filter(|s| !s.is_empty());
        let (Some(start), Some(end)) = (marker("marker_start"), marker("marker_end")) else {
            let which = if marker("marker_start").is_none() {
                "marker_start"
            } else {
                "marker_end"
            };
            return Ok(vec![cx
                .finding(
                    &doc,
                    &ptr(&["startup_block", which]),
                    format!("startup_block.{which} is not set in {CONTRACT}"),
                )
                .with_subject(format!("contract:entry.surface/startup_block.{which}"))]);
        };
        let required = strings_at(sb.and_then(|s| s.get("required_lines")));
        let forbidden = strings_at(sb.and_then(|s| s.get("forbidden_lines")));
        let mut out = Vec::new();
        // The first surface that got as far as a non-empty block.
        let mut canonical: Option<(String, String, Location)> = None;
        for (i, s) in items(Some(&root), "surfaces").iter().enumerate() {
            let idx = i.to_string();
            let (Some(sid), Some(path)) = (text(s.get("id")), text(s.get("path"))) else {
                continue;
            };
            if sid.is_empty() || path.is_empty() {
                continue;
            }
            let subject = format!("surface:{sid}");
            let (repo, rel) = resolve(&path).map_err(|e| {
                format!("surface `{sid}` cannot be judged: {e}")
            })?;
            if !cx.inputs.has_repo(repo) {
                return Err(skip(format!(
                    "surface `{sid}` ({path}) is in the {repo} checkout, which this run lacks (pass --{repo})"
                )));
            }
            let surface: Option<Arc<Document>> = cx.doc(repo, &rel);
            let Some(sdoc) = surface else {
                out.push(
                    cx.finding(
                        &doc,
                        &ptr(&["surfaces", &idx, "path"]),
                        format!("surface `{sid}`: {path} does not exist"),
                    )
                    .with_subject(subject),
                );
                continue;
            };
            let file_loc = line_text_location(&sdoc, 1);
            let mut missing_marker = None;
            for (name, m) in [("marker_start", &start), ("marker_end", &end)] {
                if !sdoc.text.contains(m.as_str()) {
                    missing_marker = Some((name, m));
                    break;
                }
            }
            if let Some((name, m)) = missing_marker {
                out.push(
                    cx.finding_at(
                        file_loc,
                        format!("surface `{sid}` ({path}) lacks the startup block's {name} `{m}`"),
                    )
                    .with_subject(subject),
                );
                continue;
            }
            let (body, start_line) = block(&sdoc.text, &start, &end);
            let at = start_line
                .map(|l| line_text_location(&sdoc, l))
                .unwrap_or_else(|| Location::file(sdoc.repo, &sdoc.path));
            if body.is_empty() {
                out.push(
                    cx.finding_at(
                        at,
                        format!("surface `{sid}` ({path}) has an empty startup block (the markers must stand on lines of their own, around the block)"),
                    )
                    .with_subject(subject),
                );
                continue;
            }
            for r in &required {
                if !body.contains(r.as_str()) {
                    out.push(
                        cx.finding_at(
                            at.clone(),
                            format!("surface `{sid}` ({path}): the startup block lacks the required line `{r}`"),
                        )
                        .with_subject(subject.clone()),
                    );
                }
            }
            for f in &forbidden {
                if body.contains(f.as_str()) {
                    out.push(
                        cx.finding_at(
                            at.clone(),
                            format!("surface `{sid}` ({path}): the startup block has the forbidden line `{f}`"),
                        )
                        .with_subject(subject.clone()),
                    );
                }
            }
            match &canonical {
                None => canonical = Some((sid.clone(), body, at)),
                Some((first_id, first_body, first_at)) => {
                    if *first_body != body {
                        out.push(
                            cx.finding_at(
                                at,
                                format!("surface `{sid}` ({path}): the startup block differs from the one of surface `{first_id}`"),
                            )
                            .with_subject(subject)
                            .with_related(
                                first_at.clone(),
                                format!("the startup block of `{first_id}`, the first surface"),
                            ),
                        );
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const CONTRACT_TEXT: &str = "startup_block:\n  marker_start: \"<!-- START -->\"\n  marker_end: \"<!-- /START -->\"\n  required_lines:\n    - \"cd ~/code/garden\"\n  forbidden_lines:\n    - \"./bin/ops status\"\nsurfaces:\n  - id: agents\n    path: AGENTS.md\n  - id: claude\n    path: CLAUDE.md\n";

    #[test]
    fn blocks_must_match_and_hold_the_required_lines() {
        let good = "# A\n<!-- START -->\ncd ~/code/garden\n<!-- /START -->\n";
        let f = findings(run_gate(
            "D124",
            &[(CONTRACT, CONTRACT_TEXT), ("AGENTS.md", good), ("CLAUDE.md", good)],
            None,
            None,
        ));
        assert!(f.is_empty(), "{:?}", summary(&f));
        let bad = "# C\n\n<!-- START -->\ncd ~/code/garden\n./bin/ops status\n<!-- /START -->\n";
        let f = findings(run_gate(
            "D124",
            &[(CONTRACT, CONTRACT_TEXT), ("AGENTS.md", good), ("CLAUDE.md", bad)],
            None,
            None,
        ));
        let s = summary(&f);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0].1, 3);
        assert!(s[0].3.contains("forbidden line `./bin/ops status`"), "{s:?}");
        assert!(s[1].3.contains("differs from the one of surface `agents`"), "{s:?}");
    }

    #[test]
    fn missing_surface_marker_and_inline_markers() {
        let inline = "<!-- START --> cd ~/code/garden <!-- /START -->\n";
        let f = findings(run_gate(
            "D124",
            &[(CONTRACT, CONTRACT_TEXT), ("AGENTS.md", inline)],
            None,
            None,
        ));
        let s = summary(&f);
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].3.contains("empty startup block"), "{s:?}");
        assert!(s[1].3.contains("CLAUDE.md does not exist"), "{s:?}");
        assert_eq!(s[1].0, CONTRACT);
    }

    #[test]
    fn workbench_surfaces_need_the_checkout() {
        let c = format!("{CONTRACT_TEXT}  - id: opencode\n    path: ~/code/workbench/dotfiles/OPENCODE.md\n");
        let good = "<!-- START -->\ncd ~/code/garden\n<!-- /START -->\n";
        let files = [(CONTRACT, c.as_str()), ("AGENTS.md", good), ("CLAUDE.md", good)];
        // Skipped (not errored) through `common::skip`: it could not look.
        let e = run_gate("D124", &files, None, None).expect_err("cannot judge");
        assert!(e.starts_with("skipped: surface `opencode`"), "{e}");
        assert!(e.contains("workbench checkout"), "{e}");
        let f = findings(run_gate(
            "D124",
            &files,
            Some(&[("dotfiles/OPENCODE.md", "<!-- START -->\ncd ~/code/other\n<!-- /START -->\n")]),
            None,
        ));
        let s = summary(&f);
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].3.contains("lacks the required line"), "{s:?}");
    }

    #[test]
    fn block_extraction_follows_awk() {
        let (b, l) = block("x\nS\na\nE\ny\nS\nb\n\n", "S", "E");
        assert_eq!((b.as_str(), l), ("a\nb", Some(2)));
        assert_eq!(block("S\n", "S", "E").0, "");
    }
}
