//! D138 site-parity-maintenance-order: every startup phase carries a `site`
//! tag naming a site of topology.sites.yaml, and every active site has at
//! least one phase (N sites, none hard-coded).

use super::common::*;
use crate::findings::Finding;
use crate::gates::{GateContext, NativeGate};
use std::collections::HashSet;

pub struct StartupSiteTags;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: StartupSiteTags = StartupSiteTags;

impl NativeGate for StartupSiteTags {
    fn name(&self) -> &'static str {
        "startup_site_tags"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(seq) = spine_doc(cx, STARTUP) else {
            return Ok(Vec::new());
        };
        let topo = spine_doc(cx, TOPOLOGY);
        let site_list = topo.as_deref().map(sites).unwrap_or_default();
        let known: HashSet<&str> = site_list.iter().map(|s| s.id.as_str()).collect();
        let mut out = Vec::new();
        if topo.is_none() {
            out.push(missing_file(
                cx,
                TOPOLOGY,
                "phase site tags cannot be checked against the active sites",
            ));
        }
        let mut tagged: HashSet<String> = HashSet::new();
        let phases = items(seq.value(), "phases");
        for (i, p) in phases.iter().enumerate() {
            let num = text(p.get("phase")).unwrap_or_else(|| format!("#{}", i + 1));
            let label = match text(p.get("label")) {
                Some(l) => format!("phase {num} ({l})"),
                None => format!("phase {num}"),
            };
            let subject = format!("file:{STARTUP}");
            match text(p.get("site")) {
                None => out.push(
                    cx.finding(
                        &seq,
                        &format!("/phases/{i}"),
                        format!("{label} has no `site` tag; site-scoped maintenance cannot tell which site it belongs to"),
                    )
                    .with_subject(subject),
                ),
                Some(site) => {
                    if topo.is_some() && !known.contains(site.as_str()) {
                        out.push(
                            cx.finding(
                                &seq,
                                &format!("/phases/{i}/site"),
                                format!("{label} has site `{site}`, which topology.sites.yaml does not define"),
                            )
                            .with_subject(subject),
                        );
                    }
                    tagged.insert(site);
                }
            }
        }
        if let Some(topo) = topo.as_deref() {
            for s in site_list.iter().filter(|s| s.is_active()) {
                if !tagged.contains(&s.id) {
                    out.push(
                        cx.finding(
                            &seq,
                            "/phases",
                            format!("site `{}` is active in topology.sites.yaml but no startup phase is tagged with it", s.id),
                        )
                        .with_subject(format!("site:{}", s.id))
                        .with_related(topo.location(&s.ptr("")), format!("site `{}`", s.id)),
                    );
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

    const TOPO: &str = "sites:\n  - id: shop\n    status: active\n  - id: home\n    status: active\n  - id: lab\n    status: planned\n";

    #[test]
    fn tagged_phases_for_every_active_site_pass() {
        let seq = "phases:\n  - phase: 1\n    site: shop\n  - phase: 10\n    site: home\n";
        let f = findings(run_gate(
            "D138",
            &[(TOPOLOGY, TOPO), (STARTUP, seq)],
            None,
            None,
        ));
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn untagged_phase_unknown_site_and_unrepresented_site() {
        let seq = "phases:\n  - phase: 1\n    site: shop\n  - phase: 12\n    label: NAS\n    hosts: []\n  - phase: 20\n    site: garage\n";
        let f = findings(run_gate(
            "D138",
            &[(TOPOLOGY, TOPO), (STARTUP, seq)],
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
                (4, "file:ops/bindings/startup.sequencing.yaml", "phase 12 (NAS) has no `site` tag; site-scoped maintenance cannot tell which site it belongs to"),
                (8, "file:ops/bindings/startup.sequencing.yaml", "phase 20 has site `garage`, which topology.sites.yaml does not define"),
                (1, "site:home", "site `home` is active in topology.sites.yaml but no startup phase is tagged with it"),
            ]
        );
        assert_eq!(f[0].code, "D138");
        assert_eq!(f[2].related[0].location.path, TOPOLOGY);
        assert_eq!(f[2].related[0].location.line(), 4);
    }
}
