//! D409 service-port-unique-per-host: no two SERVICE_REGISTRY services on the
//! same host share a port. One pass with a (host, port) → first service map.
//! Services whose `status` is in `gate_options.D409.skip_statuses` (default
//! `retired`) hold no port.

use super::common::*;
use crate::model::services::services;
use crate::findings::Finding;
use crate::gates::{GateContext, NativeGate};
use std::collections::HashMap;

pub struct ServicePortCollision;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: ServicePortCollision = ServicePortCollision;

impl NativeGate for ServicePortCollision {
    fn name(&self) -> &'static str {
        "service_port_collision"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(doc) = spine_doc(cx, SERVICE_REGISTRY) else {
            return Ok(Vec::new());
        };
        let skip = opt_list(cx, "skip_statuses").unwrap_or_else(|| vec!["retired".into()]);
        let mut first: HashMap<(String, String), (String, String)> = HashMap::new();
        let mut out = Vec::new();
        for svc in services(&doc) {
            if svc.status.as_ref().is_some_and(|s| skip.contains(s)) {
                continue;
            }
            let Some(host) = svc.host.clone() else {
                continue;
            };
            let name = svc.name;
            for (port, pointer) in svc.ports.clone() {
                match first.get(&(host.clone(), port.clone())) {
                    Some((other, other_ptr)) => out.push(
                        cx.finding(
                            &doc,
                            &pointer,
                            format!("services `{other}` and `{name}` both use port {port} on host `{host}`"),
                        )
                        .with_subject(format!("service:{name}"))
                        .with_related(doc.location(other_ptr), format!("`{other}` uses port {port} here")),
                    ),
                    None => {
                        first.insert((host.clone(), port), (name.to_string(), pointer));
                    }
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

    const REG: &str = "services:\n  grafana:\n    host: observability\n    port: 3000\n  gitea:\n    host: dev-tools\n    port: 3000\n  uptime-kuma:\n    host: observability\n    port: \"3000\"\n  old:\n    host: observability\n    port: 3000\n    status: retired\n";

    #[test]
    fn same_port_on_same_host_collides_other_hosts_do_not() {
        let f = findings(run_gate("D409", &[(SERVICE_REGISTRY, REG)], None, None));
        assert_eq!(f.len(), 1, "{:?}", summary(&f));
        assert_eq!(f[0].code, "D409");
        assert_eq!(f[0].location.line(), 10);
        assert_eq!(f[0].subject.as_deref(), Some("service:uptime-kuma"));
        assert_eq!(
            f[0].message,
            "services `grafana` and `uptime-kuma` both use port 3000 on host `observability`"
        );
        assert_eq!(f[0].related[0].location.line(), 4);
    }

    #[test]
    fn distinct_ports_pass() {
        let reg = REG.replace("port: \"3000\"", "port: 3001");
        let f = findings(run_gate("D409", &[(SERVICE_REGISTRY, &reg)], None, None));
        assert!(f.is_empty(), "{:?}", summary(&f));
    }
}
