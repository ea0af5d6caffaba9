//! SSH targets of `ops/bindings/ssh.targets.yaml`.

use super::values::{items, strings, text};
use crate::documents::{pointer_escape, Document};
use serde_json::Value;
use std::collections::HashMap;

pub struct SshTarget<'a> {
    pub index: usize,
    pub value: &'a Value,
    pub id: String,
    pub host: Option<String>,
    pub tailscale_ip: Option<String>,
    pub user: Option<String>,
    pub access_policy: Option<String>,
    pub tags: Vec<String>,
}

impl SshTarget<'_> {
    pub fn ptr(&self, field: &str) -> String {
        if field.is_empty() {
            format!("/ssh/targets/{}", self.index)
        } else {
            format!("/ssh/targets/{}/{}", self.index, pointer_escape(field))
        }
    }
}

pub struct SshTargets<'a> {
    pub targets: Vec<SshTarget<'a>>,
    pub default_user: Option<String>,
}

impl<'a> SshTargets<'a> {
    /// id → target (first wins).
    pub fn by_id(&self) -> HashMap<&str, &SshTarget<'a>> {
        let mut m = HashMap::new();
        for t in &self.targets {
            m.entry(t.id.as_str()).or_insert(t);
        }
        m
    }
}

pub fn ssh_targets(doc: &Document) -> SshTargets<'_> {
    let ssh = doc.value().and_then(|v| v.get("ssh"));
    SshTargets {
        default_user: text(
            ssh.and_then(|s| s.get("defaults"))
                .and_then(|d| d.get("user")),
        ),
        targets: items(ssh, "targets")
            .iter()
            .enumerate()
            .filter_map(|(index, v)| {
                Some(SshTarget {
                    index,
                    value: v,
                    id: text(v.get("id"))?,
                    host: text(v.get("host")),
                    tailscale_ip: text(v.get("tailscale_ip")),
                    user: text(v.get("user")),
                    access_policy: text(v.get("access_policy")),
                    tags: strings(Some(v), "tags"),
                })
            })
            .collect(),
    }
}
