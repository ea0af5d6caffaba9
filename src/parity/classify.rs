//! Classification: compare every extracted record with the spine's truth and
//! list what each source is expected to track. One finding per (kind,
//! entity, key, repo[, field]); later sources in the same repo with the same
//! finding are kept as `also` places.

use super::config::Source;
use super::entities::{
    ip, is_tailscale, life_of, normalise_status, same_addr, Canon, CanonService, CanonTarget,
    CanonVm, Cluster, Life, VmKey,
};
use super::extract::Record;
use super::EntityKind;
use crate::findings::RepoId;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Missing,
    Stale,
    Mismatch,
    Alias,
    Untracked,
    Subnet,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Missing,
        Kind::Stale,
        Kind::Mismatch,
        Kind::Alias,
        Kind::Untracked,
        Kind::Subnet,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Missing => "missing",
            Kind::Stale => "stale",
            Kind::Mismatch => "mismatch",
            Kind::Alias => "alias",
            Kind::Untracked => "untracked",
            Kind::Subnet => "subnet",
        }
    }
}

/// One parity finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParityFinding {
    pub kind: Kind,
    pub entity: EntityKind,
    pub key: String,
    pub repo: RepoId,
    /// Repo-relative path of the source file.
    pub source: String,
    /// Line in the source (None for `missing`).
    pub line: Option<usize>,
    pub field: Option<String>,
    pub canonical: Option<String>,
    pub found: Option<String>,
    /// VM hostname (canonical when known, else as found).
    pub name: Option<String>,
    /// Id of the source that produced it.
    pub source_id: String,
    /// The canonical entry in the spine (path, line).
    pub spine: Option<(String, usize)>,
    /// Other places in the same repo with the same finding.
    pub also: Vec<(String, usize)>,
}

impl ParityFinding {
    /// `vm:pve/204`, `ssh_host:immich`
    pub fn subject(&self) -> String {
        format!("{}:{}", self.entity.as_str(), self.key)
    }

    /// `VM pve/204 (infra-core)`, `SSH host immich`
    pub fn label(&self) -> String {
        match (self.entity, &self.name) {
            (EntityKind::Vm, Some(n)) => format!("VM {} ({n})", self.key),
            (EntityKind::Vm, None) => format!("VM {}", self.key),
            (EntityKind::SshHost, _) => format!("SSH host {}", self.key),
            (EntityKind::Service, _) => format!("service `{}`", self.key),
        }
    }

    /// Sentence for people (JUnit, human output).
    pub fn message(&self) -> String {
        let f = self.field.as_deref().unwrap_or("");
        let canon = self.canonical.as_deref().unwrap_or("(none)");
        let found = self.found.as_deref().unwrap_or("(none)");
        match self.kind {
            Kind::Missing => format!(
                "{} is tracked by the spine but missing from {}:{}",
                self.label(),
                self.repo,
                self.source
            ),
            Kind::Stale if self.entity == EntityKind::Service && f == "host" => format!(
                "{} runs on {canon} in the spine but is still placed on {found}",
                self.label()
            ),
            Kind::Stale => format!(
                "{} is {} in the spine but still listed{}",
                self.label(),
                canon,
                self.found
                    .as_deref()
                    .map(|s| format!(" (as `{s}`)"))
                    .unwrap_or_default()
            ),
            Kind::Mismatch if f == "hostname" && self.entity == EntityKind::SshHost => format!(
                "{}: HostName `{found}` is neither the spine's host nor its Tailscale IP (spine: `{canon}`)",
                self.label()
            ),
            Kind::Mismatch => format!("{}: {f} is `{found}`, the spine says `{canon}`", self.label()),
            Kind::Alias => format!(
                "{}: cluster written as `{found}`; the canonical name is `{canon}`",
                self.label()
            ),
            Kind::Untracked => format!("{} is listed but the spine has no such entity", self.label()),
            Kind::Subnet => format!(
                "{}: {f} `{found}` is outside the site's LAN {canon} (re-addressing drift)",
                self.label()
            ),
        }
    }

    pub fn help(&self) -> String {
        let spine = match self.entity {
            EntityKind::Vm => "ops/bindings/vm.lifecycle.yaml",
            EntityKind::SshHost => "ops/bindings/ssh.targets.yaml",
            EntityKind::Service => "docs/governance/SERVICE_REGISTRY.yaml",
        };
        match self.kind {
            Kind::Stale if self.entity == EntityKind::Service && self.field.is_some() => format!(
                "move it to {} in {} (the registry's host), or fix the registry if the service really runs there",
                self.canonical.as_deref().unwrap_or("?"),
                self.source
            ),
            Kind::Missing => format!("add it to {} (values from {spine})", self.source),
            Kind::Stale => format!(
                "remove it from {} (or mark it decommissioned there)",
                self.source
            ),
            Kind::Mismatch => format!(
                "set {} to `{}` as in {spine}",
                self.field.as_deref().unwrap_or("the value"),
                self.canonical.as_deref().unwrap_or("(none)")
            ),
            Kind::Alias => format!(
                "write the canonical cluster name `{}`",
                self.canonical.as_deref().unwrap_or("?")
            ),
            Kind::Untracked => format!(
                "add it to {spine} if it is real, otherwise remove it from {}",
                self.source
            ),
            Kind::Subnet => format!(
                "update the address to the current LAN ({}); the spine value is authoritative",
                self.canonical.as_deref().unwrap_or("?")
            ),
        }
    }
}

/// Where each entity was seen: (repo, entity, key) → (path, line) list.
pub type Presence = HashMap<(RepoId, EntityKind, String), Vec<(String, usize)>>;

/// Cluster names as written, per repo: (repo, canonical cluster) → name → count.
pub type ClusterNames = BTreeMap<(RepoId, String), BTreeMap<String, usize>>;

#[derive(Debug, Default)]
pub struct Classified {
    pub findings: Vec<ParityFinding>,
    pub presence: Presence,
    pub cluster_names: ClusterNames,
    pub notes: Vec<String>,
}

struct Ctx<'a> {
    canon: &'a Canon,
    source: &'a Source,
    out: &'a mut Classified,
    index: &'a mut HashMap<(Kind, EntityKind, String, RepoId, Option<String>), usize>,
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        kind: Kind,
        entity: EntityKind,
        key: &str,
        line: Option<usize>,
        field: Option<&str>,
        canonical: Option<String>,
        found: Option<String>,
        name: Option<String>,
        spine: Option<(String, usize)>,
    ) {
        let repo = self.source.repo;
        let id = (
            kind,
            entity,
            key.to_string(),
            repo,
            field.map(str::to_string),
        );
        if let Some(&i) = self.index.get(&id) {
            if let Some(f) = self.out.findings.get_mut(i) {
                let place = (self.source.spec.path.clone(), line.unwrap_or(0));
                if f.source != place.0 || f.line != line {
                    f.also.push(place);
                }
            }
            return;
        }
        self.index.insert(id, self.out.findings.len());
        self.out.findings.push(ParityFinding {
            kind,
            entity,
            key: key.to_string(),
            repo,
            source: self.source.spec.path.clone(),
            line,
            field: field.map(str::to_string),
            canonical,
            found,
            name,
            source_id: self.source.spec.id.clone(),
            spine,
            also: Vec::new(),
        });
    }

    fn present(&mut self, entity: EntityKind, key: &str, line: usize) {
        self.out
            .presence
            .entry((self.source.repo, entity, key.to_string()))
            .or_default()
            .push((self.source.spec.path.clone(), line));
    }
}

/// Classifies the records of one source (in source order) and adds its
/// `missing` findings.
pub fn classify_source(
    canon: &Canon,
    source: &Source,
    records: &[Record],
    out: &mut Classified,
    index: &mut HashMap<(Kind, EntityKind, String, RepoId, Option<String>), usize>,
) {
    let mut cx = Ctx {
        canon,
        source,
        out,
        index,
    };
    let mut seen: HashSet<String> = HashSet::new();
    for r in records {
        let key = match source.spec.entity {
            EntityKind::Vm => vm_record(&mut cx, r),
            EntityKind::SshHost => ssh_record(&mut cx, r),
            EntityKind::Service => service_record(&mut cx, r),
        };
        if let Some(k) = key {
            seen.insert(k);
        }
    }
    missing(&mut cx, &seen);
}

fn spine_place(canon: &Canon, entity: EntityKind, line: usize) -> Option<(String, usize)> {
    Some((
        match entity {
            EntityKind::Vm => canon.files.vm_lifecycle.clone(),
            EntityKind::SshHost => canon.files.ssh_targets.clone(),
            EntityKind::Service => canon.files.service_registry.clone(),
        },
        line,
    ))
}

fn missing(cx: &mut Ctx, seen: &HashSet<String>) {
    let Some(expect) = &cx.source.expect else {
        return;
    };
    let truthy = |v: &serde_json::Value| -> Result<bool, String> {
        Ok(expect.run(v)?.first().is_some_and(|x| {
            !matches!(x, serde_json::Value::Null | serde_json::Value::Bool(false))
        }))
    };
    let mut errors = Vec::new();
    match cx.source.spec.entity {
        EntityKind::Vm => {
            let vms: Vec<&CanonVm> = cx
                .canon
                .vms
                .values()
                .filter(|v| v.life == Life::Live && !seen.contains(&v.key.to_string()))
                .collect();
            for v in vms {
                match truthy(&v.json) {
                    Ok(true) => cx.push(
                        Kind::Missing,
                        EntityKind::Vm,
                        &v.key.to_string(),
                        None,
                        None,
                        None,
                        None,
                        v.hostname.clone(),
                        spine_place(cx.canon, EntityKind::Vm, v.line),
                    ),
                    Ok(false) => {}
                    Err(e) => errors.push(e),
                }
            }
        }
        EntityKind::SshHost => {
            let ts: Vec<&CanonTarget> = cx
                .canon
                .targets
                .values()
                .filter(|t| t.life == Life::Live && !seen.contains(&t.id))
                .collect();
            for t in ts {
                match truthy(&t.json) {
                    Ok(true) => cx.push(
                        Kind::Missing,
                        EntityKind::SshHost,
                        &t.id,
                        None,
                        None,
                        None,
                        None,
                        None,
                        spine_place(cx.canon, EntityKind::SshHost, t.line),
                    ),
                    Ok(false) => {}
                    Err(e) => errors.push(e),
                }
            }
        }
        EntityKind::Service => {
            let svcs: Vec<&CanonService> = cx
                .canon
                .services
                .values()
                .filter(|v| v.life == Life::Live && !seen.contains(&v.name))
                .collect();
            for v in svcs {
                match truthy(&v.json) {
                    Ok(true) => cx.push(
                        Kind::Missing,
                        EntityKind::Service,
                        &v.name,
                        None,
                        None,
                        v.host.clone(),
                        None,
                        None,
                        spine_place(cx.canon, EntityKind::Service, v.line),
                    ),
                    Ok(false) => {}
                    Err(e) => errors.push(e),
                }
            }
        }
    }
    if let Some(e) = errors.first() {
        cx.out.notes.push(format!(
            "source `{}`: expect filter failed for {} entit{}: {e}",
            cx.source.spec.id,
            errors.len(),
            if errors.len() == 1 { "y" } else { "ies" }
        ));
    }
}

/// Which cluster a VM record belongs to, and whether the file wrote a
/// non-canonical name for it.
fn vm_cluster(
    cx: &Ctx,
    r: &Record,
    vmid: Option<i64>,
) -> (Option<String>, Option<(String, String)>) {
    if let Some(raw) = r.get("cluster") {
        return match cx.canon.cluster(raw) {
            Cluster::Canonical(c) => (Some(c), None),
            Cluster::Alias(c) => (Some(c.clone()), Some((c, raw.to_string()))),
            Cluster::Unknown => (Some(raw.to_string()), None),
        };
    }
    let spec = &cx.source.spec;
    if let Some(c) = &spec.cluster {
        return match cx.canon.cluster(c) {
            Cluster::Canonical(c) | Cluster::Alias(c) => (Some(c), None),
            Cluster::Unknown => (Some(c.clone()), None),
        };
    }
    if let Some(p) = spec
        .site
        .as_deref()
        .and_then(|s| cx.canon.site(s))
        .and_then(|s| s.proxmox_alias.clone())
    {
        return (Some(p), None);
    }
    // No cluster anywhere: a VMID or hostname that is unique decides.
    let by = match vmid {
        Some(id) => cx.canon.by_vmid.get(&id),
        None => r.get("hostname").and_then(|h| cx.canon.by_hostname.get(h)),
    };
    match by.map(Vec::as_slice) {
        Some([one]) => (Some(one.cluster.clone()), None),
        _ => (None, None),
    }
}

/// A record naming a service (`service`, `host`, `port`): untracked when the
/// registry lacks it (if the source reports those), stale when the registry
/// retired it or places it on another host, mismatch on another port.
fn service_record(cx: &mut Ctx, r: &Record) -> Option<String> {
    let mut name = r.get("service")?.trim().to_string();
    // A name (or container name) the registry places on this very host.
    if let Some(on_host) = r
        .get("host")
        .and_then(|h| cx.canon.service_on_host(h, &name))
    {
        name = on_host.name.clone();
    }
    let Some(svc) = cx.canon.services.get(&name) else {
        if cx.source.spec.untracked != Some(false) {
            cx.push(
                Kind::Untracked,
                EntityKind::Service,
                &name,
                Some(r.line_of("service")),
                None,
                None,
                r.get("host").map(str::to_string),
                None,
                None,
            );
        }
        return None;
    };
    cx.present(EntityKind::Service, &name, r.line);
    let spine = spine_place(cx.canon, EntityKind::Service, svc.line);
    if svc.life == Life::Gone {
        cx.push(
            Kind::Stale,
            EntityKind::Service,
            &name,
            Some(r.line_of("service")),
            None,
            svc.status.clone(),
            r.get("host").map(str::to_string),
            None,
            spine,
        );
        return Some(name);
    }
    if let (Some(found), Some(canon)) = (r.get("host"), svc.host.as_deref()) {
        if !cx.canon.same_host(found, canon) {
            cx.push(
                Kind::Stale,
                EntityKind::Service,
                &name,
                // The entry that places it (a list item names the service).
                Some(r.line_of("service")),
                Some("host"),
                Some(canon.to_string()),
                Some(found.to_string()),
                None,
                spine.clone(),
            );
        }
    }
    if let (Some(found), Some(canon)) = (r.get("port"), svc.port.as_deref()) {
        if found.trim() != canon.trim() {
            cx.push(
                Kind::Mismatch,
                EntityKind::Service,
                &name,
                Some(r.line_of("port")),
                Some("port"),
                Some(canon.to_string()),
                Some(found.to_string()),
                None,
                spine,
            );
        }
    }
    Some(name)
}

fn is_gone_record(r: &Record) -> bool {
    r.get("status").is_some_and(|s| life_of(s) == Life::Gone)
        || r.get("enabled")
            .is_some_and(|e| e.eq_ignore_ascii_case("false"))
}

fn vm_record(cx: &mut Ctx, r: &Record) -> Option<String> {
    let vmid = match r.get("vmid") {
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) => Some(n),
            // `—` rows (hypervisors in VM tables) were dropped by `clean`;
            // other non-numbers are not VMs either.
            Err(_) => return None,
        },
        None => None,
    };
    let (cluster, alias) = vm_cluster(cx, r, vmid);
    let cluster_name = cluster.clone().unwrap_or_else(|| "?".into());
    if let Some(raw) = r.get("cluster") {
        *cx.out
            .cluster_names
            .entry((cx.source.repo, cluster_name.clone()))
            .or_default()
            .entry(raw.to_string())
            .or_default() += 1;
    }
    // The canonical VM this record is about.
    let canon_vm: Option<&CanonVm> = match vmid {
        Some(id) => cx.canon.vms.get(&VmKey {
            cluster: cluster_name.clone(),
            vmid: id,
        }),
        None => {
            // Hostnames are unique within a cluster, not across clusters.
            let host = r.get("hostname")?;
            let hits: Vec<&VmKey> = cx
                .canon
                .by_hostname
                .get(host)
                .map(|ks| ks.iter().filter(|k| k.cluster == cluster_name).collect())
                .unwrap_or_default();
            match hits.as_slice() {
                [one] => cx.canon.vms.get(*one),
                _ => None,
            }
        }
    };
    let key = match (canon_vm, vmid) {
        (Some(v), _) => v.key.to_string(),
        (None, Some(id)) => format!("{cluster_name}/{id}"),
        (None, None) => format!("{cluster_name}/{}", r.get("hostname")?),
    };
    cx.present(EntityKind::Vm, &key, r.line);
    let Some(v) = canon_vm else {
        cx.push(
            Kind::Untracked,
            EntityKind::Vm,
            &key,
            Some(r.line),
            None,
            None,
            None,
            r.get("hostname").map(str::to_string),
            None,
        );
        if let Some((c, raw)) = alias {
            cx.push(
                Kind::Alias,
                EntityKind::Vm,
                &key,
                Some(r.line_of("cluster")),
                Some("cluster"),
                Some(c),
                Some(raw),
                r.get("hostname").map(str::to_string),
                None,
            );
        }
        let site = cx
            .canon
            .sites
            .iter()
            .find(|s| s.proxmox_alias.as_deref() == Some(&cluster_name))
            .map(|s| s.id.clone());
        subnet(
            cx,
            EntityKind::Vm,
            &key,
            r,
            "lan_ip",
            site.as_deref(),
            r.get("hostname").map(str::to_string),
            None,
        );
        return Some(key);
    };
    let name = v.hostname.clone();
    let spine = spine_place(cx.canon, EntityKind::Vm, v.line);
    if v.life == Life::Gone {
        if !is_gone_record(r) {
            cx.push(
                Kind::Stale,
                EntityKind::Vm,
                &key,
                Some(r.line),
                None,
                Some(v.status.clone()),
                r.get("status").map(str::to_string),
                name,
                spine,
            );
        }
        return Some(key);
    }
    if let Some((c, raw)) = alias {
        cx.push(
            Kind::Alias,
            EntityKind::Vm,
            &key,
            Some(r.line_of("cluster")),
            Some("cluster"),
            Some(c),
            Some(raw),
            name.clone(),
            spine.clone(),
        );
    }
    let mut cmp = |field: &str, canonical: Option<&str>, equal: &dyn Fn(&str, &str) -> bool| {
        let Some(found) = r.get(field) else { return };
        if canonical.is_some_and(|c| equal(c, found)) {
            return;
        }
        cx.push(
            Kind::Mismatch,
            EntityKind::Vm,
            &key,
            Some(r.line_of(field)),
            Some(field),
            canonical.map(str::to_string),
            Some(found.to_string()),
            name.clone(),
            spine.clone(),
        );
    };
    cmp("hostname", v.hostname.as_deref(), &|a, b| {
        a.eq_ignore_ascii_case(b.trim())
    });
    cmp("lan_ip", v.lan_ip.as_deref(), &same_addr);
    cmp("tailscale_ip", v.tailscale_ip.as_deref(), &same_addr);
    cmp("user", v.ssh_user.as_deref(), &|a, b| a == b.trim());
    if !v.status.is_empty() {
        cmp("status", Some(&v.status), &|a, b| {
            normalise_status(a) == normalise_status(b)
        });
    }
    subnet(
        cx,
        EntityKind::Vm,
        &key,
        r,
        "lan_ip",
        v.site.as_deref(),
        name.clone(),
        spine.clone(),
    );
    Some(key)
}

#[allow(clippy::too_many_arguments)]
fn subnet(
    cx: &mut Ctx,
    entity: EntityKind,
    key: &str,
    r: &Record,
    field: &str,
    site: Option<&str>,
    name: Option<String>,
    spine: Option<(String, usize)>,
) {
    let Some(found) = r.get(field) else { return };
    let Some(addr) = ip(found) else { return };
    if is_tailscale(addr) || addr.is_loopback() {
        return;
    }
    let Some(net) = cx.canon.cidr_of_site(site) else {
        return;
    };
    if !net.contains(&addr) {
        cx.push(
            Kind::Subnet,
            entity,
            key,
            Some(r.line_of(field)),
            Some(field),
            Some(net.to_string()),
            Some(found.to_string()),
            name,
            spine,
        );
    }
}

fn ssh_record(cx: &mut Ctx, r: &Record) -> Option<String> {
    let key = r.get("key")?.to_string();
    cx.present(EntityKind::SshHost, &key, r.line);
    let Some(t) = cx.canon.targets.get(&key) else {
        cx.push(
            Kind::Untracked,
            EntityKind::SshHost,
            &key,
            Some(r.line),
            None,
            None,
            None,
            None,
            None,
        );
        return Some(key);
    };
    let spine = spine_place(cx.canon, EntityKind::SshHost, t.line);
    if t.life == Life::Gone {
        cx.push(
            Kind::Stale,
            EntityKind::SshHost,
            &key,
            Some(r.line),
            None,
            Some("decommissioned".into()),
            None,
            None,
            spine,
        );
        return Some(key);
    }
    let t: CanonTarget = t.clone();
    let mismatch = |cx: &mut Ctx, field: &str, canonical: Option<&str>| {
        cx.push(
            Kind::Mismatch,
            EntityKind::SshHost,
            &key,
            Some(r.line_of(field)),
            Some(field),
            canonical.map(str::to_string),
            r.get(field).map(str::to_string),
            None,
            spine.clone(),
        );
    };
    // HostName matches the target's host OR its Tailscale IP.
    if let Some(h) = r.get("hostname") {
        let ok = [t.host.as_deref(), t.tailscale_ip.as_deref()]
            .into_iter()
            .flatten()
            .any(|c| same_addr(c, h));
        // A DNS name cannot be checked offline against an IP.
        let comparable = ip(h).is_some() || t.host.as_deref().is_some_and(|c| ip(c).is_none());
        if !ok && comparable && (t.host.is_some() || t.tailscale_ip.is_some()) {
            mismatch(
                cx,
                "hostname",
                t.host.as_deref().or(t.tailscale_ip.as_deref()),
            );
        }
    }
    if let Some(u) = r.get("user") {
        if t.user.as_deref().is_some_and(|c| c != u) {
            mismatch(cx, "user", t.user.as_deref());
        }
    }
    if let Some(l) = r.get("lan_ip") {
        // Only when the target's host is a LAN address.
        if let Some(h) = t
            .host
            .as_deref()
            .filter(|h| ip(h).is_some_and(|a| !is_tailscale(a)))
        {
            if !same_addr(h, l) {
                mismatch(cx, "lan_ip", Some(h));
            }
        }
    }
    if let (Some(x), Some(c)) = (r.get("tailscale_ip"), t.tailscale_ip.as_deref()) {
        if !same_addr(c, x) {
            mismatch(cx, "tailscale_ip", Some(c));
        }
    }
    subnet(
        cx,
        EntityKind::SshHost,
        &key,
        r,
        "hostname",
        t.site.as_deref(),
        None,
        spine.clone(),
    );
    subnet(
        cx,
        EntityKind::SshHost,
        &key,
        r,
        "lan_ip",
        t.site.as_deref(),
        None,
        spine.clone(),
    );
    Some(key)
}

/// Stable order: repo, kind, entity, key (VMIDs numerically), field.
pub fn sort(findings: &mut [ParityFinding]) {
    findings.sort_by_key(sort_key);
}

fn sort_key(
    f: &ParityFinding,
) -> (
    RepoId,
    Kind,
    EntityKind,
    String,
    i64,
    String,
    Option<String>,
) {
    let (head, num, tail) = split_key(&f.key);
    (f.repo, f.kind, f.entity, head, num, tail, f.field.clone())
}

/// `pve/204` → ("pve", 204, ""); `immich` → ("immich", i64::MIN, "").
pub fn split_key(k: &str) -> (String, i64, String) {
    match k.rsplit_once('/') {
        Some((c, id)) => match id.parse::<i64>() {
            Ok(n) => (c.to_string(), n, String::new()),
            Err(_) => (c.to_string(), i64::MAX, id.to_string()),
        },
        None => (k.to_string(), i64::MIN, String::new()),
    }
}
