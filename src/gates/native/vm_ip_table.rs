//! D100 vm-ip-parity-lock: the `Shop VM LAN IPs` table of
//! DEVICE_IDENTITY_SSOT.md agrees with vm.lifecycle.yaml.
//!
//! The table is found by its header (VM | Canonical Name | LAN IP | VMID),
//! preferring the one under a heading starting `Shop VM LAN IPs`
//! (`gate_options.D100.heading`). Rows whose VMID is not a number (the
//! hypervisor's `—`) are skipped. Each row must name a VM of the scoped
//! clusters (`gate_options.D100.sites`, default shop) with the same
//! hostname and lan_ip; every active scoped VM with a lan_ip needs a row.

use super::common::*;
use crate::documents::markdown::Table;
use crate::findings::{Finding, Location};
use crate::gates::{GateContext, NativeGate};
use std::collections::HashMap;

pub struct VmIpTable;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: VmIpTable = VmIpTable;

const COLUMNS: [&str; 4] = ["VM", "Canonical Name", "LAN IP", "VMID"];

impl NativeGate for VmIpTable {
    fn name(&self) -> &'static str {
        "vm_ip_table"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(vm_doc) = spine_doc(cx, VM_LIFECYCLE) else {
            return Ok(Vec::new());
        };
        let md_path = opt_str(cx, "doc").unwrap_or_else(|| DEVICE_SSOT.to_string());
        let Some(md) = spine_doc(cx, &md_path) else {
            return Ok(vec![missing_file(
                cx,
                &md_path,
                "the shop VM LAN IP table cannot be compared with vm.lifecycle.yaml",
            )]);
        };
        let heading = opt_str(cx, "heading").unwrap_or_else(|| "Shop VM LAN IPs".into());
        let candidates: Vec<&Table> = md
            .tables()
            .iter()
            .filter(|t| t.has_columns(&COLUMNS))
            .collect();
        let table = candidates
            .iter()
            .find(|t| {
                t.heading
                    .as_deref()
                    .is_some_and(|h| h.to_lowercase().starts_with(&heading.to_lowercase()))
            })
            .or(candidates.first())
            .copied();
        let Some(table) = table else {
            return Ok(vec![cx
                .finding_at(
                    Location::file(md.repo, &md.path),
                    format!(
                        "{md_path} has no table with columns {} (expected under `### {heading}`)",
                        COLUMNS.join(" | ")
                    ),
                )
                .with_subject(format!("file:{md_path}"))]);
        };
        let table_name = table.heading.clone().unwrap_or_else(|| heading.clone());
        let (_, clusters) = scoped_clusters(cx, &["shop".to_string()])?;
        let all = vms(&vm_doc);
        let scoped: Vec<&Vm> = all
            .iter()
            .filter(|v| clusters.contains(&v.cluster))
            .collect();
        let mut by_id: HashMap<i64, &Vm> = HashMap::new();
        for v in &scoped {
            if let Some(id) = v.id {
                by_id.entry(id).or_insert(v);
            }
        }
        let default_cluster = {
            let mut c: Vec<&String> = clusters.iter().collect();
            c.sort();
            c.first().map_or_else(|| "?".to_string(), |c| c.to_string())
        };

        let mut out = Vec::new();
        let mut seen: HashMap<i64, usize> = HashMap::new();
        for row in &table.rows {
            let cell = |n: &str| table.cell(row, n).map(str::trim).unwrap_or_default();
            let Ok(id) = cell("VMID").parse::<i64>() else {
                continue;
            };
            let name = cell("Canonical Name");
            let ip = cell("LAN IP");
            let at = md.line_location(row.line);
            if let Some(first) = seen.insert(id, row.line) {
                out.push(
                    cx.finding_at(
                        at.clone(),
                        format!(
                            "VMID {id} (`{name}`) has a second row in the `{table_name}` table"
                        ),
                    )
                    .with_subject(format!("vm:{default_cluster}/{id}"))
                    .with_related(md.line_location(first), "first row for this VMID"),
                );
                continue;
            }
            let Some(vm) = by_id.get(&id) else {
                out.push(
                    cx.finding_at(
                        at,
                        format!(
                            "`{table_name}` row `{name}` has VMID {id}, which vm.lifecycle.yaml does not have on {}",
                            clusters_text(&clusters)
                        ),
                    )
                    .with_subject(format!("vm:{default_cluster}/{id}")),
                );
                continue;
            };
            let label = vm.label();
            if let Some(h) = &vm.hostname {
                if !name.is_empty() && name != h {
                    out.push(
                        cx.finding_at(
                            at.clone(),
                            format!("{label}: `{table_name}` row names it `{name}`, but its hostname is `{h}`"),
                        )
                        .with_subject(vm.subject())
                        .with_related(vm_doc.value_location(&vm.ptr("hostname")), "hostname in vm.lifecycle.yaml"),
                    );
                }
            }
            if vm.lan_ip.as_deref().unwrap_or("") != ip {
                let have = vm.lan_ip.as_deref().unwrap_or("no lan_ip");
                out.push(
                    cx.finding_at(
                        at,
                        format!("{label}: {md_path} lists LAN IP {ip}, but vm.lifecycle.yaml has {have}"),
                    )
                    .with_subject(vm.subject())
                    .with_related(vm_doc.value_location(&vm.ptr("lan_ip")), "lan_ip in vm.lifecycle.yaml"),
                );
            }
        }
        for vm in &scoped {
            let Some(id) = vm.id else { continue };
            if vm.has_status("active") && vm.lan_ip.is_some() && !seen.contains_key(&id) {
                out.push(
                    cx.finding(
                        &vm_doc,
                        &vm.ptr(""),
                        format!(
                            "{} is active but has no row in the `{table_name}` table of {md_path}",
                            vm.label()
                        ),
                    )
                    .with_subject(vm.subject())
                    .with_related(md.line_location(table.header_line), "the table"),
                );
            }
        }
        Ok(out)
    }
}

fn clusters_text(c: &std::collections::HashSet<String>) -> String {
    let mut v: Vec<&str> = c.iter().map(String::as_str).collect();
    v.sort_unstable();
    v.join(", ")
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const TOPO: &str = "sites:\n  - id: shop\n    proxmox_alias: pve\n";
    const VMS: &str = "vms:\n  - id: 204\n    hostname: infra-core\n    proxmox_host: pve\n    status: active\n    lan_ip: 192.168.1.204\n  - id: 205\n    hostname: observability\n    proxmox_host: pve\n    status: active\n    lan_ip: 192.168.1.70\n  - id: 101\n    hostname: immich\n    proxmox_host: proxmox-home\n    status: active\n    lan_ip: 10.0.0.101\n";

    fn md(rows: &str) -> String {
        format!(
            "---\nstatus: authoritative\n---\n\n# Devices\n\n| VM | Canonical Name | LAN IP | VMID |\n|---|---|---|---|\n| other | `x` | 1.2.3.4 | 1 |\n\n### Shop VM LAN IPs (canonical)\n\n| VM | Canonical Name | LAN IP | VMID | MAC |\n|----|----|----|----|----|\n| Dell | `pve` | 192.168.1.184 | — | aa |\n{rows}"
        )
    }

    fn run(md: &str) -> Vec<Finding> {
        findings(run_gate(
            "D100",
            &[(TOPOLOGY, TOPO), (VM_LIFECYCLE, VMS), (DEVICE_SSOT, md)],
            None,
            None,
        ))
    }

    #[test]
    fn matching_table_passes() {
        let f = run(&md("| Core | `infra-core` | 192.168.1.204 | 204 | bb |\n| Obs | `observability` | 192.168.1.70 | 205 | cc |\n"));
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn ip_mismatch_is_reported_at_the_row_line() {
        let f = run(&md("| Core | `infra-core` | 192.168.1.128 | 204 | bb |\n| Obs | `observability` | 192.168.1.70 | 205 | cc |\n"));
        assert_eq!(f.len(), 1, "{:?}", summary(&f));
        assert_eq!(f[0].code, "D100");
        assert_eq!(f[0].location.path, DEVICE_SSOT);
        assert_eq!(f[0].location.line(), 16);
        assert_eq!(f[0].subject.as_deref(), Some("vm:pve/204"));
        assert_eq!(
            f[0].message,
            "VM 204 (infra-core): docs/governance/DEVICE_IDENTITY_SSOT.md lists LAN IP 192.168.1.128, but vm.lifecycle.yaml has 192.168.1.204"
        );
        assert_eq!(f[0].related[0].location.path, VM_LIFECYCLE);
        assert_eq!(f[0].related[0].location.line(), 6);
    }

    #[test]
    fn unknown_vmid_row_and_missing_vm() {
        let f = run(&md("| Core | `infra-core` | 192.168.1.204 | 204 | bb |\n| Ghost | `ghost` | 192.168.1.215 | 215 | cc |\n"));
        let got: Vec<(&str, usize, &str)> = f
            .iter()
            .map(|f| {
                (
                    f.location.path.as_str(),
                    f.location.line(),
                    f.subject.as_deref().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (DEVICE_SSOT, 17, "vm:pve/215"),
                (VM_LIFECYCLE, 7, "vm:pve/205"),
            ]
        );
        assert!(f[0]
            .message
            .contains("VMID 215, which vm.lifecycle.yaml does not have on pve"));
        assert!(f[1]
            .message
            .starts_with("VM 205 (observability) is active but has no row"));
    }

    #[test]
    fn missing_table_is_a_file_finding() {
        let f = run("# Devices\n\nNo tables here.\n");
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("has no table with columns"));
    }
}
