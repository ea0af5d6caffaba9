//! The markdown report: made to be read on a phone (job summary, artifact).
//! Verdict and counts first, then one table per concern, then gap
//! candidates a person can paste into operational.gaps.yaml.

use super::classify::{split_key, Kind, ParityFinding};
use super::entities::{CanonVm, Life};
use super::{EntityKind, ParityRun, SourceState};
use crate::findings::RepoId;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write;

/// Inline code, safe inside a table cell.
fn code(s: &str) -> String {
    format!(
        "`{}`",
        s.replace('`', "'").replace('|', "\\|").replace('\n', " ")
    )
}

/// Plain text, safe inside a table cell.
fn text(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn file_name(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

fn place(f: &ParityFinding) -> String {
    match f.line {
        Some(l) => format!("{}:{l}", file_name(&f.source)),
        None => file_name(&f.source).to_string(),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Repos that have sources, in order.
fn source_repos(run: &ParityRun, entity: Option<EntityKind>) -> Vec<RepoId> {
    let mut v: Vec<RepoId> = Vec::new();
    for r in RepoId::ALL {
        let has = run
            .sources
            .iter()
            .any(|s| s.repo == r && entity.is_none_or(|e| s.entity == e));
        if has {
            v.push(r);
        }
    }
    v
}

/// The markdown report (stdout, `-o`, `--summary`), masked as a whole with
/// the one secret model like every other output.
pub fn render(run: &ParityRun, now: chrono::NaiveDate) -> String {
    crate::report::redact::redact(&render_unmasked(run, now)).into_owned()
}

fn render_unmasked(run: &ParityRun, now: chrono::NaiveDate) -> String {
    let mut s = String::new();
    let n = run.findings.len();
    let _ = writeln!(s, "# Parity report — {now}\n");
    if n == 0 {
        let _ = writeln!(s, "**✅ In parity.** Every source agrees with the spine.\n");
    } else {
        let mut per_repo: BTreeMap<RepoId, usize> = BTreeMap::new();
        for f in &run.findings {
            *per_repo.entry(f.repo).or_default() += 1;
        }
        let parts: Vec<String> = per_repo.iter().map(|(r, c)| format!("{r} {c}")).collect();
        let _ = writeln!(
            s,
            "**❌ {}** · {}\n",
            plural(n, "finding", "findings"),
            parts.join(" · ")
        );
    }
    repos_table(&mut s, run);
    if n > 0 {
        counts_table(&mut s, run);
    }
    coverage_table(&mut s, run);
    clusters_table(&mut s, run);
    vm_tables(&mut s, run);
    network_table(&mut s, run);
    user_table(&mut s, run);
    other_mismatches(&mut s, run);
    service_table(&mut s, run);
    ssh_missing(&mut s, run);
    untracked(&mut s, run);
    gaps(&mut s, run);
    if !run.notes.is_empty() {
        let _ = writeln!(s, "## Notes\n");
        for note in &run.notes {
            let _ = writeln!(s, "- {}", note.replace('\n', " "));
        }
        s.push('\n');
    }
    sources_table(&mut s, run);
    s
}

fn repos_table(s: &mut String, run: &ParityRun) {
    let _ = writeln!(s, "| repo | read from | commit |\n|---|---|---|");
    for id in RepoId::ALL {
        match run.ws.repo(id) {
            Some(r) => {
                let commit = r
                    .commit
                    .as_deref()
                    .map(|c| code(&c.chars().take(10).collect::<String>()))
                    .unwrap_or_else(|| "_no git_".into());
                let _ = writeln!(
                    s,
                    "| {id} | {} | {commit} ({}) |",
                    code(&r.root.display().to_string()),
                    text(&r.snapshot.describe())
                );
            }
            None => {
                let _ = writeln!(s, "| {id} | _not available — skipped_ | |");
            }
        }
    }
    s.push('\n');
}

fn counts_table(s: &mut String, run: &ParityRun) {
    let _ = writeln!(s, "## Findings by repo and kind\n");
    let _ = write!(s, "| repo |");
    for k in Kind::ALL {
        let _ = write!(s, " {} |", k.as_str());
    }
    let _ = writeln!(s, " total |");
    let _ = writeln!(s, "|---|{}---:|", "---:|".repeat(Kind::ALL.len()));
    let mut totals = [0usize; 6];
    for r in RepoId::ALL {
        let fs: Vec<&ParityFinding> = run.findings.iter().filter(|f| f.repo == r).collect();
        if fs.is_empty() {
            continue;
        }
        let _ = write!(s, "| {r} |");
        for (i, k) in Kind::ALL.iter().enumerate() {
            let c = fs.iter().filter(|f| f.kind == *k).count();
            totals[i] += c;
            let _ = write!(s, " {c} |");
        }
        let _ = writeln!(s, " **{}** |", fs.len());
    }
    let _ = write!(s, "| **total** |");
    for t in totals {
        let _ = write!(s, " {t} |");
    }
    let _ = writeln!(s, " **{}** |\n", run.findings.len());
}

fn clusters_table(s: &mut String, run: &ParityRun) {
    let names = &run.classified.cluster_names;
    let repos: Vec<RepoId> = {
        let set: BTreeSet<RepoId> = names.keys().map(|(r, _)| *r).collect();
        set.into_iter().collect()
    };
    let mut clusters: Vec<String> = run.canon.clusters.clone();
    for (_, c) in names.keys() {
        if !clusters.contains(c) {
            clusters.push(c.clone());
        }
    }
    if clusters.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Cluster naming\n");
    let _ = write!(s, "| cluster | site | LAN | aliases |");
    for r in &repos {
        let _ = write!(s, " {r} |");
    }
    let _ = writeln!(s, "\n|---|---|---|---|{}", "---|".repeat(repos.len()));
    for c in &clusters {
        let canonical = run.canon.clusters.contains(c);
        let site = run
            .canon
            .sites
            .iter()
            .find(|x| x.proxmox_alias.as_deref() == Some(c.as_str()));
        let site_id = site.map_or("—".to_string(), |x| x.id.clone());
        let lan = site
            .and_then(|x| x.lan_cidr)
            .map_or("—".to_string(), |n| n.to_string());
        let aliases = run.canon.alias_names(c);
        let aliases = if aliases.is_empty() {
            "—".to_string()
        } else {
            aliases
                .iter()
                .map(|a| code(a))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let label = if canonical {
            code(c)
        } else {
            format!("❓ {} (unknown)", code(c))
        };
        let _ = write!(s, "| {label} | {} | {lan} | {aliases} |", text(&site_id));
        for r in &repos {
            let cell = match names.get(&(*r, c.clone())) {
                Some(m) => m
                    .iter()
                    .map(|(raw, n)| {
                        let warn = if raw != c { "⚠️ " } else { "" };
                        format!("{warn}{} ×{n}", code(raw))
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                None => "·".into(),
            };
            let _ = write!(s, " {cell} |");
        }
        s.push('\n');
    }
    s.push('\n');
}

/// Findings by (repo, entity, key).
fn by_entity(run: &ParityRun) -> BTreeMap<(RepoId, EntityKind, String), Vec<&ParityFinding>> {
    let mut m: BTreeMap<(RepoId, EntityKind, String), Vec<&ParityFinding>> = BTreeMap::new();
    for f in &run.findings {
        m.entry((f.repo, f.entity, f.key.clone()))
            .or_default()
            .push(f);
    }
    m
}

fn short_label(f: &ParityFinding) -> String {
    let found = f.found.as_deref().map(code).unwrap_or_default();
    match f.kind {
        Kind::Missing => format!("❌ missing ({})", file_name(&f.source)),
        Kind::Stale => "❌ stale".into(),
        Kind::Mismatch => format!("⚠️ {} {found}", f.field.as_deref().unwrap_or("")),
        Kind::Alias => format!("⚠️ cluster {found}"),
        Kind::Untracked => "❓ untracked".into(),
        Kind::Subnet => format!("⚠️ outside {}", f.canonical.as_deref().unwrap_or("LAN")),
    }
}

fn vm_tables(s: &mut String, run: &ParityRun) {
    if !run.canon.has_vms {
        return;
    }
    let repos = source_repos(run, Some(EntityKind::Vm));
    let idx = by_entity(run);
    // Keys per cluster: canonical VMs plus untracked ones.
    let mut per: BTreeMap<String, BTreeSet<(i64, String)>> = BTreeMap::new();
    for k in run.canon.vms.keys() {
        per.entry(k.cluster.clone())
            .or_default()
            .insert((k.vmid, k.to_string()));
    }
    for ((_, e, key), _) in run.classified.presence.iter() {
        if *e == EntityKind::Vm {
            let (c, n, _) = split_key(key);
            per.entry(c).or_default().insert((n, key.clone()));
        }
    }
    let mut order: Vec<String> = run.canon.clusters.clone();
    for c in per.keys() {
        if !order.contains(c) {
            order.push(c.clone());
        }
    }
    let by_key: HashMap<String, &CanonVm> = run
        .canon
        .vms
        .iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let mut found_names: HashMap<&str, String> = HashMap::new();
    for f in &run.findings {
        if let (EntityKind::Vm, Some(n)) = (f.entity, &f.name) {
            found_names
                .entry(f.key.as_str())
                .or_insert_with(|| n.clone());
        }
    }
    for c in order {
        let Some(keys) = per.get(&c) else { continue };
        let site = run
            .canon
            .sites
            .iter()
            .find(|x| x.proxmox_alias.as_deref() == Some(c.as_str()));
        let sub = match site {
            Some(x) => format!(
                " ({}{})",
                text(&x.id),
                x.lan_cidr.map(|n| format!(" · {n}")).unwrap_or_default()
            ),
            None if !run.canon.clusters.contains(&c) => " (not a spine cluster)".into(),
            None => String::new(),
        };
        let _ = writeln!(s, "## VMs on {}{sub}\n", code(&c));
        let _ = write!(s, "| VMID | hostname | spine |");
        for r in &repos {
            let _ = write!(s, " {r} |");
        }
        let _ = writeln!(s, "\n|---:|---|---|{}", "---|".repeat(repos.len()));
        for (_, key) in keys {
            let cv = by_key.get(key.as_str()).copied();
            let (_, vmid, tail) = split_key(key);
            let vmid = if tail.is_empty() {
                vmid.to_string()
            } else {
                "?".into()
            };
            let name = match cv {
                Some(v) => v.hostname.clone().unwrap_or_default(),
                None => found_names.get(key.as_str()).cloned().unwrap_or_default(),
            };
            let status = match cv {
                Some(v) if v.life == Life::Gone => format!("~~{}~~", text(&v.status)),
                Some(v) => text(&v.status),
                None => "_not in spine_".into(),
            };
            let _ = write!(s, "| {vmid} | {} | {status} |", text(&name));
            for r in &repos {
                let cell = if run.ws.repo(*r).is_none() {
                    "n/a".to_string()
                } else {
                    let fs = idx.get(&(*r, EntityKind::Vm, key.clone()));
                    let present =
                        run.classified
                            .presence
                            .contains_key(&(*r, EntityKind::Vm, key.clone()));
                    match fs {
                        Some(fs) => fs
                            .iter()
                            .map(|f| short_label(f))
                            .collect::<Vec<_>>()
                            .join(", "),
                        None if present => "✅".into(),
                        None => "·".into(),
                    }
                };
                let _ = write!(s, " {cell} |");
            }
            s.push('\n');
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "_✅ listed and consistent · · not listed (not expected) · ❌ missing/stale · ⚠️ differs · ❓ not in the spine_\n"
    );
}

type FieldKey<'a> = (RepoId, EntityKind, &'a str, Option<&'a str>);

fn field_key(f: &ParityFinding) -> FieldKey<'_> {
    (f.repo, f.entity, f.key.as_str(), f.field.as_deref())
}

fn network_table(s: &mut String, run: &ParityRun) {
    let is_net = |f: &ParityFinding| match f.field.as_deref() {
        Some("lan_ip" | "tailscale_ip") => true,
        Some("hostname") => f.entity == EntityKind::SshHost,
        _ => false,
    };
    let subnets: HashMap<FieldKey, &ParityFinding> = run
        .findings
        .iter()
        .filter(|f| f.kind == Kind::Subnet)
        .map(|f| (field_key(f), f))
        .collect();
    let mismatched: HashSet<FieldKey> = run
        .findings
        .iter()
        .filter(|f| f.kind == Kind::Mismatch)
        .map(field_key)
        .collect();
    let mut rows: Vec<String> = Vec::new();
    for f in &run.findings {
        if f.kind == Kind::Mismatch && is_net(f) {
            let out = subnets
                .get(&field_key(f))
                .map(|g| format!(" ⚠️ outside {}", g.canonical.as_deref().unwrap_or("LAN")))
                .unwrap_or_default();
            rows.push(format!(
                "| {} | {} | {} | {} | {}{out} | {} |",
                text(&f.label()),
                f.repo,
                f.field.as_deref().unwrap_or(""),
                f.canonical.as_deref().map(code).unwrap_or("—".into()),
                f.found.as_deref().map(code).unwrap_or("—".into()),
                place(f)
            ));
        }
    }
    for f in &run.findings {
        if f.kind == Kind::Subnet && !mismatched.contains(&field_key(f)) {
            rows.push(format!(
                "| {} | {} | {} | — | {} ⚠️ outside {} | {} |",
                text(&f.label()),
                f.repo,
                f.field.as_deref().unwrap_or(""),
                f.found.as_deref().map(code).unwrap_or("—".into()),
                f.canonical.as_deref().unwrap_or("LAN"),
                place(f)
            ));
        }
    }
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Network drift\n");
    let _ = writeln!(
        s,
        "| entity | repo | field | spine | found | where |\n|---|---|---|---|---|---|"
    );
    for r in rows {
        let _ = writeln!(s, "{r}");
    }
    s.push('\n');
}

fn user_table(s: &mut String, run: &ParityRun) {
    let fs: Vec<&ParityFinding> = run
        .findings
        .iter()
        .filter(|f| f.kind == Kind::Mismatch && f.field.as_deref() == Some("user"))
        .collect();
    if fs.is_empty() {
        return;
    }
    let _ = writeln!(s, "## SSH user mismatches\n");
    let _ = writeln!(
        s,
        "| host | repo | spine | found | where |\n|---|---|---|---|---|"
    );
    for f in fs {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            code(&f.key),
            f.repo,
            f.canonical.as_deref().map(code).unwrap_or("—".into()),
            f.found.as_deref().map(code).unwrap_or("—".into()),
            place(f)
        );
    }
    s.push('\n');
}

/// Guests listed in a cell, at most this many (then "+N more").
const LACKING_SHOWN: usize = 6;

fn coverage_table(s: &mut String, run: &ParityRun) {
    use crate::model::coverage::Shortfall;
    let Some(c) = &run.coverage else {
        return;
    };
    let m = &c.matrix;
    let _ = writeln!(s, "## Site coverage\n");
    let head: Vec<String> = m
        .sites
        .iter()
        .map(|site| match site.status.as_deref() {
            Some(st) if !site.is_active() => format!("{} ({st})", code(&site.id)),
            _ => code(&site.id),
        })
        .collect();
    let _ = writeln!(s, "| | {} |", head.join(" | "));
    let _ = writeln!(s, "|---|{}", "---|".repeat(m.sites.len()));
    for row in &m.rows {
        let short = |i: usize| {
            c.shortfalls.iter().any(|f| match f {
                Shortfall::Minimum { site, category, .. } => {
                    *category == row.category && m.sites.get(i).is_some_and(|x| &x.id == site)
                }
                Shortfall::Guest { .. } | Shortfall::Unjudged { .. } => false,
            })
        };
        let cells: Vec<String> = row
            .cells
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let mut t = if row.unavailable.is_some() && cell.count == 0 {
                    "—".to_string()
                } else {
                    cell.count.to_string()
                };
                if short(i) {
                    t = format!("❌ {t}");
                }
                if row.category.per_guest() && !cell.lacking.is_empty() {
                    let names: Vec<String> = cell
                        .lacking
                        .iter()
                        .take(LACKING_SHOWN)
                        .map(|g| text(&g.label))
                        .collect();
                    let more = cell.lacking.len().saturating_sub(LACKING_SHOWN);
                    let _ = write!(t, "<br>lacking: {}", names.join(", "));
                    if more > 0 {
                        let _ = write!(t, " +{more} more");
                    }
                }
                t
            })
            .collect();
        let title = match &row.unavailable {
            Some(why) => format!("{} _({})_", row.category.title(), text(why)),
            None => row.category.title().to_string(),
        };
        let _ = writeln!(s, "| {title} | {} |", cells.join(" | "));
    }
    s.push('\n');
    let mut policy = Vec::new();
    for (cat, n) in &c.policy.minimum {
        policy.push(format!("at least {n} {}", cat.title()));
    }
    for cat in &c.policy.every_active_guest {
        policy.push(format!("every active guest covered by {}", cat.title()));
    }
    let judged = match &c.policy.sites {
        Some(list) => format!("sites {}", list.join(", ")),
        None => "every active site".to_string(),
    };
    let _ = writeln!(
        s,
        "Coverage policy ({}), for {judged}: {}.\n",
        text(&c.policy.source),
        if policy.is_empty() {
            "nothing".to_string()
        } else {
            policy.join("; ")
        }
    );
    if c.shortfalls.is_empty() {
        let _ = writeln!(s, "✅ Every judged site meets the coverage policy.\n");
    } else {
        for f in &c.shortfalls {
            let mark = if matches!(f, Shortfall::Unjudged { .. }) {
                "⚠️ not judged:"
            } else {
                "❌"
            };
            let _ = writeln!(s, "- {mark} {}", text(&f.message()));
        }
        s.push('\n');
    }
}

/// Is this a service placed on another host than the registry's?
fn misplaced(f: &ParityFinding) -> bool {
    f.entity == EntityKind::Service && f.kind == Kind::Stale && f.field.as_deref() == Some("host")
}

fn service_table(s: &mut String, run: &ParityRun) {
    let fs: Vec<&ParityFinding> = run
        .findings
        .iter()
        .filter(|f| f.entity == EntityKind::Service)
        .collect();
    if fs.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "## Service placement
"
    );
    let _ = writeln!(
        s,
        "SERVICE_REGISTRY.yaml says where each service runs; these places say otherwise.\n"
    );
    let _ = writeln!(
        s,
        "| service | repo | finding | registry | found | where |\n|---|---|---|---|---|---|"
    );
    for f in fs {
        let what = match (f.kind, f.field.as_deref()) {
            (Kind::Stale, Some("host")) => "still on its old host".to_string(),
            (Kind::Stale, _) => format!(
                "{} in the registry, still listed",
                f.canonical.as_deref().unwrap_or("retired")
            ),
            (Kind::Missing, _) => "not listed".to_string(),
            (Kind::Untracked, _) => "not in the registry".to_string(),
            (k, Some(field)) => format!("{} {field}", k.as_str()),
            (k, None) => k.as_str().to_string(),
        };
        let where_ = if f.line.is_some() {
            place(f)
        } else {
            format!("`{}:{}`", f.repo, f.source)
        };
        let _ = writeln!(
            s,
            "| {} | {} | {what} | {} | {} | {where_} |",
            code(&f.key),
            f.repo,
            f.canonical.as_deref().map(code).unwrap_or("—".into()),
            f.found.as_deref().map(code).unwrap_or("—".into()),
        );
    }
    s.push('\n');
}

fn other_mismatches(s: &mut String, run: &ParityRun) {
    let fs: Vec<&ParityFinding> = run
        .findings
        .iter()
        .filter(|f| {
            f.kind == Kind::Mismatch
                && (f.field.as_deref() == Some("status")
                    || (f.field.as_deref() == Some("hostname") && f.entity == EntityKind::Vm))
        })
        .collect();
    if fs.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Status and name mismatches\n");
    let _ = writeln!(
        s,
        "| entity | repo | field | spine | found | where |\n|---|---|---|---|---|---|"
    );
    for f in fs {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            text(&f.label()),
            f.repo,
            f.field.as_deref().unwrap_or(""),
            f.canonical.as_deref().map(code).unwrap_or("—".into()),
            f.found.as_deref().map(code).unwrap_or("—".into()),
            place(f)
        );
    }
    s.push('\n');
}

fn ssh_missing(s: &mut String, run: &ParityRun) {
    let mut per: BTreeMap<RepoId, Vec<&ParityFinding>> = BTreeMap::new();
    for f in &run.findings {
        if f.kind == Kind::Missing && f.entity == EntityKind::SshHost {
            per.entry(f.repo).or_default().push(f);
        }
    }
    if per.is_empty() {
        return;
    }
    let _ = writeln!(s, "## SSH hosts missing\n");
    let _ = writeln!(s, "| repo | file | hosts |\n|---|---|---|");
    for (r, fs) in per {
        let files: BTreeSet<&str> = fs.iter().map(|f| file_name(&f.source)).collect();
        let _ = writeln!(
            s,
            "| {r} | {} | {} |",
            files.into_iter().collect::<Vec<_>>().join(", "),
            fs.iter()
                .map(|f| code(&f.key))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    s.push('\n');
}

fn untracked(s: &mut String, run: &ParityRun) {
    let fs: Vec<&ParityFinding> = run
        .findings
        .iter()
        .filter(|f| f.kind == Kind::Untracked)
        .collect();
    if fs.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Untracked entries\n");
    let _ = writeln!(s, "| entry | repo | where |\n|---|---|---|");
    for f in fs {
        let _ = writeln!(s, "| {} | {} | {} |", text(&f.label()), f.repo, place(f));
    }
    s.push('\n');
}

struct Gap {
    severity: &'static str,
    title: &'static str,
    test: fn(&ParityFinding) -> bool,
}

const GAPS: &[Gap] = &[
    Gap {
        severity: "high",
        title: "Decommissioned in the spine but still listed",
        test: |f| f.kind == Kind::Stale && !misplaced(f),
    },
    Gap {
        severity: "high",
        title: "Services still placed on their old host",
        test: misplaced,
    },
    Gap {
        severity: "high",
        title: "Tracked by the spine but missing",
        test: |f| f.kind == Kind::Missing,
    },
    Gap {
        severity: "high",
        title: "Addresses outside the site LAN (re-addressing drift)",
        test: |f| f.kind == Kind::Subnet,
    },
    Gap {
        severity: "medium",
        title: "Addresses differ from the spine",
        test: |f| {
            f.kind == Kind::Mismatch
                && match f.field.as_deref() {
                    Some("lan_ip" | "tailscale_ip") => true,
                    Some("hostname") => f.entity == EntityKind::SshHost,
                    _ => false,
                }
        },
    },
    Gap {
        severity: "medium",
        title: "SSH users differ from ssh.targets.yaml",
        test: |f| f.kind == Kind::Mismatch && f.field.as_deref() == Some("user"),
    },
    Gap {
        severity: "medium",
        title: "VM status or name differs from vm.lifecycle.yaml",
        test: |f| {
            f.kind == Kind::Mismatch
                && (f.field.as_deref() == Some("status")
                    || (f.field.as_deref() == Some("hostname") && f.entity == EntityKind::Vm))
        },
    },
    Gap {
        severity: "medium",
        title: "Service ports differ from SERVICE_REGISTRY.yaml",
        test: |f| {
            f.entity == EntityKind::Service
                && f.kind == Kind::Mismatch
                && f.field.as_deref() == Some("port")
        },
    },
    Gap {
        severity: "low",
        title: "Non-canonical cluster names",
        test: |f| f.kind == Kind::Alias,
    },
    Gap {
        severity: "low",
        title: "Listed outside the spine, unknown to it",
        test: |f| f.kind == Kind::Untracked,
    },
];

fn gaps(s: &mut String, run: &ParityRun) {
    let mut rows = Vec::new();
    for g in GAPS {
        let fs: Vec<&ParityFinding> = run.findings.iter().filter(|f| (g.test)(f)).collect();
        if fs.is_empty() {
            continue;
        }
        // Entity → repos, in finding order.
        let mut items: Vec<(String, Vec<RepoId>)> = Vec::new();
        for f in &fs {
            let label = if f.kind == Kind::Alias {
                format!(
                    "{} → {} for {}",
                    code(f.found.as_deref().unwrap_or("?")),
                    code(f.canonical.as_deref().unwrap_or("?")),
                    f.label()
                )
            } else {
                f.label()
            };
            match items.iter_mut().find(|(l, _)| *l == label) {
                Some((_, rs)) => {
                    if !rs.contains(&f.repo) {
                        rs.push(f.repo)
                    }
                }
                None => items.push((label, vec![f.repo])),
            }
        }
        const MAX: usize = 6;
        let mut desc: Vec<String> = items
            .iter()
            .take(MAX)
            .map(|(l, rs)| {
                format!(
                    "{} in {}",
                    text(l),
                    rs.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
                )
            })
            .collect();
        if items.len() > MAX {
            desc.push(format!("+{} more", items.len() - MAX));
        }
        let mut files: BTreeSet<String> = BTreeSet::new();
        for f in &fs {
            files.insert(format!("{}:{}", f.repo, f.source));
            for (p, _) in &f.also {
                files.insert(format!("{}:{p}", f.repo));
            }
        }
        rows.push(format!(
            "| {} | **{}**: {} | {} |",
            g.severity,
            g.title,
            desc.join("; "),
            files.iter().map(|f| code(f)).collect::<Vec<_>>().join(" ")
        ));
    }
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Gap candidates\n");
    let _ = writeln!(s, "| severity | gap | affected files |\n|---|---|---|");
    for r in rows {
        let _ = writeln!(s, "{r}");
    }
    s.push('\n');
}

fn sources_table(s: &mut String, run: &ParityRun) {
    let _ = writeln!(s, "<details><summary>Sources</summary>\n");
    let _ = writeln!(s, "| source | repo | file | records |\n|---|---|---|---:|");
    for src in &run.sources {
        let state = match src.state {
            SourceState::Read { records } => records.to_string(),
            SourceState::FileMissing => "file not found".into(),
            SourceState::RepoMissing => "repo not available".into(),
            SourceState::NoCanon => "skipped: no spine registry to compare with".into(),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {state} |",
            text(&src.id),
            src.repo,
            code(&src.path)
        );
    }
    let _ = writeln!(s, "\n</details>");
}
