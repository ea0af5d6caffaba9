//! D201 domain-registrar-parity-lock: the registry's
//! `d201-domain-registrar-parity-lock.sh`, in-process. When the registrar
//! snapshot `mailroom/outbox/domains/namecheap-domains-status.json` is in
//! the checkout (written by domains.namecheap.status; the script passes
//! without it), every canonical root of
//! `ops/bindings/domain.canonical.roots.yaml` that the portfolio
//! (`ops/bindings/domain.portfolio.registry.yaml`) registers at namecheap
//! appears in the snapshot with a registrar_lock (not false or empty),
//! nameservers and an expiry_date. A missing portfolio, or roots without
//! any domain, is a finding.

use super::common::*;
use crate::findings::{Finding, RepoId};
use crate::gates::{GateContext, NativeGate};
pub(crate) use crate::model::values::{yq_raw as raw};
use serde_json::Value;

pub struct DomainRegistrar;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: DomainRegistrar = DomainRegistrar;

const ROOTS: &str = "ops/bindings/domain.canonical.roots.yaml";
const PORTFOLIO: &str = "ops/bindings/domain.portfolio.registry.yaml";
pub(crate) const SNAPSHOT: &str = "mailroom/outbox/domains/namecheap-domains-status.json";

/// jq's `x // ""` is empty: absent, null or false.
fn unset(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => true,
        Some(Value::String(s)) => s.is_empty() || s == "null",
        _ => false,
    }
}

/// jq's `length` of a value, as text ("" when it errors).
fn jq_length(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "0".into(),
        Some(Value::Array(a)) => a.len().to_string(),
        Some(Value::Object(o)) => o.len().to_string(),
        Some(Value::String(s)) => s.chars().count().to_string(),
        Some(Value::Number(n)) => n.as_f64().map(|f| f.abs().to_string()).unwrap_or_default(),
        Some(Value::Bool(_)) => String::new(),
    }
}

/// The portfolio's `.registrar` lines for a domain, joined as yq prints them.
pub(crate) fn registrar(portfolio: Option<&Value>, domain: &str) -> String {
    items(portfolio, "domains")
        .iter()
        .filter(|d| raw(d.get("domain")) == domain)
        .map(|d| raw(d.get("registrar")))
        .collect::<Vec<_>>()
        .join("\n")
}

impl NativeGate for DomainRegistrar {
    fn name(&self) -> &'static str {
        "domain_registrar"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(roots) = spine_doc(cx, ROOTS) else {
            return Err(format!("{ROOTS} is missing"));
        };
        let Some(snapshot) = cx.doc(RepoId::Spine, SNAPSHOT) else {
            // No registrar snapshot: nothing to compare (the script passes).
            return Ok(Vec::new());
        };
        let Some(portfolio) = spine_doc(cx, PORTFOLIO) else {
            return Ok(vec![missing_file(cx, PORTFOLIO, "registrars cannot be told")]);
        };
        let list: Vec<(usize, String)> = items(roots.value(), "roots")
            .iter()
            .enumerate()
            .map(|(i, r)| (i, raw(r.get("domain"))))
            .filter(|(_, d)| !d.is_empty() && d != "null")
            .collect();
        if list.is_empty() {
            return Ok(vec![cx
                .finding(&roots, "", format!("{ROOTS} defines no canonical root"))
                .with_subject(format!("file:{ROOTS}"))]);
        }
        let snap_domains = items(snapshot.value(), "domains");
        let mut out = Vec::new();
        for (i, root) in list {
            if registrar(portfolio.value(), &root) != "namecheap" {
                continue;
            }
            let at = ptr(&["roots", &i.to_string(), "domain"]);
            let hits: Vec<&Value> = snap_domains
                .iter()
                .filter(|d| raw(d.get("domain")) == root)
                .collect();
            let mut bad = |what: String| {
                out.push(
                    cx.finding(&roots, &at, format!("{root}: {what} in {SNAPSHOT}"))
                        .with_subject(format!("domain:{root}")),
                );
            };
            if hits.is_empty() {
                bad("missing from the registrar snapshot".into());
            }
            if hits.is_empty() || hits.iter().all(|d| unset(d.get("registrar_lock"))) {
                bad("no registrar_lock".into());
            }
            let ns: Vec<String> = hits.iter().map(|d| jq_length(d.get("nameservers"))).collect();
            if ns.is_empty() || ns.join("\n") == "0" || ns.join("\n").is_empty() {
                bad("no nameservers".into());
            }
            if hits.is_empty() || hits.iter().all(|d| unset(d.get("expiry_date"))) {
                bad("no expiry_date".into());
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const R: &str = "roots:\n  - domain: example.com\n  - domain: example.co\n  - domain: other.works\n";
    const P: &str = "domains:\n  - domain: example.com\n    registrar: namecheap\n  - domain: example.co\n    registrar: namecheap\n  - domain: other.works\n    registrar: cloudflare\n";

    #[test]
    fn snapshot_gaps_are_found() {
        let snap = r#"{"domains": [{"domain": "example.com", "registrar_lock": false, "nameservers": [], "expiry_date": "2027-01-01"}]}"#;
        let f = findings(run_gate("D201", &[(ROOTS, R), (PORTFOLIO, P), (SNAPSHOT, snap)], None, None));
        // example.com: lock false, no nameservers; example.co: missing (4)
        assert_eq!(f.len(), 6, "{:?}", summary(&f));
    }

    #[test]
    fn no_snapshot_passes() {
        let f = findings(run_gate("D201", &[(ROOTS, R), (PORTFOLIO, P)], None, None));
        assert!(f.is_empty());
    }
}
