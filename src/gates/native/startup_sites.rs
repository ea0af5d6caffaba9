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
        // Without topology.sites.yaml (older spines): the two sites the
        // registry's script names, both active.
        let known: HashSet<&str> = match topo {
            Some(_) => site_list.iter().map(|s| s.id.as_str()).collect(),
            None => LEGACY_SITE_CLUSTERS.iter().map(|(s, _)| *s).collect(),
        };
        let mut out = Vec::new();
        // The script's format check: version 2 introduced the site tags.
        let version = seq.value().and_then(|v| v.get("version"));
        if int(version).is_none_or(|v| v < 2) {
            let shown = text(version).unwrap_or_else(|| "missing".into());
            let at = if version.is_some() { "/version" } else { "" };
            out.push(
                cx.finding(
                    &seq,
                    at,
                    format!("startup.sequencing.yaml version is {shown}; site-tagged phases need version 2 or later"),
                )
                .with_subject(format!("file:{STARTUP}")),
            );
        }
        let mut tagged: HashSet<String> = HashSet::new();
        let phases = items(seq.value(), "phases");
        if phases.is_empty() {
            out.push(
                cx.finding(&seq, "", "startup.sequencing.yaml has no phases")
                    .with_subject(format!("file:{STARTUP}")),
            );
        }
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
                    if !known.contains(site.as_str()) {
                        out.push(
                            cx.finding(
                                &seq,
                                &format!("/phases/{i}/site"),
                                format!(
                                    "{label} has site `{site}`, which {} does not define",
                                    if topo.is_some() { "topology.sites.yaml" } else { "the spine (shop, home before topology.sites.yaml)" }
                                ),
                            )
                            .with_subject(subject),
                        );
                    }
                    tagged.insert(site);
                }
            }
        }
        if topo.is_none() {
            for (site, _) in LEGACY_SITE_CLUSTERS {
                if !tagged.contains(site) {
                    out.push(
                        cx.finding(
                            &seq,
                            "/phases",
                            format!("no startup phase is tagged with site `{site}`"),
                        )
                        .with_subject(format!("site:{site}")),
                    );
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
        let seq = "version: 2\nphases:\n  - phase: 1\n    site: shop\n  - phase: 10\n    site: home\n";
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
        let seq = "version: 3\nphases:\n  - phase: 1\n    site: shop\n  - phase: 12\n    label: NAS\n    hosts: []\n  - phase: 20\n    site: garage\n";
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
                (5, "file:ops/bindings/startup.sequencing.yaml", "phase 12 (NAS) has no `site` tag; site-scoped maintenance cannot tell which site it belongs to"),
                (9, "file:ops/bindings/startup.sequencing.yaml", "phase 20 has site `garage`, which topology.sites.yaml does not define"),
                (2, "site:home", "site `home` is active in topology.sites.yaml but no startup phase is tagged with it"),
            ]
        );
        assert_eq!(f[0].code, "D138");
        assert_eq!(f[2].related[0].location.path, TOPOLOGY);
        assert_eq!(f[2].related[0].location.line(), 4);
    }

    #[test]
    fn old_versions_and_spines_without_topology_are_judged_as_the_script_does() {
        // Before topology.sites.yaml: shop and home, as the script names them.
        let seq = "version: 1\nphases:\n  - phase: 1\n    site: shop\n  - phase: 2\n    site: lab\n";
        let f = findings(run_gate("D138", &[(STARTUP, seq)], None, None));
        let msgs: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "startup.sequencing.yaml version is 1; site-tagged phases need version 2 or later",
                "phase 2 has site `lab`, which the spine (shop, home before topology.sites.yaml) does not define",
                "no startup phase is tagged with site `home`",
            ]
        );
        let ok = "version: 2\nphases:\n  - phase: 1\n    site: shop\n  - phase: 2\n    site: home\n";
        assert!(findings(run_gate("D138", &[(STARTUP, ok)], None, None)).is_empty());
        let none = findings(run_gate("D138", &[(STARTUP, "version: 2\n")], None, None));
        assert_eq!(none.len(), 3, "{:?}", summary(&none));
    }
}
