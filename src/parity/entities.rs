//! Canonical truth from the spine: VMs (`vm.lifecycle.yaml`, keyed
//! `<cluster>/<vmid>`), SSH targets (`ssh.targets.yaml`, keyed by id) and
//! sites (`topology.sites.yaml`: LAN CIDR, cluster name and its aliases).

use super::config::SpineFiles;
use crate::documents::Document;
use crate::findings::RepoId;
use crate::model;
use crate::workspace::Workspace;
use ipnet::IpNet;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Arc;

/// `<cluster>/<vmid>`; ordered by cluster, then numerically by VMID.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VmKey {
    pub cluster: String,
    pub vmid: i64,
}

impl std::fmt::Display for VmKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.cluster, self.vmid)
    }
}

/// Where a VM or target is in its lifecycle, as far as parity cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Life {
    /// active or stopped: other repos are expected to track it.
    Live,
    /// decommissioned / abandoned (and non-vocabulary retired, destroyed):
    /// other repos should no longer list it.
    Gone,
    /// template, planning, provisioned, registered, unknown: may be listed,
    /// need not be.
    Other,
}

/// Normalises a status word from any repo: `running` → `active`,
/// `exited` → `stopped`, `destroyed` → `decommissioned`, ...
pub fn normalise_status(s: &str) -> String {
    let l = s.trim().to_ascii_lowercase();
    match l.as_str() {
        "active" | "running" | "up" | "online" | "enabled" => "active".into(),
        "stopped" | "exited" | "down" | "offline" | "powered-off" | "poweredoff" | "shutdown"
        | "halted" => "stopped".into(),
        "decommissioned" | "destroyed" | "deleted" | "removed" | "retired" | "abandoned"
        | "gone" => "decommissioned".into(),
        _ => l,
    }
}

pub fn life_of(status: &str) -> Life {
    match normalise_status(status).as_str() {
        "active" | "stopped" => Life::Live,
        "decommissioned" => Life::Gone,
        _ => Life::Other,
    }
}

#[derive(Debug, Clone)]
pub struct Site {
    pub id: String,
    pub status: Option<String>,
    pub lan_cidr: Option<IpNet>,
    pub proxmox_alias: Option<String>,
    pub tailscale_anchor: Option<String>,
    /// Values of every `*aliases` list of the site.
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CanonVm {
    pub key: VmKey,
    pub hostname: Option<String>,
    pub status: String,
    pub life: Life,
    pub lan_ip: Option<String>,
    pub tailscale_ip: Option<String>,
    pub ssh_target: Option<String>,
    pub ssh_user: Option<String>,
    pub site: Option<String>,
    pub line: usize,
    /// The spine's VM object plus `key`, `cluster`, `vmid`, `site` (input of
    /// `expect` filters).
    pub json: Value,
}

#[derive(Debug, Clone)]
pub struct CanonTarget {
    pub id: String,
    pub host: Option<String>,
    pub tailscale_ip: Option<String>,
    pub user: Option<String>,
    pub access_policy: Option<String>,
    pub life: Life,
    pub site: Option<String>,
    pub line: usize,
    pub json: Value,
}

/// A service of SERVICE_REGISTRY.yaml (`services.<name>`).
#[derive(Debug, Clone)]
pub struct CanonService {
    pub name: String,
    pub host: Option<String>,
    /// `container:` (the name `docker ps` shows, when it differs).
    pub container: Option<String>,
    pub port: Option<String>,
    pub status: Option<String>,
    pub life: Life,
    pub line: usize,
    /// The registry entry plus `name`, `host`, `site`, `guest` (the host is
    /// a live guest of vm.lifecycle.yaml) and `listed_by_guest` (that guest
    /// keeps a `services` list): input of `expect` filters.
    pub json: Value,
}

#[derive(Debug, Default)]
pub struct Canon {
    pub vms: BTreeMap<VmKey, CanonVm>,
    pub targets: BTreeMap<String, CanonTarget>,
    pub services: BTreeMap<String, CanonService>,
    pub has_services: bool,
    pub sites: Vec<Site>,
    /// Lower-cased name → canonical cluster.
    aliases: HashMap<String, String>,
    /// Canonical cluster names (exact).
    pub clusters: Vec<String>,
    /// Canonical files as read: (repo path, present).
    pub files: SpineFiles,
    pub notes: Vec<String>,
    pub has_vms: bool,
    pub has_targets: bool,
    /// VMID → VMs with it (one per cluster at most).
    pub by_vmid: HashMap<i64, Vec<VmKey>>,
    /// hostname → VMs with it (the same hostname on two clusters is legal).
    pub by_hostname: HashMap<String, Vec<VmKey>>,
}

/// Result of resolving a cluster name found in some repo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cluster {
    /// Already the canonical name.
    Canonical(String),
    /// A known alias of this canonical cluster.
    Alias(String),
    /// Nobody knows this name.
    Unknown,
}

/// Parses an IP address (ignores a `/prefix` suffix).
pub fn ip(s: &str) -> Option<IpAddr> {
    s.trim().split('/').next()?.parse().ok()
}

/// Tailscale addresses: 100.64.0.0/10 and fd7a:115c:a1e0::/48.
pub fn is_tailscale(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v) => {
            let o = v.octets();
            o[0] == 100 && (64..128).contains(&o[1])
        }
        IpAddr::V6(v) => {
            let s = v.segments();
            s[0] == 0xfd7a && s[1] == 0x115c && s[2] == 0xa1e0
        }
    }
}

/// Do two address strings denote the same address (or equal text)?
pub fn same_addr(a: &str, b: &str) -> bool {
    match (ip(a), ip(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a.trim().eq_ignore_ascii_case(b.trim()),
    }
}

impl Canon {
    pub fn load(
        ws: &Workspace,
        files: &SpineFiles,
        extra_aliases: &BTreeMap<String, String>,
    ) -> Canon {
        let mut c = Canon {
            files: files.clone(),
            ..Canon::default()
        };
        let doc = |p: &str| -> Option<Arc<Document>> { ws.doc(RepoId::Spine, p) };
        match doc(&files.topology) {
            Some(d) => c.load_sites(&d),
            None => c.notes.push(format!(
                "spine `{}` not found: no cluster aliases or LAN CIDRs, `subnet` not checked",
                files.topology
            )),
        }
        match doc(&files.vm_lifecycle) {
            Some(d) => {
                c.has_vms = true;
                c.load_vms(&d);
            }
            None => c.notes.push(format!(
                "spine `{}` not found: VM parity skipped",
                files.vm_lifecycle
            )),
        }
        match doc(&files.ssh_targets) {
            Some(d) => {
                c.has_targets = true;
                c.load_targets(&d);
            }
            None => c.notes.push(format!(
                "spine `{}` not found: SSH host parity skipped",
                files.ssh_targets
            )),
        }
        c.build_aliases(extra_aliases);
        for (k, v) in &c.vms {
            c.by_vmid.entry(k.vmid).or_default().push(k.clone());
            if let Some(h) = &v.hostname {
                c.by_hostname.entry(h.clone()).or_default().push(k.clone());
            }
        }
        match doc(&files.service_registry) {
            Some(d) => {
                c.has_services = true;
                c.load_services(&d);
            }
            None => c.notes.push(format!(
                "spine `{}` not found: service parity skipped",
                files.service_registry
            )),
        }
        c
    }

    fn load_services(&mut self, d: &Document) {
        self.note_problems(d);
        for s in model::services::services(d) {
            let life = match &s.status {
                None => Life::Live,
                Some(st) => match life_of(st) {
                    // deprecated, parked, ...: still a service the registry
                    // places somewhere.
                    Life::Other => Life::Live,
                    l => l,
                },
            };
            let guest = s.host.as_deref().and_then(|h| self.live_guest(h));
            let mut json = s.value.clone();
            if let Value::Object(m) = &mut json {
                m.insert("name".into(), Value::String(s.name.to_string()));
                m.insert(
                    "site".into(),
                    guest
                        .and_then(|g| g.site.clone())
                        .map_or(Value::Null, Value::String),
                );
                m.insert("guest".into(), Value::Bool(guest.is_some()));
                m.insert(
                    "listed_by_guest".into(),
                    Value::Bool(guest.is_some_and(|g| g.json.get("services").is_some())),
                );
            }
            let svc = CanonService {
                name: s.name.to_string(),
                host: s.host.clone(),
                container: model::values::text(s.value.get("container")),
                port: s.ports.first().map(|(p, _)| p.clone()),
                status: s.status.clone(),
                life,
                line: d.value_location(&s.ptr("")).line(),
                json,
            };
            self.services.insert(svc.name.clone(), svc);
        }
    }

    /// The registry service on `host` that `name` means: its name or its
    /// container name (a container called `vaultwarden` on the home guest
    /// is the registry's `vaultwarden-home`, not the shop's `vaultwarden`).
    pub fn service_on_host(&self, host: &str, name: &str) -> Option<&CanonService> {
        let n = name.trim();
        self.services.values().find(|s| {
            s.host.as_deref().is_some_and(|h| self.same_host(h, host))
                && (s.name.eq_ignore_ascii_case(n)
                    || s.container
                        .as_deref()
                        .is_some_and(|c| c.eq_ignore_ascii_case(n)))
        })
    }

    /// The live guest a host name means: its hostname or its ssh_target.
    pub fn live_guest(&self, host: &str) -> Option<&CanonVm> {
        let h = host.trim();
        self.vms.values().find(|v| {
            v.life == Life::Live
                && (v
                    .hostname
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(h))
                    || v.ssh_target
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(h)))
        })
    }

    /// Do two host names mean the same host (the same string, or the
    /// hostname and ssh_target of one guest)?
    pub fn same_host(&self, a: &str, b: &str) -> bool {
        if a.trim().eq_ignore_ascii_case(b.trim()) {
            return true;
        }
        let of = |h: &str| {
            self.vms.values().find(|v| {
                v.hostname
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(h.trim()))
                    || v.ssh_target
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(h.trim()))
            })
        };
        matches!((of(a), of(b)), (Some(x), Some(y)) if x.key == y.key)
    }

    fn note_problems(&mut self, d: &Document) {
        if d.has_syntax_error() {
            self.notes.push(format!(
                "spine `{}` has a syntax error; parity used what could be read (run `driftgate check`)",
                d.path
            ));
        }
    }

    fn load_sites(&mut self, d: &Document) {
        self.note_problems(d);
        if d.value()
            .and_then(|v| v.get("sites"))
            .and_then(Value::as_array)
            .is_none()
        {
            self.notes
                .push(format!("spine `{}` has no `sites` list", d.path));
            return;
        }
        for s in model::site::sites(d) {
            let lan_cidr = match &s.lan_cidr {
                Some(t) => match t.parse::<IpNet>() {
                    Ok(n) => Some(n.trunc()),
                    Err(_) => {
                        self.notes.push(format!(
                            "site `{}` ({}:{}): lan_cidr `{t}` is not a CIDR; subnet not checked for it",
                            s.id,
                            d.path,
                            d.location(&s.ptr("lan_cidr")).line()
                        ));
                        None
                    }
                },
                None => None,
            };
            self.sites.push(Site {
                id: s.id,
                status: s.status,
                lan_cidr,
                proxmox_alias: s.proxmox_alias,
                tailscale_anchor: s.tailscale_anchor,
                aliases: s.aliases,
            });
        }
    }

    fn site_of_cluster(&self, cluster: &str) -> Option<String> {
        self.sites
            .iter()
            .find(|s| s.proxmox_alias.as_deref() == Some(cluster))
            .map(|s| s.id.clone())
    }

    pub fn site(&self, id: &str) -> Option<&Site> {
        self.sites.iter().find(|s| s.id == id)
    }

    fn load_vms(&mut self, d: &Document) {
        self.note_problems(d);
        if d.value()
            .and_then(|v| v.get("vms"))
            .and_then(Value::as_array)
            .is_none()
        {
            self.notes
                .push(format!("spine `{}` has no `vms` list", d.path));
            return;
        }
        for v in model::vm::vms(d) {
            let ptr = v.ptr("");
            let Some(vmid) = v.id else {
                self.notes.push(format!(
                    "{}:{}: VM entry without an integer `id`; not compared",
                    d.path,
                    d.value_location(&ptr).line()
                ));
                continue;
            };
            if !v.has_cluster {
                self.notes.push(format!(
                    "{}:{}: VM {vmid} has no `proxmox_host` (and no default); not compared",
                    d.path,
                    d.value_location(&ptr).line()
                ));
                continue;
            }
            let cluster = v.cluster.clone();
            let key = VmKey {
                cluster: cluster.clone(),
                vmid,
            };
            if self.vms.contains_key(&key) {
                self.notes.push(format!(
                    "{}:{}: VM {key} listed twice; the first entry is used",
                    d.path,
                    d.value_location(&ptr).line()
                ));
                continue;
            }
            let status = v.status.clone().unwrap_or_default();
            let site = self.site_of_cluster(&cluster);
            let mut json = v.value.as_object().cloned().unwrap_or_default();
            json.insert("key".into(), json!(key.to_string()));
            json.insert("cluster".into(), json!(cluster));
            json.insert("vmid".into(), json!(vmid));
            json.insert("site".into(), json!(site));
            self.vms.insert(
                key.clone(),
                CanonVm {
                    hostname: v.hostname,
                    life: life_of(&status),
                    status,
                    lan_ip: v.lan_ip,
                    tailscale_ip: v.tailscale_ip,
                    ssh_target: v.ssh_target,
                    ssh_user: v.ssh_user,
                    site,
                    line: d.value_location(&ptr).line(),
                    json: Value::Object(json),
                    key,
                },
            );
        }
    }

    fn load_targets(&mut self, d: &Document) {
        self.note_problems(d);
        if d.value().and_then(|v| v.get("ssh")).is_none() {
            self.notes
                .push(format!("spine `{}` has no `ssh` map", d.path));
            return;
        }
        let model::ssh::SshTargets {
            targets,
            default_user,
        } = model::ssh::ssh_targets(d);
        // VMs by the target that reaches them.
        let mut by_target: HashMap<&str, Vec<&CanonVm>> = HashMap::new();
        for vm in self.vms.values() {
            if let Some(t) = &vm.ssh_target {
                by_target.entry(t.as_str()).or_default().push(vm);
            }
        }
        let mut out = BTreeMap::new();
        for t in targets {
            let id = t.id.clone();
            if out.contains_key(&id) {
                self.notes.push(format!(
                    "{}:{}: SSH target `{id}` listed twice; the first entry is used",
                    d.path,
                    d.value_location(&t.ptr("")).line()
                ));
                continue;
            }
            let vms = by_target.get(id.as_str()).cloned().unwrap_or_default();
            // A target is gone when every VM it reaches is gone.
            let life = if !vms.is_empty() && vms.iter().all(|v| v.life == Life::Gone) {
                Life::Gone
            } else {
                Life::Live
            };
            let host = t.host.clone();
            let tags = &t.tags;
            let site = vms
                .iter()
                .find_map(|v| v.site.clone())
                .or_else(|| {
                    self.sites
                        .iter()
                        .find(|s| {
                            s.proxmox_alias.as_deref() == Some(id.as_str())
                                || s.tailscale_anchor.as_deref() == Some(id.as_str())
                        })
                        .map(|s| s.id.clone())
                })
                .or_else(|| {
                    let a = host.as_deref().and_then(ip)?;
                    self.sites
                        .iter()
                        .find(|s| s.lan_cidr.is_some_and(|n| n.contains(&a)))
                        .map(|s| s.id.clone())
                })
                .or_else(|| {
                    self.sites
                        .iter()
                        .find(|s| tags.contains(&s.id))
                        .map(|s| s.id.clone())
                });
            let user = t.user.clone().or_else(|| default_user.clone());
            let mut json: Map<String, Value> = t.value.as_object().cloned().unwrap_or_default();
            json.insert("key".into(), json!(id));
            json.insert("user".into(), json!(user));
            json.insert("site".into(), json!(site));
            json.insert(
                "vms".into(),
                json!(vms.iter().map(|v| v.key.to_string()).collect::<Vec<_>>()),
            );
            out.insert(
                id.clone(),
                CanonTarget {
                    host,
                    tailscale_ip: t.tailscale_ip.clone(),
                    user,
                    access_policy: t.access_policy.clone(),
                    life,
                    site,
                    line: d.value_location(&t.ptr("")).line(),
                    json: Value::Object(json),
                    id,
                },
            );
        }
        self.targets = out;
    }

    fn build_aliases(&mut self, extra: &BTreeMap<String, String>) {
        let mut clusters: Vec<String> = Vec::new();
        for s in &self.sites {
            if let Some(a) = &s.proxmox_alias {
                if !clusters.contains(a) {
                    clusters.push(a.clone());
                }
            }
        }
        for k in self.vms.keys() {
            if !clusters.contains(&k.cluster) {
                clusters.push(k.cluster.clone());
            }
        }
        let mut map: HashMap<String, String> = HashMap::new();
        for c in &clusters {
            map.insert(c.to_ascii_lowercase(), c.clone());
        }
        let mut add = |name: &str, to: &str, notes: &mut Vec<String>| {
            let k = name.to_ascii_lowercase();
            match map.get(&k) {
                Some(existing) if existing != to => notes.push(format!(
                    "cluster name `{name}` would alias both `{existing}` and `{to}`; kept `{existing}`"
                )),
                Some(_) => {}
                None => {
                    map.insert(k, to.to_string());
                }
            }
        };
        let mut notes = Vec::new();
        // Explicit lists first, conventional names last.
        for (a, to) in extra {
            add(a, to, &mut notes);
        }
        for s in &self.sites {
            if let Some(c) = &s.proxmox_alias {
                for a in &s.aliases {
                    add(a, c, &mut notes);
                }
            }
        }
        for s in &self.sites {
            if let Some(c) = &s.proxmox_alias {
                // `pve-shop` for `pve`; not `proxmox-home-home`.
                if !c.contains(s.id.as_str()) {
                    add(&format!("{c}-{}", s.id), c, &mut notes);
                }
                add(&s.id, c, &mut notes);
            }
        }
        self.notes.extend(notes);
        self.aliases = map;
        self.clusters = clusters;
    }

    /// Resolves a cluster name as written in some repo.
    pub fn cluster(&self, name: &str) -> Cluster {
        let n = name.trim();
        if self.clusters.iter().any(|c| c == n) {
            return Cluster::Canonical(n.to_string());
        }
        match self.aliases.get(&n.to_ascii_lowercase()) {
            Some(c) => Cluster::Alias(c.clone()),
            None => Cluster::Unknown,
        }
    }

    /// The LAN CIDR a canonical entity's addresses must be in.
    pub fn cidr_of_site(&self, site: Option<&str>) -> Option<IpNet> {
        self.site(site?)?.lan_cidr
    }

    /// Names (canonical and aliases) that resolve to `cluster`.
    pub fn alias_names(&self, cluster: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .aliases
            .iter()
            .filter(|(k, c)| c.as_str() == cluster && k.as_str() != cluster.to_ascii_lowercase())
            .map(|(k, _)| k.clone())
            .collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_normalise() {
        assert_eq!(life_of("running"), Life::Live);
        assert_eq!(life_of("Stopped"), Life::Live);
        assert_eq!(life_of("retired"), Life::Gone);
        assert_eq!(life_of("template"), Life::Other);
        assert_eq!(normalise_status("exited"), "stopped");
    }

    #[test]
    fn tailscale_range() {
        assert!(is_tailscale(ip("100.96.211.33").unwrap()));
        assert!(!is_tailscale(ip("100.128.0.1").unwrap()));
        assert!(!is_tailscale(ip("192.168.1.2").unwrap()));
        assert!(same_addr("192.168.1.2", " 192.168.1.2"));
        assert!(!same_addr("192.168.1.2", "192.168.12.2"));
    }
}
