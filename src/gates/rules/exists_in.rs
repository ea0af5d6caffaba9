//! `exists_in`: items selected in one document must have their key present
//! among the keys of items selected in another (optionally both ways).
//!
//! ```yaml
//! rule:
//!   kind: exists_in
//!   source: {file: "spine:ops/bindings/vm.lifecycle.yaml", items: '.vms[] | select(.status == "active")', key: .id}
//!   target: {file: "spine:ops/bindings/vm.operating.profile.yaml", items: '.profiles[]', key: .id}
//!   message: "VM {{id}} ({{hostname}}) has no operating profile"
//!   subject: "vm:{{proxmox_host}}/{{id}}"
//! ```
//! Keys are compared as strings (`204` == `"204"`); a null key is no
//! reference and is not checked. `key` may yield several values (each must
//! exist). Template variables: `$value` (the key), `$key` (the item's map
//! key), `$file`, `$other` (the other file).

use super::{item_json, render, Halt, Item, Loaded, Output, RuleCx, RuleResult};
use serde::Deserialize;
use std::collections::HashSet;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Side {
    pub file: String,
    pub items: String,
    pub key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub source: Side,
    pub target: Side,
    #[serde(default)]
    pub both_directions: bool,
    pub message: Option<String>,
    pub subject: Option<String>,
    pub reverse_message: Option<String>,
    pub reverse_subject: Option<String>,
}

struct Prepared {
    loaded: Loaded,
    items: Vec<Item>,
    key: std::sync::Arc<super::jq::Jq>,
    key_path: Option<std::sync::Arc<super::jq::Jq>>,
}

fn prepare(cx: &RuleCx<'_>, side: &Side, field: &str, out: &mut Output) -> Result<Prepared, Halt> {
    let items_f = cx.items_jq(&side.items, &format!("{field}/items"))?;
    let key = cx.jq(&side.key, &format!("{field}/key"))?;
    let key_path = cx.path_jq(&side.key);
    let loaded = cx.load(&side.file)?;
    let items = match cx.items(&items_f, &loaded) {
        Ok(i) => i,
        Err(e) => {
            cx.item_error(out, &loaded.doc, "", &e);
            Vec::new()
        }
    };
    Ok(Prepared {
        loaded,
        items,
        key,
        key_path,
    })
}

/// Every (key, pointer) of every item; item errors reported.
fn all_keys(cx: &RuleCx<'_>, p: &Prepared, out: &mut Output) -> Vec<Vec<(String, String)>> {
    p.items
        .iter()
        .map(|item| match cx.keys(&p.key, p.key_path.as_deref(), item) {
            Ok(k) => k,
            Err(e) => {
                cx.item_error(out, &p.loaded.doc, &item.pointer, &e);
                Vec::new()
            }
        })
        .collect()
}

pub fn run(cx: &RuleCx<'_>, spec: Spec) -> RuleResult {
    let mut out = Output::default();
    // Compile everything first: a broken filter is a config error even
    // when an input is missing.
    let source = prepare(cx, &spec.source, "/source", &mut out);
    let target = prepare(cx, &spec.target, "/target", &mut out);
    let (source, target) = match (source, target) {
        (Err(h @ Halt::Config { .. }), _) | (_, Err(h @ Halt::Config { .. })) => return Err(h),
        (Err(h), _) | (_, Err(h)) => return Err(h),
        (Ok(s), Ok(t)) => (s, t),
    };
    let source_keys = all_keys(cx, &source, &mut out);
    let target_keys = all_keys(cx, &target, &mut out);
    let tset: HashSet<&str> = target_keys
        .iter()
        .flatten()
        .map(|(k, _)| k.as_str())
        .collect();
    let message = spec
        .message
        .as_deref()
        .unwrap_or("`{{$value}}` has no match in {{$other}}");
    report_missing(
        cx,
        &source,
        &source_keys,
        &tset,
        &target,
        message,
        spec.subject.as_deref(),
        &mut out,
    );
    if spec.both_directions {
        let sset: HashSet<&str> = source_keys
            .iter()
            .flatten()
            .map(|(k, _)| k.as_str())
            .collect();
        let message = spec
            .reverse_message
            .as_deref()
            .unwrap_or("`{{$value}}` has no match in {{$other}}");
        report_missing(
            cx,
            &target,
            &target_keys,
            &sset,
            &source,
            message,
            spec.reverse_subject.as_deref(),
            &mut out,
        );
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn report_missing(
    cx: &RuleCx<'_>,
    side: &Prepared,
    keys: &[Vec<(String, String)>],
    other_keys: &HashSet<&str>,
    other: &Prepared,
    message: &str,
    subject: Option<&str>,
    out: &mut Output,
) {
    let doc = &side.loaded.doc;
    let other_name = format!("{}:{}", other.loaded.doc.repo, other.loaded.doc.path);
    for (item, ks) in side.items.iter().zip(keys) {
        for (k, ptr) in ks {
            if other_keys.contains(k.as_str()) {
                continue;
            }
            let json = item_json(doc, &item.pointer);
            let vars = [
                ("value", k.clone()),
                (
                    "key",
                    super::jq::scalar_text(&item.key()).unwrap_or_default(),
                ),
                ("file", doc.path.clone()),
                ("other", other_name.clone()),
            ];
            let msg = render(message, json, &vars);
            let subj = subject.map(|s| render(s, json, &vars));
            out.findings.push(cx.finding(doc, ptr, msg, subj));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::spine;
    use super::super::*;
    use crate::gates::tests_support::{gate_cx, run_rule_on};
    use serde_json::json;

    const VMS: &str = "vms:\n  - id: 204\n    hostname: infra-core\n    status: active\n    backup_target: b-204\n  - id: 209\n    hostname: download-stack\n    status: active\n    backup_target: b-209\n  - id: 213\n    status: retired\n";
    const PROFILES: &str = "profiles:\n  - id: \"204\"\n  - id: 300\n";

    fn rule(both: bool) -> serde_json::Value {
        json!({
            "kind": "exists_in",
            "source": {"file": "spine:vm.yaml", "items": ".vms[] | select(.status == \"active\")", "key": ".id"},
            "target": {"file": "profiles.yaml", "items": ".profiles[]", "key": ".id"},
            "both_directions": both,
            "message": "VM {{id}} ({{hostname}}) has no operating profile",
            "subject": "vm:pve/{{id}}",
            "reverse_message": "profile {{id}} names no active VM"
        })
    }

    #[test]
    fn missing_key_is_reported_at_the_key_with_subject() {
        let t = spine(&[("vm.yaml", VMS), ("profiles.yaml", PROFILES)]);
        let meta = gate_cx("D86");
        let out = run_rule_on(&t.ws, &meta, &rule(false)).unwrap();
        assert_eq!(out.findings.len(), 1, "{:?}", out.findings);
        let f = &out.findings[0];
        assert_eq!(
            f.message,
            "VM 209 (download-stack) has no operating profile"
        );
        assert_eq!(f.subject.as_deref(), Some("vm:pve/209"));
        assert_eq!(f.location.path, "vm.yaml");
        assert_eq!((f.location.line(), f.location.col()), (6, 5));
    }

    #[test]
    fn both_directions_reports_the_other_side() {
        let t = spine(&[("vm.yaml", VMS), ("profiles.yaml", PROFILES)]);
        let meta = gate_cx("D86");
        let out = run_rule_on(&t.ws, &meta, &rule(true)).unwrap();
        let msgs: Vec<_> = out
            .findings
            .iter()
            .map(|f| (f.message.as_str(), f.location.line()))
            .collect();
        assert_eq!(
            msgs,
            vec![
                ("VM 209 (download-stack) has no operating profile", 6),
                ("profile 300 names no active VM", 3)
            ]
        );
    }

    #[test]
    fn passes_when_every_key_exists() {
        let t = spine(&[
            ("vm.yaml", VMS),
            ("profiles.yaml", "profiles:\n  - id: 204\n  - id: 209\n"),
        ]);
        let meta = gate_cx("D86");
        let out = run_rule_on(&t.ws, &meta, &rule(true)).unwrap();
        assert!(out.findings.is_empty(), "{:?}", out.findings);
    }

    #[test]
    fn missing_target_file_skips() {
        let t = spine(&[("vm.yaml", VMS)]);
        let meta = gate_cx("D86");
        match run_rule_on(&t.ws, &meta, &rule(false)) {
            Err(Halt::Skip(why)) => assert!(why.contains("profiles.yaml"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_key_filter_is_a_config_error_at_its_field() {
        let t = spine(&[("vm.yaml", VMS), ("profiles.yaml", PROFILES)]);
        let meta = gate_cx("D86");
        let mut r = rule(false);
        r["target"]["key"] = json!(".id |");
        match run_rule_on(&t.ws, &meta, &r) {
            Err(Halt::Config { pointer, .. }) => assert_eq!(pointer, "/rule/target/key"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn map_entries_join_by_key() {
        let t = spine(&[
            ("ssh.yaml", "targets:\n  - id: a\n  - id: b\n"),
            ("reg.yaml", "hosts:\n  a: {}\n  c: {}\n"),
        ]);
        let meta = gate_cx("D59");
        let r = json!({
            "kind": "exists_in",
            "source": {"file": "reg.yaml", "items": ".hosts[]", "key": "$key"},
            "target": {"file": "ssh.yaml", "items": ".targets[]", "key": ".id"},
            "both_directions": true,
            "message": "host {{$key}} has no ssh target",
            "reverse_message": "target {{id}} is not a registry host",
        });
        let out = run_rule_on(&t.ws, &meta, &r).unwrap();
        let got: Vec<_> = out
            .findings
            .iter()
            .map(|f| {
                (
                    f.message.clone(),
                    f.location.path.clone(),
                    f.location.line(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "host c has no ssh target".to_string(),
                    "reg.yaml".to_string(),
                    3
                ),
                (
                    "target b is not a registry host".to_string(),
                    "ssh.yaml".to_string(),
                    3
                )
            ]
        );
    }
}
