//! The `parity:` section of driftgate.yaml and the built-in defaults for the
//! standard layout (../shared/spine-formats.md).
//!
//! ```yaml
//! parity:
//!   # Canonical files in the spine (defaults shown).
//!   spine:
//!     vm_lifecycle: ops/bindings/vm.lifecycle.yaml
//!     ssh_targets: ops/bindings/ssh.targets.yaml
//!     topology: ops/bindings/topology.sites.yaml
//!   # Extra cluster names → canonical cluster (besides the topology's
//!   # `proxmox_alias`, its `*aliases` lists, `<alias>-<site>` and `<site>`).
//!   cluster_aliases: {pve-r730: pve}
//!   # Built-in sources to turn off, by id.
//!   disable: [legacy-shop-proxmox]
//!   # Override which spine entities a source must list (jq boolean over the
//!   # canonical entity; null: none).
//!   expect: {legacy-ssh: '.site == "shop"'}
//!   # Sources added after the built-in ones (`sources:` replaces them).
//!   extra_sources:
//!     - id: wb-hosts
//!       repo: workbench
//!       path: infra/data/hosts.json
//!       entity: vm                     # vm | ssh_host
//!       site: shop                     # default cluster = the site's proxmox_alias
//!       extract:
//!         kind: json                   # yaml|json · ssh_config · markdown_table · regex
//!         records: '.hosts[] | select(.enabled != false)'
//!         fields: {vmid: .vmid, hostname: .name, lan_ip: .ip}
//!       expect: '.status == "active"'
//! ```

use super::jq::{Jq, PathFilter};
use super::EntityKind;
use crate::findings::RepoId;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParityConfig {
    #[serde(default)]
    pub spine: SpineFiles,
    /// Replaces the built-in sources when given.
    pub sources: Option<Vec<SourceSpec>>,
    /// Appended to the (built-in or given) sources.
    #[serde(default)]
    pub extra_sources: Vec<SourceSpec>,
    /// Source ids to drop.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Cluster name → canonical cluster.
    #[serde(default)]
    pub cluster_aliases: BTreeMap<String, String>,
    /// Source id → expectation (jq boolean over the canonical entity), or
    /// null for "expected to list nothing".
    #[serde(default)]
    pub expect: BTreeMap<String, Option<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpineFiles {
    #[serde(default = "d_vm")]
    pub vm_lifecycle: String,
    #[serde(default = "d_ssh")]
    pub ssh_targets: String,
    #[serde(default = "d_topo")]
    pub topology: String,
    #[serde(default = "d_services")]
    pub service_registry: String,
}

fn d_vm() -> String {
    "ops/bindings/vm.lifecycle.yaml".into()
}
fn d_ssh() -> String {
    "ops/bindings/ssh.targets.yaml".into()
}
fn d_topo() -> String {
    "ops/bindings/topology.sites.yaml".into()
}
fn d_services() -> String {
    "docs/governance/SERVICE_REGISTRY.yaml".into()
}

impl Default for SpineFiles {
    fn default() -> Self {
        SpineFiles {
            vm_lifecycle: d_vm(),
            ssh_targets: d_ssh(),
            topology: d_topo(),
            service_registry: d_services(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    pub id: String,
    pub repo: String,
    pub path: String,
    pub entity: EntityKind,
    pub extract: Extract,
    /// Site the source describes: records without a cluster get the site's
    /// `proxmox_alias`; expectations can use `.site`.
    pub site: Option<String>,
    /// Cluster of records that carry none (wins over `site`).
    pub cluster: Option<String>,
    /// jq boolean over each canonical entity: must this source list it?
    /// Absent: the source is not expected to list anything (no `missing`).
    pub expect: Option<String>,
    /// Report records the spine does not know (`untracked`). Default true;
    /// false for sources whose names are a superset by nature (container
    /// names, stack names, probe ids): only entities the spine knows are
    /// compared.
    pub untracked: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Extract {
    /// YAML or JSON: `records` selects the records (jq), `fields` maps a
    /// parity field to a jq filter over one record.
    #[serde(alias = "json")]
    Yaml {
        records: String,
        fields: BTreeMap<String, String>,
        /// One record per item of a list inside each record: `items` (jq
        /// over the record) selects the items, each item's scalar becomes
        /// field `field` (with its own line); the other fields are shared.
        each: Option<Each>,
    },
    /// OpenSSH client config: one record per concrete `Host` block.
    SshConfig,
    /// Markdown tables whose header has every mapped column name.
    MarkdownTable {
        columns: BTreeMap<String, String>,
        /// Only tables under a heading containing this text.
        heading: Option<String>,
    },
    /// One record per line matching `pattern`; named groups are fields.
    Regex { pattern: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Each {
    pub field: String,
    pub items: String,
}

/// Parity fields an extractor may fill, per entity.
pub const VM_FIELDS: &[&str] = &[
    "vmid",
    "hostname",
    "cluster",
    "lan_ip",
    "tailscale_ip",
    "status",
    "enabled",
    "user",
];
pub const SSH_FIELDS: &[&str] = &["key", "hostname", "user", "lan_ip", "tailscale_ip"];
pub const SERVICE_FIELDS: &[&str] = &["service", "host", "port", "status"];

/// A source ready to run: spec plus compiled filters.
#[derive(Debug)]
pub struct Source {
    pub spec: SourceSpec,
    pub repo: RepoId,
    pub expect: Option<Jq>,
    pub compiled: Compiled,
}

#[derive(Debug)]
pub enum Compiled {
    Structured {
        records: PathFilter,
        fields: Vec<(String, PathFilter)>,
        /// (field, items filter) of `each`.
        each: Option<(String, PathFilter)>,
    },
    SshConfig,
    Table {
        columns: Vec<(String, String)>,
        heading: Option<String>,
    },
    Regex(regex::Regex),
}

/// A config problem with the JSON pointer (under `/parity`) it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub pointer: String,
    pub message: String,
}

fn src(
    id: &str,
    repo: &str,
    path: &str,
    entity: EntityKind,
    extract: Extract,
    site: Option<&str>,
    expect: Option<&str>,
) -> SourceSpec {
    SourceSpec {
        id: id.into(),
        repo: repo.into(),
        path: path.into(),
        entity,
        extract,
        site: site.map(str::to_string),
        cluster: None,
        expect: expect.map(str::to_string),
        untracked: None,
    }
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// The built-in sources for the standard layout.
pub fn default_sources() -> Vec<SourceSpec> {
    vec![
        src(
            "workbench-inventory",
            "workbench",
            "infra/data/CONTAINER_INVENTORY.yaml",
            EntityKind::Vm,
            Extract::Yaml {
                records: ".hosts[]".into(),
                fields: map(&[
                    ("vmid", ".vmid"),
                    ("hostname", ".name"),
                    ("cluster", ".location"),
                    ("lan_ip", ".lan_ip"),
                    ("tailscale_ip", ".tailscale_ip"),
                    ("status", ".status"),
                ]),
                each: None,
            },
            None,
            // A `docker ps` snapshot: only running guests can be listed.
            Some(r#".status == "active""#),
        ),
        src(
            "workbench-ssh",
            "workbench",
            "dotfiles/ssh/config.d/tailscale.conf",
            EntityKind::SshHost,
            Extract::SshConfig,
            None,
            // Every SSH target, LAN-only devices (switch, iDRAC, NVR, AP,
            // gateway) included: the user's own three-repo alignment audit
            // lists those as missing from the workbench config too.
            Some("true"),
        ),
        src(
            "legacy-backup",
            "legacy",
            "infrastructure/data/backup_inventory.json",
            EntityKind::Vm,
            Extract::Yaml {
                records: ".vms[]".into(),
                fields: map(&[
                    ("vmid", ".vmid"),
                    ("hostname", ".name"),
                    ("cluster", ".host"),
                    ("status", ".status"),
                    ("enabled", ".enabled"),
                ]),
                each: None,
            },
            None,
            Some("true"),
        ),
        src(
            "legacy-shop-vms",
            "legacy",
            "infrastructure/docs/locations/SHOP.md",
            EntityKind::Vm,
            Extract::MarkdownTable {
                columns: map(&[
                    ("vmid", "VMID"),
                    ("hostname", "Hostname"),
                    ("status", "Status"),
                    ("lan_ip", "LAN IP"),
                    ("tailscale_ip", "Tailscale IP"),
                ]),
                heading: None,
            },
            Some("shop"),
            Some(r#".site == "shop""#),
        ),
        src(
            "legacy-shop-proxmox",
            "legacy",
            "infrastructure/docs/locations/SHOP.md",
            EntityKind::SshHost,
            Extract::Regex {
                pattern: r"(?i)\bProxmox host:?\**:?\s*`?(?P<key>[A-Za-z0-9._-]+)`?.*?\bLAN\s+(?P<lan_ip>\d{1,3}(?:\.\d{1,3}){3})(?:.*?\bTailscale\s+(?P<tailscale_ip>\d{1,3}(?:\.\d{1,3}){3}))?".into(),
            },
            Some("shop"),
            None,
        ),
        src(
            "legacy-ssh",
            "legacy",
            "infrastructure/dotfiles/ssh/config.d/tailscale.conf",
            EntityKind::SshHost,
            Extract::SshConfig,
            None,
            // Archived: whatever it still lists must be right, but it is not
            // expected to list everything.
            None,
        ),
        // Services (SERVICE_REGISTRY.yaml is canonical).
        SourceSpec {
            untracked: Some(true),
            ..src(
                "spine-lifecycle-services",
                "spine",
                "ops/bindings/vm.lifecycle.yaml",
                EntityKind::Service,
                Extract::Yaml {
                    // Guests still in service (their lists are history once
                    // decommissioned).
                    records: r#".vms[] | select(((.status // "active") | ascii_downcase) as $s | ["decommissioned", "abandoned", "template", "destroyed"] | index($s) | not)"#.into(),
                    fields: map(&[("host", ".hostname")]),
                    each: Some(Each {
                        field: "service".into(),
                        items: ".services[]?".into(),
                    }),
                },
                None,
                // Every registry service whose host is a guest that keeps a
                // `services` list is on that list.
                Some(".listed_by_guest"),
            )
        },
        SourceSpec {
            untracked: Some(false),
            ..src(
                "spine-compose-stacks",
                "spine",
                "ops/bindings/docker.compose.targets.yaml",
                EntityKind::Service,
                Extract::Yaml {
                    records: ".targets[]".into(),
                    fields: map(&[("host", ".ssh_target")]),
                    each: Some(Each {
                        field: "service".into(),
                        items: ".stacks[]?.name".into(),
                    }),
                },
                None,
                None,
            )
        },
        SourceSpec {
            untracked: Some(false),
            ..src(
                "spine-health-probes",
                "spine",
                "ops/bindings/services.health.yaml",
                EntityKind::Service,
                Extract::Yaml {
                    records: ".endpoints[]".into(),
                    fields: map(&[("service", ".id"), ("host", ".host")]),
                    each: None,
                },
                None,
                None,
            )
        },
        SourceSpec {
            untracked: Some(false),
            ..src(
                "workbench-inventory-services",
                "workbench",
                "infra/data/CONTAINER_INVENTORY.yaml",
                EntityKind::Service,
                Extract::Yaml {
                    records: ".hosts[]".into(),
                    fields: map(&[("host", ".name")]),
                    each: Some(Each {
                        field: "service".into(),
                        items: ".containers[]?.name".into(),
                    }),
                },
                None,
                None,
            )
        },
        SourceSpec {
            untracked: Some(false),
            ..src(
                "legacy-shop-services",
                "legacy",
                "infrastructure/docs/locations/SHOP.md",
                EntityKind::Service,
                Extract::MarkdownTable {
                    columns: map(&[("service", "Service"), ("host", "Host")]),
                    heading: None,
                },
                Some("shop"),
                None,
            )
        },
    ]
}

impl ParityConfig {
    /// Reads `parity:` from the free-form config value.
    pub fn from_value(v: Option<&serde_json::Value>) -> Result<ParityConfig, ConfigError> {
        match v {
            None | Some(serde_json::Value::Null) => Ok(ParityConfig::default()),
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| ConfigError {
                pointer: "/parity".into(),
                message: format!("invalid `parity` section: {e}"),
            }),
        }
    }

    /// The effective source list, compiled. Errors carry the pointer of the
    /// offending entry (`/parity/extra_sources/0/extract/records`).
    pub fn sources(&self) -> Result<Vec<Source>, Vec<ConfigError>> {
        let (base, base_ptr): (Vec<SourceSpec>, Option<&str>) = match &self.sources {
            Some(s) => (s.clone(), Some("/parity/sources")),
            None => (default_sources(), None),
        };
        let mut specs: Vec<(SourceSpec, String)> = base
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let p = base_ptr.map_or_else(|| "/parity".to_string(), |b| format!("{b}/{i}"));
                (s, p)
            })
            .collect();
        specs.extend(
            self.extra_sources
                .iter()
                .enumerate()
                .map(|(i, s)| (s.clone(), format!("/parity/extra_sources/{i}"))),
        );
        let mut errors = Vec::new();
        for (i, id) in self.disable.iter().enumerate() {
            if !specs.iter().any(|(s, _)| &s.id == id) {
                errors.push(ConfigError {
                    pointer: format!("/parity/disable/{i}"),
                    message: format!("`parity.disable` names no source `{id}`"),
                });
            }
        }
        for id in self.expect.keys() {
            if !specs.iter().any(|(s, _)| &s.id == id) {
                errors.push(ConfigError {
                    pointer: format!("/parity/expect/{}", crate::documents::pointer_escape(id)),
                    message: format!("`parity.expect` names no source `{id}`"),
                });
            }
        }
        specs.retain(|(s, _)| !self.disable.contains(&s.id));
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for (mut spec, ptr) in specs {
            if !seen.insert(spec.id.clone()) {
                errors.push(ConfigError {
                    pointer: format!("{ptr}/id"),
                    message: format!("duplicate parity source id `{}`", spec.id),
                });
                continue;
            }
            if let Some(e) = self.expect.get(&spec.id) {
                spec.expect = e.clone();
            }
            match compile(spec, &ptr) {
                Ok(s) => out.push(s),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

fn compile(spec: SourceSpec, ptr: &str) -> Result<Source, Vec<ConfigError>> {
    let mut errors = Vec::new();
    let err = |p: &str, m: String| ConfigError {
        pointer: format!("{ptr}{p}"),
        message: format!("parity source `{}`: {m}", spec.id),
    };
    let repo = RepoId::parse(&spec.repo);
    if repo.is_none() {
        errors.push(err(
            "/repo",
            format!("repo `{}` is not spine, workbench or legacy", spec.repo),
        ));
    }
    let allowed = match spec.entity {
        EntityKind::Vm => VM_FIELDS,
        EntityKind::SshHost => SSH_FIELDS,
        EntityKind::Service => SERVICE_FIELDS,
    };
    let mut check_field = |name: &str, p: String| {
        if !allowed.contains(&name) {
            errors.push(err(
                &p,
                format!(
                    "unknown field `{name}` for a {} source (one of: {})",
                    spec.entity.as_str(),
                    allowed.join(", ")
                ),
            ));
        }
    };
    let compiled = match &spec.extract {
        Extract::Yaml {
            records,
            fields,
            each,
        } => {
            for k in fields.keys() {
                check_field(k, format!("/extract/fields/{k}"));
            }
            if let Some(e) = each {
                check_field(&e.field, "/extract/each/field".into());
            }
            let each = match each {
                None => None,
                Some(e) => match PathFilter::compile(&e.items) {
                    Ok(c) => Some((e.field.clone(), c)),
                    Err(m) => {
                        errors.push(err("/extract/each/items", m));
                        None
                    }
                },
            };
            let rec = PathFilter::compile(records).map_err(|m| err("/extract/records", m));
            let mut fs = Vec::new();
            for (k, f) in fields {
                match PathFilter::compile(f) {
                    Ok(c) => fs.push((k.clone(), c)),
                    Err(m) => errors.push(err(&format!("/extract/fields/{k}"), m)),
                }
            }
            match rec {
                Ok(records) => Some(Compiled::Structured {
                    records,
                    fields: fs,
                    each,
                }),
                Err(e) => {
                    errors.push(e);
                    None
                }
            }
        }
        Extract::SshConfig => {
            if spec.entity != EntityKind::SshHost {
                errors.push(err(
                    "/entity",
                    "an ssh_config extractor yields ssh_host records".into(),
                ));
            }
            Some(Compiled::SshConfig)
        }
        Extract::MarkdownTable { columns, heading } => {
            for k in columns.keys() {
                check_field(k, format!("/extract/columns/{k}"));
            }
            if columns.is_empty() {
                errors.push(err("/extract/columns", "no columns mapped".into()));
            }
            Some(Compiled::Table {
                columns: columns
                    .iter()
                    .map(|(a, b)| (a.clone(), b.clone()))
                    .collect(),
                heading: heading.clone(),
            })
        }
        Extract::Regex { pattern } => match regex::Regex::new(pattern) {
            Ok(re) => {
                for name in re.capture_names().flatten() {
                    check_field(name, "/extract/pattern".into());
                }
                Some(Compiled::Regex(re))
            }
            Err(e) => {
                errors.push(err("/extract/pattern", format!("bad regex: {e}")));
                None
            }
        },
    };
    let expect = match &spec.expect {
        Some(code) => match Jq::compile(code) {
            Ok(j) => Some(j),
            Err(m) => {
                errors.push(err("/expect", m));
                None
            }
        },
        None => None,
    };
    match (errors.is_empty(), repo, compiled) {
        (true, Some(repo), Some(compiled)) => Ok(Source {
            spec,
            repo,
            expect,
            compiled,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_compile() {
        let s = ParityConfig::default().sources().unwrap();
        assert_eq!(
            s.iter().map(|s| s.spec.id.as_str()).collect::<Vec<_>>(),
            vec![
                "workbench-inventory",
                "workbench-ssh",
                "legacy-backup",
                "legacy-shop-vms",
                "legacy-shop-proxmox",
                "legacy-ssh",
                "spine-lifecycle-services",
                "spine-compose-stacks",
                "spine-health-probes",
                "workbench-inventory-services",
                "legacy-shop-services"
            ]
        );
    }

    #[test]
    fn service_sources_check_their_fields_and_each() {
        let c = ParityConfig::from_value(Some(&json!({
            "sources": [{
                "id": "s", "repo": "workbench", "path": "a.yaml", "entity": "service",
                "extract": {"kind": "yaml", "records": ".hosts[]", "fields": {"host": ".name", "vmid": ".id"},
                            "each": {"field": "service", "items": ".svc["}}
            }]
        })))
        .unwrap();
        let errs = c.sources().unwrap_err();
        let ptrs: Vec<&str> = errs.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            ptrs,
            [
                "/parity/sources/0/extract/fields/vmid",
                "/parity/sources/0/extract/each/items"
            ],
            "{errs:?}"
        );
    }

    #[test]
    fn bad_entries_point_at_their_keys() {
        let c = ParityConfig::from_value(Some(&json!({
            "disable": ["nope"],
            "extra_sources": [{
                "id": "x", "repo": "elsewhere", "path": "a.yaml", "entity": "vm",
                "extract": {"kind": "yaml", "records": ".a[", "fields": {"colour": ".c"}}
            }]
        })))
        .unwrap();
        let errs = c.sources().unwrap_err();
        let ptrs: Vec<&str> = errs.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            ptrs,
            vec![
                "/parity/disable/0",
                "/parity/extra_sources/0/repo",
                "/parity/extra_sources/0/extract/fields/colour",
                "/parity/extra_sources/0/extract/records",
            ]
        );
        assert!(ParityConfig::from_value(Some(&json!({"sourcez": []}))).is_err());
    }

    #[test]
    fn expect_override_and_disable() {
        let c = ParityConfig::from_value(Some(&json!({
            "disable": ["legacy-shop-proxmox"],
            "expect": {"legacy-ssh": ".site == \"shop\"", "workbench-inventory": null}
        })))
        .unwrap();
        let s = c.sources().unwrap();
        assert!(!s.iter().any(|s| s.spec.id == "legacy-shop-proxmox"));
        let find = |id: &str| s.iter().find(|s| s.spec.id == id).unwrap();
        assert!(find("legacy-ssh").expect.is_some());
        assert!(find("workbench-inventory").expect.is_none());
    }
}
