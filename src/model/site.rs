//! Sites of `ops/bindings/topology.sites.yaml`.

use super::values::{items, text};
use crate::documents::{pointer_escape, Document};
use serde_json::Value;
use std::collections::HashMap;

pub struct Site<'a> {
    pub index: usize,
    pub value: &'a Value,
    pub id: String,
    pub status: Option<String>,
    pub proxmox_alias: Option<String>,
    pub tailscale_anchor: Option<String>,
    /// Raw `vmid_range` text and its parsed bounds (inclusive).
    pub vmid_range: Option<String>,
    pub range: Option<(i64, i64)>,
    /// (list index, name)
    pub compose_targets: Vec<(usize, String)>,
    /// Raw `lan_cidr` text.
    pub lan_cidr: Option<String>,
    /// Values of every `*aliases` field of the site (list or scalar).
    pub aliases: Vec<String>,
}

impl Site<'_> {
    pub fn ptr(&self, field: &str) -> String {
        if field.is_empty() {
            format!("/sites/{}", self.index)
        } else {
            format!("/sites/{}/{}", self.index, pointer_escape(field))
        }
    }

    pub fn is_active(&self) -> bool {
        self.status.as_deref() == Some("active")
    }
}

/// `"200-299"`, `200-299`, `"9000+"` (open-ended), `"215"` → bounds.
pub fn parse_range(raw: &str) -> Option<(i64, i64)> {
    let raw = raw.trim();
    if let Some(lo) = raw.strip_suffix('+') {
        return lo.trim().parse().ok().map(|lo| (lo, i64::MAX));
    }
    match raw.split_once(['-', '–']) {
        Some((a, b)) => {
            let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            (a <= b).then_some((a, b))
        }
        None => raw.parse().ok().map(|n| (n, n)),
    }
}

/// Site → cluster for spine revisions older than topology.sites.yaml: the
/// clusters the registry's scripts name (`proxmox_host == "pve"` for the
/// shop, `proxmox-home` for home) before sites were bindings.
pub const LEGACY_SITE_CLUSTERS: [(&str, &str); 2] = [("shop", "pve"), ("home", "proxmox-home")];

/// The cluster of `site` in a spine without topology.sites.yaml.
pub fn legacy_cluster(site: &str) -> Option<&'static str> {
    LEGACY_SITE_CLUSTERS
        .iter()
        .find(|(s, _)| *s == site)
        .map(|(_, c)| *c)
}

pub fn sites(doc: &Document) -> Vec<Site<'_>> {
    items(doc.value(), "sites")
        .iter()
        .enumerate()
        .filter_map(|(index, v)| {
            let id = text(v.get("id"))?;
            let vmid_range = text(v.get("vmid_range"));
            Some(Site {
                index,
                value: v,
                id,
                status: text(v.get("status")),
                proxmox_alias: text(v.get("proxmox_alias")),
                tailscale_anchor: text(v.get("tailscale_anchor")),
                range: vmid_range.as_deref().and_then(parse_range),
                vmid_range,
                compose_targets: items(Some(v), "compose_targets")
                    .iter()
                    .enumerate()
                    .filter_map(|(i, t)| text(Some(t)).map(|t| (i, t)))
                    .collect(),
                lan_cidr: text(v.get("lan_cidr")),
                aliases: aliases_of(v),
            })
        })
        .collect()
}

/// Cluster alias → site index.
pub fn site_by_cluster<'s>(sites: &'s [Site<'s>]) -> HashMap<&'s str, &'s Site<'s>> {
    let mut m = HashMap::new();
    for s in sites {
        if let Some(a) = s.proxmox_alias.as_deref() {
            m.entry(a).or_insert(s);
        }
    }
    m
}

/// Every value of the site's `*aliases` fields (`cluster_aliases: [...]`,
/// `ssh_aliases: x`), in key order.
fn aliases_of(site: &Value) -> Vec<String> {
    let Some(obj) = site.as_object() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in obj {
        if k.ends_with("aliases") {
            match v {
                Value::Array(a) => {
                    out.extend(a.iter().filter_map(|x| x.as_str().map(str::to_string)))
                }
                Value::String(s) => out.push(s.clone()),
                _ => {}
            }
        }
    }
    out
}
