//! D173 site-topology-parity-lock, as the registry's script judges it (the
//! script's code is the spec):
//!
//! - `ops/bindings/topology.sites.yaml` has the contract fields `status`,
//!   `owner`, `last_verified`, `scope` and a non-empty `sites` list;
//! - every site sets `id`, `status`, `lan_cidr`, `tailscale_anchor`,
//!   `proxmox_alias`, `vmid_range` and `notes`, and `compose_targets` is a
//!   list;
//! - a site's `proxmox_alias` is an id of `ops/bindings/ssh.targets.yaml`;
//! - every `compose_targets` entry is a target of
//!   `ops/bindings/docker.compose.targets.yaml`;
//! - an active site has a `vmid_range`.

use super::common::*;
use crate::findings::Finding;
use crate::gates::{GateContext, NativeGate};
use crate::model::ssh::ssh_targets;
use serde_json::Value;
use std::collections::HashSet;

pub struct SiteTopologyParity;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: SiteTopologyParity = SiteTopologyParity;

/// Python's `str(value or "").strip()` is empty.
fn blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        Some(Value::Bool(true)) => false,
    }
}

impl NativeGate for SiteTopologyParity {
    fn name(&self) -> &'static str {
        "site_topology"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let (Some(topo), Some(ssh), Some(compose)) = (
            spine_doc(cx, TOPOLOGY),
            spine_doc(cx, SSH_TARGETS),
            spine_doc(cx, COMPOSE_TARGETS),
        ) else {
            return Ok(Vec::new()); // required inputs: the engine skips
        };
        let mut out = Vec::new();
        let root = topo.value();
        for field in ["status", "owner", "last_verified", "scope", "sites"] {
            if root.and_then(|v| v.get(field)).is_none() {
                out.push(
                    cx.finding(&topo, "", format!("topology.sites.yaml lacks the contract field `{field}`"))
                        .with_subject(format!("file:{TOPOLOGY}")),
                );
            }
        }
        let sites = items(root, "sites");
        if sites.is_empty() && root.and_then(|v| v.get("sites")).is_some() {
            out.push(
                cx.finding(&topo, "/sites", "topology.sites.yaml lists no site")
                    .with_subject(format!("file:{TOPOLOGY}")),
            );
        }
        let ssh_ids: HashSet<String> = ssh_targets(&ssh)
            .targets
            .iter()
            .map(|t| t.id.trim().to_string())
            .collect();
        let compose_ids: HashSet<String> = compose
            .value()
            .and_then(|v| v.get("targets"))
            .and_then(Value::as_object)
            .map(|m| m.keys().map(|k| k.trim().to_string()).collect())
            .unwrap_or_default();
        for (i, site) in sites.iter().enumerate() {
            let ptr = format!("/sites/{i}");
            let id = text(site.get("id")).unwrap_or_else(|| "unknown-site".into());
            let subject = format!("site:{id}");
            let mut push = |at: &str, msg: String| {
                out.push(cx.finding(&topo, at, msg).with_subject(subject.clone()));
            };
            for field in [
                "id",
                "status",
                "lan_cidr",
                "tailscale_anchor",
                "proxmox_alias",
                "vmid_range",
                "compose_targets",
                "notes",
            ] {
                let v = site.get(field);
                if field == "compose_targets" {
                    if !matches!(v, Some(Value::Array(_))) {
                        push(&ptr, format!("site `{id}`: compose_targets must be a list"));
                    }
                    continue;
                }
                if blank(v) {
                    push(&ptr, format!("site `{id}` has no {field}"));
                }
            }
            if let Some(alias) = text(site.get("proxmox_alias")) {
                let alias = alias.trim().to_string();
                if !alias.is_empty() && !ssh_ids.contains(&alias) {
                    push(
                        &format!("{ptr}/proxmox_alias"),
                        format!("site `{id}`: proxmox_alias `{alias}` is not an ssh.targets id"),
                    );
                }
            }
            if let Some(Value::Array(list)) = site.get("compose_targets") {
                for (j, t) in list.iter().enumerate() {
                    let Some(t) = text(Some(t)) else { continue };
                    let t = t.trim().to_string();
                    if !t.is_empty() && !compose_ids.contains(&t) {
                        push(
                            &format!("{ptr}/compose_targets/{j}"),
                            format!("site `{id}`: compose target `{t}` is not in docker.compose.targets.yaml"),
                        );
                    }
                }
            }
            let active = text(site.get("status")).is_some_and(|s| s.trim().eq_ignore_ascii_case("active"));
            if active && blank(site.get("vmid_range")) {
                push(&ptr, format!("site `{id}` is active but has no vmid_range"));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const SSH: &str = "ssh:\n  targets:\n    - id: pve\n      host: 192.168.1.184\n";
    const COMPOSE: &str = "targets:\n  infra-core:\n    ssh_target: infra-core\n";
    const HEAD: &str = "status: authoritative\nowner: \"@ronny\"\nlast_verified: 2026-11-10\nscope: sites\n";

    #[test]
    fn the_scripts_checks_with_lines() {
        let topo = format!(
            "{HEAD}sites:\n  - id: shop\n    status: active\n    lan_cidr: 192.168.1.0/24\n    tailscale_anchor: pve\n    proxmox_alias: pve\n    vmid_range: 200-299\n    compose_targets: [infra-core]\n    notes: rack\n  - id: home\n    status: active\n    lan_cidr: 10.0.0.0/24\n    tailscale_anchor: ha\n    proxmox_alias: proxmox-home\n    compose_targets: [vaultwarden-home]\n    notes: house\n"
        );
        let f = findings(run_gate(
            "D173",
            &[(TOPOLOGY, &topo), (SSH_TARGETS, SSH), (COMPOSE_TARGETS, COMPOSE)],
            None,
            None,
        ));
        let got: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            got,
            vec![
                "site `home` has no vmid_range",
                "site `home`: proxmox_alias `proxmox-home` is not an ssh.targets id",
                "site `home`: compose target `vaultwarden-home` is not in docker.compose.targets.yaml",
                "site `home` is active but has no vmid_range",
            ]
        );
        assert_eq!(f[2].location.line(), 19);
    }

    #[test]
    fn the_contract_fields() {
        let f = findings(run_gate(
            "D173",
            &[(TOPOLOGY, "sites: []\n"), (SSH_TARGETS, SSH), (COMPOSE_TARGETS, COMPOSE)],
            None,
            None,
        ));
        assert_eq!(f.len(), 5, "{:?}", summary(&f));
        assert_eq!(f[4].message, "topology.sites.yaml lists no site");
    }
}
