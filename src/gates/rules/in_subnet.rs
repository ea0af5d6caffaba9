//! `in_subnet`: an IP field of each item lies inside a CIDR that another
//! document assigns to the item's join key.
//!
//! ```yaml
//! rule:
//!   kind: in_subnet
//!   file: "spine:ops/bindings/vm.lifecycle.yaml"
//!   items: '.vms[] | select(.lan_ip != null)'
//!   ip: .lan_ip
//!   join: .proxmox_host
//!   cidrs:
//!     file: "spine:ops/bindings/topology.sites.yaml"
//!     items: .sites[]
//!     key: .proxmox_alias
//!     cidr: .lan_cidr
//!   message: "VM {{id}} ({{hostname}}) LAN IP {{$ip}} is outside {{$site}} lan_cidr {{$cidr}}"
//! ```
//! Variables: `$ip`, `$cidr`, `$join`, `$site` (the matched CIDR item's key
//! or `id`), `$file`. An item whose join key has no CIDR is a finding too
//! (`missing_message`), unless `skip_missing: true`.

use super::{item_json, jq, render, Output, RuleCx, RuleResult};
use ipnet::IpNet;
use serde::Deserialize;
use std::collections::HashMap;
use std::net::IpAddr;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cidrs {
    pub file: String,
    pub items: String,
    pub key: String,
    pub cidr: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub file: String,
    pub items: String,
    pub ip: String,
    pub join: String,
    pub cidrs: Cidrs,
    pub message: Option<String>,
    pub missing_message: Option<String>,
    #[serde(default)]
    pub skip_missing: bool,
    pub subject: Option<String>,
}

struct Net {
    nets: Vec<IpNet>,
    text: String,
    site: String,
}

pub fn run(cx: &RuleCx<'_>, spec: Spec) -> RuleResult {
    let items_f = cx.items_jq(&spec.items, "/items")?;
    let ip_f = cx.jq(&spec.ip, "/ip")?;
    let ip_path = cx.path_jq(&spec.ip);
    let join_f = cx.jq(&spec.join, "/join")?;
    let citems_f = cx.items_jq(&spec.cidrs.items, "/cidrs/items")?;
    let ckey_f = cx.jq(&spec.cidrs.key, "/cidrs/key")?;
    let ccidr_f = cx.jq(&spec.cidrs.cidr, "/cidrs/cidr")?;
    let loaded = cx.load(&spec.file)?;
    let cloaded = cx.load(&spec.cidrs.file)?;
    let mut out = Output::default();

    // Join key → CIDRs.
    let mut nets: HashMap<String, Net> = HashMap::new();
    let citems = cx.items(&citems_f, &cloaded).unwrap_or_else(|e| {
        cx.item_error(&mut out, &cloaded.doc, "", &e);
        Vec::new()
    });
    for ci in &citems {
        let vars = cx.vars(&ci.path);
        let res = (|| -> Result<Option<(String, Net)>, String> {
            let Some(k) = ckey_f
                .first(ci.val.clone(), &vars)?
                .and_then(|v| jq::scalar_text(&v))
            else {
                return Ok(None);
            };
            let mut list = Vec::new();
            let mut texts = Vec::new();
            for v in ccidr_f.run(ci.val.clone(), &vars)? {
                let vs: Vec<jaq_json::Val> = match v {
                    jaq_json::Val::Arr(a) => a.iter().cloned().collect(),
                    other => vec![other],
                };
                for v in vs {
                    let Some(t) = jq::scalar_text(&v) else {
                        continue;
                    };
                    let n = t
                        .parse::<IpNet>()
                        .map_err(|_| format!("`{t}` is not a CIDR"))?;
                    list.push(n);
                    texts.push(t);
                }
            }
            let json = item_json(&cloaded.doc, &ci.pointer);
            let site = json
                .and_then(|j| j.get("id"))
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .unwrap_or_else(|| k.clone());
            Ok(Some((
                k,
                Net {
                    nets: list,
                    text: texts.join(", "),
                    site,
                },
            )))
        })();
        match res {
            Ok(Some((k, n))) => {
                nets.entry(k).or_insert(n);
            }
            Ok(None) => {}
            Err(e) => cx.item_error(&mut out, &cloaded.doc, &ci.pointer, &e),
        }
    }

    let doc = &loaded.doc;
    let Some(items) = cx.items_or_report(&mut out, &items_f, &loaded) else {
        return Ok(out);
    };
    let message = spec
        .message
        .as_deref()
        .unwrap_or("IP {{$ip}} is outside {{$cidr}} ({{$site}})");
    let missing = spec
        .missing_message
        .as_deref()
        .unwrap_or("no CIDR is declared for `{{$join}}`");
    for item in &items {
        let vars = cx.vars(&item.path);
        let joined = cx.keys(&ip_f, ip_path.as_deref(), item).and_then(|ips| {
            let join = join_f
                .first(item.val.clone(), &vars)?
                .and_then(|v| jq::scalar_text(&v))
                .unwrap_or_default();
            Ok((ips, join))
        });
        let (ips, join) = match joined {
            Ok(x) => x,
            Err(e) => {
                cx.item_error(&mut out, doc, &item.pointer, &e);
                continue;
            }
        };
        let json = item_json(doc, &item.pointer);
        let net = nets.get(&join);
        for (ip, ptr) in ips {
            let tvars = [
                ("ip", ip.clone()),
                ("join", join.clone()),
                ("file", doc.path.clone()),
                ("cidr", net.map(|n| n.text.clone()).unwrap_or_default()),
                ("site", net.map(|n| n.site.clone()).unwrap_or_default()),
            ];
            let subj = spec.subject.as_deref().map(|s| render(s, json, &tvars));
            let Ok(addr) = ip.parse::<IpAddr>() else {
                let (context, _) = doc
                    .value()
                    .map(|v| crate::schema::context_of(v, &item.pointer))
                    .unwrap_or_else(|| ("item".into(), String::new()));
                out.findings.push(cx.finding(
                    doc,
                    &ptr,
                    format!("{context}: `{ip}` is not an IP address"),
                    subj,
                ));
                continue;
            };
            match net {
                None if spec.skip_missing => {}
                None => {
                    out.findings
                        .push(cx.finding(doc, &ptr, render(missing, json, &tvars), subj))
                }
                Some(n) if n.nets.iter().any(|c| c.contains(&addr)) => {}
                Some(_) => {
                    out.findings
                        .push(cx.finding(doc, &ptr, render(message, json, &tvars), subj))
                }
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

    const SITES: &str = "sites:\n  - id: shop\n    proxmox_alias: pve\n    lan_cidr: 192.168.1.0/24\n  - id: home\n    proxmox_alias: proxmox-home\n    lan_cidr: 10.0.0.0/24\n";

    fn rule() -> serde_json::Value {
        json!({"kind": "in_subnet", "file": "vm.yaml", "items": ".vms[] | select(.lan_ip != null)",
               "ip": ".lan_ip", "join": ".proxmox_host",
               "cidrs": {"file": "sites.yaml", "items": ".sites[]", "key": ".proxmox_alias", "cidr": ".lan_cidr"},
               "message": "VM {{id}} LAN IP {{$ip}} is outside {{$site}} lan_cidr {{$cidr}}",
               "subject": "vm:{{proxmox_host}}/{{id}}"})
    }

    #[test]
    fn outside_ip_is_reported_at_the_ip() {
        let t = spine(&[
            ("sites.yaml", SITES),
            ("vm.yaml", "vms:\n  - id: 204\n    proxmox_host: pve\n    lan_ip: 192.168.1.204\n  - id: 102\n    proxmox_host: proxmox-home\n    lan_ip: 192.168.12.102\n  - id: 9000\n    proxmox_host: pve\n    lan_ip: null\n  - id: 7\n    proxmox_host: mars\n    lan_ip: 1.2.3.4\n  - id: 8\n    proxmox_host: pve\n    lan_ip: 192.168.1.25O\n"),
        ]);
        let out = run_rule_on(&t.ws, &gate_cx("D405"), &rule()).unwrap();
        let got: Vec<_> = out
            .findings
            .iter()
            .map(|f| (f.message.as_str(), f.location.line(), f.location.col()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "VM 102 LAN IP 192.168.12.102 is outside home lan_cidr 10.0.0.0/24",
                    7,
                    5
                ),
                ("no CIDR is declared for `mars`", 13, 5),
                ("id 8: `192.168.1.25O` is not an IP address", 16, 5),
            ]
        );
        assert_eq!(
            out.findings[0].subject.as_deref(),
            Some("vm:proxmox-home/102")
        );
    }

    #[test]
    fn inside_passes() {
        let t = spine(&[
            ("sites.yaml", SITES),
            (
                "vm.yaml",
                "vms:\n  - id: 100\n    proxmox_host: proxmox-home\n    lan_ip: 10.0.0.100\n",
            ),
        ]);
        assert!(run_rule_on(&t.ws, &gate_cx("D405"), &rule())
            .unwrap()
            .findings
            .is_empty());
    }
}
