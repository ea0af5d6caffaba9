//! Services of `docs/governance/SERVICE_REGISTRY.yaml` (`services` is a map
//! keyed by service name).

use super::values::text;
use crate::documents::{pointer_escape, Document};
use serde_json::Value;

pub struct Service<'a> {
    pub name: &'a str,
    pub value: &'a Value,
    pub host: Option<String>,
    pub status: Option<String>,
    /// `port: 3000`, `port: "3000"` or `port: [80, 443]`: (port, pointer).
    pub ports: Vec<(String, String)>,
}

impl Service<'_> {
    /// `/services/<name>` or `/services/<name>/<field>`.
    pub fn ptr(&self, field: &str) -> String {
        let base = format!("/services/{}", pointer_escape(self.name));
        if field.is_empty() {
            base
        } else {
            format!("{base}/{}", pointer_escape(field))
        }
    }

    /// `service:<name>`.
    pub fn subject(&self) -> String {
        format!("service:{}", self.name)
    }
}

/// Every service, in file order (empty when `services` is not a map).
pub fn services(doc: &Document) -> Vec<Service<'_>> {
    let Some(map) = doc
        .value()
        .and_then(|v| v.get("services"))
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    map.iter()
        .map(|(name, v)| {
            let mut s = Service {
                name,
                value: v,
                host: text(v.get("host")),
                status: text(v.get("status")),
                ports: Vec::new(),
            };
            let port_ptr = s.ptr("port");
            s.ports = match v.get("port") {
                Some(Value::Array(a)) => a
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| text(Some(p)).map(|p| (p, format!("{port_ptr}/{i}"))))
                    .collect(),
                other => text(other)
                    .map(|p| vec![(p, port_ptr.clone())])
                    .unwrap_or_default(),
            };
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::RepoId;

    #[test]
    fn ports_in_every_shape_with_pointers() {
        let d = Document::parse(
            RepoId::Spine,
            "SERVICE_REGISTRY.yaml",
            b"services:\n  a/b:\n    host: x\n    port: [80, \"443\"]\n  c:\n    port: 3000\n    status: retired\n  d: 5\n",
        );
        let s = services(&d);
        assert_eq!(s.len(), 3);
        assert_eq!(
            s[0].ports,
            vec![
                ("80".to_string(), "/services/a~1b/port/0".to_string()),
                ("443".to_string(), "/services/a~1b/port/1".to_string())
            ]
        );
        assert_eq!(s[1].ports, vec![("3000".into(), "/services/c/port".into())]);
        assert_eq!(s[1].status.as_deref(), Some("retired"));
        assert!(s[2].host.is_none() && s[2].ports.is_empty());
    }
}
