//! D278 gate-domain-profiles-high-churn-parity-lock: the registry's
//! `d278-gate-domain-profiles-high-churn-parity-lock.sh`, in-process. The
//! script first runs D127's `d127-domain-assignment-drift-lock.sh` (which
//! must exist and be executable) and fails with it, so its checks are here
//! too, over ops/bindings/gate.registry.yaml, gate.execution.topology.yaml,
//! gate.domain.profiles.yaml and gate.agent.profiles.yaml:
//! - `core_mode.core_count_limit` is set and equals the number of
//!   `core_mode.core_gate_ids`; `domain_metadata` defines domains; the
//!   registry has active (not `retired: true`) gates;
//! - each `gate_assignments` row has a defined primary domain and defined
//!   secondary domains; every active gate is assigned exactly once; core
//!   gates are active and assigned;
//! - domains named by the domain profiles, the agent profiles and the
//!   `release_sequence` are defined, and `release_sequence` covers every
//!   defined domain (the `validation_rules` switches cannot turn these off:
//!   the script reads them with `// true`, which maps false to true).
//!
//! Then D278's own: the domain profiles declare domains, each with gate_ids
//! and none twice. (The script's unknown-gate-id test never fires: yq exits
//! 0 when a select matches nothing; so it is not judged here either.)

use super::common::*;
use crate::documents::Document;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use crate::model::values::{yq_raw as raw, yq_or_empty as or_empty};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

pub struct DomainProfiles;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: DomainProfiles = DomainProfiles;

const REGISTRY: &str = "ops/bindings/gate.registry.yaml";
const TOPOLOGY: &str = "ops/bindings/gate.execution.topology.yaml";
const PROFILES: &str = "ops/bindings/gate.domain.profiles.yaml";
const AGENTS: &str = "ops/bindings/gate.agent.profiles.yaml";
const D127: &str = "surfaces/verify/d127-domain-assignment-drift-lock.sh";

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().map(|x| or_empty(Some(x))).filter(|s| !s.is_empty()).collect(),
        _ => Vec::new(),
    }
}

struct Out<'a, 'b> {
    cx: &'a GateContext<'b>,
    findings: Vec<Finding>,
}

impl Out<'_, '_> {
    fn at(&mut self, doc: &Document, pointer: &str, msg: String) {
        let f = self.cx.finding(doc, pointer, msg).with_subject(format!("file:{}", doc.path));
        self.findings.push(f);
    }
}

impl NativeGate for DomainProfiles {
    fn name(&self) -> &'static str {
        "domain_profiles"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let (Some(reg), Some(topo), Some(prof), Some(agents)) = (
            spine_doc(cx, REGISTRY),
            spine_doc(cx, TOPOLOGY),
            spine_doc(cx, PROFILES),
            spine_doc(cx, AGENTS),
        ) else {
            return Err("a required input is missing".into());
        };
        let mut o = Out { cx, findings: Vec::new() };
        let d127_ok = cx.inputs.workspace().repo(RepoId::Spine).is_some_and(|r| r.is_executable(D127));
        if !d127_ok {
            o.findings.push(
                cx.finding_at(Location::file(RepoId::Spine, D127), format!("{D127} is missing or not executable (D278 runs it first)"))
                    .with_subject(format!("file:{D127}")),
            );
        }
        let tv = topo.value().cloned().unwrap_or(Value::Null);
        // core mode
        let limit = or_empty(tv.pointer("/core_mode/core_count_limit"));
        let core = strings(tv.pointer("/core_mode/core_gate_ids"));
        if limit.is_empty() || limit == "null" {
            o.at(&topo, "/core_mode", "core_mode.core_count_limit is missing".into());
        } else if core.is_empty() {
            o.at(&topo, "/core_mode", "core_mode.core_gate_ids is empty".into());
        } else if limit.parse::<usize>().ok() != Some(core.len()) {
            o.at(&topo, "/core_mode/core_count_limit", format!("core gate count mismatch: core_count_limit {limit}, {} core_gate_ids", core.len()));
        }
        let defined: Vec<String> = items(Some(&tv), "domain_metadata").iter().map(|d| raw(d.get("domain_id"))).collect();
        if defined.is_empty() {
            o.at(&topo, "", "domain_metadata defines no domain".into());
        }
        let is_defined = |d: &str| defined.iter().any(|x| x == d);
        let active: Vec<String> = items(reg.value(), "gates")
            .iter()
            .filter(|g| g.get("retired") != Some(&Value::Bool(true)))
            .map(|g| raw(g.get("id")))
            .collect();
        if active.is_empty() {
            o.at(&reg, "", "the gate registry has no active gate".into());
        }
        // assignments
        let mut count: HashMap<String, usize> = HashMap::new();
        let mut primary: HashMap<String, String> = HashMap::new();
        let rows = items(Some(&tv), "gate_assignments");
        for (i, a) in rows.iter().enumerate() {
            let gid = or_empty(a.get("gate_id"));
            if gid.is_empty() {
                continue;
            }
            let at = ptr(&["gate_assignments", &i.to_string()]);
            *count.entry(gid.clone()).or_default() += 1;
            let p = or_empty(a.get("primary_domain"));
            primary.insert(gid.clone(), p.clone());
            if p.is_empty() {
                o.at(&topo, &at, format!("gate {gid} has an empty primary_domain"));
            } else if !is_defined(&p) {
                o.at(&topo, &at, format!("gate {gid}: primary_domain `{p}` is not defined in domain_metadata"));
            }
            for s in strings(a.get("secondary_domains")) {
                if !is_defined(&s) {
                    o.at(&topo, &at, format!("gate {gid}: secondary domain `{s}` is not defined in domain_metadata"));
                }
            }
        }
        if count.is_empty() {
            o.at(&topo, "", "gate_assignments is empty".into());
        }
        for gid in &active {
            match count.get(gid).copied().unwrap_or(0) {
                0 => o.at(&topo, "/gate_assignments", format!("active gate {gid} has no assignment in the topology")),
                1 => {}
                n => o.at(&topo, "/gate_assignments", format!("active gate {gid} is assigned {n} times in the topology")),
            }
        }
        let active_set: HashSet<&String> = active.iter().collect();
        for gid in &core {
            if !active_set.contains(gid) {
                o.at(&topo, "/core_mode/core_gate_ids", format!("core gate {gid} is retired or not in the registry"));
            } else if primary.get(gid).is_none_or(|p| p.is_empty()) {
                o.at(&topo, "/core_mode/core_gate_ids", format!("core gate {gid} has no assignment"));
            }
        }
        // domain references and release coverage
        let pv = prof.value().cloned().unwrap_or(Value::Null);
        let profile_domains: Vec<String> = pv.get("domains").and_then(Value::as_object).map(|m| m.keys().cloned().collect()).unwrap_or_default();
        let agent_domains: Vec<String> = items(agents.value(), "profiles").iter().flat_map(|p| strings(p.get("domains"))).collect();
        let release = strings(tv.get("release_sequence"));
        for (doc, list) in [(&prof, &profile_domains), (&agents, &agent_domains), (&topo, &release)] {
            for d in list.iter() {
                if !d.is_empty() && !is_defined(d) {
                    o.at(doc, "", format!("domain `{d}` is not defined in the topology's domain_metadata"));
                }
            }
        }
        if release.is_empty() {
            o.at(&topo, "", "release_sequence is empty".into());
        } else {
            for d in &defined {
                if !release.contains(d) {
                    o.at(&topo, "/release_sequence", format!("release_sequence misses domain `{d}`"));
                }
            }
        }
        // D278's own checks
        if profile_domains.is_empty() {
            o.at(&prof, "", "gate.domain.profiles.yaml declares no domains".into());
        }
        for d in &profile_domains {
            let ids = strings(pv.get("domains").and_then(|m| m.get(d)).and_then(|x| x.get("gate_ids")));
            let at = ptr(&["domains", d]);
            if ids.is_empty() {
                o.at(&prof, &at, format!("domain `{d}` has no gate_ids"));
                continue;
            }
            let mut seen: BTreeMap<&String, usize> = BTreeMap::new();
            for id in &ids {
                *seen.entry(id).or_default() += 1;
            }
            let dupes: Vec<&str> = seen.iter().filter(|(_, n)| **n > 1).map(|(k, _)| k.as_str()).collect();
            if !dupes.is_empty() {
                o.at(&prof, &at, format!("domain `{d}` lists gate_ids twice: {}", dupes.join(",")));
            }
        }
        Ok(o.findings)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const REG: &str = "gates:\n  - id: D1\n  - id: D2\n  - id: D3\n    retired: true\n";
    const TOPO: &str = "core_mode:\n  core_count_limit: 1\n  core_gate_ids: [D1]\ndomain_metadata:\n  - domain_id: core\n  - domain_id: infra\ngate_assignments:\n  - gate_id: D1\n    primary_domain: core\n  - gate_id: D2\n    primary_domain: infra\n    secondary_domains: [core]\nrelease_sequence: [core, infra]\n";
    const PROF: &str = "domains:\n  core:\n    gate_ids: [D1]\n  infra:\n    gate_ids: [D2, D9]\n";
    const AG: &str = "profiles:\n  - id: a\n    domains: [core]\n";

    #[test]
    fn consistent_topology_passes_but_needs_d127() {
        let f = findings(run_gate("D278", &[(REGISTRY, REG), (TOPOLOGY, TOPO), (PROFILES, PROF), (AGENTS, AG)], None, None));
        // only: the D127 script is absent (test files are not executable)
        assert_eq!(f.len(), 1, "{:?}", summary(&f));
    }

    #[test]
    fn drift_is_found() {
        let topo = TOPO.replace("release_sequence: [core, infra]", "release_sequence: [core]").replace("core_count_limit: 1", "core_count_limit: 2");
        let prof = PROF.replace("gate_ids: [D1]", "gate_ids: [D1, D1]");
        let f = findings(run_gate("D278", &[(REGISTRY, REG), (TOPOLOGY, &topo), (PROFILES, &prof), (AGENTS, AG)], None, None));
        // d127 missing, core count, release misses infra, duplicate D1
        assert_eq!(f.len(), 4, "{:?}", summary(&f));
    }
}
