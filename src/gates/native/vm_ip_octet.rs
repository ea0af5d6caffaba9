//! D408 lan-ip-ends-in-vmid: a guest's LAN IP ends in its VMID
//! (`192.168.1.<vmid>`), declared exceptions aside.
//!
//! Scope: guests with a `lan_ip` on the clusters of the scoped sites
//! (`gate_options.D408.sites`, else the policy's `sites`, else `shop`),
//! except decommissioned / abandoned / template guests
//! (`gate_options.D408.skip_statuses`). Exceptions: vm.ip.parity.policy.yaml
//! `exceptions` [{id, site?, lan_ip?, reason}] (an exception that names a
//! lan_ip covers that address only) and `gate_options.D408.exceptions`
//! (`207` or `pve/207`).

use super::common::*;
use crate::findings::Finding;
use crate::gates::{GateContext, NativeGate};
use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;

pub struct VmIpOctet;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: VmIpOctet = VmIpOctet;

/// A declared exception: where it is and which address it covers.
struct Exception {
    pointer: String,
    lan_ip: Option<String>,
}

impl NativeGate for VmIpOctet {
    fn name(&self) -> &'static str {
        "vm_ip_octet"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(vm_doc) = spine_doc(cx, VM_LIFECYCLE) else {
            return Ok(Vec::new());
        };
        let policy = spine_doc(cx, IP_POLICY);
        let policy_val = policy.as_deref().and_then(|d| d.value());
        let default_sites = {
            let s = strings(policy_val, "sites");
            if s.is_empty() {
                vec!["shop".to_string()]
            } else {
                s
            }
        };
        let (_, clusters) = scoped_clusters(cx, &default_sites)?;
        let topo = spine_doc(cx, TOPOLOGY);
        let site_list = topo.as_deref().map(sites).unwrap_or_default();
        let cluster_of_site: HashMap<&str, &str> = if topo.is_some() {
            site_list
                .iter()
                .filter_map(|s| Some((s.id.as_str(), s.proxmox_alias.as_deref()?)))
                .collect()
        } else {
            LEGACY_SITE_CLUSTERS.into_iter().collect()
        };

        // (cluster or None for any, vmid) → exception
        let mut exceptions: HashMap<(Option<String>, i64), Exception> = HashMap::new();
        for (i, e) in items(policy_val, "exceptions").iter().enumerate() {
            let Some(id) = int(e.get("id").or_else(|| e.get("vmid"))) else {
                continue;
            };
            let cluster = text(e.get("site"))
                .and_then(|s| cluster_of_site.get(s.as_str()).map(|c| c.to_string()));
            exceptions.insert(
                (cluster, id),
                Exception {
                    pointer: format!("/exceptions/{i}"),
                    lan_ip: text(e.get("lan_ip")),
                },
            );
        }
        let mut opt_exempt: HashSet<String> = HashSet::new();
        for e in opt_list(cx, "exceptions").unwrap_or_default() {
            opt_exempt.insert(e);
        }
        let skip: Vec<String> = opt_list(cx, "skip_statuses").unwrap_or_else(|| {
            ["decommissioned", "abandoned", "template"]
                .map(String::from)
                .to_vec()
        });

        let mut out = Vec::new();
        for vm in vms(&vm_doc) {
            if !clusters.contains(&vm.cluster)
                || vm.status.as_ref().is_some_and(|s| skip.contains(s))
            {
                continue;
            }
            let (Some(id), Some(lan)) = (vm.id, vm.lan_ip.as_deref()) else {
                continue;
            };
            if opt_exempt.contains(&id.to_string())
                || opt_exempt.contains(&format!("{}/{id}", vm.cluster))
            {
                continue;
            }
            let label = vm.label();
            let at = |msg: String| {
                cx.finding(&vm_doc, &vm.ptr("lan_ip"), msg)
                    .with_subject(vm.subject())
            };
            let Ok(ip) = lan.parse::<Ipv4Addr>() else {
                out.push(at(format!(
                    "{label}: lan_ip `{lan}` is not an IPv4 address, so its last octet cannot be checked against the VMID"
                )));
                continue;
            };
            let octet = i64::from(ip.octets()[3]);
            if octet == id {
                continue;
            }
            let exception = exceptions
                .get(&(Some(vm.cluster.clone()), id))
                .or_else(|| exceptions.get(&(None, id)));
            match exception {
                Some(e) if e.lan_ip.as_deref().is_none_or(|x| x == lan) => continue,
                Some(e) => {
                    let mut f = at(format!(
                        "{label}: LAN IP {lan} does not end in its VMID, and the declared exception covers {} only",
                        e.lan_ip.as_deref().unwrap_or("?")
                    ));
                    if let Some(p) = policy.as_deref() {
                        f = f.with_related(p.location(&e.pointer), "exception declared here");
                    }
                    out.push(f);
                }
                None => {
                    let expected = if (0..=255).contains(&id) {
                        let o = ip.octets();
                        format!("expected {}.{}.{}.{id}", o[0], o[1], o[2])
                    } else {
                        format!("VMID {id} cannot be an IPv4 octet")
                    };
                    out.push(at(format!(
                        "{label}: LAN IP {lan} does not end in its VMID ({expected}); declare an exception in {IP_POLICY} if this is intended"
                    )));
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

    const TOPO: &str = "sites:\n  - id: shop\n    proxmox_alias: pve\n  - id: home\n    proxmox_alias: proxmox-home\n";
    const VMS: &str = "vms:\n  - id: 202\n    hostname: automation-stack\n    proxmox_host: pve\n    status: active\n    lan_ip: 192.168.1.110\n  - id: 207\n    hostname: ai\n    proxmox_host: pve\n    status: active\n    lan_ip: 192.168.1.8\n  - id: 204\n    hostname: infra-core\n    proxmox_host: pve\n    status: active\n    lan_ip: 192.168.1.204\n  - id: 101\n    hostname: immich\n    proxmox_host: proxmox-home\n    status: active\n    lan_ip: 10.0.0.7\n  - id: 201\n    hostname: old\n    proxmox_host: pve\n    status: decommissioned\n    lan_ip: 192.168.1.9\n";
    const POLICY: &str = "sites: [shop]\nexceptions:\n  - id: 207\n    site: shop\n    lan_ip: 192.168.1.8\n    reason: dhcp\n";

    #[test]
    fn non_matching_octet_is_reported_at_lan_ip_and_exceptions_hold() {
        let f = findings(run_gate(
            "D408",
            &[(TOPOLOGY, TOPO), (VM_LIFECYCLE, VMS), (IP_POLICY, POLICY)],
            None,
            None,
        ));
        assert_eq!(f.len(), 1, "{:?}", summary(&f));
        assert_eq!(f[0].code, "D408");
        assert_eq!(f[0].subject.as_deref(), Some("vm:pve/202"));
        assert_eq!(f[0].location.line(), 6);
        assert!(f[0]
            .message
            .starts_with("VM 202 (automation-stack): LAN IP 192.168.1.110 does not end in its VMID (expected 192.168.1.202)"));
    }

    #[test]
    fn clean_when_everything_matches_or_is_excepted() {
        let f = findings(run_gate(
            "D408",
            &[(TOPOLOGY, TOPO), (VM_LIFECYCLE, VMS), (IP_POLICY, POLICY)],
            None,
            Some(serde_json::json!({"exceptions": ["pve/202"]})),
        ));
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn stale_exception_address_and_policy_sites_widen_scope() {
        let policy = POLICY
            .replace("lan_ip: 192.168.1.8", "lan_ip: 192.168.1.9")
            .replace("sites: [shop]", "sites: [shop, home]");
        let f = findings(run_gate(
            "D408",
            &[(TOPOLOGY, TOPO), (VM_LIFECYCLE, VMS), (IP_POLICY, &policy)],
            None,
            None,
        ));
        let got: Vec<(String, usize)> = f
            .iter()
            .map(|f| (f.subject.clone().unwrap_or_default(), f.location.line()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("vm:pve/202".to_string(), 6),
                ("vm:pve/207".to_string(), 11),
                ("vm:proxmox-home/101".to_string(), 21),
            ]
        );
        assert!(f[1].message.contains("covers 192.168.1.9 only"));
        assert_eq!(f[1].related[0].location.path, IP_POLICY);
        assert_eq!(f[1].related[0].location.line(), 3);
    }
}
