//! D106 media-port-collision-lock: no two media services on one VM share a
//! port. A port of the registry's `d106-media-port-collision-lock.sh`: it
//! reads `ops/bindings/media.services.yaml` (`services.<name>.{vm, port}`),
//! keys each service by `vm:port` as text (so `8080` and `"8080"` collide,
//! as in the script's `@tsv` output) and skips services without a port. The
//! same port on two VMs is fine (the script only logs it). A missing binding
//! is a finding, as in the script; a binding without a `services` map has
//! nothing to collide.

use super::common::*;
use crate::findings::Finding;
use crate::gates::{GateContext, NativeGate};
use serde_json::Value;
use std::collections::HashMap;

pub struct MediaPorts;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: MediaPorts = MediaPorts;

const MEDIA_SERVICES: &str = "ops/bindings/media.services.yaml";

impl NativeGate for MediaPorts {
    fn name(&self) -> &'static str {
        "media_ports"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(doc) = spine_doc(cx, MEDIA_SERVICES) else {
            return Ok(vec![missing_file(
                cx,
                MEDIA_SERVICES,
                "the media services' ports cannot be checked",
            )]);
        };
        let Some(services) = doc
            .value()
            .and_then(|v| v.get("services"))
            .and_then(Value::as_object)
        else {
            return Ok(Vec::new());
        };
        let mut first: HashMap<(String, String), &str> = HashMap::new();
        let mut out = Vec::new();
        for (name, svc) in services {
            // `.value.port // "null"`: absent, null and false hold no port.
            let port = match svc.get("port") {
                None | Some(Value::Null) | Some(Value::Bool(false)) => continue,
                Some(p) => match text(Some(p)) {
                    Some(p) => p,
                    None => continue,
                },
            };
            let vm = text(svc.get("vm")).unwrap_or_default();
            let pointer = ptr(&["services", name, "port"]);
            match first.get(&(vm.clone(), port.clone())) {
                Some(other) => {
                    let on = if vm.is_empty() {
                        "without a `vm`".to_string()
                    } else {
                        format!("on VM {vm}")
                    };
                    out.push(
                        cx.finding(
                            &doc,
                            &pointer,
                            format!("media services `{other}` and `{name}` both use port {port} {on}"),
                        )
                        .with_subject(format!("service:{name}"))
                        .with_related(
                            doc.location(&ptr(&["services", other, "port"])),
                            format!("`{other}` uses port {port} here"),
                        ),
                    );
                }
                None => {
                    first.insert((vm, port), name.as_str());
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

    const MEDIA: &str = "services:\n  radarr:\n    vm: download-stack\n    port: 7878\n  sonarr:\n    vm: download-stack\n    port: 8989\n  jellyfin:\n    vm: streaming-stack\n    port: 8096\n  tdarr:\n    vm: download-stack\n    port: \"7878\"\n  bazarr:\n    vm: streaming-stack\n    port: 8989\n  recyclarr:\n    vm: download-stack\n    port: null\n  unpackerr:\n    vm: download-stack\n";

    #[test]
    fn same_port_on_one_vm_collides_across_vms_does_not() {
        let f = findings(run_gate("D106", &[(MEDIA_SERVICES, MEDIA)], None, None));
        assert_eq!(f.len(), 1, "{:?}", summary(&f));
        assert_eq!(f[0].location.line(), 13);
        assert_eq!(f[0].subject.as_deref(), Some("service:tdarr"));
        assert_eq!(
            f[0].message,
            "media services `radarr` and `tdarr` both use port 7878 on VM download-stack"
        );
        assert_eq!(f[0].related[0].location.line(), 4);
    }

    #[test]
    fn missing_binding_is_a_finding_and_no_services_map_passes() {
        let f = findings(run_gate("D106", &[("ops/bindings/other.yaml", "a: 1\n")], None, None));
        assert_eq!(f.len(), 1, "{:?}", summary(&f));
        assert!(f[0].message.contains("media.services.yaml not found"));
        let f = findings(run_gate("D106", &[(MEDIA_SERVICES, "version: 1\n")], None, None));
        assert!(f.is_empty(), "{:?}", summary(&f));
    }
}
