//! D200 domain-canonical-roots-lock: the registry's
//! `d200-domain-canonical-roots-lock.sh`, in-process. The canonical roots
//! are `roots[].domain` of `ops/bindings/domain.canonical.roots.yaml`; a
//! domain is canonical when it is a root or ends in `.<root>`. Checked:
//! - `domains[].domain` and `waves[].domains[]` of
//!   `ops/bindings/domain.portfolio.registry.yaml` (each occurrence);
//! - `tasks[].domain` of `docs/governance/generated/W*_DOMAIN_MIGRATION_TASKS_*.yaml`
//!   (`all` is allowed);
//! - the domain-like words of `docs/governance/DOMAIN_PLATFORM_MIGRATION_PLAN.md`
//!   that the script extracts (a label, a dot and com|co|works|clothing|design
//!   between ASCII word boundaries), minus well-known third-party domains;
//!   each distinct one once.

use super::common::*;
use crate::documents::Document;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use regex::Regex;
use serde_json::Value;
use std::collections::HashSet;

pub struct DomainRoots;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: DomainRoots = DomainRoots;

const ROOTS: &str = "ops/bindings/domain.canonical.roots.yaml";
const PORTFOLIO: &str = "ops/bindings/domain.portfolio.registry.yaml";
const PLAN: &str = "docs/governance/DOMAIN_PLATFORM_MIGRATION_PLAN.md";
const TASKS_DIR: &str = "docs/governance/generated/";
const DOMAIN_WORD: &str =
    r"(?-u:\b)[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\.(com|co|works|clothing|design)(?-u:\b)";
const THIRD_PARTY: &str = r"(cloudflare\.com|namecheap\.com|shopify\.com|myshopify\.com|resend\.com|amazonaws\.com|amazonses\.com|pages\.dev|registrar-servers\.com|microsoft\.com|icloud\.com|icloudmailadmin\.com|outlook\.com)";

/// yq's text of a scalar (`null` for null).
fn yq_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

fn is_task_file(p: &str) -> bool {
    p.strip_prefix(TASKS_DIR).is_some_and(|n| {
        !n.contains('/')
            && n.starts_with('W')
            && n.ends_with(".yaml")
            && n.get(1..)
                .and_then(|r| r.find("_DOMAIN_MIGRATION_TASKS_"))
                .is_some()
    })
}

struct Roots(Vec<String>);

impl Roots {
    fn canonical(&self, d: &str) -> bool {
        self.0
            .iter()
            .any(|r| d == r || d.strip_suffix(r.as_str()).is_some_and(|h| h.ends_with('.')))
    }
}

impl NativeGate for DomainRoots {
    fn name(&self) -> &'static str {
        "domain_roots"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(roots_doc) = spine_doc(cx, ROOTS) else {
            return Err(format!("{ROOTS} is missing"));
        };
        let roots = Roots(
            items(roots_doc.value(), "roots")
                .iter()
                .map(|r| r.get("domain").map(yq_text).unwrap_or_else(|| "null".into()))
                .filter(|d| !d.is_empty() && d != "null")
                .collect(),
        );
        if roots.0.is_empty() {
            return Ok(vec![cx
                .finding(&roots_doc, "", format!("{ROOTS} defines no canonical root"))
                .with_subject(format!("file:{ROOTS}"))]);
        }
        let mut out = Vec::new();
        let mut judge = |doc: &Document, pointer: String, v: &Value, what: &str, allow_all: bool| {
            let d = yq_text(v);
            if d.is_empty() || d == "null" || (allow_all && d == "all") || roots.canonical(&d) {
                return;
            }
            out.push(
                cx.finding(doc, &pointer, format!("non-canonical domain `{d}` in {what}"))
                    .with_subject(format!("domain:{d}")),
            );
        };
        if let Some(pf) = spine_doc(cx, PORTFOLIO) {
            for (i, d) in items(pf.value(), "domains").iter().enumerate() {
                let v = d.get("domain").cloned().unwrap_or(Value::Null);
                judge(&pf, ptr(&["domains", &i.to_string(), "domain"]), &v, "the portfolio", false);
            }
            for (i, w) in items(pf.value(), "waves").iter().enumerate() {
                for (j, v) in items(Some(w), "domains").iter().enumerate() {
                    let p = ptr(&["waves", &i.to_string(), "domains", &j.to_string()]);
                    judge(&pf, p, v, "a portfolio wave", false);
                }
            }
        }
        let tasks: Vec<String> = cx
            .inputs
            .paths(RepoId::Spine)
            .into_iter()
            .filter(|p| is_task_file(p))
            .map(str::to_string)
            .collect();
        for t in tasks {
            let Some(doc) = cx.doc(RepoId::Spine, &t) else {
                continue;
            };
            let name = t.rsplit('/').next().unwrap_or(&t).to_string();
            for (i, task) in items(doc.value(), "tasks").iter().enumerate() {
                let v = task.get("domain").cloned().unwrap_or(Value::Null);
                judge(&doc, ptr(&["tasks", &i.to_string(), "domain"]), &v, &name, true);
            }
        }
        if let Some(plan) = cx.doc(RepoId::Spine, PLAN) {
            let word = Regex::new(DOMAIN_WORD).map_err(|e| e.to_string())?;
            let third = Regex::new(THIRD_PARTY).map_err(|e| e.to_string())?;
            let mut seen = HashSet::new();
            for m in word.find_iter(&plan.text) {
                let d = m.as_str();
                if third.is_match(d) || roots.canonical(d) || !seen.insert(d.to_string()) {
                    continue;
                }
                out.push(
                    cx.finding_at(
                        Location::at(RepoId::Spine, PLAN, plan.span(m.start(), m.end())),
                        format!("non-canonical domain `{d}` in the migration plan"),
                    )
                    .with_subject(format!("domain:{d}")),
                );
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const R: &str = "roots:\n  - domain: example.com\n  - domain: shop.works\n";

    #[test]
    fn non_canonical_domains_are_found() {
        let pf = "domains:\n  - domain: example.com\n  - domain: old-brand.com\nwaves:\n  - domains: [api.example.com, xshop.works]\n";
        let plan = "Move www.example.com and old-brand.com; mail via x.mail.protection.outlook.com; old-brand.com again; Shop.works\n";
        let f = findings(run_gate(
            "D200",
            &[
                (ROOTS, R),
                (PORTFOLIO, pf),
                (PLAN, plan),
                ("docs/governance/generated/W1_DOMAIN_MIGRATION_TASKS_20260101.yaml", "tasks:\n  - domain: all\n  - domain: bad.design\n"),
            ],
            None,
            None,
        ));
        let s = summary(&f);
        // portfolio old-brand.com, wave xshop.works, task bad.design, plan old-brand.com, plan Shop.works
        assert_eq!(f.len(), 5, "{s:?}");
    }

    #[test]
    fn no_roots_fails() {
        let f = findings(run_gate("D200", &[(ROOTS, "roots: []\n")], None, None));
        assert_eq!(f.len(), 1);
    }
}
