//! D359 snapshot-writepath-promoter-guard: the registry's
//! `d359-snapshot-writepath-promoter-guard.sh`, in-process. Only the
//! promoter `ops/plugins/snapshot/bin/snapshot-projection-apply` may write
//! the five tracked snapshot bindings:
//! 1. the promoter exists;
//! 2. no other `*.sh` / `*.legacy` file under ops/plugins/ has a line
//!    starting `MODE="apply"`;
//! 3. each tracked snapshot capability is registered `safety: read-only`
//!    in ops/capabilities.yaml (the script's `grep -A8 "^  <cap>:"`, the
//!    first `safety:` line in those windows, its second word);
//! 4. `snapshot.projection.apply` is registered with `safety: mutating` and
//!    `approval: manual` (the first 13 lines of `grep -A12` from its first
//!    mention);
//! 5. no `*.sh` / `*.py` job under ops/runtime/ that mentions `--apply`
//!    runs a tracked capability with `--apply` on one line, and no
//!    ops/runtime/launchd/*.plist mentions both `--apply` and a tracked
//!    capability.

use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use regex::Regex;

pub struct SnapshotPromoter;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: SnapshotPromoter = SnapshotPromoter;

const PROMOTER: &str = "ops/plugins/snapshot/bin/snapshot-projection-apply";
const CAPS: &str = "ops/capabilities.yaml";
const TRACKED: [&str; 5] = [
    "ha-inventory-snapshot-build",
    "network.home.dhcp.audit",
    "media-content-snapshot-refresh",
    "network-inventory-snapshot-build",
    "ha.z2m.devices.snapshot",
];

/// Lines of `grep -A<after> <matches>`: every match and the lines after
/// it, windows merged, with `--` between groups that do not touch.
fn grep_after<'t>(lines: &[&'t str], after: usize, hit: impl Fn(&str) -> bool) -> Vec<(usize, &'t str)> {
    let mut out: Vec<(usize, &str)> = Vec::new();
    let mut last: Option<usize> = None;
    for (i, l) in lines.iter().enumerate() {
        if !hit(l) {
            continue;
        }
        let start = match last {
            Some(e) if i <= e + 1 => e + 1,
            Some(_) => {
                out.push((usize::MAX, "--"));
                i
            }
            None => i,
        };
        let end = (i + after).min(lines.len().saturating_sub(1));
        for (j, line) in lines.iter().enumerate().take(end + 1).skip(start) {
            out.push((j, *line));
        }
        last = Some(end.max(last.unwrap_or(0)));
    }
    out
}

impl NativeGate for SnapshotPromoter {
    fn name(&self) -> &'static str {
        "snapshot_promoter"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(caps) = cx.doc(RepoId::Spine, CAPS) else {
            return Err(format!("{CAPS} is missing"));
        };
        let mut out = Vec::new();
        if !cx.inputs.has(RepoId::Spine, PROMOTER) {
            out.push(
                cx.finding_at(
                    Location::file(RepoId::Spine, PROMOTER),
                    format!("the snapshot promoter {PROMOTER} is missing"),
                )
                .with_subject(format!("file:{PROMOTER}")),
            );
            return Ok(out);
        }
        let paths = cx.inputs.paths(RepoId::Spine);
        // 1. MODE="apply" defaults outside the promoter.
        for p in paths.iter().filter(|p| {
            p.starts_with("ops/plugins/")
                && *p != &PROMOTER
                && (p.ends_with(".sh") || p.ends_with(".legacy"))
        }) {
            let Some(doc) = cx.doc(RepoId::Spine, p) else {
                continue;
            };
            if let Some(i) = doc.text.split('\n').position(|l| l.starts_with("MODE=\"apply\"")) {
                out.push(
                    cx.finding_at(doc.line_location(i + 1), format!("{p} defaults to MODE=\"apply\" (only the snapshot promoter may write)"))
                        .with_subject(format!("file:{p}")),
                );
            }
        }
        let lines: Vec<&str> = caps.text.split('\n').collect();
        // 2. tracked capabilities are read-only.
        for cap in TRACKED {
            let head = format!("  {cap}:");
            let window = grep_after(&lines, 8, |l| l.starts_with(&head));
            let safety_line = window.iter().find(|(_, l)| l.contains("safety:"));
            let safety = safety_line
                .and_then(|(_, l)| l.split_whitespace().nth(1))
                .unwrap_or("");
            if safety != "read-only" {
                let loc = match (safety_line, window.first()) {
                    (Some((n, _)), _) | (None, Some((n, _))) => caps.line_location(n + 1),
                    _ => Location::file(RepoId::Spine, CAPS),
                };
                out.push(
                    cx.finding_at(loc, format!("tracked snapshot capability `{cap}` has safety `{safety}` (must be read-only)"))
                        .with_subject(format!("capability:{cap}")),
                );
            }
        }
        // 3. the promoter is mutating with manual approval.
        let block: Vec<(usize, &str)> = grep_after(&lines, 12, |l| l.contains("snapshot.projection.apply:"))
            .into_iter()
            .take(13)
            .collect();
        if block.is_empty() {
            out.push(
                cx.finding_at(Location::file(RepoId::Spine, CAPS), "snapshot.projection.apply is not registered in ops/capabilities.yaml")
                    .with_subject("capability:snapshot.projection.apply"),
            );
        } else {
            let at = caps.line_location(block[0].0 + 1);
            for (want, msg) in [
                ("safety: mutating", "snapshot.projection.apply must be registered with safety: mutating"),
                ("approval: manual", "snapshot.projection.apply must require approval: manual"),
            ] {
                if !block.iter().any(|(_, l)| l.contains(want)) {
                    out.push(cx.finding_at(at.clone(), msg).with_subject("capability:snapshot.projection.apply"));
                }
            }
        }
        // 4./5. scheduled jobs and launchd plists.
        let esc: Vec<(String, &str)> = TRACKED.iter().map(|c| (c.replace('.', r"\."), *c)).collect();
        for p in paths.iter().filter(|p| p.starts_with("ops/runtime/")) {
            let job = p.ends_with(".sh") || p.ends_with(".py");
            let plist = p.starts_with("ops/runtime/launchd/") && p.ends_with(".plist");
            if !job && !plist {
                continue;
            }
            let Some(doc) = cx.doc(RepoId::Spine, p) else {
                continue;
            };
            if !doc.text.contains("--apply") {
                continue;
            }
            for (e, cap) in &esc {
                let hit = if job {
                    let re = Regex::new(&format!(
                        r"{e}[[:space:]].*--apply|--apply[[:space:]].*{e}|{e}[[:space:]]+--[[:space:]]+--apply"
                    ))
                    .map_err(|x| x.to_string())?;
                    doc.text.split('\n').position(|l| re.is_match(l))
                } else {
                    let re = Regex::new(e).map_err(|x| x.to_string())?;
                    doc.text.split('\n').position(|l| re.is_match(l))
                };
                if let Some(i) = hit {
                    out.push(
                        cx.finding_at(doc.line_location(i + 1), format!("{p} runs tracked snapshot capability `{cap}` with --apply (only snapshot.projection.apply may write)"))
                            .with_subject(format!("file:{p}")),
                    );
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

    fn caps(safety: &str) -> String {
        let mut s = String::from("capabilities:\n");
        for c in TRACKED {
            s.push_str(&format!("  {c}:\n    description: x\n    safety: {safety}\n"));
        }
        s.push_str("  snapshot.projection.apply:\n    safety: mutating\n    approval: manual\n");
        s
    }

    #[test]
    fn clean_registry_passes() {
        let c = caps("read-only");
        let f = findings(run_gate("D359", &[(CAPS, &c), (PROMOTER, "#!/bin/sh\nMODE=\"apply\"\n")], None, None));
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn violations_are_found() {
        let c = caps("mutating");
        let f = findings(run_gate(
            "D359",
            &[
                (CAPS, &c),
                (PROMOTER, "#!/bin/sh\n"),
                ("ops/plugins/ha/bin/x.sh", "#!/bin/sh\nMODE=\"apply\"\n"),
                ("ops/runtime/nightly.sh", "ops cap run ha.z2m.devices.snapshot -- --apply\n"),
                ("ops/runtime/launchd/com.x.plist", "<string>--apply</string><string>network.home.dhcp.audit</string>\n"),
            ],
            None,
            None,
        ));
        // 1 MODE, 5 safety, 1 job, 1 plist
        assert_eq!(f.len(), 8, "{:?}", summary(&f));
    }

    #[test]
    fn grep_windows_merge() {
        let l = ["a", "x", "b", "c", "x", "d"];
        let w = grep_after(&l, 1, |s| s == "x");
        assert_eq!(w.iter().map(|(_, s)| *s).collect::<Vec<_>>(), ["x", "b", "--", "x", "d"]);
    }
}
