//! `allow_list`: per group, only allowed values. Each selected item has a
//! group (`group`, e.g. the host a service runs on) and a value (`value`,
//! e.g. the service name); a group listed in `allow` admits only values
//! matching one of its glob patterns. Groups not listed are unconstrained.
//!
//! ```yaml
//! rule:
//!   kind: allow_list
//!   file: "spine:docs/governance/SERVICE_REGISTRY.yaml"
//!   items: '.services[] | select((.status // "active") != "retired")'
//!   group: .host
//!   value: $key                      # the item's map key (the service name)
//!   allow:
//!     docker-host: ["mint-os-*", "minio"]
//!   message: "service `{{$value}}` runs on {{$group}}, which admits only {{$allowed}}"
//!   subject: "service:{{$value}}"
//! ```
//! Placement rules are data: the allow-lists live in the gate file and a
//! spine overrides them with `gate_options.<ID>.allow` in driftgate.yaml.
//! Patterns are globs (`*`, `?`, `[...]`), matched against the whole value,
//! case-sensitively. The finding sits on the item's group value. Template
//! variables: `$value`, `$group`, `$allowed` (the patterns, comma
//! separated), `$key`, `$file`.

use super::{item_json, render, Output, RuleCx, RuleResult};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub file: String,
    pub items: String,
    pub group: String,
    pub value: String,
    pub allow: BTreeMap<String, Vec<String>>,
    pub message: Option<String>,
    pub subject: Option<String>,
}

pub fn run(cx: &RuleCx<'_>, spec: Spec) -> RuleResult {
    let items_f = cx.items_jq(&spec.items, "/items")?;
    let group = cx.jq(&spec.group, "/group")?;
    let group_path = cx.path_jq(&spec.group);
    let value = cx.jq(&spec.value, "/value")?;
    let mut sets: BTreeMap<&str, GlobSet> = BTreeMap::new();
    for (g, pats) in &spec.allow {
        let mut b = GlobSetBuilder::new();
        for p in pats {
            let glob = Glob::new(p).map_err(|e| {
                cx.config(
                    &format!("/allow/{}", crate::documents::pointer_escape(g)),
                    format!("bad pattern `{p}`: {e}"),
                )
            })?;
            b.add(glob);
        }
        let set = b.build().map_err(|e| {
            cx.config(
                &format!("/allow/{}", crate::documents::pointer_escape(g)),
                format!("bad patterns: {e}"),
            )
        })?;
        sets.insert(g.as_str(), set);
    }
    let loaded = cx.load(&spec.file)?;
    let doc = &loaded.doc;
    let mut out = Output::default();
    let Some(items) = cx.items_or_report(&mut out, &items_f, &loaded) else {
        return Ok(out);
    };
    let message = spec
        .message
        .as_deref()
        .unwrap_or("`{{$value}}` is not allowed on {{$group}} (allowed: {{$allowed}})");
    for item in &items {
        let Some(groups) = cx.keys_or_report(&mut out, doc, &group, group_path.as_deref(), item)
        else {
            continue;
        };
        let Some(values) = cx.keys_or_report(&mut out, doc, &value, None, item) else {
            continue;
        };
        for (g, gptr) in &groups {
            let Some(set) = sets.get(g.as_str()) else {
                continue;
            };
            for (v, _) in &values {
                if set.is_match(v.as_str()) {
                    continue;
                }
                let json = item_json(doc, &item.pointer);
                let vars = [
                    ("value", v.clone()),
                    ("group", g.clone()),
                    (
                        "allowed",
                        spec.allow
                            .get(g.as_str())
                            .map(|p| p.join(", "))
                            .unwrap_or_default(),
                    ),
                    (
                        "key",
                        super::jq::scalar_text(&item.key()).unwrap_or_default(),
                    ),
                    ("file", doc.path.clone()),
                ];
                let msg = render(message, json, &vars);
                let subj = spec.subject.as_deref().map(|s| render(s, json, &vars));
                out.findings.push(cx.finding(doc, gptr, msg, subj));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::spine;
    use crate::gates::tests_support::{gate_cx, run_rule_on};
    use serde_json::json;

    const REG: &str = "services:\n  mint-os-admin:\n    host: docker-host\n  minio:\n    host: docker-host\n  vaultwarden:\n    host: docker-host\n  grafana:\n    host: observability\n  old-thing:\n    host: docker-host\n    status: retired\n";

    fn rule(allow: serde_json::Value) -> serde_json::Value {
        json!({
            "kind": "allow_list",
            "file": "reg.yaml",
            "items": ".services[] | select((.status // \"active\") != \"retired\")",
            "group": ".host",
            "value": "$key",
            "allow": allow,
            "message": "service `{{$value}}` runs on {{$group}}, which admits only {{$allowed}}",
            "subject": "service:{{$value}}"
        })
    }

    #[test]
    fn a_value_outside_its_groups_list_is_reported_at_the_group() {
        let t = spine(&[("reg.yaml", REG)]);
        let out = run_rule_on(
            &t.ws,
            &gate_cx("D411"),
            &rule(json!({"docker-host": ["mint-os-*", "minio"]})),
        )
        .unwrap();
        assert_eq!(out.findings.len(), 1, "{:?}", out.findings);
        let f = &out.findings[0];
        assert_eq!(
            f.message,
            "service `vaultwarden` runs on docker-host, which admits only mint-os-*, minio"
        );
        assert_eq!(f.location.line(), 7);
        assert_eq!(f.subject.as_deref(), Some("service:vaultwarden"));
    }

    #[test]
    fn unlisted_groups_are_free_and_bad_patterns_are_config_errors() {
        let t = spine(&[("reg.yaml", REG)]);
        let out = run_rule_on(
            &t.ws,
            &gate_cx("D411"),
            &rule(json!({"dev-tools": ["gitea"]})),
        )
        .unwrap();
        assert!(out.findings.is_empty());
        let err = run_rule_on(
            &t.ws,
            &gate_cx("D411"),
            &rule(json!({"docker-host": ["[x"]})),
        );
        assert!(err.is_err());
    }
}
