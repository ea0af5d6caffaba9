//! D151 communications-boundary-lock: the communications stack does not
//! send as the business's Outlook domain, uses no stale domain and agrees
//! with the provider contract. A port of the registry's
//! `d151-communications-boundary-lock.sh`, with values as `yq e` prints them
//! (a missing or null value is the text `null`):
//! - in ops/bindings/communications.stack.contract.yaml,
//!   pilot.send_test.default_sender and default_recipient do not end in
//!   `@mintprints.com` or `@spine.mintprints.co`; the pilot mailboxes'
//!   addresses do not all end in `@mintprints.com` and none ends in
//!   `@spine.mintprints.co`;
//! - when ops/bindings/domain.canonical.roots.yaml exists, every e-mail
//!   address in the raw text of the stack and provider contracts has a
//!   domain (after its first `@`) that is one of `roots[].domain` or under
//!   one;
//! - the provider contract's transactional.mode equals its
//!   providers.resend.execution_mode, and the stack contract's
//!   transactional.mode equals it (a `null` side is not compared).

use super::common::*;
use crate::documents::Document;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use regex::Regex;
use serde_json::Value;
use std::collections::BTreeSet;

pub struct CommsBoundary;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: CommsBoundary = CommsBoundary;

const STACK: &str = "ops/bindings/communications.stack.contract.yaml";
const PROVIDERS: &str = "ops/bindings/communications.providers.contract.yaml";
const ROOTS: &str = "ops/bindings/domain.canonical.roots.yaml";

/// A scalar as `yq e` prints it (containers as JSON text).
fn yq_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "null".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn get<'v>(doc: &'v Document, path: &[&str]) -> Option<&'v Value> {
    let mut v = doc.value()?;
    for p in path {
        v = v.get(p)?;
    }
    Some(v)
}

/// Where a finding about `path` points: the deepest existing member.
fn loc(doc: &Document, path: &[&str]) -> Location {
    for n in (1..=path.len()).rev() {
        if get(doc, &path[..n]).is_some() {
            return doc.location(&ptr(&path[..n]));
        }
    }
    Location::file(RepoId::Spine, &doc.path)
}

impl NativeGate for CommsBoundary {
    fn name(&self) -> &'static str {
        "comms_boundary"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let (Some(stack), Some(prov)) = (spine_doc(cx, STACK), spine_doc(cx, PROVIDERS)) else {
            return Err("a communications contract is missing".into());
        };
        let mut out = Vec::new();
        let mut push = |l: Location, m: String| {
            out.push(cx.finding_at(l, m).with_subject("communications:boundary"));
        };
        let send = ["pilot", "send_test"];
        let sender = yq_text(get(&stack, &["pilot", "send_test", "default_sender"]));
        let recipient = yq_text(get(&stack, &["pilot", "send_test", "default_recipient"]));
        for (name, value) in [("default_sender", &sender), ("default_recipient", &recipient)] {
            let p = [send[0], send[1], name];
            if value.ends_with("@mintprints.com") {
                push(loc(&stack, &p), format!("send_test.{name} {value} sends as the Outlook domain"));
            }
        }
        // Mailbox addresses: each printed line of `.pilot.mailboxes[].address`.
        let mut addrs: Vec<(usize, String)> = Vec::new();
        if let Some(Value::Array(m)) = get(&stack, &["pilot", "mailboxes"]) {
            for (i, b) in m.iter().enumerate() {
                for line in yq_text(b.get("address")).lines() {
                    if !line.is_empty() && line != "null" {
                        addrs.push((i, line.to_string()));
                    }
                }
            }
        }
        let outlook = addrs.iter().filter(|(_, a)| a.ends_with("@mintprints.com")).count();
        if !addrs.is_empty() && outlook == addrs.len() {
            push(
                loc(&stack, &["pilot", "mailboxes"]),
                format!("all {} stack mailboxes stub to Outlook (@mintprints.com)", addrs.len()),
            );
        }
        for (i, a) in &addrs {
            if a.ends_with("@spine.mintprints.co") {
                let n = i.to_string();
                push(
                    loc(&stack, &["pilot", "mailboxes", &n, "address"]),
                    format!("mailbox {a} uses the stale Lane C domain (use @spine.ronny.works)"),
                );
            }
        }
        for (name, value) in [("default_sender", &sender), ("default_recipient", &recipient)] {
            if value.ends_with("@spine.mintprints.co") {
                let p = [send[0], send[1], name];
                push(
                    loc(&stack, &p),
                    format!("send_test.{name} {value} uses the stale Lane C domain"),
                );
            }
        }
        if cx.inputs.has(RepoId::Spine, ROOTS) {
            let roots: Vec<String> = match spine_doc(cx, ROOTS)
                .as_deref()
                .and_then(|d| d.value().cloned())
            {
                Some(v) => v
                    .get("roots")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .map(|r| yq_text(r.get("domain")))
                            .filter(|d| !d.is_empty() && d != "null")
                            .collect()
                    })
                    .unwrap_or_default(),
                None => Vec::new(),
            };
            let email = Regex::new(r"[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}")
                .map_err(|e| e.to_string())?;
            for doc in [&stack, &prov] {
                let found: BTreeSet<&str> = email.find_iter(&doc.text).map(|m| m.as_str()).collect();
                for e in found {
                    let domain = e.split_once('@').map_or(e, |(_, d)| d);
                    let ok = roots
                        .iter()
                        .any(|r| domain == r || domain.ends_with(&format!(".{r}")));
                    if !ok {
                        let at = doc
                            .text
                            .find(e)
                            .map(|o| Location::at(RepoId::Spine, &doc.path, doc.span(o, o + e.len())))
                            .unwrap_or_else(|| Location::file(RepoId::Spine, &doc.path));
                        push(at, format!("{e} uses a domain that is not a canonical root"));
                    }
                }
            }
        }
        let top = yq_text(get(&prov, &["transactional", "mode"]));
        let resend = yq_text(get(&prov, &["providers", "resend", "execution_mode"]));
        if top != resend && top != "null" && resend != "null" {
            push(
                loc(&prov, &["providers", "resend", "execution_mode"]),
                format!("transactional.mode {top} disagrees with providers.resend.execution_mode {resend}"),
            );
        }
        let stack_mode = yq_text(get(&stack, &["transactional", "mode"]));
        if stack_mode != top && stack_mode != "null" && top != "null" {
            push(
                loc(&stack, &["transactional", "mode"]),
                format!("the stack contract's transactional.mode {stack_mode} disagrees with the provider contract's {top}"),
            );
        }
        Ok(out)
    }
}
