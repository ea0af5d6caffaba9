//! D86 vm-operating-profile-parity-lock, as the registry's script:
//! - every active guest of vm.lifecycle.yaml (`id // vmid`) has every
//!   `required_vm_fields` of vm.lifecycle.contract.yaml set;
//! - it has a profile in vm.operating.profile.yaml (`profiles[]`, `id //
//!   vmid`) whose six policy fields (ssh_mode, runtime_inspection_mode,
//!   health_probe_policy, startup_policy, diagnostic_user_policy,
//!   backup_policy) are set and take one of their values;
//! - every profile names a guest that exists and is active.
//!
//! Guests are matched by id across clusters, as the script does. The value
//! lists are the script's; `gate_options.D86.values.<field>` replaces one.

use super::common::*;
use crate::findings::Finding;
use crate::gates::{GateContext, NativeGate};
use serde_json::Value;

pub struct VmProfile;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: VmProfile = VmProfile;

const CONTRACT: &str = "ops/bindings/vm.lifecycle.contract.yaml";
const PROFILES: &str = "ops/bindings/vm.operating.profile.yaml";

/// The policy fields every profile sets, with their values.
const FIELDS: [(&str, &[&str]); 6] = [
    (
        "ssh_mode",
        &["standard", "non-standard", "haos", "lxc-root", "none"],
    ),
    (
        "runtime_inspection_mode",
        &[
            "docker-group",
            "docker-sudo",
            "docker-none",
            "haos-supervisor",
            "none",
        ],
    ),
    ("health_probe_policy", &["full", "selective", "none"]),
    ("startup_policy", &["auto", "manual", "template"]),
    (
        "diagnostic_user_policy",
        &[
            "docker-group-member",
            "sudo-only",
            "no-docker-access",
            "not-applicable",
        ],
    ),
    (
        "backup_policy",
        &["vzdump-scheduled", "vzdump-manual", "none"],
    ),
];

/// `.x` as the script's `yq -r` prints it: absent, null and "" are unset.
fn set(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        other => text(Some(other)).or_else(|| Some(other.to_string())),
    }
}

impl NativeGate for VmProfile {
    fn name(&self) -> &'static str {
        "vm_operating_profile"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let (Some(life), Some(prof)) = (spine_doc(cx, VM_LIFECYCLE), spine_doc(cx, PROFILES))
        else {
            return Err("vm.lifecycle.yaml and the profiles are required".into());
        };
        let mut out = Vec::new();
        // Spines before the lifecycle contract: the script read
        // vm.lifecycle.yaml directly and required no lifecycle fields.
        let contract = spine_doc(cx, CONTRACT);
        let canonical = match &contract {
            Some(c) => text(c.value().and_then(|v| v.get("canonical"))),
            None => Some(VM_LIFECYCLE.to_string()),
        };
        match (canonical.as_deref(), &contract) {
            (Some(VM_LIFECYCLE), _) | (_, None) => {}
            (other, Some(contract)) => {
                out.push(
                    cx.finding(
                        contract,
                        if other.is_some() { "/canonical" } else { "" },
                        match other {
                            None => "vm.lifecycle.contract.yaml names no `canonical` lifecycle file".to_string(),
                            Some(p) => format!("vm.lifecycle.contract.yaml names `{p}` as canonical; driftgate reads {VM_LIFECYCLE}"),
                        },
                    )
                    .with_subject(format!("file:{CONTRACT}")),
                );
                return Ok(out);
            }
        }
        let required: Vec<String> = contract
            .as_deref()
            .map(|c| strings(c.value(), "required_vm_fields"))
            .unwrap_or_default();
        let guests = vms(&life);
        let profiles: Vec<(usize, &Value, Option<i64>)> = items(prof.value(), "profiles")
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let id = if p.get("id").is_some_and(|x| !x.is_null()) {
                    int(p.get("id"))
                } else {
                    int(p.get("vmid"))
                };
                (i, p, id)
            })
            .collect();
        let values = |field: &str, default: &[&str]| -> Vec<String> {
            cx.options
                .and_then(|o| o.get("values"))
                .and_then(|v| v.get(field))
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|x| text(Some(x))).collect())
                .unwrap_or_else(|| default.iter().map(|s| s.to_string()).collect())
        };

        for vm in guests.iter().filter(|v| v.has_status("active")) {
            let Some(id) = vm.id else { continue };
            let label = vm.label();
            for f in &required {
                if set(vm.value.get(f.as_str())).is_none() {
                    out.push(
                        cx.finding(
                            &life,
                            &vm.ptr(""),
                            format!("active {label} has no `{f}`, a required field of vm.lifecycle.contract.yaml"),
                        )
                        .with_subject(vm.subject()),
                    );
                }
            }
            let Some((pi, p, _)) = profiles.iter().find(|(_, _, pid)| *pid == Some(id)) else {
                out.push(
                    cx.finding(
                        &life,
                        &vm.ptr(""),
                        format!("active {label} has no entry in {PROFILES}"),
                    )
                    .with_subject(vm.subject()),
                );
                continue;
            };
            for (field, default) in FIELDS {
                let ptr = format!("/profiles/{pi}");
                match set(p.get(field)) {
                    None => out.push(
                        cx.finding(&prof, &ptr, format!("{label}: profile has no `{field}`"))
                            .with_subject(vm.subject()),
                    ),
                    Some(v) => {
                        let allowed = values(field, default);
                        if !allowed.contains(&v) {
                            out.push(
                                cx.finding(
                                    &prof,
                                    &format!("{ptr}/{field}"),
                                    format!(
                                        "{label}: `{field}` is `{v}`, not one of {}",
                                        allowed.join(" | ")
                                    ),
                                )
                                .with_subject(vm.subject()),
                            );
                        }
                    }
                }
            }
        }

        // Profiles for guests that are gone or not active.
        for (pi, p, pid) in &profiles {
            let Some(pid) = pid else { continue };
            let same: Vec<&Vm> = guests.iter().filter(|v| v.id == Some(*pid)).collect();
            if same.iter().any(|v| v.has_status("active")) {
                continue;
            }
            let name = text(p.get("hostname")).map_or(String::new(), |h| format!(" ({h})"));
            let msg = match same.first() {
                None => format!("profile for VM {pid}{name} has no vm.lifecycle.yaml entry"),
                Some(v) => format!(
                    "profile for VM {pid}{name}, but its lifecycle status is `{}` (not active)",
                    v.status.as_deref().unwrap_or("null")
                ),
            };
            out.push(
                cx.finding(&prof, &format!("/profiles/{pi}"), msg)
                    .with_subject(format!("profile:{pid}")),
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const CONTRACT_Y: &str = "canonical: ops/bindings/vm.lifecycle.yaml\nrequired_vm_fields: [id, hostname, owner]\n";
    const LIFE: &str = "vms:\n  - id: 204\n    hostname: infra-core\n    owner: ops\n    status: active\n  - id: 209\n    hostname: download-stack\n    status: active\n  - id: 201\n    hostname: media-stack\n    owner: ops\n    status: decommissioned\n";
    const PROF_OK: &str = "ssh_mode: standard\n    runtime_inspection_mode: docker-group\n    health_probe_policy: full\n    startup_policy: auto\n    diagnostic_user_policy: docker-group-member\n    backup_policy: vzdump-scheduled\n";

    fn run(profiles: &str) -> Vec<(usize, String)> {
        findings(run_gate(
            "D86",
            &[
                (CONTRACT, CONTRACT_Y),
                (VM_LIFECYCLE, LIFE),
                (PROFILES, profiles),
            ],
            None,
            None,
        ))
        .iter()
        .map(|f| (f.location.line(), f.message.clone()))
        .collect()
    }

    #[test]
    fn every_check_of_the_script() {
        let profiles = format!(
            "profiles:\n  - id: 204\n    {}  - id: 201\n    hostname: media-stack\n    {}",
            PROF_OK.replace("full", "sometimes"),
            PROF_OK
        );
        let got = run(&profiles);
        assert_eq!(
            got,
            vec![
                (5, "VM 204 (infra-core): `health_probe_policy` is `sometimes`, not one of full | selective | none".to_string()),
                (6, "active VM 209 (download-stack) has no `owner`, a required field of vm.lifecycle.contract.yaml".to_string()),
                (6, "active VM 209 (download-stack) has no entry in ops/bindings/vm.operating.profile.yaml".to_string()),
                (9, "profile for VM 201 (media-stack), but its lifecycle status is `decommissioned` (not active)".to_string()),
            ]
        );
    }

    #[test]
    fn complete_profiles_pass_and_vmid_is_read_too() {
        let life = LIFE.replace("  - id: 209\n    hostname: download-stack\n    status: active\n", "");
        let profiles = format!("profiles:\n  - vmid: 204\n    {PROF_OK}");
        let f = findings(run_gate(
            "D86",
            &[(CONTRACT, CONTRACT_Y), (VM_LIFECYCLE, &life), (PROFILES, &profiles)],
            None,
            None,
        ));
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn without_a_contract_no_lifecycle_fields_are_required() {
        let profiles = format!("profiles:\n  - id: 204\n    {PROF_OK}  - id: 209\n    {PROF_OK}");
        let f = findings(run_gate(
            "D86",
            &[(VM_LIFECYCLE, LIFE), (PROFILES, &profiles)],
            None,
            None,
        ));
        assert!(f.is_empty(), "{:?}", summary(&f));
    }
}
