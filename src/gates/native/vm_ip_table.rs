//! D100 vm-ip-parity-lock: the `Shop VM LAN IPs` table of
//! DEVICE_IDENTITY_SSOT.md agrees with vm.lifecycle.yaml.
//!
//! As the registry's script: every active VM of the scoped clusters
//! (`gate_options.D100.sites`, default shop) with a `lan_ip` has a row in
//! the table (found by its backticked hostname, else its hostname anywhere
//! in the row) whose LAN IP equals its lan_ip. The table is found by its
//! header (VM | Canonical Name | LAN IP | VMID), preferring the one under a
//! heading starting `Shop VM LAN IPs` (`gate_options.D100.heading`). Rows
//! are not judged on their own (a row for a VM vm.lifecycle.yaml lacks is
//! not the script's concern).

use super::common::*;
use crate::documents::markdown::Table;
use crate::findings::{Finding, Location};
use crate::gates::{GateContext, NativeGate};

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
        let mut out = Vec::new();
        // As the script: each active VM of the scoped clusters with a
        // lan_ip is looked up in the table, by its backticked hostname,
        // else by its hostname anywhere in a row (case-insensitive), and
        // the row's LAN IP must equal its lan_ip. Rows are not judged on
        // their own.
        let checked: Vec<&&Vm> = scoped
            .iter()
            .filter(|v| v.has_status("active") && v.lan_ip.is_some())
            .collect();
        if checked.is_empty() {
            out.push(
                cx.finding_at(
                    Location::file(vm_doc.repo, &vm_doc.path),
                    format!(
                        "vm.lifecycle.yaml has no active VM with a lan_ip on {}: the `{table_name}` table cannot be compared",
                        clusters_text(&clusters)
                    ),
                )
                .with_subject(format!("file:{VM_LIFECYCLE}")),
            );
        }
        // The row's line as written (grep's view of it).
        let row_text = |r: &crate::documents::markdown::Row| -> String {
            let span = md.lines().line_span(r.line);
            md.text
                .get(span.start..span.end)
                .unwrap_or_default()
                .to_string()
        };
        for vm in checked {
            let ip = vm.lan_ip.as_deref().unwrap_or_default();
            let host = vm.hostname.as_deref().unwrap_or_default();
            let ticked = format!("`{host}`");
            let row = table
                .rows
                .iter()
                .find(|r| !host.is_empty() && row_text(r).contains(&ticked))
                .or_else(|| {
                    let h = host.to_lowercase();
                    table
                        .rows
                        .iter()
                        .find(|r| !h.is_empty() && row_text(r).to_lowercase().contains(&h))
                });
            let Some(row) = row else {
                out.push(
                    cx.finding(
                        &vm_doc,
                        &vm.ptr("lan_ip"),
                        format!(
                            "{}, lan_ip {ip}, is not in the `{table_name}` table of {md_path}",
                            vm.label()
                        ),
                    )
                    .with_subject(vm.subject())
                    .with_related(md.line_location(table.header_line), "the table"),
                );
                continue;
            };
            let listed = table.cell(row, "LAN IP").map(str::trim).unwrap_or_default();
            if listed != ip {
                out.push(
                    cx.finding_at(
                        md.line_location(row.line),
                        format!(
                            "{}: {md_path} lists LAN IP {listed}, but vm.lifecycle.yaml has {ip}",
                            vm.label()
                        ),
                    )
                    .with_subject(vm.subject())
                    .with_related(
                        vm_doc.value_location(&vm.ptr("lan_ip")),
                        "lan_ip in vm.lifecycle.yaml",
                    ),
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
    fn rows_are_not_judged_on_their_own_but_every_vm_needs_one() {
        // A row for a VM vm.lifecycle.yaml lacks is not the script's
        // concern; a VM without a row is.
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
        assert_eq!(got, vec![(VM_LIFECYCLE, 11, "vm:pve/205")]);
        assert_eq!(
            f[0].message,
            "VM 205 (observability), lan_ip 192.168.1.70, is not in the `Shop VM LAN IPs (canonical)` table of docs/governance/DEVICE_IDENTITY_SSOT.md"
        );
    }

    #[test]
    fn a_row_is_found_by_hostname_anywhere_when_not_backticked() {
        let f = run(&md("| Core | infra-core | 192.168.1.204 | 204 | bb |\n| Obs | Observability | 192.168.1.77 | 205 | cc |\n"));
        assert_eq!(f.len(), 1, "{:?}", summary(&f));
        assert!(f[0].message.contains("lists LAN IP 192.168.1.77, but vm.lifecycle.yaml has 192.168.1.70"));
    }

    #[test]
    fn missing_table_is_a_file_finding() {
        let f = run("# Devices\n\nNo tables here.\n");
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("has no table with columns"));
    }
}
