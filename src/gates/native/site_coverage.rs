//! D410 site-coverage-policy: every site judged by the coverage policy has
//! the coverage it asks for (see `crate::model::coverage`): at least
//! `minimum.<category>` of each category, and every active guest covered in
//! the `every_active_guest` categories. The policy is `gate_options.D410`
//! in driftgate.yaml, else the spine's `ops/bindings/site.coverage.policy.yaml`,
//! else the built-in one (one enabled health probe and one enabled backup
//! target per active site). Works for any number of sites.

use super::common::*;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use crate::model::coverage::Sources;

pub struct SiteCoverage;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: SiteCoverage = SiteCoverage;

impl NativeGate for SiteCoverage {
    fn name(&self) -> &'static str {
        "site_coverage"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let sources = Sources::load(|p| spine_doc(cx, p), cx.inputs.paths(RepoId::Spine));
        if sources.doc(TOPOLOGY).is_none() || sources.doc(VM_LIFECYCLE).is_none() {
            return Err("topology.sites.yaml and vm.lifecycle.yaml are required".into());
        }
        let Some((_, _, shortfalls)) = sources.judge(cx.options)? else {
            return Ok(Vec::new());
        };
        Ok(shortfalls
            .iter()
            .map(|s| {
                // A policy category whose binding is absent is reported at
                // that path (green must mean checked).
                let (path, pointer, subject) = s.place();
                let loc = match sources.doc(path) {
                    Some(d) => d.location(&pointer),
                    None => Location::file(RepoId::Spine, path),
                };
                cx.finding_at(loc, s.message()).with_subject(subject)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const TOPO: &str = "sites:\n  - id: shop\n    status: active\n    proxmox_alias: pve\n    lan_cidr: 192.168.1.0/24\n  - id: home\n    status: active\n    proxmox_alias: proxmox-home\n    lan_cidr: 10.0.0.0/24\n  - id: lab\n    status: planned\n    proxmox_alias: pve-lab\n";
    const LIFE: &str = "vms:\n  - id: 204\n    hostname: infra-core\n    proxmox_host: pve\n    status: active\n  - id: 100\n    hostname: homeassistant\n    proxmox_host: proxmox-home\n    status: active\n";
    const HEALTH: &str = "endpoints:\n  - id: caddy\n    host: infra-core\n  - id: ha\n    host: homeassistant\n    enabled: false\n";
    const BACKUP: &str = "targets:\n  - name: a\n    host: pve\n    glob: vzdump-qemu-204-*.vma.zst\n  - name: b\n    host: proxmox-home\n    glob: vzdump-qemu-100-*.vma.zst\n";

    fn run(files: &[(&str, &str)], options: Option<serde_json::Value>) -> Vec<(usize, String)> {
        findings(run_gate("D410", files, None, options))
            .iter()
            .map(|f| (f.location.line(), f.message.clone()))
            .collect()
    }

    #[test]
    fn built_in_policy_wants_a_probe_and_a_backup_per_active_site() {
        let f = run(
            &[
                (TOPOLOGY, TOPO),
                (VM_LIFECYCLE, LIFE),
                (SERVICES_HEALTH, HEALTH),
                (BACKUP_INVENTORY, BACKUP),
            ],
            None,
        );
        // home's only probe is disabled; the planned lab site is not judged.
        assert_eq!(
            f,
            vec![(
                6,
                "site `home` has 0 enabled health probes; the coverage policy asks for at least 1"
                    .to_string()
            )]
        );
    }

    #[test]
    fn every_active_guest_from_the_spine_binding_points_at_the_guest() {
        let policy = "minimum: {}\nevery_active_guest: [health_probes, startup]\n";
        let f = run(
            &[
                (TOPOLOGY, TOPO),
                (VM_LIFECYCLE, LIFE),
                (SERVICES_HEALTH, HEALTH),
                (BACKUP_INVENTORY, BACKUP),
                (STARTUP, "phases:\n  - phase: 1\n    site: shop\n    hosts:\n      - vm_ids: [204]\n"),
                (COVERAGE_POLICY, policy),
            ],
            None,
        );
        assert_eq!(
            f,
            vec![
                (6, "VM 100 (homeassistant) on site `home` has no enabled health probe; the coverage policy asks it of every active guest".to_string()),
                (6, "VM 100 (homeassistant) on site `home` is in no startup sequencing entry; the coverage policy asks it of every active guest".to_string()),
            ]
        );
    }

    #[test]
    fn a_policy_category_without_its_binding_is_reported_not_passed() {
        let f = run(&[(TOPOLOGY, TOPO), (VM_LIFECYCLE, LIFE)], None);
        assert_eq!(
            f.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>(),
            [
                "the coverage policy asks about enabled health probes, but they cannot be counted: services.health.yaml not found",
                "the coverage policy asks about enabled backup targets, but they cannot be counted: backup.inventory.yaml not found",
            ]
        );
    }

    #[test]
    fn driftgate_yaml_wins_and_bad_policies_are_errors() {
        let files = [
            (TOPOLOGY, TOPO),
            (VM_LIFECYCLE, LIFE),
            (COVERAGE_POLICY, "minimum: {health_probes: 5}\n"),
        ];
        let f = run(
            &files,
            Some(serde_json::json!({"minimum": {"active_guests": 2}, "sites": ["shop"]})),
        );
        assert_eq!(
            f,
            vec![(
                2,
                "site `shop` has 1 active guests; the coverage policy asks for at least 2".to_string()
            )]
        );
        let r = run_gate(
            "D410",
            &files,
            None,
            Some(serde_json::json!({"minimum": {"probes": 1}})),
        );
        assert!(r.is_err_and(|e| e.contains("unknown coverage category `probes`")));
    }
}
