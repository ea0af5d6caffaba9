//! D139 nas-baseline-coverage: the NAS is registered (device `nas` with ip
//! and role in home.device.registry.yaml) and backups cover every
//! hypervisor and the NAS: backup.inventory.yaml has an enabled target for
//! each host of `gate_options.D139.hosts`, by default the proxmox_alias of
//! every active site of topology.sites.yaml plus the NAS device id. NAS
//! targets keep their base_path under `/volume1` (`nas_base_path`).

use super::common::*;
use crate::findings::Finding;
use crate::gates::{GateContext, NativeGate};
use std::collections::HashMap;

pub struct NasBaseline;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: NasBaseline = NasBaseline;

impl NativeGate for NasBaseline {
    fn name(&self) -> &'static str {
        "nas_baseline"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let nas = opt_str(cx, "nas_device").unwrap_or_else(|| "nas".into());
        let base = opt_str(cx, "nas_base_path").unwrap_or_else(|| "/volume1".into());
        let base_dir = format!("{}/", base.trim_end_matches('/'));
        let mut out = Vec::new();

        // 1. NAS identity
        match spine_doc(cx, HOME_DEVICES) {
            None => out.push(missing_file(
                cx,
                HOME_DEVICES,
                "the NAS identity cannot be checked",
            )),
            Some(dev) => {
                let found = items(dev.value(), "devices")
                    .iter()
                    .enumerate()
                    .find(|(_, d)| text(d.get("id")).as_deref() == Some(nas.as_str()));
                match found {
                    None => out.push(
                        cx.finding(&dev, "/devices", format!("no device with id `{nas}` in {HOME_DEVICES}; the NAS has no registered identity"))
                            .with_subject(format!("device:{nas}")),
                    ),
                    Some((i, d)) => {
                        for field in ["ip", "role"] {
                            if text(d.get(field)).is_none() {
                                out.push(
                                    cx.finding(&dev, &format!("/devices/{i}"), format!("device `{nas}` has no `{field}`"))
                                        .with_subject(format!("device:{nas}")),
                                );
                            }
                        }
                    }
                }
            }
        }

        // 2. Backup coverage per host
        let Some(bak) = spine_doc(cx, BACKUP_INVENTORY) else {
            out.push(missing_file(
                cx,
                BACKUP_INVENTORY,
                "backup coverage of the hypervisors and the NAS cannot be checked",
            ));
            return Ok(out);
        };
        let hosts = match opt_list(cx, "hosts") {
            Some(h) => h,
            None => {
                // Without topology.sites.yaml (older spines): the
                // hypervisors the registry's script names.
                let mut h: Vec<String> = match spine_doc(cx, TOPOLOGY) {
                    Some(topo) => sites(&topo)
                        .iter()
                        .filter(|s| s.is_active())
                        .filter_map(|s| s.proxmox_alias.clone())
                        .collect(),
                    None => LEGACY_SITE_CLUSTERS
                        .iter()
                        .map(|(_, c)| c.to_string())
                        .collect(),
                };
                h.push(nas.clone());
                h
            }
        };
        let targets = backup_targets(&bak);
        let mut by_host: HashMap<&str, Vec<&BackupTarget>> = HashMap::new();
        for t in &targets {
            if let Some(h) = t.host.as_deref() {
                by_host.entry(h).or_default().push(t);
            }
        }
        for h in &hosts {
            let list = by_host.get(h.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            if list.iter().any(|t| t.enabled) {
                continue;
            }
            let f = match list.first() {
                Some(t) => {
                    let names: Vec<&str> = list.iter().map(|t| t.name.as_str()).collect();
                    cx.finding(
                        &bak,
                        &t.ptr("enabled"),
                        format!(
                            "no enabled backup target on host `{h}`: {} {} disabled",
                            names
                                .iter()
                                .map(|n| format!("`{n}`"))
                                .collect::<Vec<_>>()
                                .join(", "),
                            if names.len() == 1 { "is" } else { "are" }
                        ),
                    )
                }
                None => cx.finding(
                    &bak,
                    "/targets",
                    format!("no backup target on host `{h}` in {BACKUP_INVENTORY}"),
                ),
            };
            out.push(f.with_subject(format!("ssh_host:{h}")));
        }

        // 3. NAS targets under /volume1
        for t in by_host.get(nas.as_str()).map(Vec::as_slice).unwrap_or(&[]) {
            match t.base_path.as_deref() {
                Some(p) if p.starts_with(&base_dir) || p == base => {}
                other => out.push(
                    cx.finding(
                        &bak,
                        &if other.is_some() {
                            t.ptr("base_path")
                        } else {
                            t.ptr("")
                        },
                        format!(
                            "NAS backup target `{}` has base_path {}, outside {base}",
                            t.name,
                            other.map_or_else(|| "(none)".to_string(), |p| p.to_string())
                        ),
                    )
                    .with_subject(format!("backup_target:{}", t.name)),
                ),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const TOPO: &str = "sites:\n  - id: shop\n    status: active\n    proxmox_alias: pve\n  - id: home\n    status: active\n    proxmox_alias: proxmox-home\n  - id: lab\n    status: planned\n    proxmox_alias: pve-lab\n";
    const DEV: &str = "devices:\n  - id: nas\n    ip: \"10.0.0.150\"\n    role: Storage\n";
    const BAK: &str = "targets:\n  - name: a\n    enabled: true\n    host: pve\n    base_path: /tank\n  - name: b\n    host: proxmox-home\n    base_path: /mnt\n  - name: off\n    enabled: true\n    host: nas\n    base_path: /volume1/backups\n";

    #[test]
    fn full_coverage_passes_and_planned_sites_need_none() {
        let f = findings(run_gate(
            "D139",
            &[
                (TOPOLOGY, TOPO),
                (HOME_DEVICES, DEV),
                (BACKUP_INVENTORY, BAK),
            ],
            None,
            None,
        ));
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn disabled_nas_target_wrong_path_and_incomplete_device() {
        let bak = BAK
            .replace(
                "enabled: true\n    host: nas",
                "enabled: false\n    host: nas",
            )
            .replace("/volume1/backups", "/mnt/backups");
        let dev = "devices:\n  - id: nas\n    ip: \"10.0.0.150\"\n";
        let f = findings(run_gate(
            "D139",
            &[
                (TOPOLOGY, TOPO),
                (HOME_DEVICES, dev),
                (BACKUP_INVENTORY, &bak),
            ],
            None,
            None,
        ));
        let got: Vec<(&str, usize, &str, &str)> = f
            .iter()
            .map(|f| {
                (
                    f.location.path.as_str(),
                    f.location.line(),
                    f.subject.as_deref().unwrap_or(""),
                    f.message.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (HOME_DEVICES, 2, "device:nas", "device `nas` has no `role`"),
                (
                    BACKUP_INVENTORY,
                    10,
                    "ssh_host:nas",
                    "no enabled backup target on host `nas`: `off` is disabled"
                ),
                (
                    BACKUP_INVENTORY,
                    12,
                    "backup_target:off",
                    "NAS backup target `off` has base_path /mnt/backups, outside /volume1"
                ),
            ]
        );
        assert_eq!(f[0].code, "D139");
    }

    #[test]
    fn missing_device_and_host_without_targets() {
        let f = findings(run_gate(
            "D139",
            &[(HOME_DEVICES, "devices: []\n"), (BACKUP_INVENTORY, BAK)],
            None,
            Some(serde_json::json!({"hosts": ["pve", "nas", "pve-lab"]})),
        ));
        let msgs: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            msgs,
            vec![
                "no device with id `nas` in ops/bindings/home.device.registry.yaml; the NAS has no registered identity",
                "no backup target on host `pve-lab` in ops/bindings/backup.inventory.yaml",
            ]
        );
    }
}
