//! D59 cross-registry-completeness-lock, as the registry's script judges it
//! (the script's code is the spec):
//!
//! 1. Every host of `ops/bindings/naming.policy.yaml` that is not
//!    decommissioned and has `surfaces.ssh_target: true` is an SSH target of
//!    `ops/bindings/ssh.targets.yaml` whose `access_method` is not
//!    `lan_only`.
//! 2. Every such SSH target whose naming-policy host is on a scoped site
//!    (`gate_options.D59.sites`, default `shop`, as the script hard-codes),
//!    is not a Proxmox hypervisor (`kind: proxmox`) and not decommissioned,
//!    is a host of `docs/governance/SERVICE_REGISTRY.yaml` (`hosts` keys).
//!
//! A target the naming policy does not know is not judged by check 2 (the
//! script finds no site for it), nor is one the policy lists twice with
//! different sites.

use super::common::*;
use crate::findings::Finding;
use crate::gates::{GateContext, NativeGate};
use crate::model::ssh::ssh_targets;
use serde_json::Value;
use std::collections::HashSet;

pub struct CrossRegistry;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: CrossRegistry = CrossRegistry;

const NAMING: &str = "ops/bindings/naming.policy.yaml";

/// The values of `field` of every naming-policy host named `name`, as yq
/// prints them (one line each): the script compares that whole text.
fn policy_field(hosts: &[Value], name: &str, field: &str) -> String {
    hosts
        .iter()
        .filter(|h| text(h.get("canonical_name")).as_deref() == Some(name))
        .map(|h| text(h.get(field)).unwrap_or_else(|| "null".into()))
        .collect::<Vec<_>>()
        .join("\n")
}

impl NativeGate for CrossRegistry {
    fn name(&self) -> &'static str {
        "cross_registry"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let sites = opt_list(cx, "sites").unwrap_or_else(|| vec!["shop".into()]);
        let (Some(ssh_doc), Some(reg_doc), Some(naming_doc)) = (
            spine_doc(cx, SSH_TARGETS),
            spine_doc(cx, SERVICE_REGISTRY),
            spine_doc(cx, NAMING),
        ) else {
            return Ok(Vec::new()); // required inputs: the engine skips
        };
        let targets = ssh_targets(&ssh_doc);
        let reachable: Vec<_> = targets
            .targets
            .iter()
            .filter(|t| text(t.value.get("access_method")).as_deref() != Some("lan_only"))
            .collect();
        let reachable_ids: HashSet<&str> = reachable.iter().map(|t| t.id.as_str()).collect();
        let registry_hosts: HashSet<String> = reg_doc
            .value()
            .and_then(|v| v.get("hosts"))
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let hosts = items(naming_doc.value(), "hosts");
        let mut out = Vec::new();

        // 1. naming.policy ssh_target hosts → ssh.targets
        for (i, h) in hosts.iter().enumerate() {
            let Some(name) = text(h.get("canonical_name")) else {
                continue;
            };
            if text(h.get("status")).as_deref() == Some("decommissioned") {
                continue;
            }
            let ssh = h.get("surfaces").and_then(|s| s.get("ssh_target"));
            if ssh != Some(&Value::Bool(true)) {
                continue;
            }
            if !reachable_ids.contains(name.as_str()) {
                let lan_only = targets.targets.iter().any(|t| t.id == name);
                let why = if lan_only {
                    "its ssh.targets entry is access_method: lan_only"
                } else {
                    "ops/bindings/ssh.targets.yaml has no such target"
                };
                out.push(
                    cx.finding(
                        &naming_doc,
                        &format!("/hosts/{i}/canonical_name"),
                        format!("host `{name}` is an SSH target in naming.policy.yaml (surfaces.ssh_target: true), but {why}"),
                    )
                    .with_subject(format!("ssh_host:{name}")),
                );
            }
        }

        // 2. scoped, reachable ssh targets → SERVICE_REGISTRY hosts
        for t in &reachable {
            let site = policy_field(hosts, &t.id, "site");
            if !sites.contains(&site) {
                continue;
            }
            if policy_field(hosts, &t.id, "kind") == "proxmox"
                || policy_field(hosts, &t.id, "status") == "decommissioned"
            {
                continue;
            }
            if !registry_hosts.contains(&t.id) {
                out.push(
                    cx.finding(
                        &ssh_doc,
                        &t.ptr("id"),
                        format!(
                            "ssh target `{}` (site {site}) is not a host in docs/governance/SERVICE_REGISTRY.yaml",
                            t.id
                        ),
                    )
                    .with_subject(format!("ssh_host:{}", t.id)),
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

    const SSH: &str = "ssh:\n  targets:\n    - id: pve\n      host: 192.168.1.184\n    - id: docker-host\n      host: 192.168.1.200\n    - id: nas\n      host: 192.168.1.10\n    - id: switch-shop\n      host: 192.168.1.2\n      access_method: lan_only\n    - id: immich-home\n      host: 10.0.0.101\n    - id: stray\n      host: 192.168.1.99\n";
    const NAMING_OK: &str = "hosts:\n  - canonical_name: pve\n    kind: proxmox\n    site: shop\n    surfaces: {ssh_target: true}\n  - canonical_name: docker-host\n    kind: vm\n    site: shop\n    surfaces: {ssh_target: true}\n  - canonical_name: immich-home\n    kind: vm\n    site: home\n    surfaces: {ssh_target: true}\n  - canonical_name: old-box\n    kind: vm\n    site: shop\n    status: decommissioned\n    surfaces: {ssh_target: true}\n";

    #[test]
    fn the_scripts_scope_is_the_gates_scope() {
        // nas and stray are unknown to the naming policy (no site: not
        // judged), pve is a hypervisor, immich-home is at home, switch-shop
        // is LAN-only, old-box is decommissioned.
        let f = findings(run_gate(
            "D59",
            &[
                (SSH_TARGETS, SSH),
                (SERVICE_REGISTRY, "hosts:\n  docker-host: {}\n  macbook: {}\n"),
                (NAMING, NAMING_OK),
            ],
            None,
            None,
        ));
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn both_directions_report_in_the_users_terms() {
        let naming = format!(
            "{NAMING_OK}  - canonical_name: switch-shop\n    kind: network\n    site: shop\n    surfaces: {{ssh_target: true}}\n  - canonical_name: nvr-shop\n    kind: nvr\n    site: shop\n    surfaces: {{ssh_target: true}}\n"
        );
        let f = findings(run_gate(
            "D59",
            &[
                (SSH_TARGETS, SSH),
                (SERVICE_REGISTRY, "hosts:\n  macbook: {}\n"),
                (NAMING, &naming),
            ],
            None,
            None,
        ));
        let got: Vec<String> = f.iter().map(|f| f.message.clone()).collect();
        assert_eq!(
            got,
            vec![
                "host `switch-shop` is an SSH target in naming.policy.yaml (surfaces.ssh_target: true), but its ssh.targets entry is access_method: lan_only",
                "host `nvr-shop` is an SSH target in naming.policy.yaml (surfaces.ssh_target: true), but ops/bindings/ssh.targets.yaml has no such target",
                "ssh target `docker-host` (site shop) is not a host in docs/governance/SERVICE_REGISTRY.yaml",
            ]
        );
    }

    #[test]
    fn scoped_sites_are_an_option() {
        let f = findings(run_gate(
            "D59",
            &[
                (SSH_TARGETS, SSH),
                (SERVICE_REGISTRY, "hosts:\n  docker-host: {}\n"),
                (NAMING, NAMING_OK),
            ],
            None,
            Some(serde_json::json!({"sites": ["shop", "home"]})),
        ));
        assert_eq!(f.len(), 1, "{:?}", summary(&f));
        assert!(f[0].message.starts_with("ssh target `immich-home` (site home)"));
    }
}
