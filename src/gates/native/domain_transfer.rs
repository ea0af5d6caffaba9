//! D202 domain-transfer-readiness-lock: the registry's
//! `d202-domain-transfer-readiness-lock.sh`, in-process. When the registrar
//! snapshot `mailroom/outbox/domains/namecheap-domains-status.json` is in
//! the checkout (the script passes without it), every domain of
//! `ops/bindings/domain.portfolio.registry.yaml` marked
//! `transfer_ready: true` has effective nameservers (from the snapshot for
//! namecheap domains, else the portfolio's own) that all contain
//! `cloudflare`. The script's second check (`transfer_ready: false` with
//! only Cloudflare nameservers) compares yq's `.transfer_ready // "null"`,
//! which turns a boolean false into `null`: it fires only for the string
//! `"false"`, and so here.

use super::common::*;
use super::domain_registrar::{raw, registrar, SNAPSHOT};
use crate::findings::{Finding, RepoId};
use crate::gates::{GateContext, NativeGate};
use serde_json::Value;

pub struct DomainTransfer;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: DomainTransfer = DomainTransfer;

const PORTFOLIO: &str = "ops/bindings/domain.portfolio.registry.yaml";

/// `(.transfer_ready // "null" | tostring)`.
fn ready_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => "null".into(),
        other => raw(other),
    }
}

/// The effective nameservers: None when there are none; `Some(None)` when
/// the script's jq cannot judge them (several matching entries, or an entry
/// that is not a string: its `test` fails quietly, so nothing is reported).
fn effective_ns(
    portfolio: Option<&Value>,
    snapshot: Option<&Value>,
    domain: &str,
) -> Option<Option<Vec<String>>> {
    let source: Vec<&Value> = if registrar(portfolio, domain) == "namecheap" {
        items(snapshot, "domains")
            .iter()
            .filter(|d| raw(d.get("domain")) == domain)
            .collect()
    } else {
        items(portfolio, "domains")
            .iter()
            .filter(|d| raw(d.get("domain")) == domain)
            .collect()
    };
    match source.as_slice() {
        [] => None,
        [one] => match one.get("nameservers") {
            Some(Value::Array(a)) if !a.is_empty() => Some(
                a.iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<Vec<String>>>(),
            ),
            _ => None,
        },
        _ => Some(None),
    }
}

impl NativeGate for DomainTransfer {
    fn name(&self) -> &'static str {
        "domain_transfer"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(portfolio) = spine_doc(cx, PORTFOLIO) else {
            return Err(format!("{PORTFOLIO} is missing"));
        };
        let Some(snapshot) = cx.doc(RepoId::Spine, SNAPSHOT) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for (i, d) in items(portfolio.value(), "domains").iter().enumerate() {
            let domain = raw(d.get("domain"));
            if domain.is_empty() || domain == "null" {
                continue;
            }
            let ready = ready_text(d.get("transfer_ready"));
            let at = ptr(&["domains", &i.to_string(), "transfer_ready"]);
            let at = if d.get("transfer_ready").is_some() { at } else { ptr(&["domains", &i.to_string()]) };
            let ns = effective_ns(portfolio.value(), snapshot.value(), &domain);
            let mut push = |msg: String| {
                out.push(cx.finding(&portfolio, &at, msg).with_subject(format!("domain:{domain}")));
            };
            match ready.as_str() {
                "true" => match &ns {
                    None => push(format!("{domain} is transfer_ready but has no nameservers")),
                    Some(None) => {}
                    Some(Some(list)) => {
                        let non_cf: Vec<&str> = list.iter().map(String::as_str).filter(|n| !n.contains("cloudflare")).collect();
                        if !non_cf.is_empty() {
                            push(format!("{domain} is transfer_ready but has non-Cloudflare nameservers: {}", non_cf.join(", ")));
                        }
                    }
                },
                "false" => {
                    if let Some(Some(list)) = &ns {
                        if list.iter().all(|n| n.contains("cloudflare")) {
                            push(format!("{domain} is marked transfer_ready false, but its nameservers are already Cloudflare"));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    #[test]
    fn readiness_follows_nameservers() {
        let p = "domains:\n  - domain: a.com\n    registrar: namecheap\n    transfer_ready: true\n  - domain: b.com\n    registrar: other\n    transfer_ready: true\n    nameservers: [ns1.cloudflare.com, ns2.cloudflare.com]\n  - domain: c.com\n    registrar: other\n    transfer_ready: \"false\"\n    nameservers: [x.cloudflare.com]\n  - domain: d.com\n    registrar: other\n    transfer_ready: false\n    nameservers: [x.cloudflare.com]\n";
        let snap = r#"{"domains": [{"domain": "a.com", "nameservers": ["dns1.registrar-servers.com"]}]}"#;
        let f = findings(run_gate("D202", &[(PORTFOLIO, p), (SNAPSHOT, snap)], None, None));
        // a.com non-CF; c.com string "false" with CF; d.com (boolean false) not judged
        assert_eq!(f.len(), 2, "{:?}", summary(&f));
        assert!(findings(run_gate("D202", &[(PORTFOLIO, p)], None, None)).is_empty());
    }
}
