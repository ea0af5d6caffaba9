//! D95 version-compat-matrix-lock: the version compatibility matrix
//! declares every core component with a version and a source, its sources
//! exist and its dependencies are declared. A port of the registry's
//! `d95-version-compat-matrix-lock.sh`, which reads
//! `ops/bindings/version.compat.matrix.yaml` as text, line by line:
//! - top-level `version:` and `enforcement:` lines;
//! - a line `  <component>:` for each required component, and in its block
//!   (see `tenant_storage::block`, at most 15 lines) the text `version:`
//!   and `source:`;
//! - every line containing `    source:`: the value after the last
//!   `source: "` up to the next `"` (the whole line when it has no quote,
//!   as the script's two `sed`s leave it) must be a file of the spine;
//! - every line containing `      - component:`: the text after the last
//!   `component:` without spaces must have its own `  <name>:` line;
//! - docs/product/AOF_VERSION_COMPATIBILITY.md exists.

use super::common::*;
use super::tenant_storage::block;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};

pub struct VersionCompat;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: VersionCompat = VersionCompat;

const MATRIX: &str = "ops/bindings/version.compat.matrix.yaml";
const PRODUCT_DOC: &str = "docs/product/AOF_VERSION_COMPATIBILITY.md";
const COMPONENTS: [&str; 9] = [
    "drift-gate-runtime",
    "gate-registry",
    "policy-presets",
    "resolve-policy",
    "cap-runner",
    "capabilities-registry",
    "capability-map",
    "tenant-profile-schema",
    "plugin-manifest",
];

/// `sed 's/.*source: *"//' | sed 's/".*//'`.
fn source_value(line: &str) -> String {
    quoted_value(line, "source:")
}

/// `sed 's/.*<key> *"//' | sed 's/".*//'` (D97 reads `capability:` so).
pub(crate) fn quoted_value(line: &str, key: &str) -> String {
    let mut rest = line.to_string();
    // The greedy `.*<key> *"`: the last `<key>` followed by spaces and a quote.
    let mut cut = None;
    for (i, _) in line.match_indices(key) {
        let after = &line[i + key.len()..];
        let trimmed = after.trim_start_matches(' ');
        if trimmed.starts_with('"') {
            cut = Some(line.len() - trimmed.len() + 1);
        }
    }
    if let Some(c) = cut {
        rest = line[c..].to_string();
    }
    match rest.find('"') {
        Some(q) => rest[..q].to_string(),
        None => rest,
    }
}

/// `sed 's/.*component: *//' | tr -d ' '`.
fn dependency_value(line: &str) -> String {
    let after = match line.rfind("component:") {
        Some(i) => &line[i + "component:".len()..],
        None => line,
    };
    after.chars().filter(|c| *c != ' ').collect()
}

impl NativeGate for VersionCompat {
    fn name(&self) -> &'static str {
        "version_compat"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(doc) = spine_doc(cx, MATRIX) else {
            return Ok(vec![missing_file(
                cx,
                MATRIX,
                "component compatibility is not declared",
            )]);
        };
        let lines: Vec<&str> = doc.text.lines().collect();
        let whole = || Location::file(RepoId::Spine, MATRIX);
        let declared = |name: &str| {
            let start = format!("  {name}:");
            lines.iter().position(|l| l.starts_with(&start))
        };
        let mut out = Vec::new();
        if !lines.iter().any(|l| l.starts_with("version:")) {
            out.push(
                cx.finding_at(whole(), "the matrix has no top-level `version:`")
                    .with_subject(format!("file:{MATRIX}")),
            );
        }
        for c in COMPONENTS {
            if declared(c).is_none() {
                out.push(
                    cx.finding_at(
                        whole(),
                        format!("component `{c}` is not declared (no `  {c}:` line)"),
                    )
                    .with_subject(format!("component:{c}")),
                );
            }
        }
        for c in COMPONENTS {
            let Some(first) = declared(c) else {
                continue;
            };
            let text: Vec<&str> = block(&lines, &format!("  {c}:"), 15)
                .into_iter()
                .map(|(_, l)| l)
                .collect();
            for f in ["version:", "source:"] {
                if !text.iter().any(|l| l.contains(f)) {
                    out.push(
                        cx.finding_at(
                            line_text_location(&doc, first + 1),
                            format!("component `{c}` has no `{f}` in its block"),
                        )
                        .with_subject(format!("component:{c}")),
                    );
                }
            }
        }
        for (i, l) in lines.iter().enumerate() {
            if l.contains("    source:") {
                let src = source_value(l);
                if !src.is_empty() && !cx.inputs.has(RepoId::Spine, &src) {
                    out.push(
                        cx.finding_at(
                            line_text_location(&doc, i + 1),
                            format!("source `{src}` is not a file of the spine"),
                        )
                        .with_subject(format!("file:{src}")),
                    );
                }
            }
        }
        for (i, l) in lines.iter().enumerate() {
            if l.contains("      - component:") {
                let dep = dependency_value(l);
                if !dep.is_empty() && declared(&dep).is_none() {
                    out.push(
                        cx.finding_at(
                            line_text_location(&doc, i + 1),
                            format!("dependency `{dep}` is not a declared component"),
                        )
                        .with_subject(format!("component:{dep}")),
                    );
                }
            }
        }
        if !lines.iter().any(|l| l.starts_with("enforcement:")) {
            out.push(
                cx.finding_at(whole(), "the matrix has no top-level `enforcement:` section")
                    .with_subject(format!("file:{MATRIX}")),
            );
        }
        if !cx.inputs.has(RepoId::Spine, PRODUCT_DOC) {
            out.push(super::common::file_finding(cx, PRODUCT_DOC, format!("{PRODUCT_DOC} does not exist")));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::{dependency_value, source_value};

    #[test]
    fn values_are_cut_as_the_script_cuts_them() {
        assert_eq!(source_value(r#"    source: "ops/x.sh""#), "ops/x.sh");
        assert_eq!(source_value(r#"    source:   "ops/x.sh" # c"#), "ops/x.sh");
        assert_eq!(source_value("    source: ops/x.sh"), "    source: ops/x.sh");
        assert_eq!(dependency_value("      - component: gate-registry "), "gate-registry");
        assert_eq!(dependency_value("      - component:"), "");
    }
}
