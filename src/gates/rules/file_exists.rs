//! `file_exists`: the repo path named by each selected item exists.
//!
//! ```yaml
//! rule:
//!   kind: file_exists
//!   file: "spine:ops/bindings/gate.registry.yaml"
//!   items: '.gates[] | select(.retired != true)'
//!   path: .check_script          # jq; may yield several paths
//!   repo: spine                  # where the paths live (default spine)
//!   message: "{{id}}: check_script {{$value}} does not exist"
//! ```
//! Variables: `$value` (the path), `$repo`, `$file`. Null paths are skipped.

use super::{item_json, render, Halt, Output, RuleCx, RuleResult};
use crate::findings::RepoId;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub file: String,
    pub items: String,
    pub path: String,
    pub repo: Option<String>,
    pub message: Option<String>,
    pub subject: Option<String>,
}

pub fn run(cx: &RuleCx<'_>, spec: Spec) -> RuleResult {
    let items_f = cx.items_jq(&spec.items, "/items")?;
    let path = cx.jq(&spec.path, "/path")?;
    let path_path = cx.path_jq(&spec.path);
    let repo_id = match spec.repo.as_deref() {
        None => RepoId::Spine,
        Some(r) => RepoId::parse(r).ok_or_else(|| Halt::Config {
            pointer: format!("{}/repo", cx.base),
            message: format!("`{r}` is not spine, workbench or legacy"),
        })?,
    };
    let loaded = cx.load(&spec.file)?;
    let view = cx.gate.inputs;
    if !view.has_repo(repo_id) {
        return Err(Halt::Skip(format!("needs the {repo_id} checkout")));
    }
    let doc = &loaded.doc;
    let mut out = Output::default();
    let Some(items) = cx.items_or_report(&mut out, &items_f, &loaded) else {
        return Ok(out);
    };
    let message = spec
        .message
        .as_deref()
        .unwrap_or("{{$repo}}:{{$value}} does not exist");
    for item in &items {
        let Some(paths) = cx.keys_or_report(&mut out, doc, &path, path_path.as_deref(), item)
        else {
            continue;
        };
        for (p, ptr) in paths {
            let clean = p.trim_start_matches("./");
            if clean.is_empty() || view.has(repo_id, clean) {
                continue;
            }
            let json = item_json(doc, &item.pointer);
            let vars = [
                ("value", clean.to_string()),
                ("repo", repo_id.as_str().to_string()),
                ("file", doc.path.clone()),
            ];
            let msg = render(message, json, &vars);
            let subj = spec.subject.as_deref().map(|s| render(s, json, &vars));
            out.findings.push(cx.finding(doc, &ptr, msg, subj));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::spine;
    use crate::gates::tests_support::{gate_cx, run_rule_on};
    use serde_json::json;

    #[test]
    fn missing_paths_are_reported_at_their_key() {
        let t = spine(&[
            ("reg.yaml", "gates:\n  - id: D1\n    check_script: s/d1.sh\n  - id: D2\n    check_script: s/d2.sh\n  - id: D3\n    retired: true\n    check_script: s/d3.sh\n"),
            ("s/d1.sh", "#!/bin/sh\n"),
        ]);
        let r = json!({"kind": "file_exists", "file": "reg.yaml", "items": ".gates[] | select(.retired != true)",
                       "path": ".check_script", "message": "{{id}}: {{$value}} missing", "subject": "gate:{{id}}"});
        let out = run_rule_on(&t.ws, &gate_cx("D85"), &r).unwrap();
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert_eq!(f.message, "D2: s/d2.sh missing");
        assert_eq!((f.location.line(), f.location.col()), (5, 5));
        assert_eq!(f.subject.as_deref(), Some("gate:D2"));
    }

    #[test]
    fn all_present_passes() {
        let t = spine(&[
            (
                "reg.yaml",
                "gates:\n  - id: D1\n    check_script: ./s/d1.sh\n",
            ),
            ("s/d1.sh", ""),
        ]);
        let r = json!({"kind": "file_exists", "file": "reg.yaml", "items": ".gates[]", "path": ".check_script"});
        assert!(run_rule_on(&t.ws, &gate_cx("D85"), &r)
            .unwrap()
            .findings
            .is_empty());
    }
}
