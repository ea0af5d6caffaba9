//! Shared reading of the core spine bindings for native gates: VMs, sites,
//! SSH targets, options. Everything here is total over user data (no
//! panics on odd shapes): a field of the wrong type reads as absent.

use crate::documents::{pointer_escape, pointer_tokens, Document};
use crate::findings::{Finding, Location, RepoId};
use crate::gates::GateContext;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

pub const VM_LIFECYCLE: &str = "ops/bindings/vm.lifecycle.yaml";
pub const SSH_TARGETS: &str = "ops/bindings/ssh.targets.yaml";
pub const SERVICE_REGISTRY: &str = "docs/governance/SERVICE_REGISTRY.yaml";
pub const BACKUP_INVENTORY: &str = "ops/bindings/backup.inventory.yaml";
pub const SERVICES_HEALTH: &str = "ops/bindings/services.health.yaml";
pub const TOPOLOGY: &str = "ops/bindings/topology.sites.yaml";
pub const STARTUP: &str = "ops/bindings/startup.sequencing.yaml";
pub const COMPOSE_TARGETS: &str = "ops/bindings/docker.compose.targets.yaml";
pub const HOME_DEVICES: &str = "ops/bindings/home.device.registry.yaml";
pub const IP_POLICY: &str = "ops/bindings/vm.ip.parity.policy.yaml";
pub const CONVENTIONS: &str = "ops/bindings/spine.schema.conventions.yaml";
pub const DEVICE_SSOT: &str = "docs/governance/DEVICE_IDENTITY_SSOT.md";

// ───────────────────────────── values ─────────────────────────────

/// A scalar as text: trimmed non-empty strings, numbers, booleans.
pub fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An integer from a number or a numeric string.
pub fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `enabled` flag: absent or null means true; only `false` (or "false") disables.
pub fn enabled(item: &Value) -> bool {
    match item.get("enabled") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => !s.trim().eq_ignore_ascii_case("false"),
        _ => true,
    }
}

/// Items of the array at `key` of `v` (empty when absent or not an array).
pub fn items<'a>(v: Option<&'a Value>, key: &str) -> &'a [Value] {
    v.and_then(|v| v.get(key))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A list of strings (scalars) at `key`.
pub fn strings(v: Option<&Value>, key: &str) -> Vec<String> {
    items(v, key).iter().filter_map(|x| text(Some(x))).collect()
}

/// JSON pointer built from tokens.
pub fn ptr(tokens: &[&str]) -> String {
    tokens
        .iter()
        .map(|t| format!("/{}", pointer_escape(t)))
        .collect()
}

/// Location of the member at `pointer` in YAML document `index` of a
/// multi-document file (key span for object members).
pub fn location_in(doc: &Document, index: usize, pointer: &str) -> Location {
    if index == 0 {
        return doc.location(pointer);
    }
    let Some(d) = doc.docs.get(index) else {
        return Location::file(doc.repo, &doc.path);
    };
    let mut toks = pointer_tokens(pointer);
    loop {
        match d.walk(&toks) {
            (Some(_), Some((a, b))) => return Location::at(doc.repo, &doc.path, doc.span(a, b)),
            (Some((a, b)), None) => return Location::at(doc.repo, &doc.path, doc.span(a, b)),
            _ => {}
        }
        if toks.pop().is_none() {
            return Location::at(doc.repo, &doc.path, doc.span(d.start, d.start));
        }
    }
}

/// Location of a 1-based line without its indentation and trailing blanks
/// (so the column points at the keyword of an ssh_config line).
pub fn line_text_location(doc: &Document, line: usize) -> Location {
    let whole = doc.lines().line_span(line);
    let text = doc.text.get(whole.start..whole.end).unwrap_or_default();
    let lead = text.len() - text.trim_start().len();
    let end = whole.start + text.trim_end().len();
    Location::at(
        doc.repo,
        &doc.path,
        doc.span(whole.start + lead, end.max(whole.start + lead)),
    )
}

/// Sorted, deduplicated message order is the engine's job; gates still emit
/// in file order so tests read naturally.
pub fn spine_doc(cx: &GateContext<'_>, path: &str) -> Option<Arc<Document>> {
    cx.doc(RepoId::Spine, path)
}

/// A finding for a binding the gate needs but the spine does not have.
pub fn missing_file(cx: &GateContext<'_>, path: &str, why: &str) -> Finding {
    cx.finding_at(
        Location::file(RepoId::Spine, path),
        format!("{path} not found: {why}"),
    )
    .with_subject(format!("file:{path}"))
}

// ───────────────────────────── options ─────────────────────────────

/// `gate_options.<ID>.<key>` as a list of strings (a scalar counts as a
/// one-item list).
pub fn opt_list(cx: &GateContext<'_>, key: &str) -> Option<Vec<String>> {
    let v = cx.options?.get(key)?;
    match v {
        Value::Array(a) => Some(a.iter().filter_map(|x| text(Some(x))).collect()),
        other => text(Some(other)).map(|s| vec![s]),
    }
}

pub fn opt_str(cx: &GateContext<'_>, key: &str) -> Option<String> {
    text(cx.options?.get(key))
}

// ───────────────────────────── VMs ─────────────────────────────

/// One guest of vm.lifecycle.yaml.
pub struct Vm<'a> {
    pub index: usize,
    pub value: &'a Value,
    /// `id`, or `vmid` in older commits.
    pub id: Option<i64>,
    pub id_key: &'static str,
    pub hostname: Option<String>,
    /// proxmox_host, else defaults.proxmox_host.
    pub cluster: String,
    pub status: Option<String>,
    pub lan_ip: Option<String>,
    pub tailscale_ip: Option<String>,
    pub ssh_target: Option<String>,
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
            let (id_key, id) = if v.get("id").is_some() {
                ("id", int(v.get("id")))
            } else {
                ("vmid", int(v.get("vmid")))
            };
            Vm {
                index,
                value: v,
                id,
                id_key,
                hostname: text(v.get("hostname")),
                cluster: text(v.get("proxmox_host"))
                    .or_else(|| default_cluster.clone())
                    .unwrap_or_else(|| "?".into()),
                status: text(v.get("status")),
                lan_ip: text(v.get("lan_ip")),
                tailscale_ip: text(v.get("tailscale_ip")),
                ssh_target: text(v.get("ssh_target")),
                is_lxc: text(v.get("vm_type")).is_some_and(|t| t.eq_ignore_ascii_case("lxc")),
                site_scope: text(v.get("site_scope")),
            }
        })
        .collect()
}

// ───────────────────────────── sites ─────────────────────────────

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

/// The clusters (proxmox aliases) of the sites a gate is scoped to:
/// `gate_options.<ID>.clusters` verbatim, else `gate_options.<ID>.sites`
/// (default `default_sites`) mapped through topology.sites.yaml.
pub fn scoped_clusters(
    cx: &GateContext<'_>,
    default_sites: &[String],
) -> Result<(Vec<String>, HashSet<String>), String> {
    if let Some(c) = opt_list(cx, "clusters") {
        return Ok((
            opt_list(cx, "sites").unwrap_or_default(),
            c.into_iter().collect(),
        ));
    }
    let wanted = opt_list(cx, "sites").unwrap_or_else(|| default_sites.to_vec());
    let topo = spine_doc(cx, TOPOLOGY).ok_or_else(|| {
        format!(
            "{TOPOLOGY} not found: cannot tell which cluster belongs to site(s) {}; set gate_options.{}.clusters",
            wanted.join(", "),
            cx.meta.id
        )
    })?;
    let all = sites(&topo);
    let clusters = all
        .iter()
        .filter(|s| wanted.contains(&s.id))
        .filter_map(|s| s.proxmox_alias.clone())
        .collect();
    Ok((wanted, clusters))
}

// ───────────────────────────── SSH targets ─────────────────────────────

pub struct SshTarget<'a> {
    pub index: usize,
    pub value: &'a Value,
    pub id: String,
    pub host: Option<String>,
    pub tailscale_ip: Option<String>,
    pub user: Option<String>,
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
                    tags: strings(Some(v), "tags"),
                })
            })
            .collect(),
    }
}

// ───────────────────────────── backup targets ─────────────────────────────

pub struct BackupTarget<'a> {
    pub index: usize,
    pub value: &'a Value,
    pub name: String,
    pub host: Option<String>,
    pub glob: Option<String>,
    pub base_path: Option<String>,
    pub enabled: bool,
}

impl BackupTarget<'_> {
    pub fn ptr(&self, field: &str) -> String {
        if field.is_empty() {
            format!("/targets/{}", self.index)
        } else {
            format!("/targets/{}/{}", self.index, pointer_escape(field))
        }
    }
}

pub fn backup_targets(doc: &Document) -> Vec<BackupTarget<'_>> {
    items(doc.value(), "targets")
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_object())
        .map(|(index, v)| BackupTarget {
            index,
            value: v,
            name: text(v.get("name")).unwrap_or_else(|| format!("#{}", index + 1)),
            host: text(v.get("host")),
            glob: text(v.get("glob")),
            base_path: text(v.get("base_path")),
            enabled: enabled(v),
        })
        .collect()
}

#[cfg(test)]
pub mod testing {
    //! Temp-dir workspaces for native gate unit tests.
    use crate::config::LoadedConfig;
    use crate::findings::{CheckStatus, Finding, RepoId};
    use crate::gates::GateOptions;
    use crate::workspace::{Limits, Repo, Snapshot, Workspace};
    use std::path::Path;

    pub struct TestWs {
        pub dir: tempfile::TempDir,
    }

    impl TestWs {
        /// A spine holding `files` (path, text); `workbench` files likewise
        /// (None: no workbench checkout).
        pub fn new(files: &[(&str, &str)], workbench: Option<&[(&str, &str)]>) -> TestWs {
            let dir = tempfile::tempdir().expect("tempdir");
            write_all(&dir.path().join("spine"), files);
            if let Some(wb) = workbench {
                write_all(&dir.path().join("workbench"), wb);
            }
            TestWs { dir }
        }

        pub fn workspace(&self) -> Workspace {
            let limits = Limits::default();
            let (spine, notes) = Repo::open(
                RepoId::Spine,
                &self.dir.path().join("spine"),
                &Snapshot::WorkTree,
                &limits,
            )
            .expect("spine opens");
            let wb = self.dir.path().join("workbench");
            Workspace::assemble(spine, notes, wb.exists().then_some(wb), None, &limits)
        }
    }

    fn write_all(root: &Path, files: &[(&str, &str)]) {
        std::fs::create_dir_all(root).expect("mkdir");
        for (p, t) in files {
            let path = root.join(p);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(path, t).expect("write");
        }
    }

    /// Runs gate `id` over the files through the engine (selection, input
    /// resolution, panic safety, undeclared-read checks), with
    /// `gate_options.<id>` set to `options` and `--now 2026-11-20`.
    fn engine_run(
        id: &str,
        files: &[(&str, &str)],
        workbench: Option<&[(&str, &str)]>,
        options: Option<serde_json::Value>,
    ) -> (CheckStatus, Vec<Finding>) {
        let t = TestWs::new(files, workbench);
        let ws = t.workspace();
        let mut config = LoadedConfig::default();
        if let Some(o) = options {
            config.config.gate_options.insert(id.to_string(), o);
        }
        let opts = GateOptions {
            select: vec![id.to_string()],
            now: chrono::NaiveDate::from_ymd_opt(2026, 11, 20),
            exec: false,
            registry: Some(false),
            ..GateOptions::default()
        };
        let (findings, records) = crate::gates::run(&ws, &config, &opts, None);
        let status = records
            .into_iter()
            .find(|r| r.code == id)
            .map(|r| r.status)
            .unwrap_or_else(|| CheckStatus::Errored(format!("{id} is not in the catalogue")));
        (status, findings)
    }

    /// Runs gate `id` over the files: its findings, or `Err` with the
    /// reason when the engine reports it errored or skipped.
    pub fn run_gate(
        id: &str,
        files: &[(&str, &str)],
        workbench: Option<&[(&str, &str)]>,
        options: Option<serde_json::Value>,
    ) -> Result<Vec<Finding>, String> {
        match engine_run(id, files, workbench, options) {
            (CheckStatus::Ran, f) => Ok(f.into_iter().filter(|f| f.code == id).collect()),
            (CheckStatus::Skipped(why), _) => Err(format!("skipped: {why}")),
            (CheckStatus::Errored(why), _) => Err(why),
        }
    }

    /// Why gate `id` is skipped over the files (None: it runs).
    pub fn skip_reason(id: &str, files: &[(&str, &str)]) -> Option<String> {
        match engine_run(id, files, None, None).0 {
            CheckStatus::Skipped(why) => Some(why),
            _ => None,
        }
    }

    /// Unwraps a gate run, panicking with the error.
    pub fn findings(r: Result<Vec<Finding>, String>) -> Vec<Finding> {
        r.unwrap_or_else(|e| panic!("gate errored: {e}"))
    }

    /// (line, subject, message) of each finding, for readable asserts.
    pub fn summary(f: &[Finding]) -> Vec<(String, usize, String, String)> {
        f.iter()
            .map(|f| {
                (
                    f.location.path.clone(),
                    f.location.line(),
                    f.subject.clone().unwrap_or_default(),
                    f.message.clone(),
                )
            })
            .collect()
    }
}
