//! D27 fact-duplication-lock: the registry's `d27-fact-duplication-lock.sh`,
//! in-process. `ops/bindings/agent.fact.lock.yaml` names canonical fact
//! docs, no-fact docs (what agents read first) and the service registry;
//! all must exist. A no-fact doc must not contain:
//! - a raw LAN/Tailscale IP (`100.x.x.x`, `10.x.x.x`, `192.168.x.x` between
//!   word boundaries) or a literal `port <2-5 digits>` claim;
//! - a `port` or `console_port` value of a registry service, not flanked by
//!   digits;
//! - an IP address found in a canonical fact doc (as plain text, so it
//!   also matches inside longer text) — only when there is exactly one
//!   canonical doc: with several, the script's `rg -o` prefixes each IP
//!   with its file name and the check never matches.
//!
//! The regexes are the script's: ripgrep's default engine is the `regex`
//! crate's, and its PCRE2 searches use ASCII word boundaries, as here.

use super::common::*;
use crate::documents::Document;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use regex::Regex;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;

pub struct FactDuplication;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: FactDuplication = FactDuplication;

const BINDING: &str = "ops/bindings/agent.fact.lock.yaml";
const IP: &str = r"(100\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|10\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|192\.168\.[0-9]{1,3}\.[0-9]{1,3})";
const PORT_TEXT: &str = r"\bport[[:space:]]+[0-9]{2,5}\b";

/// A list of the binding as yq prints it (`null` items read `null`).
fn list(doc: &Document, key: &str) -> Vec<(String, String)> {
    items(doc.value(), key)
        .iter()
        .enumerate()
        .map(|(i, v)| (yq_text(v), ptr(&[key, &i.to_string()])))
        .collect()
}

fn yq_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// `text` contains `needle` with no ASCII digit right before or after it.
fn digit_bounded(text: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text.get(from..).and_then(|t| t.find(needle)) {
        let at = from + i;
        let end = at + needle.len();
        let before = at > 0 && bytes[at - 1].is_ascii_digit();
        let after = end < bytes.len() && bytes[end].is_ascii_digit();
        if !before && !after {
            return Some(at);
        }
        from = at + 1;
        while from < text.len() && !text.is_char_boundary(from) {
            from += 1;
        }
    }
    None
}

impl NativeGate for FactDuplication {
    fn name(&self) -> &'static str {
        "fact_duplication"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(binding) = spine_doc(cx, BINDING) else {
            return Err(format!("{BINDING} is missing"));
        };
        let ip_re = Regex::new(&format!(r"\b{IP}\b")).map_err(|e| e.to_string())?;
        let ip_ascii = Regex::new(&format!(r"(?-u:\b){IP}(?-u:\b)")).map_err(|e| e.to_string())?;
        let port_re = Regex::new(PORT_TEXT).map_err(|e| e.to_string())?;
        let canonical = list(&binding, "canonical_fact_docs");
        let no_fact = list(&binding, "no_fact_docs");
        let registry = binding.value().and_then(|v| v.get("service_registry"));
        let mut out = Vec::new();
        let bad = |pointer: &str, msg: String| {
            cx.finding(&binding, pointer, msg)
                .with_subject(format!("file:{BINDING}"))
        };
        if canonical.is_empty() {
            out.push(bad("", "canonical_fact_docs is empty".into()));
        }
        if no_fact.is_empty() {
            out.push(bad("", "no_fact_docs is empty".into()));
        }
        let registry = match registry {
            None | Some(Value::Null) => {
                out.push(bad("", "service_registry is missing".into()));
                None
            }
            Some(v) => Some(yq_text(v)),
        };
        if !out.is_empty() {
            return Ok(out);
        }
        for (rel, p) in canonical.iter().chain(no_fact.iter()) {
            if !cx.inputs.has(RepoId::Spine, rel) {
                out.push(bad(p, format!("listed doc {rel} does not exist")));
            }
        }
        let registry = registry.unwrap_or_default();
        if !cx.inputs.has(RepoId::Spine, &registry) {
            out.push(bad("/service_registry", format!("service registry {registry} does not exist")));
        }
        if !out.is_empty() {
            return Ok(out);
        }
        let read = |rel: &str| -> Result<Arc<Document>, String> {
            cx.doc(RepoId::Spine, rel)
                .ok_or_else(|| format!("{rel} is not readable (declare it under inputs)"))
        };
        // Service ports of the registry (yq's text of `.port // ""`).
        let reg = read(&registry)?;
        let mut ports = BTreeSet::new();
        let services: Vec<&Value> = match reg.value().and_then(|v| v.get("services")) {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(Value::Object(m)) => m.values().collect(),
            _ => Vec::new(),
        };
        for s in services {
            for key in ["port", "console_port"] {
                match s.get(key) {
                    None | Some(Value::Null) | Some(Value::Bool(false)) => {}
                    Some(v) => {
                        let t = yq_text(v);
                        if !t.is_empty() {
                            ports.insert(t);
                        }
                    }
                }
            }
        }
        // IPs of the canonical docs. The script collects them with
        // `rg -o` over all canonical docs at once: with two or more files
        // ripgrep prefixes each match with its path, so the fixed-string
        // search for `path:ip` finds nothing; only a single canonical doc
        // yields bare IPs.
        let mut canon_ips = BTreeSet::new();
        for (rel, _) in canonical.iter().filter(|_| canonical.len() == 1) {
            let d = read(rel)?;
            for m in ip_ascii.find_iter(&d.text) {
                canon_ips.insert(m.as_str().to_string());
            }
        }
        for (rel, _) in &no_fact {
            let d = read(rel)?;
            let at = |start: usize, len: usize| {
                Location::at(RepoId::Spine, rel.as_str(), d.span(start, start + len))
            };
            let subject = format!("file:{rel}");
            for m in ip_re.find_iter(&d.text) {
                out.push(
                    cx.finding_at(
                        at(m.start(), m.len()),
                        format!("raw IP `{}` in a no-fact doc (facts live in the canonical docs)", m.as_str()),
                    )
                    .with_subject(subject.clone()),
                );
            }
            for m in port_re.find_iter(&d.text) {
                out.push(
                    cx.finding_at(
                        at(m.start(), m.len()),
                        format!("literal port claim `{}` in a no-fact doc", m.as_str()),
                    )
                    .with_subject(subject.clone()),
                );
            }
            for p in &ports {
                if let Some(i) = digit_bounded(&d.text, p) {
                    out.push(
                        cx.finding_at(
                            at(i, p.len()),
                            format!("service port {p} of {registry} repeated in a no-fact doc"),
                        )
                        .with_subject(subject.clone()),
                    );
                }
            }
            for ip in &canon_ips {
                if let Some(i) = d.text.find(ip.as_str()) {
                    out.push(
                        cx.finding_at(
                            at(i, ip.len()),
                            format!("canonical IP {ip} repeated in a no-fact doc"),
                        )
                        .with_subject(subject.clone()),
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

    const B: &str = "canonical_fact_docs: [docs/governance/FACTS.md]\nno_fact_docs: [docs/README.md]\nservice_registry: docs/governance/SERVICE_REGISTRY.yaml\n";
    const REG: &str = "services:\n  grafana:\n    host: obs\n    port: 3000\n  minio:\n    host: nas\n    port: 9000\n    console_port: \"9001\"\n";

    #[test]
    fn facts_in_no_fact_docs_are_found() {
        let f = findings(run_gate(
            "D27",
            &[
                (BINDING, B),
                ("docs/governance/FACTS.md", "nas 192.168.1.5\n"),
                ("docs/governance/SERVICE_REGISTRY.yaml", REG),
                ("docs/README.md", "open 13000 and 9001, port 22 here; see 10.0.0.1\nhostx192.168.1.5\n"),
            ],
            None,
            None,
        ));
        let s = summary(&f);
        // IP 10.0.0.1, port 22, port 9001 (3000 is inside 13000), canonical IP
        assert_eq!(f.len(), 4, "{s:?}");
    }

    #[test]
    fn clean_docs_pass_and_missing_docs_fail() {
        let files = [
            (BINDING, B),
            ("docs/governance/FACTS.md", "nas 192.168.1.5\n"),
            ("docs/governance/SERVICE_REGISTRY.yaml", REG),
            ("docs/README.md", "See the canonical docs.\n"),
        ];
        let f = findings(run_gate("D27", &files, None, None));
        assert!(f.is_empty(), "{:?}", summary(&f));
        let f = findings(run_gate("D27", &files[..3], None, None));
        assert_eq!(f.len(), 1);
        assert_eq!(digit_bounded("a13000 3000", "3000"), Some(7));
    }
}
