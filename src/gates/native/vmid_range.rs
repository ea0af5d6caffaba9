//! D406 vmid-unique-in-range: VMIDs are unique per cluster (the same VMID
//! or hostname on two clusters is fine) and inside the `vmid_range` of the
//! site whose proxmox_alias is the guest's cluster. Templates (status in
//! `gate_options.D406.exempt_statuses`, default `template`) and
//! `gate_options.D406.exempt_ids` (`9000` or `pve/9000`) are exempt from
//! the range check, never from uniqueness.

use super::common::*;
use crate::findings::Finding;
use crate::gates::{GateContext, NativeGate};
use std::collections::{HashMap, HashSet};

pub struct VmidUniqueInRange;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: VmidUniqueInRange = VmidUniqueInRange;

impl NativeGate for VmidUniqueInRange {
    fn name(&self) -> &'static str {
        "vmid_unique_in_range"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(vm_doc) = spine_doc(cx, VM_LIFECYCLE) else {
            return Ok(Vec::new());
        };
        let all = vms(&vm_doc);
        let mut out = Vec::new();

        // Uniqueness per cluster.
        let mut first: HashMap<(&str, i64), &Vm> = HashMap::new();
        for v in &all {
            let Some(id) = v.id else { continue };
            match first.get(&(v.cluster.as_str(), id)) {
                Some(prev) => out.push(
                    cx.finding(
                        &vm_doc,
                        &v.ptr(v.id_key),
                        format!(
                            "VMID {id} is used twice on {}: {} and {}",
                            v.cluster,
                            prev.label(),
                            v.label()
                        ),
                    )
                    .with_subject(v.subject())
                    .with_related(
                        vm_doc.location(&prev.ptr(prev.id_key)),
                        format!("{} first", prev.label()),
                    ),
                ),
                None => {
                    first.insert((v.cluster.as_str(), id), v);
                }
            }
        }

        // Ranges.
        let Some(topo) = spine_doc(cx, TOPOLOGY) else {
            out.push(missing_file(
                cx,
                TOPOLOGY,
                "VMIDs cannot be checked against site vmid ranges",
            ));
            return Ok(out);
        };
        let site_list = sites(&topo);
        let by_cluster = site_by_cluster(&site_list);
        let exempt_status: Vec<String> =
            opt_list(cx, "exempt_statuses").unwrap_or_else(|| vec!["template".into()]);
        let exempt_ids: HashSet<String> = opt_list(cx, "exempt_ids")
            .unwrap_or_default()
            .into_iter()
            .collect();
        let mut bad_range_reported: HashSet<&str> = HashSet::new();
        for v in &all {
            let Some(id) = v.id else { continue };
            if v.status.as_ref().is_some_and(|s| exempt_status.contains(s))
                || exempt_ids.contains(&id.to_string())
                || exempt_ids.contains(&format!("{}/{id}", v.cluster))
            {
                continue;
            }
            let Some(site) = by_cluster.get(v.cluster.as_str()) else {
                continue; // no site for the cluster: D173
            };
            let Some(raw) = site.vmid_range.as_deref() else {
                continue;
            };
            let Some((lo, hi)) = site.range else {
                if bad_range_reported.insert(site.id.as_str()) {
                    out.push(
                        cx.finding(
                            &topo,
                            &site.ptr("vmid_range"),
                            format!(
                                "site `{}` has vmid_range `{raw}`, which is not `LOW-HIGH`",
                                site.id
                            ),
                        )
                        .with_subject(format!("site:{}", site.id)),
                    );
                }
                continue;
            };
            if id < lo || id > hi {
                out.push(
                    cx.finding(
                        &vm_doc,
                        &v.ptr(v.id_key),
                        format!(
                            "{} has VMID {id}, outside the vmid_range {raw} of site `{}` ({})",
                            v.label(),
                            site.id,
                            v.cluster
                        ),
                    )
                    .with_subject(v.subject())
                    .with_related(
                        topo.value_location(&site.ptr("vmid_range")),
                        format!("site `{}` vmid_range", site.id),
                    ),
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

    const TOPO: &str = "sites:\n  - id: shop\n    proxmox_alias: pve\n    vmid_range: \"200-299\"\n  - id: home\n    proxmox_alias: proxmox-home\n    vmid_range: 100-199\n";
    const VMS: &str = "vms:\n  - id: 203\n    hostname: immich\n    proxmox_host: pve\n  - id: 101\n    hostname: immich\n    proxmox_host: proxmox-home\n  - id: 9000\n    hostname: tpl\n    proxmox_host: pve\n    status: template\n";

    #[test]
    fn same_vmid_or_hostname_on_two_clusters_and_templates_pass() {
        let vms =
            format!("{VMS}  - id: 203\n    hostname: other\n    proxmox_host: proxmox-home\n");
        let topo = TOPO.replace("100-199", "100-299");
        let f = findings(run_gate(
            "D406",
            &[(TOPOLOGY, &topo), (VM_LIFECYCLE, &vms)],
            None,
            None,
        ));
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn duplicates_and_out_of_range() {
        let vms = format!("{VMS}  - id: 203\n    hostname: dup\n    proxmox_host: pve\n  - id: 150\n    hostname: comms\n    proxmox_host: pve\n");
        let f = findings(run_gate(
            "D406",
            &[(TOPOLOGY, TOPO), (VM_LIFECYCLE, &vms)],
            None,
            None,
        ));
        let got: Vec<(usize, &str, &str)> = f
            .iter()
            .map(|f| {
                (
                    f.location.line(),
                    f.subject.as_deref().unwrap_or(""),
                    f.message.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (12, "vm:pve/203", "VMID 203 is used twice on pve: VM 203 (immich) and VM 203 (dup)"),
                (15, "vm:pve/150", "VM 150 (comms) has VMID 150, outside the vmid_range 200-299 of site `shop` (pve)"),
            ]
        );
        assert_eq!(f[0].code, "D406");
        assert_eq!(f[0].related[0].location.line(), 2);
        assert_eq!(f[1].related[0].location.path, TOPOLOGY);
        assert_eq!(f[1].related[0].location.line(), 4);
    }

    #[test]
    fn unparseable_range_is_reported_once() {
        let topo = TOPO.replace("\"200-299\"", "two hundreds");
        let vms = format!("{VMS}  - id: 204\n    hostname: x\n    proxmox_host: pve\n");
        let f = findings(run_gate(
            "D406",
            &[(TOPOLOGY, &topo), (VM_LIFECYCLE, &vms)],
            None,
            None,
        ));
        assert_eq!(f.len(), 1, "{:?}", summary(&f));
        assert_eq!(f[0].subject.as_deref(), Some("site:shop"));
    }
}
