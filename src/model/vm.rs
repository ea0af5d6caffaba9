//! Guests of `ops/bindings/vm.lifecycle.yaml`.

use super::values::{int, items, text};
use crate::documents::{pointer_escape, Document};
use serde_json::Value;

/// One guest of vm.lifecycle.yaml.
pub struct Vm<'a> {
    pub index: usize,
    pub value: &'a Value,
    /// `id`, or `vmid` in older commits.
    pub id: Option<i64>,
    pub id_key: &'static str,
    pub hostname: Option<String>,
    /// proxmox_host, else defaults.proxmox_host (`?` when neither is set).
    pub cluster: String,
    /// False when neither proxmox_host nor defaults.proxmox_host is set.
    pub has_cluster: bool,
    pub status: Option<String>,
    pub lan_ip: Option<String>,
    pub tailscale_ip: Option<String>,
    pub ssh_target: Option<String>,
    pub ssh_user: Option<String>,
    pub is_lxc: bool,
    pub site_scope: Option<String>,
}

impl Vm<'_> {
    /// `/vms/<i>` or `/vms/<i>/<field>`.
    pub fn ptr(&self, field: &str) -> String {
        if field.is_empty() {
            format!("/vms/{}", self.index)
        } else {
            format!("/vms/{}/{}", self.index, pointer_escape(field))
        }
    }

    pub fn id_text(&self) -> String {
        self.id
            .map(|i| i.to_string())
            .or_else(|| text(self.value.get(self.id_key)))
            .unwrap_or_else(|| "?".into())
    }

    /// `VM 215 (immich)` / `LXC 105 (pihole-home)`.
    pub fn label(&self) -> String {
        let kind = if self.is_lxc { "LXC" } else { "VM" };
        match &self.hostname {
            Some(h) => format!("{kind} {} ({h})", self.id_text()),
            None => format!("{kind} {}", self.id_text()),
        }
    }

    /// `vm:pve/215`.
    pub fn subject(&self) -> String {
        match (self.id, &self.hostname) {
            (Some(id), _) => format!("vm:{}/{id}", self.cluster),
            (None, Some(h)) => format!("vm:{}/{h}", self.cluster),
            (None, None) => format!("vm:{}/#{}", self.cluster, self.index + 1),
        }
    }

    pub fn has_status(&self, s: &str) -> bool {
        self.status.as_deref() == Some(s)
    }

    /// The ssh target id this guest is reached through: `ssh_target`, else
    /// its hostname.
    pub fn ssh_id(&self) -> Option<&str> {
        self.ssh_target.as_deref().or(self.hostname.as_deref())
    }

    /// `vzdump-qemu-<id>-` / `vzdump-lxc-<id>-`.
    pub fn vzdump_prefix(&self) -> Option<String> {
        let kind = if self.is_lxc { "lxc" } else { "qemu" };
        self.id.map(|id| format!("vzdump-{kind}-{id}-"))
    }
}

/// Every guest of vm.lifecycle.yaml, in file order.
pub fn vms(doc: &Document) -> Vec<Vm<'_>> {
    let Some(root) = doc.value() else {
        return Vec::new();
    };
    let default_cluster = text(root.get("defaults").and_then(|d| d.get("proxmox_host")));
    items(Some(root), "vms")
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_object())
        .map(|(index, v)| {
            // `id // vmid`, as the spine's scripts read it: older commits
            // use `vmid`.
            let (id_key, id) = if v.get("id").is_some_and(|x| !x.is_null()) {
                ("id", int(v.get("id")))
            } else {
                ("vmid", int(v.get("vmid")))
            };
            let cluster = text(v.get("proxmox_host")).or_else(|| default_cluster.clone());
            Vm {
                index,
                value: v,
                id,
                id_key,
                hostname: text(v.get("hostname")),
                has_cluster: cluster.is_some(),
                cluster: cluster.unwrap_or_else(|| "?".into()),
                status: text(v.get("status")),
                lan_ip: text(v.get("lan_ip")),
                tailscale_ip: text(v.get("tailscale_ip")),
                ssh_target: text(v.get("ssh_target")),
                ssh_user: text(v.get("ssh_user")),
                is_lxc: text(v.get("vm_type")).is_some_and(|t| t.eq_ignore_ascii_case("lxc")),
                site_scope: text(v.get("site_scope")),
            }
        })
        .collect()
}
