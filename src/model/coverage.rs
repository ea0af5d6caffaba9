//! Site coverage: per site of `topology.sites.yaml` (any number of them),
//! how many guests, SSH targets, compose targets, enabled health probes,
//! enabled backup targets, startup entries and site-tagged capabilities and
//! governance docs the spine has, and which active guests lack each kind of
//! coverage. The parity report prints it as a matrix; the coverage gate
//! (D410) judges it against a [`Policy`].
//!
//! Attribution, per category (a thing counts for one site at most):
//! - a guest belongs to the site whose `proxmox_alias` is its
//!   `proxmox_host` (an active site first, when a planned site reuses the
//!   alias);
//! - an SSH target to the site of the guest it reaches (target id = the
//!   guest's `ssh_target`, else hostname), else to the site it is the
//!   hypervisor of (id = `proxmox_alias`), else to the site whose `lan_cidr`
//!   holds its `host`;
//! - a compose target, health probe or backup target by its ssh target /
//!   host the same way (a host that is an SSH target but no guest, such as
//!   the NAS, by that target's LAN address); a backup target also by its
//!   vzdump glob (`vzdump-qemu-<id>-` on its cluster);
//! - a startup entry: a guest id in its cluster block (`host_id` = alias:
//!   `active_vm_ids`, `startup_order`) or in a phase tagged with the site
//!   (`vm_ids`, `lxc_ids` anywhere under it);
//! - capabilities (`ops/capabilities.yaml`, `capabilities.<name>.site`) and
//!   governance docs (`site:` line in the first 15 lines) by their tag.
//!
//! Coverage of an active guest: an SSH target; a compose target when the
//! service registry places a service on it; an enabled health probe unless
//! `has_docker: false` or `health_probe_policy: none`; an enabled vzdump
//! backup target; a startup entry.

use super::backup::backup_targets;
use super::paths;
use super::services::services;
use super::site::{sites, Site};
use super::ssh::ssh_targets;
use super::values::{enabled, text};
use super::vm::{vms, Vm};
use crate::documents::Document;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// A row of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    ActiveGuests,
    SshTargets,
    ComposeTargets,
    HealthProbes,
    BackupTargets,
    Startup,
    Capabilities,
    GovernanceDocs,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::ActiveGuests,
        Category::SshTargets,
        Category::ComposeTargets,
        Category::HealthProbes,
        Category::BackupTargets,
        Category::Startup,
        Category::Capabilities,
        Category::GovernanceDocs,
    ];

    /// The id policies use (`health_probes`).
    pub fn id(self) -> &'static str {
        match self {
            Category::ActiveGuests => "active_guests",
            Category::SshTargets => "ssh_targets",
            Category::ComposeTargets => "compose_targets",
            Category::HealthProbes => "health_probes",
            Category::BackupTargets => "backup_targets",
            Category::Startup => "startup",
            Category::Capabilities => "capabilities",
            Category::GovernanceDocs => "governance_docs",
        }
    }

    /// Words for people (`enabled health probes`).
    pub fn title(self) -> &'static str {
        match self {
            Category::ActiveGuests => "active guests",
            Category::SshTargets => "SSH targets",
            Category::ComposeTargets => "compose targets",
            Category::HealthProbes => "enabled health probes",
            Category::BackupTargets => "enabled backup targets",
            Category::Startup => "startup sequencing entries",
            Category::Capabilities => "site-tagged capabilities",
            Category::GovernanceDocs => "site-tagged governance docs",
        }
    }

    /// What one active guest lacks (`no enabled health probe`).
    pub fn lack(self) -> &'static str {
        match self {
            Category::ActiveGuests => "is not active",
            Category::SshTargets => "has no SSH target",
            Category::ComposeTargets => "hosts registry services but has no compose target",
            Category::HealthProbes => "has no enabled health probe",
            Category::BackupTargets => "has no enabled vzdump backup target",
            Category::Startup => "is in no startup sequencing entry",
            Category::Capabilities | Category::GovernanceDocs => "is not tagged",
        }
    }

    /// The spine binding the row is counted from.
    pub fn binding(self) -> &'static str {
        use super::paths::*;
        match self {
            Category::ActiveGuests => VM_LIFECYCLE,
            Category::SshTargets => SSH_TARGETS,
            Category::ComposeTargets => COMPOSE_TARGETS,
            Category::HealthProbes => SERVICES_HEALTH,
            Category::BackupTargets => BACKUP_INVENTORY,
            Category::Startup => STARTUP,
            Category::Capabilities => CAPABILITIES,
            Category::GovernanceDocs => "docs/governance",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.id() == s.trim())
    }

    /// Is coverage of this category judged per guest?
    pub fn per_guest(self) -> bool {
        matches!(
            self,
            Category::SshTargets
                | Category::ComposeTargets
                | Category::HealthProbes
                | Category::BackupTargets
                | Category::Startup
        )
    }
}

/// A guest that lacks some coverage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lacking {
    /// Index of the guest in `vms` of vm.lifecycle.yaml.
    pub index: usize,
    /// `VM 204 (infra-core)` / `LXC 105 (pihole-home)`.
    pub label: String,
    /// `vm:pve/204`.
    pub subject: String,
}

/// One cell: a count and the active guests of the site without coverage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cell {
    pub count: usize,
    pub lacking: Vec<Lacking>,
}

/// A column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteCol {
    pub id: String,
    pub status: Option<String>,
    pub cluster: Option<String>,
    /// Index in `sites` of topology.sites.yaml.
    pub index: usize,
}

impl SiteCol {
    pub fn is_active(&self) -> bool {
        self.status
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case("active"))
    }
}

/// A row: the cells in site order, and whether its input was there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub category: Category,
    /// The binding the row is read from was absent (cells are zero).
    pub unavailable: Option<String>,
    pub cells: Vec<Cell>,
}

/// The matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    pub sites: Vec<SiteCol>,
    pub rows: Vec<Row>,
}

impl Matrix {
    pub fn cell(&self, category: Category, site: &str) -> Option<&Cell> {
        let i = self.sites.iter().position(|s| s.id == site)?;
        self.rows
            .iter()
            .find(|r| r.category == category)?
            .cells
            .get(i)
    }
}

/// The spine documents coverage reads (the policy binding included), each
/// looked up once by whoever runs it: the D410 gate through its declared
/// inputs, parity through the workspace.
pub struct Sources {
    /// One per path of [`Sources::PATHS`], in that order.
    docs: Vec<Option<Arc<Document>>>,
    governance: Vec<Arc<Document>>,
}

impl Sources {
    pub const PATHS: [&'static str; 10] = [
        paths::TOPOLOGY,
        paths::VM_LIFECYCLE,
        paths::SSH_TARGETS,
        paths::COMPOSE_TARGETS,
        paths::SERVICES_HEALTH,
        paths::BACKUP_INVENTORY,
        paths::STARTUP,
        paths::SERVICE_REGISTRY,
        paths::CAPABILITIES,
        paths::COVERAGE_POLICY,
    ];

    /// `doc` looks a spine path up; `spine_paths` lists the spine's files
    /// (the top-level `docs/governance/*.md` among them are read for tags).
    pub fn load<'p>(
        doc: impl Fn(&str) -> Option<Arc<Document>>,
        spine_paths: impl IntoIterator<Item = &'p str>,
    ) -> Sources {
        Sources {
            docs: Sources::PATHS.iter().map(|p| doc(p)).collect(),
            governance: spine_paths
                .into_iter()
                .filter(|p| {
                    p.strip_prefix("docs/governance/")
                        .is_some_and(|r| r.ends_with(".md") && !r.contains('/'))
                })
                .filter_map(doc)
                .collect(),
        }
    }

    /// The document at one of [`Sources::PATHS`].
    pub fn doc(&self, path: &str) -> Option<&Document> {
        let i = Sources::PATHS.iter().position(|p| *p == path)?;
        self.docs.get(i)?.as_deref()
    }

    pub fn inputs(&self) -> Inputs<'_> {
        Inputs {
            topology: self.doc(paths::TOPOLOGY),
            lifecycle: self.doc(paths::VM_LIFECYCLE),
            ssh_targets: self.doc(paths::SSH_TARGETS),
            compose_targets: self.doc(paths::COMPOSE_TARGETS),
            health: self.doc(paths::SERVICES_HEALTH),
            backup: self.doc(paths::BACKUP_INVENTORY),
            startup: self.doc(paths::STARTUP),
            service_registry: self.doc(paths::SERVICE_REGISTRY),
            capabilities: self.doc(paths::CAPABILITIES),
            governance_docs: self.governance.iter().map(|d| d.as_ref()).collect(),
        }
    }

    /// The matrix judged by the policy (`options`: `gate_options.D410`, else
    /// the spine binding, else built in). `None` without topology.sites.yaml.
    pub fn judge(
        &self,
        options: Option<&Value>,
    ) -> Result<Option<(Matrix, Policy, Vec<Shortfall>)>, String> {
        let policy = Policy::resolve(options, self.doc(paths::COVERAGE_POLICY))?;
        Ok(matrix(&self.inputs()).map(|m| {
            let short = judge(&m, &policy);
            (m, policy, short)
        }))
    }
}

/// The documents the matrix is built from (absent ones are `None`).
#[derive(Default)]
pub struct Inputs<'a> {
    pub topology: Option<&'a Document>,
    pub lifecycle: Option<&'a Document>,
    pub ssh_targets: Option<&'a Document>,
    pub compose_targets: Option<&'a Document>,
    pub health: Option<&'a Document>,
    pub backup: Option<&'a Document>,
    pub startup: Option<&'a Document>,
    pub service_registry: Option<&'a Document>,
    pub capabilities: Option<&'a Document>,
    /// Governance docs (`docs/governance/*.md`).
    pub governance_docs: Vec<&'a Document>,
}

use super::paths::CAPABILITIES;

fn norm(s: &str) -> String {
    s.trim().to_ascii_lowercase()
}

fn is_active(vm: &Vm) -> bool {
    vm.status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("active"))
}

/// Builds the matrix. `None` without topology.sites.yaml (no sites).
pub fn matrix(inp: &Inputs) -> Option<Matrix> {
    let topo = inp.topology?;
    let all_sites: Vec<Site> = sites(topo);
    let cols: Vec<SiteCol> = all_sites
        .iter()
        .map(|s| SiteCol {
            id: s.id.clone(),
            status: s.status.clone(),
            cluster: s.proxmox_alias.clone(),
            index: s.index,
        })
        .collect();
    let n = cols.len();
    // cluster → column (active sites first).
    let mut by_cluster: HashMap<String, usize> = HashMap::new();
    for pass_active in [true, false] {
        for (i, c) in cols.iter().enumerate() {
            if c.is_active() == pass_active {
                if let Some(a) = &c.cluster {
                    by_cluster.entry(norm(a)).or_insert(i);
                }
            }
        }
    }
    let cidrs: Vec<(usize, ipnet::IpNet)> = all_sites
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.lan_cidr.as_deref()?.parse().ok().map(|c| (i, c)))
        .collect();

    let guests: Vec<Vm> = inp.lifecycle.map(vms).unwrap_or_default();
    let site_of_guest = |g: &Vm| by_cluster.get(&norm(&g.cluster)).copied();
    // name (hostname or ssh target) → guest index (live guests win).
    let mut guest_by_name: HashMap<String, usize> = HashMap::new();
    for pass_live in [true, false] {
        for (i, g) in guests.iter().enumerate() {
            let live = g.status.as_deref().is_some_and(|s| {
                ["active", "stopped"]
                    .iter()
                    .any(|l| s.eq_ignore_ascii_case(l))
            });
            if live == pass_live {
                for name in [g.hostname.as_deref(), g.ssh_target.as_deref()]
                    .into_iter()
                    .flatten()
                {
                    guest_by_name.entry(norm(name)).or_insert(i);
                }
            }
        }
    }
    let ts = inp.ssh_targets.map(ssh_targets);
    // SSH target id → its LAN host (the NAS, switches: not guests).
    let target_host: HashMap<String, String> = ts
        .iter()
        .flat_map(|t| t.targets.iter())
        .filter_map(|t| Some((norm(&t.id), t.host.clone()?)))
        .collect();
    let site_of_ip = |ip: &str| -> Option<usize> {
        let a: std::net::IpAddr = ip.trim().parse().ok()?;
        cidrs.iter().find(|(_, c)| c.contains(&a)).map(|(i, _)| *i)
    };
    let site_of_name = |name: &str| -> Option<usize> {
        let k = norm(name);
        if let Some(&g) = guest_by_name.get(&k) {
            return guests.get(g).and_then(site_of_guest);
        }
        by_cluster
            .get(&k)
            .copied()
            .or_else(|| target_host.get(&k).and_then(|h| site_of_ip(h)))
    };
    let active: Vec<(usize, &Vm)> = guests
        .iter()
        .enumerate()
        .filter(|(_, g)| is_active(g))
        .collect();
    let lacking_of = |site: usize, covered: &dyn Fn(&Vm) -> bool| -> Vec<Lacking> {
        active
            .iter()
            .filter(|(_, g)| site_of_guest(g) == Some(site) && !covered(g))
            .map(|(i, g)| Lacking {
                index: *i,
                label: g.label(),
                subject: g.subject(),
            })
            .collect()
    };
    let mut rows = Vec::new();

    // Active guests.
    let mut cells = vec![Cell::default(); n];
    for (_, g) in &active {
        if let Some(s) = site_of_guest(g) {
            cells[s].count += 1;
        }
    }
    rows.push(Row {
        category: Category::ActiveGuests,
        unavailable: inp.lifecycle.is_none().then(|| "vm.lifecycle.yaml".into()),
        cells,
    });

    // SSH targets.
    let mut cells = vec![Cell::default(); n];
    let mut target_ids: HashSet<String> = HashSet::new();
    for t in ts.iter().flat_map(|t| t.targets.iter()) {
        target_ids.insert(norm(&t.id));
        let site = site_of_name(&t.id).or_else(|| t.host.as_deref().and_then(site_of_ip));
        if let Some(s) = site {
            cells[s].count += 1;
        }
    }
    for (s, cell) in cells.iter_mut().enumerate() {
        cell.lacking = lacking_of(s, &|g: &Vm| {
            g.ssh_id().is_some_and(|id| target_ids.contains(&norm(id)))
        });
    }
    rows.push(Row {
        category: Category::SshTargets,
        unavailable: inp.ssh_targets.is_none().then(|| "ssh.targets.yaml".into()),
        cells,
    });

    // Compose targets (a map of target id → {ssh_target, ...}).
    let mut cells = vec![Cell::default(); n];
    let mut compose_hosts: HashSet<String> = HashSet::new();
    if let Some(map) = inp
        .compose_targets
        .and_then(Document::value)
        .and_then(|v| v.get("targets"))
        .and_then(Value::as_object)
    {
        for (id, t) in map {
            if !enabled(t) {
                continue;
            }
            let via = text(t.get("ssh_target")).unwrap_or_else(|| id.clone());
            compose_hosts.insert(norm(&via));
            compose_hosts.insert(norm(id));
            if let Some(s) = site_of_name(&via).or_else(|| site_of_name(id)) {
                cells[s].count += 1;
            }
        }
    }
    let service_hosts: HashSet<String> = inp
        .service_registry
        .map(|d| {
            services(d)
                .iter()
                .filter_map(|s| s.host.as_deref().map(norm))
                .collect()
        })
        .unwrap_or_default();
    for (s, cell) in cells.iter_mut().enumerate() {
        cell.lacking = lacking_of(s, &|g: &Vm| {
            let names: Vec<String> = [g.hostname.as_deref(), g.ssh_target.as_deref()]
                .into_iter()
                .flatten()
                .map(norm)
                .collect();
            !names.iter().any(|n| service_hosts.contains(n))
                || names.iter().any(|n| compose_hosts.contains(n))
        });
    }
    rows.push(Row {
        category: Category::ComposeTargets,
        unavailable: inp
            .compose_targets
            .is_none()
            .then(|| "docker.compose.targets.yaml".into()),
        cells,
    });

    // Health probes (enabled).
    let mut cells = vec![Cell::default(); n];
    let mut probed: HashSet<String> = HashSet::new();
    if let Some(h) = inp.health {
        for e in super::values::items(h.value(), "endpoints") {
            if !enabled(e) {
                continue;
            }
            let Some(host) = text(e.get("host")) else {
                continue;
            };
            probed.insert(norm(&host));
            if let Some(s) = site_of_name(&host) {
                cells[s].count += 1;
            }
        }
    }
    for (s, cell) in cells.iter_mut().enumerate() {
        cell.lacking = lacking_of(s, &|g: &Vm| {
            let exempt = g.value.get("has_docker") == Some(&Value::Bool(false))
                || text(g.value.get("health_probe_policy"))
                    .is_some_and(|p| p.eq_ignore_ascii_case("none"));
            exempt
                || [g.hostname.as_deref(), g.ssh_target.as_deref()]
                    .into_iter()
                    .flatten()
                    .any(|n| probed.contains(&norm(n)))
        });
    }
    rows.push(Row {
        category: Category::HealthProbes,
        unavailable: inp.health.is_none().then(|| "services.health.yaml".into()),
        cells,
    });

    // Backup targets (enabled).
    let mut cells = vec![Cell::default(); n];
    let bts = inp.backup.map(backup_targets).unwrap_or_default();
    for t in bts.iter().filter(|t| t.enabled) {
        let by_glob = || {
            let glob = t.glob.as_deref()?;
            active
                .iter()
                .find(|(_, g)| {
                    g.vzdump_prefix().is_some_and(|p| glob.starts_with(&p))
                        && t.host
                            .as_deref()
                            .is_none_or(|h| norm(h) == norm(&g.cluster))
                })
                .and_then(|(_, g)| site_of_guest(g))
        };
        if let Some(s) = t.host.as_deref().and_then(site_of_name).or_else(by_glob) {
            cells[s].count += 1;
        }
    }
    for (s, cell) in cells.iter_mut().enumerate() {
        cell.lacking = lacking_of(s, &|g: &Vm| {
            let Some(prefix) = g.vzdump_prefix() else {
                return false;
            };
            bts.iter().any(|t| {
                t.enabled
                    && t.glob.as_deref().is_some_and(|gl| gl.starts_with(&prefix))
                    && t.host
                        .as_deref()
                        .is_none_or(|h| norm(h) == norm(&g.cluster))
            })
        });
    }
    rows.push(Row {
        category: Category::BackupTargets,
        unavailable: inp.backup.is_none().then(|| "backup.inventory.yaml".into()),
        cells,
    });

    // Startup sequencing.
    let mut cells = vec![Cell::default(); n];
    let mut ordered: HashSet<(usize, i64)> = HashSet::new();
    if let Some(root) = inp
        .startup
        .and_then(Document::value)
        .and_then(Value::as_object)
    {
        for (key, block) in root {
            if key == "phases" {
                for phase in block.as_array().map(Vec::as_slice).unwrap_or(&[]) {
                    let Some(site) =
                        text(phase.get("site")).and_then(|id| cols.iter().position(|c| c.id == id))
                    else {
                        continue;
                    };
                    let mut ids = Vec::new();
                    collect_ids(phase, &mut ids);
                    ordered.extend(ids.into_iter().map(|id| (site, id)));
                }
            } else if let Some(site) =
                text(block.get("host_id")).and_then(|h| by_cluster.get(&norm(&h)).copied())
            {
                for list in ["active_vm_ids", "startup_order"] {
                    for id in super::values::items(Some(block), list) {
                        if let Some(id) = super::values::int(Some(id)) {
                            ordered.insert((site, id));
                        }
                    }
                }
            }
        }
    }
    for (s, cell) in cells.iter_mut().enumerate() {
        cell.count = ordered.iter().filter(|(site, _)| *site == s).count();
        cell.lacking = lacking_of(s, &|g: &Vm| {
            g.id.is_some_and(|id| ordered.contains(&(s, id)))
        });
    }
    rows.push(Row {
        category: Category::Startup,
        unavailable: inp
            .startup
            .is_none()
            .then(|| "startup.sequencing.yaml".into()),
        cells,
    });

    // Capabilities tagged by site.
    let mut cells = vec![Cell::default(); n];
    let mut tagged = 0;
    if let Some(map) = inp
        .capabilities
        .and_then(Document::value)
        .and_then(|v| v.get("capabilities"))
        .and_then(Value::as_object)
    {
        for c in map.values() {
            if let Some(s) = text(c.get("site")).and_then(|id| cols.iter().position(|c| c.id == id))
            {
                cells[s].count += 1;
                tagged += 1;
            }
        }
    }
    rows.push(Row {
        category: Category::Capabilities,
        unavailable: if inp.capabilities.is_none() {
            Some(CAPABILITIES.into())
        } else {
            (tagged == 0).then(|| "no capability carries a `site:` tag".into())
        },
        cells,
    });

    // Governance docs tagged by site.
    let mut cells = vec![Cell::default(); n];
    let mut tagged = 0;
    for d in &inp.governance_docs {
        let site = d.text.lines().take(15).find_map(|l| {
            let v = l
                .strip_prefix("site:")?
                .trim()
                .trim_matches('"')
                .trim_matches('\'');
            cols.iter().position(|c| c.id == v)
        });
        if let Some(s) = site {
            cells[s].count += 1;
            tagged += 1;
        }
    }
    rows.push(Row {
        category: Category::GovernanceDocs,
        unavailable: (tagged == 0).then(|| "no governance doc carries a `site:` line".into()),
        cells,
    });
    // Without its binding a row has no coverage to speak of: no guest is
    // listed as lacking it.
    for r in &mut rows {
        if r.unavailable.is_some() {
            for c in &mut r.cells {
                c.lacking.clear();
            }
        }
    }
    Some(Matrix { sites: cols, rows })
}

/// Every integer under a `vm_ids` or `lxc_ids` list anywhere in `v`.
fn collect_ids(v: &Value, out: &mut Vec<i64>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "vm_ids" || k == "lxc_ids" {
                    out.extend(
                        x.as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|i| super::values::int(Some(i))),
                    );
                } else {
                    collect_ids(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_ids(x, out)),
        _ => {}
    }
}

// ───────────────────────────── policy ─────────────────────────────

/// What a site must have. Read from `gate_options.D410` in driftgate.yaml,
/// else from the spine's `ops/bindings/site.coverage.policy.yaml`, else
/// [`Policy::default`]:
///
/// ```yaml
/// sites: [shop, home]          # default: every active site
/// minimum:                     # per site, at least this many
///   health_probes: 1
///   backup_targets: 1
/// every_active_guest: [backup_targets, ssh_targets]
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub sites: Option<Vec<String>>,
    pub minimum: BTreeMap<Category, usize>,
    pub every_active_guest: Vec<Category>,
    /// Where the policy came from (`driftgate.yaml gate_options.D410`, a
    /// spine path, or `built-in`).
    pub source: String,
}

impl Default for Policy {
    /// Each active site has at least one enabled health probe and one
    /// enabled backup target.
    fn default() -> Self {
        Policy {
            sites: None,
            minimum: [(Category::HealthProbes, 1), (Category::BackupTargets, 1)]
                .into_iter()
                .collect(),
            every_active_guest: Vec::new(),
            source: "built-in".into(),
        }
    }
}

impl Policy {
    /// The policy a run uses: `gate_options.D410` when set, else the spine
    /// binding, else the built-in one.
    pub fn resolve(options: Option<&Value>, binding: Option<&Document>) -> Result<Policy, String> {
        if let Some(o) = options.filter(|o| o.as_object().is_some_and(|m| !m.is_empty())) {
            return Policy::from_value(o, "driftgate.yaml gate_options.D410");
        }
        if let Some(d) = binding {
            if let Some(v) = d.value() {
                return Policy::from_value(v, &d.path);
            }
        }
        Ok(Policy::default())
    }

    /// Reads a policy mapping; errors name the offending key.
    pub fn from_value(v: &Value, source: &str) -> Result<Policy, String> {
        let Some(m) = v.as_object() else {
            return Err(format!("{source}: the coverage policy is not a mapping"));
        };
        let mut p = Policy {
            sites: None,
            minimum: BTreeMap::new(),
            every_active_guest: Vec::new(),
            source: source.to_string(),
        };
        let cat = |s: &str| {
            Category::parse(s).ok_or_else(|| {
                format!(
                    "{source}: unknown coverage category `{s}` (one of: {})",
                    Category::ALL.map(Category::id).join(", ")
                )
            })
        };
        for (k, val) in m {
            match k.as_str() {
                "sites" => {
                    p.sites = Some(
                        val.as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|x| text(Some(x)))
                            .collect(),
                    )
                }
                "minimum" => {
                    let Some(mm) = val.as_object() else {
                        return Err(format!("{source}: `minimum` is not a mapping"));
                    };
                    for (c, n) in mm {
                        let n =
                            super::values::int(Some(n))
                                .filter(|n| *n >= 0)
                                .ok_or_else(|| {
                                    format!("{source}: minimum.{c} is not a non-negative integer")
                                })?;
                        p.minimum.insert(cat(c)?, usize::try_from(n).unwrap_or(0));
                    }
                }
                "every_active_guest" => {
                    for c in val.as_array().into_iter().flatten() {
                        let c = text(Some(c)).unwrap_or_default();
                        let c = cat(&c)?;
                        if !c.per_guest() {
                            return Err(format!("{source}: `{}` is not judged per guest", c.id()));
                        }
                        p.every_active_guest.push(c);
                    }
                }
                // Free-form documentation keys of a spine binding.
                "version" | "updated" | "owner" | "status" | "description" | "notes"
                | "last_verified" | "scope" => {}
                other => return Err(format!("{source}: unknown key `{other}`")),
            }
        }
        Ok(p)
    }

    /// Does the policy judge this site?
    pub fn judges(&self, site: &SiteCol) -> bool {
        match &self.sites {
            Some(list) => list.iter().any(|s| s == &site.id),
            None => site.is_active(),
        }
    }
}

/// One way a site falls short of the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shortfall {
    /// The site has `count` of `category`, the policy asks for `minimum`.
    Minimum {
        site: String,
        site_index: usize,
        category: Category,
        count: usize,
        minimum: usize,
    },
    /// An active guest of the site lacks `category`.
    Guest {
        site: String,
        category: Category,
        guest: Lacking,
    },
    /// The policy asks about `category`, but its binding is absent: not
    /// judged, and never reported as met.
    Unjudged { category: Category, why: String },
}

impl Shortfall {
    /// Where it is reported: (spine path, JSON pointer, subject) — the site's
    /// entry in topology.sites.yaml, the guest's in vm.lifecycle.yaml, or the
    /// absent binding itself.
    pub fn place(&self) -> (&'static str, String, String) {
        use super::paths::{TOPOLOGY, VM_LIFECYCLE};
        match self {
            Shortfall::Minimum {
                site, site_index, ..
            } => (
                TOPOLOGY,
                format!("/sites/{site_index}"),
                format!("site:{site}"),
            ),
            Shortfall::Guest { guest, .. } => (
                VM_LIFECYCLE,
                format!("/vms/{}", guest.index),
                guest.subject.clone(),
            ),
            Shortfall::Unjudged { category, .. } => (
                category.binding(),
                String::new(),
                format!("file:{}", category.binding()),
            ),
        }
    }

    pub fn message(&self) -> String {
        match self {
            Shortfall::Minimum {
                site,
                category,
                count,
                minimum,
                ..
            } => format!(
                "site `{site}` has {count} {}; the coverage policy asks for at least {minimum}",
                category.title()
            ),
            Shortfall::Guest {
                site,
                category,
                guest,
            } => format!(
                "{} on site `{site}` {}; the coverage policy asks it of every active guest",
                guest.label,
                category.lack()
            ),
            Shortfall::Unjudged { category, why } => format!(
                "the coverage policy asks about {}, but they cannot be counted: {why} not found",
                category.title()
            ),
        }
    }
}

/// Where the matrix falls short of the policy, in site then category order.
/// Rows whose input is absent are not judged (the caller reports that).
pub fn judge(m: &Matrix, p: &Policy) -> Vec<Shortfall> {
    let mut out = Vec::new();
    let asked: Vec<Category> = p
        .minimum
        .keys()
        .copied()
        .chain(p.every_active_guest.iter().copied())
        .collect();
    for row in &m.rows {
        if let Some(why) = &row.unavailable {
            // Tags that are simply absent are a count of zero, not a gap in
            // the evidence.
            let tag_row = matches!(
                row.category,
                Category::Capabilities | Category::GovernanceDocs
            ) && !why.ends_with(".yaml");
            if asked.contains(&row.category) && !tag_row && !out.iter().any(
                |f| matches!(f, Shortfall::Unjudged { category, .. } if *category == row.category),
            ) {
                out.push(Shortfall::Unjudged {
                    category: row.category,
                    why: why.clone(),
                });
            }
        }
    }
    for (i, site) in m.sites.iter().enumerate() {
        if !p.judges(site) {
            continue;
        }
        for row in &m.rows {
            if row.unavailable.is_some()
                && row.category != Category::GovernanceDocs
                && row.category != Category::Capabilities
            {
                continue;
            }
            let Some(cell) = row.cells.get(i) else {
                continue;
            };
            if let Some(&min) = p.minimum.get(&row.category) {
                if cell.count < min {
                    out.push(Shortfall::Minimum {
                        site: site.id.clone(),
                        site_index: site.index,
                        category: row.category,
                        count: cell.count,
                        minimum: min,
                    });
                }
            }
            if p.every_active_guest.contains(&row.category) {
                for g in &cell.lacking {
                    out.push(Shortfall::Guest {
                        site: site.id.clone(),
                        category: row.category,
                        guest: g.clone(),
                    });
                }
            }
        }
    }
    out
}
