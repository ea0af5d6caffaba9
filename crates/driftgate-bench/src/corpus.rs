//! Synthetic corpus generator for benchmarks (`driftgate-corpus`).
//!
//! Builds a deterministic spine + workbench + legacy workspace at scale
//! factor N that follows the real formats (../shared/spine-formats.md) and
//! looks like `tests/fixtures/demo`: header comments, quoted and unquoted
//! IPs, null optionals, flow lists, block scalars, int and string versions,
//! one multi-document file. N multiplies sites (2N active + 1 planned), VMs
//! (~20N), SSH targets, services (~90N), gaps (1,460N), capabilities and
//! the number of "other" bindings (~300N). At N=1 the spine holds ~325
//! bindings and the workspace ~5.7 MB; two bindings are over 1 MB.
//!
//! The corpus is clean: every file passes driftgate's schemas and the
//! companion bindings agree (every active VM has an SSH target, a backup
//! target, a health probe, an operating profile, a startup phase, ...).
//! `drift: true` injects a handful of known drifts, listed in the returned
//! summary and in `DRIFT.md` next to the repos.
//!
//! Determinism: a seeded xorshift64* generator, one stream per file (seeded
//! from the corpus seed and the file's path), so the same (N, seed) always
//! gives byte-identical files.

use clap::Args;
use driftgate::check::{CheckOptions, Sources};
use driftgate::findings::RepoId;
use driftgate::gates::GateOptions;
use std::collections::{BTreeMap, HashSet};
use std::fmt::{Display, Write as _};
use std::path::{Path, PathBuf};

/// Appends one formatted line to a `String` (writing to a String cannot fail).
macro_rules! ln {
    ($s:expr) => {{
        $s.push('\n');
    }};
    ($s:expr, $($t:tt)*) => {{
        let _ = writeln!($s, $($t)*);
    }};
}

/// `driftgate-corpus` arguments.
#[derive(Args, Debug, Clone)]
pub struct CorpusArgs {
    /// Scale factor: 1 ≈ 340 YAML/markdown files and 5.6 MB; N multiplies VMs,
    /// targets, services, gaps and file count.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub scale: u32,
    /// Output directory (created; must be empty or absent). Receives
    /// `spine/`, `workbench/`, `legacy/`, `CORPUS.json` and `DRIFT.md`.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Seed of the generator (same N + seed → byte-identical corpus).
    #[arg(long, default_value_t = 42, value_name = "S")]
    pub seed: u64,
    /// Inject a handful of known drifts (listed in DRIFT.md).
    #[arg(long)]
    pub drift: bool,
}

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorpusOptions {
    pub scale: u32,
    pub seed: u64,
    pub drift: bool,
}

impl Default for CorpusOptions {
    fn default() -> Self {
        CorpusOptions {
            scale: 1,
            seed: 42,
            drift: false,
        }
    }
}

/// `check` options for a corpus written by [`write`] under `dir`: all three
/// repos, no external scripts, `now` = [`CORPUS_NOW`] (the freshness gates,
/// D58, judge `last_verified` against it) and no parse cache (a temp dir is
/// not a git repo, so the cache would land in ~/.cache; and the benchmarks
/// measure parsing, not the cache — compare.sh times the cache).
pub fn check_options(dir: &Path) -> CheckOptions {
    CheckOptions {
        sources: Sources {
            spine: dir.join("spine"),
            workbench: Some(dir.join("workbench")),
            legacy: Some(dir.join("legacy")),
        },
        gates: GateOptions {
            exec: false,
            now: chrono::NaiveDate::parse_from_str(CORPUS_NOW, "%Y-%m-%d").ok(),
            ..GateOptions::default()
        },
        no_cache: true,
        ..CheckOptions::default()
    }
}

/// One generated file.
#[derive(Debug, Clone)]
pub struct GenFile {
    pub repo: RepoId,
    /// Repo-relative path with `/` separators.
    pub path: String,
    pub text: String,
    pub executable: bool,
}

/// A drift injected by `drift: true`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// Expected finding code (`D86`, `schema/vm.lifecycle`, `parse/duplicate-key`).
    pub code: &'static str,
    pub repo: RepoId,
    pub path: String,
    pub subject: String,
    pub what: String,
}

impl Drift {
    fn new(
        code: &'static str,
        repo: RepoId,
        path: &str,
        subject: impl Into<String>,
        what: &str,
    ) -> Drift {
        Drift {
            code,
            repo,
            path: path.into(),
            subject: subject.into(),
            what: what.into(),
        }
    }
}

/// Counts of what was generated.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub scale: u32,
    pub seed: u64,
    pub sites: usize,
    pub vms: usize,
    pub active_vms: usize,
    pub ssh_targets: usize,
    pub services: usize,
    pub gaps: usize,
    pub gates: usize,
    /// All files of all three repos.
    pub files: usize,
    pub bytes: u64,
    /// YAML/JSON files (what the parse+validate pass reads).
    pub yaml_files: usize,
    pub yaml_bytes: u64,
    /// Spine files under `ops/bindings/`.
    pub bindings: usize,
    pub drifts: Vec<Drift>,
}

impl Summary {
    fn count(&mut self, f: &GenFile) {
        let n = f.text.len() as u64;
        self.files += 1;
        self.bytes += n;
        let p = f.path.to_ascii_lowercase();
        if p.ends_with(".yaml") || p.ends_with(".yml") || p.ends_with(".json") {
            self.yaml_files += 1;
            self.yaml_bytes += n;
        }
        if f.repo == RepoId::Spine && f.path.starts_with("ops/bindings/") {
            self.bindings += 1;
        }
    }

    /// `CORPUS.json`: the summary as JSON (compare.sh reads it).
    pub fn to_json(&self) -> String {
        let drifts: Vec<serde_json::Value> = self
            .drifts
            .iter()
            .map(|d| {
                serde_json::json!({"code": d.code, "repo": d.repo.as_str(), "path": d.path,
                    "subject": d.subject, "what": d.what})
            })
            .collect();
        let v = serde_json::json!({
            "scale": self.scale, "seed": self.seed, "sites": self.sites, "vms": self.vms,
            "active_vms": self.active_vms, "ssh_targets": self.ssh_targets,
            "services": self.services, "gaps": self.gaps, "gates": self.gates,
            "files": self.files, "bytes": self.bytes, "yaml_files": self.yaml_files,
            "yaml_bytes": self.yaml_bytes, "bindings": self.bindings, "drifts": drifts,
        });
        serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
    }

    /// `DRIFT.md`: one row per injected drift (empty table when clean).
    pub fn drift_markdown(&self) -> String {
        let mut s = String::new();
        ln!(
            s,
            "# Injected drift (driftgate corpus --scale {} --seed {}{})",
            self.scale,
            self.seed,
            if self.drifts.is_empty() {
                ""
            } else {
                " --drift"
            }
        );
        s.push_str(
            r#"
| code | repo | file | subject | what |
|------|------|------|---------|------|
"#,
        );
        for d in &self.drifts {
            row(&mut s, &[&d.code, &d.repo, &d.path, &d.subject, &d.what]);
        }
        s
    }

    pub fn describe(&self) -> String {
        format!(
            "corpus N={} seed={}: {} files, {:.2} MB ({} YAML/JSON files, {:.2} MB; {} bindings); {} sites, {} VMs ({} active), {} SSH targets, {} services, {} gaps, {} gates; {} injected drifts",
            self.scale,
            self.seed,
            self.files,
            self.bytes as f64 / 1e6,
            self.yaml_files,
            self.yaml_bytes as f64 / 1e6,
            self.bindings,
            self.sites,
            self.vms,
            self.active_vms,
            self.ssh_targets,
            self.services,
            self.gaps,
            self.gates,
            self.drifts.len()
        )
    }
}

// ───────────────────────────── randomness ─────────────────────────────

/// xorshift64* — tiny, seeded, good enough for synthetic data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        for _ in 0..4 {
            r.next_u64();
        }
        r
    }

    /// A stream for one file: the corpus seed mixed with the path (FNV-1a).
    pub fn for_path(seed: u64, path: &str) -> Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in path.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Rng::new(seed ^ h)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0; 0 gives 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ───────────────────────────── helpers ─────────────────────────────

/// Double-quoted YAML/JSON string.
fn dq(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            _ => o.push(c),
        }
    }
    o.push('"');
    o
}

fn flow(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

fn flow_u32(items: &[u32]) -> String {
    flow(&items.iter().map(u32::to_string).collect::<Vec<_>>())
}

/// A flow list of double-quoted strings.
fn flow_dq(items: &[&str]) -> String {
    flow(&items.iter().map(|x| dq(x)).collect::<Vec<_>>())
}

/// `2026-MM-DD` between two months (inclusive), day 1..=28.
fn date(rng: &mut Rng, m_lo: usize, m_hi: usize) -> String {
    format!("2026-{:02}-{:02}", rng.range(m_lo, m_hi), rng.range(1, 28))
}

/// A `last_verified` date D58 accepts when checked with `--now 2026-11-20`
/// (the date compare.sh and the tests pass): 2026-11-05..=2026-11-19.
pub const CORPUS_NOW: &str = "2026-11-20";

fn fresh_date(rng: &mut Rng) -> String {
    format!("2026-11-{:02}", rng.range(5, 19))
}

fn later_date(rng: &mut Rng, after: &str) -> String {
    let m: usize = after.get(5..7).and_then(|x| x.parse().ok()).unwrap_or(1);
    date(rng, m.saturating_add(1).min(11), 11)
}

const SUBJECTS: &[&str] = &[
    "The probe",
    "The nightly sync",
    "The compose stack",
    "The backup job",
    "The SSH config",
    "The derived projection",
    "The health check",
    "The startup phase",
    "The DNS record",
    "The tunnel route",
    "The runbook",
    "The registry entry",
    "The maintenance script",
    "The inventory snapshot",
    "The agent contract",
    "The verify pack",
];
const VERBS: &[&str] = &[
    "drifted from",
    "no longer matches",
    "still references",
    "was missing from",
    "disagrees with",
    "was not regenerated after a change to",
    "silently ignores",
    "duplicates",
    "lags behind",
    "overrides",
];
const OBJECTS: &[&str] = &[
    "the canonical binding",
    "vm.lifecycle.yaml",
    "ssh.targets.yaml",
    "the workbench inventory",
    "the service registry",
    "the backup inventory",
    "the topology map",
    "the operating profile",
    "the gate catalogue",
    "the legacy location doc",
    "the startup sequencing",
    "the device identity table",
];
const TAILS: &[&str] = &[
    "after the last re-IP.",
    "since the VM restructure.",
    "during the cutover window.",
    "when the LXC was restarted.",
    "after a manual hotfix.",
    "on the home site only.",
    "because the generator was skipped.",
    "for more than a week.",
    "until the loop closed.",
    "in two places at once.",
    "and nobody noticed until the weekly audit.",
    "which broke the post-power recovery order.",
];

fn sentence(rng: &mut Rng, about: &str) -> String {
    format!(
        "{} for {} {} {} {}",
        rng.pick(SUBJECTS),
        about,
        rng.pick(VERBS),
        rng.pick(OBJECTS),
        rng.pick(TAILS)
    )
}

fn paragraph(rng: &mut Rng, about: &str, n: usize) -> String {
    (0..n)
        .map(|_| sentence(rng, about))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The opening lines of a spine SSOT binding.
fn binding_header(s: &mut String, title: &str, what: &str, last_verified: &str) {
    header_lines(s, &format!("{title} Binding (SSOT)"), what, last_verified);
}

fn header_lines(s: &mut String, title: &str, what: &str, last_verified: &str) {
    ln!(
        s,
        "# {title}\n# {what}\n# Status: authoritative\n# Last verified: {last_verified}"
    );
}

fn header(s: &mut String, title: &str, what: &str, rng: &mut Rng) {
    header_lines(s, title, what, &date(rng, 10, 11));
    ln!(s);
}

// ───────────────────────────── records ─────────────────────────────
//
// The shape of every generated entry is data, not emit statements: a record
// is a slice of fields (key, rendered value) written by `item` (a `- `
// sequence entry), `entry` (a `key:` mapping entry) or `fields` (plain
// `key: value` lines); `mapping`, `seq`, `lines` and `flow_map` render
// nested values. Markdown tables go through `row`, SSH configs through
// `ssh_block`. A value is rendered where its slice is built, in slice
// order, so the random stream is consumed in the order the lines appear:
// generators draw their random choices in file order (inline in the table
// or just before it).

/// One field of a record: key and rendered value; `None` omits the line. A
/// value that starts with a newline is a nested block (see [`sub`]) and is
/// written as `key:` followed by the block; an empty value writes `key:`.
type Field<'a> = (&'a str, Option<String>);

/// A field that is always written.
fn kv(key: &str, v: impl Display) -> Field<'_> {
    (key, Some(v.to_string()))
}

/// A field written only when `v` is `Some` (build optional values with
/// `cond.then(|| ..)` so nothing random is drawn for an omitted field).
fn opt(key: &str, v: Option<impl Display>) -> Field<'_> {
    (key, v.map(|v| v.to_string()))
}

/// `v`, or YAML `null` when absent.
fn or_null(v: Option<&str>) -> &str {
    v.unwrap_or("null")
}

/// Writes `fields` at `indent` spaces; with `dash`, the first written one
/// after `- ` and the others aligned under it.
fn write_fields(s: &mut String, indent: usize, dash: bool, fields: &[Field]) {
    let mut first = true;
    for (key, v) in fields {
        let Some(v) = v else { continue };
        s.extend(std::iter::repeat_n(' ', indent));
        if dash {
            s.push_str(if first { "- " } else { "  " });
        }
        first = false;
        s.push_str(key);
        s.push(':');
        if !v.is_empty() && !v.starts_with('\n') {
            s.push(' ');
        }
        s.push_str(v);
        s.push('\n');
    }
}

/// A sequence entry at `indent` spaces: `- first: ..`, the others aligned under it.
fn item(s: &mut String, indent: usize, fields: &[Field]) {
    write_fields(s, indent, true, fields);
}

/// A mapping entry `key:` at `indent` spaces, its fields nested under it.
fn entry(s: &mut String, indent: usize, key: &str, fields: &[Field]) {
    write_fields(s, indent, false, &[kv(key, "")]);
    write_fields(s, indent + 2, false, fields);
}

/// A block sequence (`- x` lines at `indent` spaces) as a field value.
fn seq(indent: usize, items: impl IntoIterator<Item = impl Display>) -> String {
    lines("", indent, items.into_iter().map(|x| format!("- {x}")))
}

/// A flow mapping: `{key: value, ..}`.
fn flow_map(fields: &[Field]) -> String {
    let kvs: Vec<String> = fields
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v}")))
        .collect();
    format!("{{{}}}", kvs.join(", "))
}

/// Plain `key: value` lines at `indent` spaces.
fn fields(s: &mut String, indent: usize, fields: &[Field]) {
    write_fields(s, indent, false, fields);
}

/// A nested block as a field value: whatever `render` writes (with its own
/// indentation), written under the field's `key:` line.
fn sub(render: impl FnOnce(&mut String)) -> String {
    let mut b = String::from("\n");
    render(&mut b);
    b.pop();
    b
}

/// A nested mapping (`key: value` lines at `indent` spaces) as a field value.
fn mapping(indent: usize, fields: &[Field]) -> String {
    sub(|b| write_fields(b, indent, false, fields))
}

/// Raw lines at `indent` spaces as a field value: a block scalar after
/// `head` (`>` or `|`), or with `head` empty, a nested block (`- x` items).
fn lines(head: &str, indent: usize, text: impl IntoIterator<Item = impl Display>) -> String {
    let mut b = head.to_string();
    for l in text {
        b.push('\n');
        b.extend(std::iter::repeat_n(' ', indent));
        let _ = write!(b, "{l}");
    }
    b
}

/// A markdown table row: `| a | b | c |`.
fn row(s: &mut String, cells: &[&dyn Display]) {
    for c in cells {
        let _ = write!(s, "| {c} ");
    }
    s.push_str("|\n");
}

/// Inline markdown code: `` `x` ``.
fn code(x: &str) -> String {
    format!("`{x}`")
}

/// An ssh_config block: `Host names`, its `Option value` lines, a blank line.
fn ssh_block(s: &mut String, names: &str, options: &[(&str, &str)]) {
    ln!(s, "Host {names}");
    for (k, v) in options {
        ln!(s, "    {k} {v}");
    }
    ln!(s);
}

// ───────────────────────────── model ─────────────────────────────

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SiteKind {
    Shop,
    Home,
    Lab,
}

#[derive(Debug, Clone)]
struct Site {
    id: String,
    label: String,
    status: &'static str,
    kind: SiteKind,
    /// First three octets of the LAN (`192.168.1`).
    lan: String,
    hv: String,
    hv_lan: String,
    hv_ts: String,
    hv_user: &'static str,
    vmid_lo: u32,
    vmid_hi: u32,
    /// The real shop/home/lab (not a generated branch site).
    primary: bool,
    /// First startup phase number of the site.
    phase_base: u32,
}

impl Site {
    fn cidr(&self) -> String {
        format!("{}.0/24", self.lan)
    }
    fn lifecycle_key(&self) -> String {
        format!("{}_vm_lifecycle", self.id.replace('-', "_"))
    }
    fn uses_tailscale(&self) -> bool {
        self.kind == SiteKind::Home
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Active,
    Stopped,
    Decommissioned,
    Template,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Stopped => "stopped",
            Status::Decommissioned => "decommissioned",
            Status::Template => "template",
        }
    }
}

struct Role {
    host: &'static str,
    role: &'static str,
    os: &'static str,
    cpu: u32,
    mem: u32,
    disk: u32,
    user: &'static str,
    status: Status,
    lxc: bool,
    /// Startup phase offset within the site (1-based).
    phase: u32,
    stacks: &'static [&'static str],
    svcs: &'static [(&'static str, u16, Option<&'static str>)],
    desc: &'static str,
}

#[allow(clippy::too_many_arguments)]
const fn role(
    host: &'static str,
    role: &'static str,
    os: &'static str,
    sizing: (u32, u32, u32),
    user: &'static str,
    status: Status,
    phase: u32,
    stacks: &'static [&'static str],
    svcs: &'static [(&'static str, u16, Option<&'static str>)],
    desc: &'static str,
) -> Role {
    Role {
        host,
        role,
        os,
        cpu: sizing.0,
        mem: sizing.1,
        disk: sizing.2,
        user,
        status,
        lxc: false,
        phase,
        stacks,
        svcs,
        desc,
    }
}

const fn lxc(mut r: Role) -> Role {
    r.lxc = true;
    r
}

use Status::{Active, Decommissioned, Stopped};

#[rustfmt::skip]
static SHOP_ROLES: &[Role] = &[
    role("docker-host", "legacy-production", "linux-mint", (16, 98304, 300), "ronny", Active, 3, &["mint-os"], &[("mint-os-api", 3335, Some("/health")), ("mint-os-postgres", 15432, None), ("mint-os-redis", 6379, None), ("minio", 9000, Some("/minio/health/live"))], "Mint OS business workloads only (API, Postgres, MinIO)."),
    role("media-stack", "media", "ubuntu-22.04", (8, 16384, 80), "ubuntu", Decommissioned, 4, &[], &[], "Split into download-stack and streaming-stack. Destroyed after final backup."),
    role("automation-stack", "automation", "ubuntu-24.04", (4, 16384, 100), "automation", Active, 3, &["automation"], &[("n8n", 5678, Some("/healthz")), ("ollama", 11434, Some("/api/version")), ("browserless", 3002, Some("/json/version"))], "n8n workflows + Ollama. Canonical compose owner user is automation."),
    role("immich", "photo-management", "ubuntu-24.04", (8, 16384, 100), "ronny", Active, 3, &["immich"], &[("immich-server", 2283, Some("/api/server/ping")), ("immich-ml", 3003, Some("/ping")), ("immich-postgres", 5433, None)], "Shop photo library (135K+ assets)."),
    role("infra-core", "core-infrastructure", "ubuntu-24.04", (4, 8192, 50), "ubuntu", Active, 1, &["cloudflared", "pihole", "secrets", "vaultwarden", "caddy-auth"], &[("cloudflared", 2000, Some("/ready")), ("pihole", 8053, Some("/admin")), ("infisical", 8088, Some("/api/status")), ("vaultwarden", 8081, Some("/alive")), ("caddy", 80, Some("/")), ("authentik", 9000, Some("/-/health/live/"))], "Core infrastructure VM: reverse proxy, SSO, DNS, secrets, tunnel. Critical path."),
    role("observability", "monitoring", "ubuntu-24.04", (4, 8192, 50), "ubuntu", Active, 2, &["prometheus", "grafana", "loki", "uptime-kuma"], &[("prometheus", 9090, Some("/-/healthy")), ("grafana", 3000, Some("/api/health")), ("loki", 3100, Some("/ready")), ("uptime-kuma", 3001, Some("/")), ("alertmanager", 9093, Some("/-/healthy"))], "Observability stack. Loki compactor needs >=720s start_period."),
    role("dev-tools", "development", "ubuntu-24.04", (4, 8192, 50), "ubuntu", Active, 2, &["gitea"], &[("gitea", 3000, Some("/api/healthz")), ("gitea-postgres", 5432, None), ("act-runner", 8090, Some("/healthz"))], "Git forge + Actions runner. Authentik SSO."),
    role("ai-consolidation", "ai-services", "ubuntu-24.04", (8, 32768, 200), "ubuntu", Active, 2, &["ai-consolidation"], &[("qdrant", 6333, Some("/healthz")), ("anythingllm", 3001, Some("/api/ping")), ("open-webui", 8080, Some("/health"))], "Qdrant + AnythingLLM + Open WebUI."),
    role("download-stack", "media-download", "ubuntu-24.04", (4, 8192, 50), "ubuntu", Active, 4, &["download-stack"], &[("radarr", 7878, Some("/ping")), ("sonarr", 8989, Some("/ping")), ("sabnzbd", 8085, Some("/api")), ("prowlarr", 9696, Some("/ping")), ("lidarr", 8686, Some("/ping")), ("bazarr", 6767, Some("/"))], "Download services. NFS mounts from the hypervisor."),
    role("streaming-stack", "media-streaming", "ubuntu-24.04", (4, 8192, 50), "ubuntu", Active, 4, &["streaming-stack"], &[("jellyfin", 8096, Some("/health")), ("navidrome", 4533, Some("/ping")), ("jellyseerr", 5055, Some("/api/v1/status"))], "Streaming services."),
    role("finance-stack", "finance", "ubuntu-24.04", (4, 8192, 96), "ubuntu", Active, 3, &["finance"], &[("firefly-iii", 8080, Some("/api/v1/about")), ("paperless-ngx", 8000, Some("/api/")), ("ghostfolio", 3333, Some("/api/v1/health"))], "Firefly III, Paperless-ngx, Ghostfolio."),
    role("mint-data", "mint-data-plane", "ubuntu-24.04", (4, 8192, 50), "ubuntu", Stopped, 3, &[], &[], "Fresh-slate data plane. Powered off until the Mint cutover window; onboot=0."),
    role("mint-apps", "mint-app-plane", "ubuntu-24.04", (2, 4096, 40), "ubuntu", Decommissioned, 3, &[], &[], "App plane folded back into mint-data. Guest destroyed; final backup kept cold."),
    role("communications-stack", "communications", "ubuntu-24.04", (2, 4096, 60), "ubuntu", Active, 3, &["communications-stack"], &[("stalwart", 8080, Some("/healthz/live")), ("listmonk", 9001, Some("/health"))], "Stalwart mail server (SMTP/IMAP/JMAP) and newsletters."),
    role("docs-stack", "documentation", "ubuntu-24.04", (2, 4096, 40), "ubuntu", Active, 3, &["docs"], &[("wikijs", 3000, Some("/healthz")), ("bookstack", 6875, Some("/status"))], "Wiki.js and BookStack for operator runbooks."),
    role("backup-stack", "backup", "debian-12", (2, 4096, 40), "ubuntu", Active, 2, &["backup"], &[("restic-rest", 8000, Some("/")), ("kopia", 51515, Some("/api/v1/repo/status"))], "Restic REST server and Kopia for file-level backups."),
];

#[rustfmt::skip]
static HOME_ROLES: &[Role] = &[
    role("homeassistant", "home-automation", "haos-14", (2, 4096, 32), "hassio", Active, 1, &[], &[("home-assistant", 8123, Some("/api/"))], "HAOS. Zigbee, Z-Wave, Matter integrations. Supervisor API only, no docker CLI."),
    role("immich-home", "photo-management", "ubuntu-22.04", (4, 8192, 64), "ubuntu", Active, 2, &["immich-home"], &[("immich-home-server", 2283, Some("/api/server/ping"))], "Home photo library."),
    role("vaultwarden-home", "password-manager", "debian-12", (1, 1024, 16), "ubuntu", Active, 2, &["vaultwarden-home"], &[("vaultwarden-home", 8080, Some("/alive"))], "Home Vaultwarden replica (read-mostly). Primary vault lives on infra-core."),
    lxc(role("download-home", "media-download", "debian-12", (2, 2048, 16), "root", Stopped, 2, &[], &[], "Soft-decommissioned downloads LXC. Kept stopped.")),
    lxc(role("pihole-home", "dns", "debian-12", (1, 512, 8), "root", Active, 1, &[], &[("pihole-home", 80, Some("/admin/"))], "Home Pi-hole v6 (bare metal in LXC, no docker).")),
    role("nextcloud-home", "file-sync", "ubuntu-24.04", (2, 4096, 64), "ubuntu", Active, 2, &["nextcloud-home"], &[("nextcloud-home", 8443, Some("/status.php")), ("collabora-home", 9980, Some("/hosting/discovery"))], "Nextcloud for family file sync."),
];

#[derive(Debug, Clone)]
struct Svc {
    name: String,
    port: u16,
    health: Option<&'static str>,
    stack: Option<String>,
}

#[derive(Debug, Clone)]
struct Vm {
    id: u32,
    hostname: String,
    site: usize,
    role: &'static str,
    os: &'static str,
    status: Status,
    lxc: bool,
    template: bool,
    phase: u32,
    lan_ip: Option<String>,
    ts_ip: Option<String>,
    ssh_target: Option<String>,
    ssh_user: Option<&'static str>,
    cpu: u32,
    mem: u32,
    disk: u32,
    stacks: Vec<String>,
    services: Vec<Svc>,
    backup_target: Option<String>,
    profile: Option<&'static str>,
    created: String,
    activated: Option<String>,
    decommissioned: Option<String>,
    desc: &'static str,
    mac: String,
}

impl Vm {
    fn active(&self) -> bool {
        self.status == Status::Active
    }
    fn has_target(&self) -> bool {
        self.active() || (self.status == Status::Stopped && !self.lxc)
    }
    /// Address the SSH target uses (LAN first at the shop, Tailscale at home).
    fn ssh_host(&self, site: &Site) -> Option<&str> {
        if site.uses_tailscale() {
            self.ts_ip.as_deref()
        } else {
            self.lan_ip.as_deref()
        }
    }
    fn subject(&self, sites: &[Site]) -> String {
        format!("vm:{}/{}", sites[self.site].hv, self.id)
    }
}

struct Gate {
    id: u32,
    name: String,
    category: &'static str,
    class: &'static str,
    severity: &'static str,
    ring: &'static str,
    description: String,
    fix_hint: String,
    retired: bool,
    warn_only: bool,
}

impl Gate {
    fn script(&self) -> String {
        format!("surfaces/verify/d{}-{}.sh", self.id, self.name)
    }
}

struct Model {
    opts: CorpusOptions,
    sites: Vec<Site>,
    vms: Vec<Vm>,
    gates: Vec<Gate>,
    nas_ts: String,
}

struct IpAlloc {
    ts: u32,
    mac: u32,
}

impl IpAlloc {
    fn ts(&mut self) -> String {
        self.ts += 1;
        let c = self.ts * 2 + 1;
        format!(
            "100.{}.{}.{}",
            64 + ((c >> 16) % 64),
            (c >> 8) & 255,
            c & 255
        )
    }
    fn mac(&mut self) -> String {
        self.mac += 1;
        let c = self.mac;
        format!(
            "bc:24:11:{:02x}:{:02x}:{:02x}",
            (c >> 16) & 255,
            (c >> 8) & 255,
            c & 255
        )
    }
}

fn build_sites(n: u32, ips: &mut IpAlloc) -> Vec<Site> {
    let mut sites = vec![
        Site {
            id: "shop".into(),
            label: "Shop (Dell R730XD)".into(),
            status: "active",
            kind: SiteKind::Shop,
            lan: "192.168.1".into(),
            hv: "pve".into(),
            hv_lan: "192.168.1.184".into(),
            hv_ts: ips.ts(),
            hv_user: "root",
            vmid_lo: 200,
            vmid_hi: 299,
            primary: true,
            phase_base: 1,
        },
        Site {
            id: "home".into(),
            label: "Home (Beelink SER7)".into(),
            status: "active",
            kind: SiteKind::Home,
            lan: "10.0.0".into(),
            hv: "proxmox-home".into(),
            hv_lan: "10.0.0.179".into(),
            hv_ts: ips.ts(),
            hv_user: "root",
            vmid_lo: 100,
            vmid_hi: 199,
            primary: true,
            phase_base: 10,
        },
        Site {
            id: "lab".into(),
            label: "Lab (planned, not yet racked)".into(),
            status: "planned",
            kind: SiteKind::Lab,
            lan: "172.16.10".into(),
            hv: "pve-lab".into(),
            hv_lan: "172.16.10.10".into(),
            hv_ts: ips.ts(),
            hv_user: "root",
            vmid_lo: 300,
            vmid_hi: 399,
            primary: true,
            phase_base: 20,
        },
    ];
    for i in 0..2 * (n.saturating_sub(1)) {
        let id = format!("br{:03}", i + 1);
        let kind = if i % 2 == 0 {
            SiteKind::Shop
        } else {
            SiteKind::Home
        };
        let lan = format!("10.{}.{}", 100 + i / 250, i % 250);
        let lo = 10_000 + 100 * i;
        sites.push(Site {
            label: format!(
                "Branch {} ({})",
                i + 1,
                if kind == SiteKind::Shop {
                    "rack"
                } else {
                    "mini PC"
                }
            ),
            status: "active",
            kind,
            hv: format!("pve-{id}"),
            hv_lan: format!("{lan}.2"),
            hv_ts: ips.ts(),
            hv_user: "root",
            lan,
            vmid_lo: lo,
            vmid_hi: lo + 99,
            primary: false,
            phase_base: 100 + 10 * i,
            id,
        });
    }
    sites
}

fn build_vms(opts: &CorpusOptions, sites: &[Site], ips: &mut IpAlloc) -> Vec<Vm> {
    let mut rng = Rng::new(opts.seed ^ 0x0005_eed0_f7a5);
    let mut vms = Vec::new();
    for (si, site) in sites.iter().enumerate() {
        let roles: &[Role] = match site.kind {
            SiteKind::Shop => SHOP_ROLES,
            SiteKind::Home => HOME_ROLES,
            SiteKind::Lab => &[],
        };
        let suffix = |base: &str| -> String {
            if site.primary {
                base.to_string()
            } else {
                format!("{base}-{}", site.id)
            }
        };
        for (idx, r) in roles.iter().enumerate() {
            let idx = idx as u32;
            // The real shop has no VM 208.
            let id = site.vmid_lo + idx + u32::from(site.id == "shop" && idx >= 8);
            let hostname = suffix(r.host);
            let last_octet = if site.primary { id % 256 } else { 20 + idx };
            let lan_ip = Some(format!("{}.{}", site.lan, last_octet));
            let ts_ip = Some(ips.ts());
            let stacks: Vec<String> = r.stacks.iter().map(|s| suffix(s)).collect();
            let mut services: Vec<Svc> = r
                .svcs
                .iter()
                .enumerate()
                .map(|(k, (name, port, health))| Svc {
                    name: suffix(name),
                    port: *port,
                    health: *health,
                    stack: stacks.get(k.min(stacks.len().saturating_sub(1))).cloned(),
                })
                .collect();
            if r.status == Active && !r.os.starts_with("haos") {
                services.push(Svc {
                    name: format!("node-exporter-{hostname}"),
                    port: 9100,
                    health: Some("/metrics"),
                    stack: None,
                });
                services.push(Svc {
                    name: format!("promtail-{hostname}"),
                    port: 9080,
                    health: Some("/ready"),
                    stack: None,
                });
            }
            let status = r.status;
            let has_target = matches!(status, Active | Stopped) && !(r.lxc && status != Active);
            let backup_target = Some(match status {
                Decommissioned => format!("vm-{id}-{hostname}-final"),
                _ if r.lxc => format!("lxc-{id}-{hostname}-primary"),
                _ => format!("vm-{id}-{hostname}-primary"),
            });
            let created = date(&mut rng, 1, 6);
            let activated =
                (status == Active && rng.chance(30)).then(|| later_date(&mut rng, &created));
            let decommissioned = (status == Decommissioned).then(|| later_date(&mut rng, &created));
            let profile = if r.os.starts_with("ubuntu") && rng.chance(75) {
                Some("spine-ready-v1")
            } else {
                None
            };
            vms.push(Vm {
                id,
                hostname: hostname.clone(),
                site: si,
                role: r.role,
                os: r.os,
                status,
                lxc: r.lxc,
                template: false,
                phase: site.phase_base + r.phase - 1,
                lan_ip,
                ts_ip: if status == Decommissioned && rng.chance(50) {
                    None
                } else {
                    ts_ip
                },
                ssh_target: has_target.then(|| hostname.clone()),
                ssh_user: has_target.then_some(r.user),
                cpu: r.cpu,
                mem: r.mem,
                disk: r.disk,
                stacks,
                services: if status == Active {
                    services
                } else {
                    Vec::new()
                },
                backup_target,
                profile,
                created,
                activated,
                decommissioned,
                desc: r.desc,
                mac: ips.mac(),
            });
        }
        if site.id == "shop" {
            vms.push(Vm {
                id: 9000,
                hostname: "ubuntu-2404-cloudinit-template".into(),
                site: si,
                role: "template",
                os: "ubuntu-24.04",
                status: Status::Template,
                lxc: false,
                template: true,
                phase: 0,
                lan_ip: None,
                ts_ip: None,
                ssh_target: None,
                ssh_user: None,
                cpu: 2,
                mem: 2048,
                disk: 32,
                stacks: Vec::new(),
                services: Vec::new(),
                backup_target: None,
                profile: Some("spine-ready-v1"),
                created: "2025-11-20".into(),
                activated: None,
                decommissioned: None,
                desc: "Cloud-init golden image. Every spine-ready-v1 VM is cloned from it.\nNever started directly; no LAN identity.",
                mac: ips.mac(),
            });
        }
    }
    vms
}

const CATEGORIES: &[(&str, &str)] = &[
    ("path-hygiene", "Path and filesystem constraints"),
    ("ssot-hygiene", "SSOT and binding consistency"),
    ("ssot-integrity", "Cross-document SSOT value parity"),
    ("secrets-hygiene", "Secrets and API constraints"),
    ("loop-gap-hygiene", "Work registration and traceability"),
    ("infra-hygiene", "Infrastructure and service binding checks"),
    (
        "agent-surface-hygiene",
        "Agent entry and discovery surfaces",
    ),
    ("process-hygiene", "Operational processes and metadata"),
    ("media-hygiene", "Media and per-host port checks"),
    ("network-hygiene", "Addressing, DNS and tunnel routes"),
    ("backup-hygiene", "Backup coverage and freshness"),
    ("retired", "Retired/reserved gate slots"),
];

/// Gates the benchmarks and gates care about, with their real metadata.
const KNOWN_GATES: &[(u32, &str, &str, &str, &str, &str)] = &[
    (8, "no-backup-clutter", "path-hygiene", "medium", "No .bak or fix_bak files under ops/ or surfaces/", "Remove .bak and fix_bak leftovers; git history is the backup."),
    (19, "backup-drift", "backup-hygiene", "medium", "Backup inventory present, targets declared, no secrets in backup bindings", "Keep backup.inventory.yaml free of credentials; reference secrets by name."),
    (43, "secrets-namespace-lock", "secrets-hygiene", "high", "Secrets namespace policy declares a namespace for every active site", "Add /spine/<site> to the secrets namespace policy."),
    (49, "agent-discovery-lock", "agent-surface-hygiene", "medium", "agents.registry.yaml entries carry a contract path and gate list", "Every agent needs contract + gates."),
    (52, "udr6-gateway-assertion", "infra-hygiene", "low", "Shop SSOT docs name the UDR6 network (192.168.1.0/24, gateway 192.168.1.1)", "Update the shop SSOT docs to the UDR6 network."),
    (54, "ssot-ip-parity-lock", "ssot-hygiene", "high", "Device identity, shop server and bindings IP consistency", "Ensure IPs match across DEVICE_IDENTITY, shop server SSOT, and bindings."),
    (58, "ssot-freshness-lock", "ssot-hygiene", "high", "last_reviewed/last_verified dates enforced (max 21 days)", "Re-verify the binding and bump last_verified."),
    (59, "cross-registry-completeness-lock", "ssot-hygiene", "medium", "Every SERVICE_REGISTRY host resolves to an ssh.targets entry", "Add the ssh target or drop the stale SERVICE_REGISTRY host."),
    (60, "deprecation-sweeper", "process-hygiene", "medium", "Known deprecated terms in governance docs", "Replace deprecated terms using ops/bindings/deprecated.terms.yaml replacements."),
    (69, "vm-creation-governance-lock", "infra-hygiene", "high", "Active VMs need SSH + SERVICE_REGISTRY + backup + health entries; shop ssh host equals lan_ip", "New VMs need entries in SSH targets, SERVICE_REGISTRY, backup, and health checks."),
    (85, "gate-registry-parity-lock", "process-hygiene", "high", "Every non-retired gate without a native implementation has an existing check_script", "Restore the script under surfaces/verify/ or fix check_script in gate.registry.yaml."),
    (86, "vm-operating-profile-parity-lock", "infra-hygiene", "medium", "Every active VM in vm.lifecycle.yaml has a valid operating profile entry", "Update ops/bindings/vm.operating.profile.yaml to cover all active VMs."),
    (100, "vm-ip-parity-lock", "ssot-integrity", "high", "vm.lifecycle.yaml LAN IPs match the DEVICE_IDENTITY_SSOT.md shop VM table", "Update both files together."),
    (106, "media-port-collision-lock", "media-hygiene", "high", "No duplicate ports across media VMs (download-stack, streaming-stack)", "Give each media service on a VM its own port in ops/bindings/media.services.yaml."),
    (129, "spine-schema-conventions-lock", "process-hygiene", "high", "Schema conventions lock for ops/bindings normalization (disallowed aliases, status vocabulary, date format).", "Normalize the binding to ops/bindings/spine.schema.conventions.yaml rules."),
    (138, "site-parity-maintenance-order", "infra-hygiene", "medium", "Validates startup.sequencing.yaml has site tags and every active site represented", "Add `site:` to every phase in ops/bindings/startup.sequencing.yaml."),
    (139, "nas-baseline-coverage", "backup-hygiene", "medium", "Validates NAS identity in device registry and backup coverage in backup inventory", "Enable at least one backup.inventory target with host nas."),
    (149, "infra-core-service-parity-lock", "infra-hygiene", "high", "Infra-core required services present in SERVICE_REGISTRY on infra-core and probed in services.health.", "Keep caddy/authentik/vaultwarden/infisical/cloudflared registered on infra-core."),
    (163, "workbench-ssh-attach-parity-lock", "process-hygiene", "high", "Enforce workbench SSH attach parity against spine ssh.targets (host alias, user).", "Regenerate the workbench ssh config from ops/bindings/ssh.targets.yaml."),
    (173, "site-topology-parity-lock", "infra-hygiene", "high", "Enforce canonical site topology parity against ssh targets, compose target bindings, and active vmid ranges.", "Register proxmox_alias values in ssh.targets.yaml and keep compose_targets aligned."),
    (332, "gap-schema-conformance-lock", "loop-gap-hygiene", "high", "operational.gaps.yaml entries use only fields declared in gap.schema.yaml", "Move the extra key into description/notes or declare it in gap.schema.yaml first."),
];

const GATE_TOPICS: &[&str] = &[
    "binding", "registry", "compose", "ssh", "backup", "health", "topology", "secrets", "agent",
    "loop", "gap", "proposal", "receipt", "route", "dns", "tunnel", "media", "mail", "finance",
    "home", "shop", "lxc", "template", "snapshot", "startup", "derived", "contract", "surface",
];
const GATE_OBJECTS: &[&str] = &[
    "parity",
    "freshness",
    "coverage",
    "ownership",
    "naming",
    "uniqueness",
    "boundary",
    "completeness",
    "drift",
    "order",
    "exposure",
    "retention",
];

/// 371 gate entries, D1..D377 with six deliberate holes; 12 retired.
fn build_gates(seed: u64) -> Vec<Gate> {
    let mut rng = Rng::new(seed ^ 0x6a7e);
    let holes = [7u32, 33, 101, 222, 280, 301];
    let retired = [2u32, 21, 27, 44, 77, 99, 140, 190, 241, 266, 310, 350];
    let mut names: HashSet<String> = KNOWN_GATES.iter().map(|g| g.1.to_string()).collect();
    let mut gates = Vec::new();
    for id in 1..=377u32 {
        if holes.contains(&id) {
            continue;
        }
        if let Some(k) = KNOWN_GATES.iter().find(|g| g.0 == id) {
            gates.push(Gate {
                id,
                name: k.1.into(),
                category: k.2,
                class: "invariant",
                severity: k.3,
                ring: if id == 85 || id == 332 {
                    "instant"
                } else {
                    "standard"
                },
                description: k.4.into(),
                fix_hint: k.5.into(),
                retired: false,
                warn_only: false,
            });
            continue;
        }
        if retired.contains(&id) {
            gates.push(Gate {
                id,
                name: "reserved".into(),
                category: "retired",
                class: "freshness",
                severity: "none",
                ring: "standard",
                description: format!("Retired: merged into D{}", id + 1),
                fix_hint: String::new(),
                retired: true,
                warn_only: false,
            });
            continue;
        }
        let mut name;
        loop {
            name = format!("{}-{}-lock", rng.pick(GATE_TOPICS), rng.pick(GATE_OBJECTS));
            if names.insert(name.clone()) {
                break;
            }
            name = format!("{name}-{id}");
            if names.insert(name.clone()) {
                break;
            }
        }
        let cat = CATEGORIES[rng.below(CATEGORIES.len() - 1)].0;
        gates.push(Gate {
            id,
            description: format!(
                "Checks {} {} across the spine bindings",
                name.split('-').next().unwrap_or("binding"),
                name.split('-').nth(1).unwrap_or("parity")
            ),
            fix_hint: format!("Fix the binding named in the finding, then re-run D{id}."),
            name,
            category: cat,
            class: rng.pick_str(&["invariant", "invariant", "freshness", "advisory", "parity"]),
            severity: rng.pick_str(&["critical", "high", "high", "medium", "medium", "low"]),
            ring: rng.pick_str(&["instant", "standard", "standard", "standard", "deep"]),
            retired: false,
            warn_only: rng.chance(8),
        });
    }
    gates
}

impl Model {
    fn new(opts: CorpusOptions) -> Model {
        let mut ips = IpAlloc {
            ts: 1000 + (opts.seed % 997) as u32,
            mac: (opts.seed % 4093) as u32 * 16,
        };
        let sites = build_sites(opts.scale.max(1), &mut ips);
        let vms = build_vms(&opts, &sites, &mut ips);
        let nas_ts = ips.ts();
        Model {
            opts,
            sites,
            vms,
            gates: build_gates(opts.seed),
            nas_ts,
        }
    }

    fn n(&self) -> usize {
        self.opts.scale.max(1) as usize
    }

    fn drift(&self) -> bool {
        self.opts.drift
    }

    fn site_of(&self, vm: &Vm) -> &Site {
        &self.sites[vm.site]
    }

    fn active_gate_ids(&self) -> Vec<u32> {
        self.gates
            .iter()
            .filter(|g| !g.retired)
            .map(|g| g.id)
            .collect()
    }
}

// ───────────────────────────── generation ─────────────────────────────

/// Generates the corpus, handing each file to `sink` as it is built (so
/// N=100 never holds the whole corpus in memory).
pub fn generate(opts: &CorpusOptions, sink: &mut dyn FnMut(GenFile)) -> Summary {
    let m = Model::new(*opts);
    let mut summary = Summary {
        scale: opts.scale.max(1),
        seed: opts.seed,
        sites: m.sites.len(),
        vms: m.vms.len(),
        active_vms: m.vms.iter().filter(|v| v.active()).count(),
        ssh_targets: 0,
        services: m.vms.iter().map(|v| v.services.len()).sum(),
        gaps: 1460 * m.n(),
        gates: m.gates.len(),
        ..Summary::default()
    };
    let mut emit = |repo: RepoId, path: String, text: String, executable: bool| {
        let f = GenFile {
            repo,
            path,
            text,
            executable,
        };
        summary.count(&f);
        sink(f);
    };
    let seed = opts.seed;
    let rng = |p: &str| Rng::for_path(seed, p);
    let mut drifts = Vec::new();

    // Spine core bindings.
    let spine = RepoId::Spine;
    let b = |name: &str| format!("ops/bindings/{name}");
    let (text, d) = vm_lifecycle(&m, &mut rng("vm.lifecycle"));
    drifts.extend(d);
    emit(spine, b("vm.lifecycle.yaml"), text, false);
    emit(spine, b("vm.lifecycle.derived.yaml"), vm_derived(&m), false);
    emit(spine, b("vm.lifecycle.contract.yaml"), vm_contract(), false);
    let (text, ssh_count) = ssh_targets(&m);
    emit(spine, b("ssh.targets.yaml"), text, false);
    let (text, d) = naming_policy(&m);
    drifts.extend(d);
    emit(spine, b("naming.policy.yaml"), text, false);
    let (text, d) = services_health(&m);
    drifts.extend(d);
    emit(spine, b("services.health.yaml"), text, false);
    let (text, d) = compose_targets(&m);
    drifts.extend(d);
    emit(spine, b("docker.compose.targets.yaml"), text, false);
    let (text, d) = backup_inventory(&m);
    drifts.extend(d);
    emit(spine, b("backup.inventory.yaml"), text, false);
    emit(
        spine,
        b("startup.sequencing.yaml"),
        startup_sequencing(&m),
        false,
    );
    emit(spine, b("topology.sites.yaml"), topology_sites(&m), false);
    emit(
        spine,
        b("home.device.registry.yaml"),
        home_devices(&m, &mut rng("home.device.registry")),
        false,
    );
    emit(
        spine,
        b("operational.gaps.yaml"),
        operational_gaps(&m, &mut rng("operational.gaps")),
        false,
    );
    emit(spine, b("gate.registry.yaml"), gate_registry(&m), false);
    let (text, d) = operating_profiles(&m);
    drifts.extend(d);
    emit(spine, b("vm.operating.profile.yaml"), text, false);
    emit(
        spine,
        b("agents.registry.yaml"),
        agents_registry(&m, &mut rng("agents.registry")),
        false,
    );
    emit(spine, b("deprecated.terms.yaml"), deprecated_terms(), false);
    emit(spine, b("gap.schema.yaml"), gap_schema(), false);
    emit(
        spine,
        b("spine.schema.conventions.yaml"),
        schema_conventions(),
        false,
    );
    emit(
        spine,
        b("vm.ip.parity.policy.yaml"),
        ip_parity_policy(),
        false,
    );
    emit(
        spine,
        b("proposals.lifecycle.yaml"),
        proposals(&m, &mut rng("proposals")),
        false,
    );
    emit(
        spine,
        b("capability.catalog.yaml"),
        capability_catalog(&m, &mut rng("capability.catalog")),
        false,
    );
    // ~300N other bindings of varied shapes.
    let core = CORE_NAMES.len();
    let others = 325 * m.n() - core;
    let mut taken: HashSet<String> = HashSet::new();
    let mut names_rng = rng("other-names");
    for i in 0..others {
        let name = other_name(&mut names_rng, &mut taken, i);
        let path = b(&name);
        let text = other_binding(&m, &mut rng(&path), &name, i);
        emit(spine, path, text, false);
    }

    // Governance registries and SSOT docs.
    let g = |name: &str| format!("docs/governance/{name}");
    let (text, d) = service_registry(&m);
    drifts.extend(d);
    emit(spine, g("SERVICE_REGISTRY.yaml"), text, false);
    emit(spine, g("STACK_REGISTRY.yaml"), stack_registry(&m), false);
    emit(spine, g("SSOT_REGISTRY.yaml"), ssot_registry(), false);
    emit(
        spine,
        g("DEVICE_IDENTITY_SSOT.md"),
        device_identity(&m),
        false,
    );
    for (i, name) in GOV_REGISTRIES.iter().enumerate() {
        let path = g(name);
        let text = other_binding(&m, &mut rng(&path), name, i * 7 + 3);
        emit(spine, path, text, false);
    }
    for (name, title) in GOV_DOCS {
        let path = g(name);
        let text = governance_doc(&m, &mut rng(&path), title);
        emit(spine, path, text, false);
    }
    emit(
        spine,
        "driftgate.yaml".into(),
        "# driftgate configuration for this (generated) spine checkout.\nworkbench: ../workbench        # paths relative to this file\nlegacy: ../legacy\nfail_on: error\n".into(),
        false,
    );
    emit(
        spine,
        ".gitea/workflows/verify.yml".into(),
        VERIFY_WORKFLOW.into(),
        false,
    );
    emit(
        spine,
        ".githooks/pre-commit".into(),
        PRE_COMMIT.into(),
        true,
    );
    emit(spine, "README.md".into(), "# agentic-spine (synthetic)\n\nGenerated by `driftgate corpus` for benchmarks. Not a real infrastructure.\n".into(), false);
    for gate in m.gates.iter().filter(|g| !g.retired) {
        emit(spine, gate.script(), gate_script(gate), true);
    }

    // Workbench.
    let wb = RepoId::Workbench;
    emit(
        wb,
        "infra/data/CONTAINER_INVENTORY.yaml".into(),
        container_inventory(&m, &mut rng("container-inventory")),
        false,
    );
    emit(
        wb,
        "dotfiles/ssh/config.d/tailscale.conf".into(),
        workbench_ssh(&m),
        false,
    );
    for vm in m.vms.iter().filter(|v| v.active()) {
        for stack in &vm.stacks {
            let svcs: Vec<&Svc> = vm
                .services
                .iter()
                .filter(|s| s.stack.as_deref() == Some(stack.as_str()))
                .collect();
            emit(
                wb,
                format!("infra/compose/{stack}/docker-compose.yml"),
                compose_file(stack, &svcs),
                false,
            );
        }
    }
    // The shop network documents the registry's D52 reads: a pointer stub in
    // the spine into the workbench, and a spine-native document.
    emit(
        RepoId::Spine,
        "docs/governance/SHOP_SERVER_SSOT.md".into(),
        SHOP_SERVER_STUB.into(),
        false,
    );
    emit(
        wb,
        "docs/infrastructure/domains/shop/SHOP_SERVER_SSOT.md".into(),
        SHOP_SERVER_DOC.into(),
        false,
    );
    emit(
        RepoId::Spine,
        "docs/governance/NETWORK_POLICIES.md".into(),
        NETWORK_POLICIES_DOC.into(),
        false,
    );
    emit(
        RepoId::Spine,
        "ops/bindings/media.services.yaml".into(),
        media_services(&m),
        false,
    );
    emit(wb, "README.md".into(), "# workbench (synthetic)\n\nOperational configs, dotfiles and compose files. Generated by `driftgate corpus`.\n".into(), false);

    // Legacy.
    let lg = RepoId::Legacy;
    let (text, d) = legacy_shop(&m);
    drifts.extend(d);
    emit(
        lg,
        "infrastructure/docs/locations/SHOP.md".into(),
        text,
        false,
    );
    emit(
        lg,
        "infrastructure/dotfiles/ssh/config.d/tailscale.conf".into(),
        legacy_ssh(&m),
        false,
    );
    emit(
        lg,
        "infrastructure/data/backup_inventory.json".into(),
        legacy_backup_json(&m),
        false,
    );
    emit(lg, "README.md".into(), "# ronny-ops (archived monorepo, synthetic)\n\nSuperseded by the spine. Kept read-only for reference.\n".into(), false);

    summary.ssh_targets = ssh_count;
    summary.drifts = drifts;
    summary
}

/// Builds the whole corpus in memory (tests and benches; fine up to N≈10).
pub fn build(opts: &CorpusOptions) -> (Vec<GenFile>, Summary) {
    let mut files = Vec::new();
    let summary = generate(opts, &mut |f| files.push(f));
    (files, summary)
}

/// Writes the corpus under `out` (`spine/`, `workbench/`, `legacy/`,
/// `CORPUS.json`, `DRIFT.md`). `out` must be absent or empty.
pub fn write(opts: &CorpusOptions, out: &Path) -> std::io::Result<Summary> {
    if out.exists() {
        let non_empty = std::fs::read_dir(out)?.next().is_some();
        if non_empty {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} exists and is not empty", out.display()),
            ));
        }
    }
    std::fs::create_dir_all(out)?;
    let mut err: Option<std::io::Error> = None;
    let summary = generate(opts, &mut |f| {
        if err.is_some() {
            return;
        }
        if let Err(e) = write_one(out, &f) {
            err = Some(e);
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    std::fs::write(out.join("CORPUS.json"), summary.to_json())?;
    std::fs::write(out.join("DRIFT.md"), summary.drift_markdown())?;
    Ok(summary)
}

fn write_one(out: &Path, f: &GenFile) -> std::io::Result<()> {
    let path = out.join(f.repo.as_str()).join(&f.path);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, &f.text)?;
    #[cfg(unix)]
    if f.executable {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

/// `driftgate-corpus`
pub fn cmd_corpus(a: &CorpusArgs) -> i32 {
    if a.scale == 0 {
        eprintln!("driftgate-corpus: --scale must be at least 1");
        return 2;
    }
    let opts = CorpusOptions {
        scale: a.scale,
        seed: a.seed,
        drift: a.drift,
    };
    match write(&opts, &a.out) {
        Ok(s) => {
            println!("{} → {}", s.describe(), a.out.display());
            0
        }
        Err(e) => {
            eprintln!("driftgate-corpus: cannot write corpus: {e}");
            2
        }
    }
}

// ───────────────────────────── spine core ─────────────────────────────

fn vm_lifecycle(m: &Model, rng: &mut Rng) -> (String, Vec<Drift>) {
    let mut drifts = Vec::new();
    let mut s = String::with_capacity(1024 * m.vms.len());
    binding_header(
        &mut s,
        "VM Lifecycle",
        "Non-secret. Spine-native. One entry per Proxmox guest (VM or LXC), every phase.",
        "2026-11-18",
    );
    s.push_str(
        r#"#
# Contract: ops/bindings/vm.lifecycle.contract.yaml
# Derived projection: ops/bindings/vm.lifecycle.derived.yaml (regenerate, never hand-edit)
#
# Status values: planning | provisioned | registered | active | stopped | decommissioned | abandoned | template

version: 1
updated: "2026-11-18"
owner: "@ronny"

defaults:
  proxmox_host: pve
  profile: spine-ready-v1
  owner: "@ronny"
  decommission_policy: requires_migration_first

vms:
"#
    );
    let mut last_site = usize::MAX;
    for vm in &m.vms {
        let site = m.site_of(vm);
        if vm.site != last_site {
            last_site = vm.site;
            let rule = "# ─────────────────────────────────────────────────────────────";
            ln!(s, "{rule}\n# {} site ({})\n{rule}\n", site.label, site.hv);
        }
        let drift_status = m.drift() && vm.hostname == "mint-apps";
        if drift_status {
            drifts.push(Drift::new(
                "schema/vm.lifecycle",
                RepoId::Spine,
                "ops/bindings/vm.lifecycle.yaml",
                vm.subject(&m.sites),
                "status `retired` is not a VM lifecycle status",
            ));
        }
        // The random choices, drawn in the order the file was first written.
        let approximate = rng.chance(30);
        let tier = (!vm.template).then(|| *rng.pick(&["boot-only", "data-vms", "tank-docker"]));
        let probe_policy = match vm.status {
            Status::Active if vm.services.len() > 4 && rng.chance(30) => "selective",
            Status::Active => "full",
            _ => "none",
        };
        let decommission_policy = match vm.status {
            Status::Decommissioned => "requires_final_backup",
            Status::Template => "allow_immediate_destroy",
            _ if vm.lxc => "allow_immediate_destroy",
            _ => *rng.pick(&["requires_migration_first", "requires_final_backup"]),
        };
        let description = if vm.desc.contains('\n') {
            lines("|", 6, vm.desc.lines())
        } else if rng.chance(25) {
            lines(">", 6, [vm.desc.to_string(), sentence(rng, &vm.hostname)])
        } else {
            dq(vm.desc)
        };
        let names: Vec<String> = vm.services.iter().map(|x| x.name.clone()).collect();
        let resources = [
            kv("cpu_cores", vm.cpu),
            match vm.mem {
                32768.. => kv("memory_mb", format!("{}  # {}GB", vm.mem, vm.mem / 1024)),
                _ => kv("memory_mb", vm.mem),
            },
            kv("boot_disk_gb", vm.disk),
        ];
        let status = if drift_status {
            "retired"
        } else {
            vm.status.as_str()
        };
        let created = dq(&vm.created) + if approximate { "  # approximate" } else { "" };
        #[rustfmt::skip]
        let rec = [
            kv("id", vm.id),
            kv("hostname", &vm.hostname),
            kv("proxmox_host", &site.hv),
            kv("role", vm.role),
            kv("owner", "\"@ronny\""),
            kv("status", status),
            opt("vm_type", vm.lxc.then_some("lxc")),
            kv("created_at", created),
            opt("activated_at", vm.activated.as_deref().map(dq)),
            opt("decommissioned_at", vm.decommissioned.as_deref().map(dq)),
            kv("profile", vm.profile.unwrap_or("null  # pre-spine VM, no profile")),
            kv("lan_ip", or_null(vm.lan_ip.as_deref())),
            kv("tailscale_ip", or_null(vm.ts_ip.as_deref())),
            kv("ssh_target", or_null(vm.ssh_target.as_deref())),
            kv("ssh_user", or_null(vm.ssh_user)),
            kv("os", vm.os),
            match vm.template {
                true => kv("resources", "null  # template sizing is set per clone"),
                false => kv("resources", mapping(6, &resources)),
            },
            opt("storage_tier", tier),
            kv("stacks", flow(&vm.stacks)),
            kv("services", flow(&names)),
            kv("backup_target", or_null(vm.backup_target.as_deref())),
            kv("health_probe_policy", probe_policy),
            kv("decommission_policy", decommission_policy),
            opt("site_scope", (!site.primary || site.kind == SiteKind::Home).then_some(&site.id)),
            kv("description", description),
        ];
        item(&mut s, 2, &rec);
        ln!(s);
    }
    (s, drifts)
}

fn vm_derived(m: &Model) -> String {
    let mut s = String::new();
    s.push_str(
        r#"# GENERATED FILE — do not edit by hand.
# Projection of the active guests in ops/bindings/vm.lifecycle.yaml.
# Regenerate: ./ops/plugins/vm/bin/vm-lifecycle-derived-check --write

generated_at: "2026-11-18T06:00:04Z"
source: ops/bindings/vm.lifecycle.yaml
active_vms:
"#,
    );
    for vm in m.vms.iter().filter(|v| v.active()) {
        let rec = [
            kv("id", vm.id),
            kv("hostname", &vm.hostname),
            kv("proxmox_host", &m.site_of(vm).hv),
            kv("ssh_target", or_null(vm.ssh_target.as_deref())),
            kv("backup_target", or_null(vm.backup_target.as_deref())),
        ];
        item(&mut s, 2, &rec);
    }
    s
}

fn vm_contract() -> String {
    "# VM Lifecycle Authority Contract
# Which file is canonical for guest lifecycle state, and what is projected from it.
# Status: authoritative
# Last verified: 2026-11-15

version: 1
updated: \"2026-11-15\"
owner: \"@ronny\"
scope: vm-lifecycle-authority

canonical: ops/bindings/vm.lifecycle.yaml

derived_outputs:
  - ops/bindings/vm.lifecycle.derived.yaml

companion_bindings:          # must carry an entry for every active guest
  - ops/bindings/vm.operating.profile.yaml
  - ops/bindings/ssh.targets.yaml
  - ops/bindings/backup.inventory.yaml
  - ops/bindings/startup.sequencing.yaml

required_vm_fields:
  - id
  - hostname
  - proxmox_host
  - role
  - owner
  - status
  - os
  - ssh_target
  - backup_target
  - health_probe_policy

derived_projection:
  filter: 'status == \"active\"'
  fields: [id, hostname, proxmox_host, ssh_target, backup_target]
  order: source   # same order as vms[] in the canonical file

generation_command: \"./ops/plugins/vm/bin/vm-lifecycle-derived-check --write\"
"
    .into()
}

/// ssh.targets.yaml; returns (text, number of targets).
fn ssh_targets(m: &Model) -> (String, usize) {
    let mut n = 0;
    let mut s = String::new();
    binding_header(
        &mut s,
        "SSH Targets",
        "Non-secret. Spine-native.",
        "2026-11-17",
    );
    s.push_str(
        r#"#
# Access policy: LAN-first for same-site targets; `host` is the LAN IP.
# Tailscale is reserved for cross-site paths (home, NAS) and as fallback.

ssh:
  defaults:
    user: "ubuntu"
    port: 22
    connect_timeout_sec: 5
    batch_mode: true
    strict_host_key_checking: "no"
    user_known_hosts_file: "/dev/null"

  targets:
"#,
    );
    for (si, site) in m.sites.iter().enumerate() {
        ln!(s, "    # ─── {} ───\n", site.label);
        for vm in m.vms.iter().filter(|v| v.site == si && v.has_target()) {
            n += 1;
            let kind = if vm.lxc { "lxc" } else { "docker" };
            let what = vm.desc.lines().next().unwrap_or("");
            #[rustfmt::skip]
            let rec = [
                kv("id", dq(&vm.hostname)),
                kv("host", dq(vm.ssh_host(site).unwrap_or("0.0.0.0"))),
                opt("tailscale_ip", vm.ts_ip.as_deref().map(dq)),
                kv("user", dq(vm.ssh_user.unwrap_or("ubuntu"))),
                kv("access_policy", access_policy(site)),
                kv("description", dq(&format!("{what} (VM {}, {}).", vm.id, site.hv))),
                kv("tags", flow_dq(&[vm.role, &site.id, kind])),
            ];
            item(&mut s, 4, &rec);
            ln!(s);
        }
        // The hypervisor.
        n += 1;
        let planned = site.status == "planned";
        let mut tags = vec!["proxmox", "hypervisor", &site.id];
        tags.extend(planned.then_some("planned"));
        #[rustfmt::skip]
        let rec = [
            kv("id", dq(&site.hv)),
            kv("host", dq(if site.uses_tailscale() { &site.hv_ts } else { &site.hv_lan })),
            opt("tailscale_ip", (!planned).then(|| dq(&site.hv_ts))),
            kv("user", dq(site.hv_user)),
            kv("access_policy", if planned { "lan_only" } else { access_policy(site) }),
            kv("description", dq(&format!("Proxmox VE — {}.", site.label))),
            kv("tags", flow_dq(&tags)),
        ];
        item(&mut s, 4, &rec);
        ln!(s);
        if site.id == "shop" {
            #[rustfmt::skip]
            let network = [
                ("switch-shop", 2, "f8:b1:56:73:a0:d0", "Dell N2024P managed switch — shop rack."),
                ("idrac-shop", 250, "44:a8:42:26:c3:11", "Dell R730XD iDRAC — shop out-of-band management."),
                ("nvr-shop", 216, "24:0f:9b:30:f1:e7", "Hikvision NVR — shop cameras."),
            ];
            for (id, last, mac, what) in network {
                n += 1;
                let rec = [
                    kv("id", dq(id)),
                    kv("host", dq(&format!("{}.{last}", site.lan))),
                    kv("mac", dq(mac)),
                    kv("user", "\"admin\""),
                    kv("access_method", "lan_only"),
                    kv("access_policy", "lan_only"),
                    kv("probe_via", "pve"),
                    kv("description", dq(what)),
                    kv("tags", flow_dq(&["network", "shop", "lan-only"])),
                ];
                item(&mut s, 4, &rec);
                ln!(s);
            }
        }
        if site.id == "home" {
            n += 1;
            #[rustfmt::skip]
            let rec = [
                kv("id", "\"nas\""),
                kv("host", dq(&m.nas_ts)),
                kv("tailscale_ip", dq(&m.nas_ts)),
                kv("user", "\"ronadmin\""),
                kv("access_policy", "tailscale_required"),
                kv("description", "\"Synology DS918+ (home). NFS exports and vzdump offsite target.\""),
                kv("tags", flow_dq(&["storage", "backup", "core", "home"])),
            ];
            item(&mut s, 4, &rec);
            ln!(s);
        }
    }
    (s, n)
}

/// `access_policy` of an SSH target at `site`: Tailscale at home, LAN first elsewhere.
fn access_policy(site: &Site) -> &'static str {
    if site.uses_tailscale() {
        "tailscale_required"
    } else {
        "lan_first"
    }
}

fn expect_of(name: &str) -> &'static str {
    let base = name.split("-br").next().unwrap_or(name);
    match base {
        "firefly-iii" | "home-assistant" => "401",
        "pihole" | "pihole-home" => "\"200,302\"",
        "authentik" => "204",
        _ => "200",
    }
}

fn services_health(m: &Model) -> (String, Vec<Drift>) {
    let mut drifts = Vec::new();
    let mut s = String::new();
    s.push_str(
        r#"# Service Health Probes (SSOT)
# Non-secret. Spine-native. Read by services.health.status.
# Status: authoritative
# Last verified: 2026-11-16
#
# host   = ssh.targets id the probe belongs to
# url    = literal IP (no DNS dependency during outages)
# expect = HTTP status (int) or a comma list string when auth answers first

version: "1.2"

defaults:
  connect_timeout_sec: 3
  max_time_sec: 10

endpoints:
"#,
    );
    for vm in m.vms.iter().filter(|v| v.active()) {
        let site = m.site_of(vm);
        if m.drift() && vm.hostname == "docs-stack" {
            drifts.push(Drift::new(
                "D69",
                RepoId::Spine,
                "ops/bindings/vm.lifecycle.yaml",
                vm.subject(&m.sites),
                "active VM docs-stack has no services.health probe",
            ));
            continue;
        }
        ln!(s, "  # ─── {} ({}) ───", vm.hostname, vm.id);
        for svc in &vm.services {
            let Some(h) = svc.health else { continue };
            let ip = vm.ssh_host(site).unwrap_or("127.0.0.1");
            let parked = svc.name.starts_with("bazarr");
            #[rustfmt::skip]
            let rec = [
                kv("id", &svc.name),
                kv("host", vm.ssh_target.as_deref().unwrap_or(&vm.hostname)),
                kv("url", dq(&format!("http://{ip}:{}{h}", svc.port))),
                kv("expect", expect_of(&svc.name)),
                opt("enabled", parked.then_some("false  # parked on purpose (selective policy)")),
                kv("description", dq(&format!("{} on {}", svc.name, vm.hostname))),
            ];
            item(&mut s, 2, &rec);
            ln!(s);
        }
    }
    (s, drifts)
}

fn compose_targets(m: &Model) -> (String, Vec<Drift>) {
    let mut drifts = Vec::new();
    let mut s = String::new();
    s.push_str(
        r#"# Docker Compose Targets (SSOT)
# Non-secret. Which compose stacks run where; read by docker.compose.status.
# Status: authoritative
# Last verified: 2026-11-14
#
# targets is keyed by compose target name (== ssh target id).

version: 2
updated: 2026-11-14

targets:
"#,
    );
    for vm in m.vms.iter().filter(|v| v.active() && !v.stacks.is_empty()) {
        let timeout = if m.site_of(vm).uses_tailscale() {
            20
        } else {
            5
        };
        let twice = m.drift() && vm.hostname == "observability";
        if twice {
            drifts.push(Drift::new(
                "parse/duplicate-key",
                RepoId::Spine,
                "ops/bindings/docker.compose.targets.yaml",
                "targets.observability.connect_timeout_sec",
                "`connect_timeout_sec` given twice",
            ));
        }
        let stacks = sub(|b| {
            for (k, st) in vm.stacks.iter().enumerate() {
                let path = match vm.hostname.as_str() {
                    "docker-host" => format!("~/stacks/{st}"),
                    "automation-stack" => format!("/home/automation/stacks/{st}"),
                    _ => format!("/opt/stacks/{st}"),
                };
                let runtime = k == 0 && vm.hostname == "docker-host";
                let stack = [
                    kv("name", st),
                    kv("path", path),
                    opt("authoritative_runtime", runtime.then_some(true)),
                ];
                if runtime {
                    item(b, 6, &stack);
                } else {
                    ln!(b, "      - {}", flow_map(&stack));
                }
            }
        });
        let rec = [
            kv("ssh_target", &vm.hostname),
            kv("connect_timeout_sec", timeout),
            opt("description", twice.then_some("\"Monitoring plane.\"")),
            opt("connect_timeout_sec", twice.then_some(15)),
            kv("stacks", stacks),
        ];
        entry(&mut s, 2, &vm.hostname, &rec);
        ln!(s);
    }
    (s, drifts)
}

fn backup_inventory(m: &Model) -> (String, Vec<Drift>) {
    let mut drifts = Vec::new();
    let mut s = String::new();
    s.push_str(
        r#"# Backup Inventory (SSOT)
# Non-secret. Which backup artifacts must exist, where, and how fresh.
# Status: authoritative
# Last verified: 2026-11-19
#
# Classifications: critical (26h), important (48h), rebuildable (168h)
# Targets are keyed by `name`; vm.lifecycle.yaml backup_target values point here.

version: 1

defaults:
  timezone: "America/New_York"
  ssh_timeout_sec: 6
  stale_after_hours: 26

model:
  data_classes: [critical, important, rebuildable]
  schedule_classes:
    daily: {cron: "0 1 * * *", stale_after_hours: 26}
    weekly: {cron: "0 4 * * 0", stale_after_hours: 192}
  retention:
    primary_keep_last: 3
    offsite_keep_last: 7

runtime_units:
"#,
    );
    for site in m.sites.iter().filter(|x| x.status == "active") {
        let units = [
            (format!("{}-hypervisor", site.hv), "machine"),
            (format!("{}-guests", site.id), "vm"),
        ];
        for (unit, kind) in units {
            let rec = [
                kv("unit_id", unit),
                kv("kind", kind),
                kv("hostname", &site.hv),
                kv("site", &site.id),
            ];
            item(&mut s, 2, &rec);
        }
    }
    // One backup-model entry per guest, as the real spine keeps them (D69
    // checks each VM has one; media hosts exclude their media library).
    for vm in m.vms.iter().filter(|v| v.has_target()) {
        let media = matches!(vm.hostname.as_str(), "download-stack" | "streaming-stack");
        let rec = [
            kv("unit_id", format!("guest-{}", vm.hostname)),
            kv("kind", "vm"),
            kv("hostname", &vm.hostname),
            kv("site", &m.sites[vm.site].id),
            kv("backup_profile", "vzdump-nightly"),
            kv("data_class", "important"),
            kv("destination_lane", "nas-primary"),
            kv("schedule_class", "daily"),
            kv("restore_class", "full-guest"),
            opt("exclude_paths", media.then_some("[/mnt/media]")),
        ];
        item(&mut s, 2, &rec);
    }
    s.push_str(
        r#"  - unit_id: synology-ds918
    kind: machine
    hostname: nas
    site: home

targets:
"#,
    );
    let rule = "  # ===========================================================================";
    for (si, site) in m.sites.iter().enumerate() {
        let vms: Vec<&Vm> = m
            .vms
            .iter()
            .filter(|v| v.site == si && v.backup_target.is_some())
            .collect();
        if vms.is_empty() {
            continue;
        }
        let label = site.label.to_uppercase();
        ln!(s, "{rule}\n  # {label} — PRIMARY ({})\n{rule}", site.hv);
        for vm in vms {
            let Some(name) = &vm.backup_target else {
                continue;
            };
            let final_ = vm.status == Status::Decommissioned;
            let base = if site.kind == SiteKind::Home {
                "/mnt/pve/synology-backups/dump"
            } else if final_ {
                "/tank/backups/vzdump/final"
            } else {
                "/tank/backups/vzdump/dump"
            };
            let glob = if vm.lxc {
                format!("vzdump-lxc-{}-*.tar.zst", vm.id)
            } else {
                format!("vzdump-qemu-{}-*.vma.zst", vm.id)
            };
            let class = if final_ {
                "rebuildable"
            } else if vm.services.len() > 3 {
                "critical"
            } else {
                "important"
            };
            let rec = [
                kv("name", name),
                match final_ {
                    true => kv("enabled", "false  # final backup before destroy, kept cold"),
                    false => kv("enabled", vm.active()),
                },
                kv("kind", "file_glob"),
                kv("host", &site.hv),
                kv("base_path", dq(base)),
                kv("glob", dq(&glob)),
                kv("stale_after_hours", if final_ { 8760 } else { 26 }),
                kv("classification", class),
            ];
            item(&mut s, 2, &rec);
            ln!(s);
        }
    }
    s.push_str(
        r#"  # ===========================================================================
  # OFFSITE (NAS at home, over Tailscale) — daily rsync after vzdump
  # ===========================================================================
"#,
    );
    let nas_enabled = !m.drift();
    if !nas_enabled {
        drifts.push(Drift::new(
            "D139",
            RepoId::Spine,
            "ops/bindings/backup.inventory.yaml",
            "device:nas",
            "no enabled backup target on the NAS",
        ));
    }
    for (name, glob) in [
        ("vm-offsite-critical", "vzdump-qemu-*.vma.zst"),
        ("lxc-offsite-critical", "vzdump-lxc-*.tar.zst"),
    ] {
        let rec = [
            kv("name", name),
            kv("enabled", nas_enabled),
            kv("kind", "file_glob"),
            kv("host", "nas"),
            kv("base_path", dq("/volume1/backups/proxmox/vzdump/critical")),
            kv("glob", dq(glob)),
            kv("stale_after_hours", 48),
            kv("classification", "important"),
        ];
        item(&mut s, 2, &rec);
        ln!(s);
    }
    (s, drifts)
}

fn startup_sequencing(m: &Model) -> String {
    let mut s = String::new();
    binding_header(
        &mut s,
        "Startup Sequencing",
        "Non-secret. Spine-native.",
        "2026-11-13",
    );
    s.push_str(
        r#"#
# Rules:
#   - phases start in ascending order; stacks within a host in declared order
#   - every phase carries a site tag (site-scoped maintenance)
#   - qemu guests go in vm_ids, LXC containers in lxc_ids (pct, not qm)

version: 3
updated: "2026-11-13"

"#,
    );
    for (si, site) in m.sites.iter().enumerate() {
        if site.status != "active" {
            continue;
        }
        let of = |pred: &dyn Fn(&Vm) -> bool| -> Vec<u32> {
            m.vms
                .iter()
                .filter(|v| v.site == si && pred(v))
                .map(|v| v.id)
                .collect()
        };
        let mut active: Vec<u32> = of(&|v| v.active());
        let destroyed = of(&|v| v.status == Status::Decommissioned);
        let templates = of(&|v| v.template);
        let mut by_phase: Vec<&Vm> = m
            .vms
            .iter()
            .filter(|v| v.site == si && v.active())
            .collect();
        by_phase.sort_by_key(|v| (v.phase, v.id));
        let startup: Vec<u32> = by_phase.iter().map(|v| v.id).collect();
        let mut shutdown = startup.clone();
        shutdown.reverse();
        active.sort_unstable();
        let rec = [
            kv("host_id", &site.hv),
            kv("active_vm_ids", flow_u32(&active)),
            kv("destroyed_vm_ids", flow_u32(&destroyed)),
            kv("template_vm_ids", flow_u32(&templates)),
            kv("startup_order", format!(" {}", flow_u32(&startup))),
            kv("shutdown_order", flow_u32(&shutdown)),
        ];
        entry(&mut s, 0, &site.lifecycle_key(), &rec);
        ln!(s);
    }
    ln!(s, "phases:");
    for (si, site) in m.sites.iter().enumerate() {
        if site.status != "active" {
            continue;
        }
        ln!(s, "  # ─── {} ({}) ───", site.label, site.hv);
        let mut phases: Vec<u32> = m
            .vms
            .iter()
            .filter(|v| v.site == si && v.active())
            .map(|v| v.phase)
            .collect();
        phases.sort_unstable();
        phases.dedup();
        for p in phases {
            let vms: Vec<&Vm> = m
                .vms
                .iter()
                .filter(|v| v.site == si && v.active() && v.phase == p)
                .collect();
            let hosts = sub(|b| {
                if site.kind == SiteKind::Home {
                    let ids = |lxc: bool| -> Vec<u32> {
                        vms.iter().filter(|v| v.lxc == lxc).map(|v| v.id).collect()
                    };
                    let rec = [
                        kv("target", &site.hv),
                        kv("vm_ids", flow_u32(&ids(false))),
                        kv("lxc_ids", flow_u32(&ids(true))),
                        kv("wait_after_sec", 15),
                    ];
                    item(b, 6, &rec);
                    return;
                }
                for vm in &vms {
                    let probe = vm.services.iter().find(|x| x.health.is_some()).map(|x| {
                        let url = format!("http://127.0.0.1:{}{}", x.port, x.health.unwrap_or("/"));
                        seq(10, [format!("{}   # {}", dq(&url), x.name)])
                    });
                    let rec = [
                        kv("target", &vm.hostname),
                        kv("vm_ids", flow_u32(&[vm.id])),
                        opt("stacks", (!vm.stacks.is_empty()).then(|| flow(&vm.stacks))),
                        kv("wait_after_sec", 5 + 5 * (vm.services.len() as u32 % 4)),
                        opt("health_probes", probe),
                    ];
                    item(b, 6, &rec);
                }
            });
            #[rustfmt::skip]
            let rec = [
                kv("phase", p),
                kv("site", &site.id),
                kv("label", format!("\"{} phase {}\"", site.id, p - site.phase_base + 1)),
                kv("hosts", hosts),
            ];
            item(&mut s, 2, &rec);
            ln!(s);
        }
        if site.id == "home" {
            let probe = format!("\"http://{}:5000/\"  # DSM", m.nas_ts);
            let nas = [
                kv("target", "nas"),
                kv("wait_after_sec", 20),
                kv("health_probes", seq(10, [probe])),
            ];
            let rec = [
                kv("phase", site.phase_base + 9),
                kv("site", "home"),
                kv("label", "\"Home NAS services\""),
                kv("hosts", sub(|b| item(b, 6, &nas))),
            ];
            item(&mut s, 2, &rec);
            ln!(s);
        }
    }
    s
}

fn topology_sites(m: &Model) -> String {
    let mut s = String::new();
    s.push_str(
        r#"# Site Topology (SSOT)
# Every site the spine manages. Nothing may hard-code "shop" and "home":
# scripts iterate this list (a planned site exists).
# Status: authoritative
# Last verified: 2026-11-16

status: authoritative
owner: "@ronny"
last_verified: 2026-11-16
scope: platform-site-topology-ssot

sites:
"#,
    );
    for (si, site) in m.sites.iter().enumerate() {
        let ct: Vec<String> = m
            .vms
            .iter()
            .filter(|v| v.site == si && v.active() && !v.stacks.is_empty())
            .map(|v| v.hostname.clone())
            .collect();
        let compose = if ct.len() > 3 { seq(6, &ct) } else { flow(&ct) };
        #[rustfmt::skip]
        let rec = [
            kv("id", &site.id),
            kv("status", site.status),
            kv("lan_cidr", site.cidr()),
            kv("tailscale_anchor", &site.hv),
            kv("proxmox_alias", &site.hv),
            kv("vmid_range", format!("\"{}-{}\"", site.vmid_lo, site.vmid_hi)),
            kv("notes", dq(&format!("{} site, hypervisor {}.", site.label, site.hv))),
            kv("compose_targets", compose),
        ];
        item(&mut s, 2, &rec);
        ln!(s);
    }
    s
}

fn home_devices(m: &Model, rng: &mut Rng) -> String {
    let mut s = String::new();
    s.push_str(
        r#"# Home Device Registry (SSOT)
# Devices on the home network (10.0.0.0/24) that the spine cares about.
# Status: authoritative
# Last verified: 2026-11-12
#
# Categories: infrastructure | coordinator | iot | personal | unknown

network:
  subnet: "10.0.0.0/24"
  gateway: "10.0.0.1"
  dhcp_range: "10.0.0.200-254"
  dhcp_dns: "10.0.0.105"
  wifi_ssid: "pogodobby"

devices:
  # ─── Infrastructure (wired) ───
"#,
    );
    let home = m.sites.iter().find(|x| x.id == "home");
    let hv_ts = home.map(|h| h.hv_ts.clone()).unwrap_or_default();
    #[rustfmt::skip]
    let infra = [
        ("udr-home", "UDR7 Gateway", "10.0.0.1", None, "Router, WiFi AP, DHCP server"),
        ("proxmox-home", "Beelink SER7 (proxmox-home)", "10.0.0.179", Some(hv_ts.as_str()), "Hypervisor"),
        ("nas", "Synology NAS 918+", "10.0.0.150", Some(m.nas_ts.as_str()), "Storage, backups"),
    ];
    for (id, name, ip, ts, role) in infra {
        let mac = format!(
            "\"70:70:fc:{:02x}:{:02x}:{:02x}\"",
            rng.below(256),
            rng.below(256),
            rng.below(256)
        );
        let rec = [
            kv("id", id),
            kv("name", dq(name)),
            kv("ip", dq(ip)),
            kv("mac", mac),
            opt("tailscale_ip", ts.map(dq)),
            kv("category", "infrastructure"),
            kv("is_wired", true),
            kv("role", dq(role)),
        ];
        item(&mut s, 2, &rec);
        ln!(s);
    }
    // Slots that do not collide with VMs (.100-.105), the NAS or the hypervisor.
    let slots: Vec<u32> = (20..100).chain(200..255).collect();
    let kinds = [
        ("iot", "Smart bulb", "bulb"),
        ("iot", "Smart plug", "plug"),
        ("iot", "Door sensor", "sensor"),
        ("coordinator", "Zigbee coordinator", "zb"),
        ("personal", "Laptop", "laptop"),
        ("personal", "Phone", "phone"),
        ("iot", "Thermostat", "thermo"),
    ];
    for i in 0..40 * m.n() {
        let (cat, role, stem) = *rng.pick(&kinds);
        let room = rng.pick(&[
            "office", "kitchen", "garage", "living", "bedroom", "porch", "attic",
        ]);
        let id = format!("{room}-{stem}-{i}");
        let ip = match slots.get(i) {
            Some(o) => format!("\"10.0.0.{o}\""),
            None => "null  # Matter/Thread — no LAN IP".into(),
        };
        let mac = match rng.chance(90) {
            true => format!(
                "\"cc:8c:bf:{:02x}:{:02x}:{:02x}\"",
                (i >> 16) & 255,
                (i >> 8) & 255,
                i & 255
            ),
            false => "null".into(),
        };
        let entities = rng.chance(30).then(|| {
            let e = format!("{room}_{stem}_{i}");
            format!("[light.{e}, sensor.{e}_power]")
        });
        let rec = [
            kv("id", &id),
            kv("name", dq(&id)),
            kv("ip", ip),
            kv("mac", mac),
            kv("category", cat),
            kv("is_wired", cat == "coordinator"),
            kv("role", dq(role)),
            opt("ha_entities", entities),
        ];
        item(&mut s, 2, &rec);
        ln!(s);
    }
    s
}

const GAP_TYPES: &[&str] = &[
    "stale-ssot",
    "missing-entry",
    "agent-behavior",
    "unclear-doc",
    "duplicate-truth",
    "runtime-bug",
];
const GAP_DOCS: &[&str] = &[
    "ops/bindings/vm.lifecycle.yaml",
    "ops/bindings/ssh.targets.yaml",
    "ops/bindings/services.health.yaml",
    "ops/bindings/backup.inventory.yaml",
    "ops/bindings/startup.sequencing.yaml",
    "ops/bindings/topology.sites.yaml",
    "docs/governance/SERVICE_REGISTRY.yaml",
    "docs/governance/DEVICE_IDENTITY_SSOT.md",
    "ops/bindings/docker.compose.targets.yaml",
    "ops/bindings/gate.registry.yaml",
];
const LOOPS: &[&str] = &[
    "LOOP-INFRA-VM-RESTRUCTURE-20260206",
    "LOOP-HOME-INFRA-DOC-PARITY-20260212",
    "LOOP-CROSS-SITE-MAINTENANCE-PARITY-20260227",
    "LOOP-MEDIA-SPLIT-20260210",
    "LOOP-FINANCE-VM-SEPARATION-20260211",
    "LOOP-BACKUP-COVERAGE-20261020",
    "LOOP-GATE-CATALOGUE-CLEANUP-20261101",
];

fn operational_gaps(m: &Model, rng: &mut Rng) -> String {
    let n = 1460 * m.n();
    let gates = m.active_gate_ids();
    let hosts: Vec<&str> = m.vms.iter().map(|v| v.hostname.as_str()).collect();
    let mut s = String::with_capacity(n * 900);
    s.push_str(
        r#"# Operational Gaps Registry
# Projection of the gap authority; entries conform to ops/bindings/gap.schema.yaml.
# Status: authoritative
# Last verified: 2026-11-19
#
# Legacy aliases discovered_at / notes are allowed here (spine.schema.conventions.yaml).

version: 1
updated: "2026-11-19"

gaps:
"#,
    );
    for i in 0..n {
        let host = *rng.pick(&hosts);
        let disc = date(rng, 1, 10);
        let status = *rng.pick(&["fixed", "fixed", "fixed", "closed", "open", "accepted"]);
        let fixed = matches!(status, "fixed" | "closed");
        #[rustfmt::skip]
        let by = [
            "infra-parity-reconciliation", "home-infra-doc-parity", "cross-site-maintenance-audit",
            "weekly-verify-pack", "agent:infra-agent", "terminal:ops",
        ];
        #[rustfmt::skip]
        let rec = [
            kv("id", format!("GAP-OP-{}", 100 + i)),
            kv("discovered_by", rng.pick(&by)),
            kv("discovered_at", dq(&disc)),
            kv("type", rng.pick(GAP_TYPES)),
            kv("doc", rng.pick(GAP_DOCS)),
            match rng.below(3) {
                0 => kv(
                    "description",
                    lines(">", 6, [(); 4].map(|_| sentence(rng, host))),
                ),
                _ => kv("description", dq(&paragraph(rng, host, 4))),
            },
            kv("severity", rng.pick(&["critical", "high", "medium", "medium", "low"])),
            kv("status", status),
            kv("parent_loop", rng.pick(LOOPS)),
            opt("regression_lock_id", rng.chance(35).then(|| format!("D{}", rng.pick(&gates)))),
            opt("fixed_in", fixed.then(|| {
                let (mo, d, n) = (rng.range(1, 11), rng.range(1, 28), rng.below(240000));
                format!("CP-2026{mo:02}{d:02}-{n:06}__{host}")
            })),
            opt("closed_at", fixed.then(|| dq(&later_date(rng, &disc)))),
            opt("notes", rng.chance(30).then(|| dq(&sentence(rng, host)))),
        ];
        item(&mut s, 2, &rec);
        ln!(s);
    }
    s
}

fn gate_registry(m: &Model) -> String {
    let mut s = String::new();
    let retired = m.gates.iter().filter(|g| g.retired).count();
    s.push_str(
        r#"schema_version: '1.0'
updated: '2026-11-18'
description: Canonical gate registry for drift-surface verification. Source of truth for gate metadata.
gate_metadata_authority: authoritative
gate_count:
"#
    );
    let counts = [
        kv("total", m.gates.len()),
        kv("active", m.gates.len() - retired),
        kv("retired", retired),
    ];
    fields(&mut s, 2, &counts);
    ln!(s, "categories:");
    for (id, d) in CATEGORIES {
        item(&mut s, 2, &[kv("id", id), kv("description", d)]);
    }
    ln!(s, "gates:");
    for g in &m.gates {
        let live = !g.retired;
        #[rustfmt::skip]
        let rec = [
            kv("id", format!("D{}", g.id)),
            kv("name", &g.name),
            kv("category", g.category),
            kv("gate_class", g.class),
            kv("description", dq(&g.description)),
            kv("severity", g.severity),
            kv("ring", g.ring),
            opt("retired", g.retired.then_some(true)),
            opt("check_script", live.then(|| g.script())),
            opt("fix_hint", live.then(|| dq(&g.fix_hint))),
            opt("inline", (live && g.id % 5 == 0).then_some(false)),
            opt("warn_only", (live && (g.warn_only || g.id % 3 == 0)).then_some(g.warn_only)),
            opt("retired", (live && g.id % 4 == 0).then_some(false)),
        ];
        item(&mut s, 2, &rec);
    }
    s
}

fn gate_script(g: &Gate) -> String {
    format!(
        "#!/usr/bin/env bash\n# D{id} {name}: {desc}\n# Stub generated by `driftgate corpus`: always passes.\nset -euo pipefail\nSPINE_ROOT=\"${{SPINE_ROOT:-$(cd \"$(dirname \"${{BASH_SOURCE[0]}}\")/../..\" && pwd)}}\"\n[[ -d \"$SPINE_ROOT/ops/bindings\" ]] || {{ echo \"D{id} FAIL: no ops/bindings under $SPINE_ROOT\"; exit 1; }}\necho \"D{id} PASS: {name} (stub)\"\n",
        id = g.id,
        name = g.name,
        desc = g.description
    )
}

fn operating_profiles(m: &Model) -> (String, Vec<Drift>) {
    let mut drifts = Vec::new();
    let mut s = String::new();
    s.push_str(
        r#"# VM Operating Profile Binding (SSOT)
# Non-secret. HOW agents and operators interact with each active guest.
# Companion to vm.lifecycle.yaml (WHAT exists). One profile per active guest (D86).
# Status: authoritative
# Last verified: 2026-11-14

version: 1
updated: "2026-11-14"
owner: "@ronny"

profiles:
"#,
    );
    for vm in m.vms.iter().filter(|v| v.active()) {
        if m.drift() && vm.hostname == "finance-stack" {
            drifts.push(Drift::new(
                "D86",
                RepoId::Spine,
                "ops/bindings/vm.lifecycle.yaml",
                vm.subject(&m.sites),
                "active VM finance-stack has no operating profile",
            ));
            continue;
        }
        let (mode, rt, diag) = if vm.os.starts_with("haos") {
            ("haos", "haos-supervisor", "not-applicable")
        } else if vm.lxc {
            ("lxc-root", "docker-none", "not-applicable")
        } else if vm.ssh_user == Some("ubuntu") {
            ("standard", "docker-sudo", "sudo-only")
        } else {
            ("non-standard", "docker-group", "docker-group-member")
        };
        let rec = [
            kv("id", vm.id),
            kv("hostname", &vm.hostname),
            kv("ssh_mode", mode),
            kv("ssh_user", or_null(vm.ssh_user)),
            kv("runtime_inspection_mode", rt),
            kv("health_probe_policy", "full"),
            kv("startup_policy", "auto"),
            kv("diagnostic_user_policy", diag),
            kv("backup_policy", "vzdump-scheduled"),
            kv("description", dq(vm.desc.lines().next().unwrap_or(""))),
        ];
        item(&mut s, 2, &rec);
        ln!(s);
    }
    (s, drifts)
}

fn agents_registry(m: &Model, rng: &mut Rng) -> String {
    let gates = m.active_gate_ids();
    let mut s = String::new();
    s.push_str(
        r#"# ═══════════════════════════════════════════════════════════════════════════
# Agent Registry — domain agent discovery SSOT
# ═══════════════════════════════════════════════════════════════════════════
# Status: authoritative
# Last verified: 2026-11-17

version: 2
updated: "2026-11-17"

contracts:
  active_workbench_agents:
    enforce: true
    implementation_root: "~/code/workbench/agents/"

agents:
"#,
    );
    let domains = [
        "infrastructure",
        "media",
        "home-automation",
        "finance-ops",
        "governance",
        "mail",
        "photos",
        "network",
        "backup",
        "observability",
        "secrets",
        "development",
    ];
    let services: Vec<&str> = m
        .vms
        .iter()
        .flat_map(|v| v.services.iter().map(|x| x.name.as_str()))
        .collect();
    for i in 0..12 * m.n() {
        let d = domains[i % domains.len()];
        let id = if i < domains.len() {
            format!("{d}-agent")
        } else {
            format!("{d}-agent-{}", i / domains.len())
        };
        // The random choices, in file order; then the record.
        let description = dq(&sentence(rng, &id));
        let status = *rng.pick(&["active", "active", "registered"]);
        let svc: Vec<String> = (0..rng.range(1, 4))
            .map(|_| rng.pick(&services).to_string())
            .collect();
        let verbs = ["status", "health", "audit", "sync", "report"];
        let caps: Vec<String> = (0..rng.range(2, 5))
            .map(|k| format!("{}.{}", d.replace('-', "_"), verbs[k % 5]))
            .collect();
        let mut gl: Vec<String> = vec!["D49".into()];
        for _ in 0..rng.range(1, 6) {
            gl.push(format!("D{}", rng.pick(&gates)));
        }
        let gl = if rng.chance(50) {
            flow(&gl)
        } else {
            seq(6, &gl)
        };
        let rec = [
            kv("id", &id),
            kv("domain", d),
            kv("description", description),
            kv("contract", dq(&format!("ops/agents/{id}.contract.md"))),
            kv("implementation_status", status),
            kv("services", flow(&svc)),
            kv("capabilities", seq(6, &caps)),
            kv("gates", gl),
        ];
        item(&mut s, 2, &rec);
        ln!(s);
    }
    s
}

fn deprecated_terms() -> String {
    let mut s = String::new();
    s.push_str(
        r#"# Deprecated Terms Registry
# Terms that must no longer appear in governance docs (D60 sweeps for them).
# Status: authoritative
# Last verified: 2026-11-13

version: 1
updated_at: "2026-11-13"

terms:
"#,
    );
    #[rustfmt::skip]
    let terms = [
        ("INFRASTRUCTURE_AUTHORITY.md", "docs/governance/SERVICE_REGISTRY.yaml", "Superseded by the machine-readable service registry"),
        ("ronny-ops", "agentic-spine (archived monorepo: legacy checkout)", "Legacy monorepo name; the spine is the canonical repo"),
        ("mint ask", "rg (repo search) or the SSOT docs", "mint ask CLI deprecated; SSOT-first lookups"),
        ("agent-bus-v0", "the agents registry", "Replaced by registry-based discovery"),
        ("cap-runner-legacy", "./bin/ops cap run", "One capability runner"),
        ("tailnet-v1", "the tailscale policy binding", "Old tailnet naming"),
    ];
    for (p, r, why) in terms {
        let excluded = [
            "ops/bindings/deprecated.terms.yaml",
            "ops/bindings/operational.gaps.yaml",
        ];
        let rec = [
            kv("pattern", dq(p)),
            kv("replacement", dq(r)),
            kv("reason", dq(why)),
            kv("deprecated_at", "2026-02-08"),
            kv("exclude_files", seq(6, excluded.map(dq))),
        ];
        item(&mut s, 2, &rec);
        ln!(s);
    }
    s.push_str(
        r#"# Which directories D60 greps.
scan_paths:
  - "docs/governance/"

scan_exclude:
  - "docs/governance/_audits/"
"#,
    );
    s
}

fn gap_schema() -> String {
    "# Gap Entry Schema
#
# Fields allowed on entries of ops/bindings/operational.gaps.yaml.
# Not JSON Schema: a flat list of required and optional fields.
# Unknown keys on a gap entry are violations (D332).
#
# Status: authoritative
# Last verified: 2026-11-14

schema_version: \"1.1\"

required_fields:
  - name: id
    type: string
    pattern: \"^GAP-OP-\\\\d+$\"
    description: \"Unique gap identifier\"
  - name: discovered_by
    type: string
    description: \"Audit, agent or terminal that found the gap\"
  - name: discovered_at
    type: string
    format: \"YYYY-MM-DD\"
    description: \"Date the gap was discovered\"
  - name: type
    type: enum
    values: [stale-ssot, missing-entry, agent-behavior, unclear-doc, duplicate-truth, runtime-bug]
    description: \"Classification\"
  - name: description
    type: string
    multiline: true
    description: \"What is wrong\"
  - name: severity
    type: enum
    values: [low, medium, high, critical]
    description: \"Impact severity\"
  - name: status
    type: enum
    values: [open, fixed, closed, accepted]
    description: \"Lifecycle status\"

optional_fields:
  - name: doc
    type: string
    description: \"Affected document or binding path\"
  - name: parent_loop
    type: string
    pattern: \"^LOOP-.*\"
    description: \"Owning loop\"
  - name: regression_lock_id
    type: string
    pattern: \"^D\\\\d+$\"
    description: \"Gate that prevents the gap from coming back\"
  - name: fixed_in
    type: string
    description: \"Commit, proposal or loop that fixed it (status=fixed)\"
  - name: closed_at
    type: string
    format: \"YYYY-MM-DD\"
    description: \"Date the gap was fixed/closed\"
  - name: notes
    type: string
    multiline: true
    description: \"Additional context\"
"
    .into()
}

#[rustfmt::skip]
const ALLOWED_STATUS: &[&str] = &[
    "active", "inactive", "draft", "planned", "open", "pending",
    "blocked", "fixed", "closed", "applied", "superseded", "archived",
    "parked", "done", "failed", "unknown", "ready", "deprecated",
    "authoritative", "planning", "provisioned", "registered", "decommissioned", "abandoned",
    "stopped", "template", "retired", "accepted", "generated",
];

fn schema_conventions() -> String {
    let mut s = String::new();
    s.push_str(
        r#"status: authoritative
owner: "@ronny"
last_verified: 2026-11-15
scope: spine-schema-conventions

version: 1
updated_at: "2026-11-15"

policy:
  enforcement_mode: touch_and_fix
  changed_file_enforcement: true
  include_globs:
    - "ops/bindings/**/*.yaml"
    - "ops/bindings/**/*.yml"
  always_validate_files:
    - ops/bindings/spine.schema.conventions.yaml

status_rules:
  canonical_field: status
  allowed_values:
"#,
    );
    for v in ALLOWED_STATUS {
        ln!(s, "    - {v}");
    }
    s.push_str(
        r#"  lifecycle_field: lifecycle
  lifecycle_values: [ready, experimental, deprecated]

date_rules:
  canonical_fields: [created_at, updated_at, closed_at]
  accepted_legacy_fields: [updated, last_verified, last_reviewed, last_synced, discovered_at, opened]
  iso_8601_regex: '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T][0-9]{2}:[0-9]{2}:[0-9]{2}Z)?$'

field_rules:
  canonical_id_field: id
  canonical_description_field: description
  disallowed_alias_keys: [vmid, notes, discovered_at, opened]
  discouraged_alias_keys: [domain_id, gate_id, agent_id, last_synced]

legacy_alias_rules:
  touch_to_fix_required: true
  legacy_exceptions:
    - file: ops/bindings/operational.gaps.yaml
      allowed_keys: [discovered_at, notes]
      touch_to_fix_required: false
      reason: "Gap corpus predates the conventions; gap.schema.yaml still declares both keys."
    - file: ops/bindings/gap.schema.yaml
      allowed_keys: [discovered_at, notes]
      touch_to_fix_required: false
      reason: "Declares the legacy gap fields by name."
    - file: ops/bindings/spine.schema.conventions.yaml
      allowed_keys: [discovered_at, opened, notes, vmid]
      touch_to_fix_required: false
      reason: "Names the disallowed keys."

schema_bound_files:
  - file: ops/bindings/operational.gaps.yaml
    schema: ops/bindings/gap.schema.yaml
    enforcement: strict
    entry_path: ".gaps[]"

reporting:
  audit_report_prefix: SPINE_SCHEMA_CONVENTIONS_AUDIT
  audit_report_dir: evidence/verify/governance
"#
    );
    s
}

fn ip_parity_policy() -> String {
    let mut s = String::new();
    s.push_str(
        r#"# VM IP Parity Policy
# Shop VM LAN IPs end in their VMID; exceptions are declared here (D408).
# Status: authoritative
# Last verified: 2026-11-10

version: 1
updated: 2026-11-10
rule: "lan_ip last octet == vmid for sites with 192.168.1.0/24"
"#,
    );
    // D408 scope: the two real sites (branch sites number their LANs freely).
    s.push_str("sites: [shop, home]\nexceptions: []\n");
    s
}

fn proposals(m: &Model, rng: &mut Rng) -> String {
    let mut s = String::new();
    s.push_str(
        r#"# Proposal Lifecycle Ledger
# One YAML document per change proposal, appended by proposals.submit / proposals.apply.
# Status: authoritative
# Last verified: 2026-11-19
"#,
    );
    let hosts: Vec<&str> = m.vms.iter().map(|v| v.hostname.as_str()).collect();
    for i in 0..40 * m.n() {
        let host = rng.pick(&hosts);
        let created = date(rng, 1, 10);
        let status = *rng.pick(&["applied", "applied", "pending", "superseded"]);
        ln!(s, "---");
        #[rustfmt::skip]
        let rec = [
            kv("id", format!("CP-2026{}-{:06}__{host}-{i}", &created[5..7], rng.below(240000))),
            kv("title", dq(&sentence(rng, host))),
            kv("status", status),
            kv("owner", "\"@ronny\""),
            kv("created_at", dq(&created)),
            opt("closed_at", (status != "pending").then(|| dq(&later_date(rng, &created)))),
            kv("gaps", format!("[GAP-OP-{}, GAP-OP-{}]", 100 + rng.below(1460), 100 + rng.below(1460))),
            kv("changes", seq(2, [rng.pick(GAP_DOCS)])),
            kv("description", lines("|", 2, [sentence(rng, host), sentence(rng, host)])),
        ];
        fields(&mut s, 0, &rec);
    }
    s
}

fn capability_catalog(m: &Model, rng: &mut Rng) -> String {
    let n = 2200 * m.n();
    let mut s = String::with_capacity(n * 680);
    s.push_str(
        r#"# Capability Catalog (SSOT)
# Every `./bin/ops cap run <name>` capability: command, safety class, approval, receipts.
# Status: authoritative
# Last verified: 2026-11-18

version: "4.2"
updated_at: "2026-11-18"

capabilities:
"#,
    );
    let domains = [
        "infra", "media", "finance", "home", "backup", "network", "secrets", "mail", "docs",
        "gaps", "verify", "loops",
    ];
    let verbs = [
        "status",
        "health",
        "sync",
        "audit",
        "report",
        "restart",
        "snapshot",
        "rotate",
        "reconcile",
        "plan",
        "apply",
        "check",
    ];
    let bindings = [
        "ops/bindings/vm.lifecycle.yaml",
        "ops/bindings/ssh.targets.yaml",
        "ops/bindings/services.health.yaml",
        "ops/bindings/backup.inventory.yaml",
        "docs/governance/SERVICE_REGISTRY.yaml",
    ];
    let hosts: Vec<&str> = m.vms.iter().map(|v| v.hostname.as_str()).collect();
    for i in 0..n {
        let d = domains[i % domains.len()];
        let v = verbs[(i / domains.len()) % verbs.len()];
        let host = rng.pick(&hosts);
        #[rustfmt::skip]
        let rec = [
            kv("name", format!("{d}.{v}.{i}")),
            kv("domain", d),
            kv("description", dq(&sentence(rng, host))),
            kv("command", dq(&format!("./ops/plugins/{d}/bin/{d}-{v}"))),
            kv("args", flow_dq(&["--target", host, "--json"])),
            kv("safety", rng.pick(&["read-only", "read-only", "mutating", "destructive"])),
            kv("approval", rng.pick(&["auto", "auto", "manual"])),
            kv("status", rng.pick(&["active", "active", "active", "deprecated", "draft"])),
            kv("timeout_sec", rng.pick(&[10, 30, 60, 120, 300])),
            kv("requires", format!("[{}, {}]", rng.pick(&bindings), rng.pick(&bindings))),
            kv("outputs", mapping(6, &[
                kv("format", rng.pick(&["json", "text", "markdown"])),
                kv("receipt", rng.chance(70)),
            ])),
            kv("updated_at", dq(&date(rng, 1, 11))),
            opt("touches", rng.chance(30).then(|| seq(6, [rng.pick(&bindings)]))),
        ];
        item(&mut s, 2, &rec);
    }
    s
}

// ───────────────────────────── other bindings ─────────────────────────────

const DOMAINS: &[&str] = &[
    "infra",
    "media",
    "finance",
    "network",
    "secrets",
    "backup",
    "agents",
    "loop",
    "mint",
    "home",
    "shop",
    "surfaces",
    "verify",
    "docs",
    "mail",
    "ha",
    "storage",
    "tenant",
    "dns",
    "tailscale",
    "observability",
    "deploy",
    "compose",
    "vm",
    "lxc",
    "nas",
    "cloudflare",
    "authentik",
    "calendar",
    "workbench",
    "release",
    "audit",
    "evidence",
    "photos",
    "git",
    "runner",
    "power",
    "camera",
    "printer",
    "inventory",
];
const TOPICS: &[&str] = &[
    "placement",
    "relocation",
    "retention",
    "routing",
    "parity",
    "freshness",
    "ownership",
    "lifecycle",
    "boundary",
    "coverage",
    "rotation",
    "access",
    "exposure",
    "sequencing",
    "escalation",
    "budget",
    "sync",
    "quota",
    "naming",
    "maintenance",
    "recovery",
];
const KINDS: &[&str] = &[
    "policy", "contract", "registry", "plan", "map", "catalog", "ledger", "schedule", "index",
    "lock", "matrix", "manifest", "baseline", "rules",
];
const CORE_NAMES: &[&str] = &[
    "vm.lifecycle.yaml",
    "vm.lifecycle.derived.yaml",
    "vm.lifecycle.contract.yaml",
    "ssh.targets.yaml",
    "services.health.yaml",
    "docker.compose.targets.yaml",
    "backup.inventory.yaml",
    "startup.sequencing.yaml",
    "topology.sites.yaml",
    "home.device.registry.yaml",
    "operational.gaps.yaml",
    "gate.registry.yaml",
    "vm.operating.profile.yaml",
    "agents.registry.yaml",
    "deprecated.terms.yaml",
    "gap.schema.yaml",
    "spine.schema.conventions.yaml",
    "vm.ip.parity.policy.yaml",
    "proposals.lifecycle.yaml",
    "capability.catalog.yaml",
    "naming.policy.yaml",
    "media.services.yaml",
];

fn other_name(rng: &mut Rng, taken: &mut HashSet<String>, i: usize) -> String {
    if taken.is_empty() {
        taken.extend(CORE_NAMES.iter().map(|s| s.to_string()));
    }
    for attempt in 0.. {
        let base = format!(
            "{}.{}.{}",
            rng.pick(DOMAINS),
            rng.pick(TOPICS),
            rng.pick(KINDS)
        );
        let name = if attempt < 8 {
            format!("{base}.yaml")
        } else {
            format!("{base}.{i}.yaml")
        };
        if taken.insert(name.clone()) {
            return name;
        }
    }
    format!("other.{i}.yaml")
}

fn title_of(name: &str) -> String {
    name.trim_end_matches(".yaml")
        .split(['.', '_'])
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[rustfmt::skip]
const OTHER_STATUS: &[&str] = &[
    "active", "active", "active", "draft", "planned", "open",
    "pending", "blocked", "fixed", "closed", "applied", "superseded",
    "archived", "parked", "done", "ready", "deprecated",
];

/// A binding of one of nine shapes, 1–40 KB (average ~9 KB).
fn other_binding(m: &Model, rng: &mut Rng, name: &str, i: usize) -> String {
    let mut s = String::new();
    let title = title_of(name);
    header(&mut s, &title, "Non-secret. Spine-native.", rng);
    let hosts: Vec<&Vm> = m.vms.iter().filter(|v| v.active()).collect();
    let stem = name.split('.').next().unwrap_or("infra");
    let scope = name.trim_end_matches(".yaml").replace('.', "-");
    // Size: mostly small, a long tail of big ones.
    let items = match rng.below(10) {
        0..=3 => rng.range(7, 17),
        4..=7 => rng.range(17, 46),
        _ => rng.range(46, 130),
    };
    if rng.chance(50) {
        let rec = [
            kv("status", rng.pick(&["authoritative", "active", "draft"])),
            kv("owner", "\"@ronny\""),
            kv("last_verified", fresh_date(rng)),
            kv("scope", &scope),
        ];
        fields(&mut s, 0, &rec);
        ln!(s);
    }
    let rec = [
        match rng.chance(50) {
            true => kv("version", rng.range(1, 5)),
            false => kv(
                "version",
                format!("\"{}.{}\"", rng.range(1, 4), rng.below(10)),
            ),
        },
        // D58 holds a binding's `updated:` line to 21 days, like the real
        // spine's 49 dated, non-exempt bindings.
        match rng.chance(50) {
            true => kv("updated_at", dq(&date(rng, 6, 11))),
            false => kv("updated", fresh_date(rng)),
        },
    ];
    fields(&mut s, 0, &rec);
    ln!(s);
    match i % 9 {
        0 => {
            let globs = [
                format!("ops/bindings/{stem}*.yaml"),
                "docs/governance/**/*.md".into(),
            ];
            #[rustfmt::skip]
            let policy = [
                kv("enforcement_mode", rng.pick(&["touch_and_fix", "strict", "advisory"])),
                kv("changed_file_enforcement", rng.chance(50)),
                kv("include_globs", seq(4, globs.map(|g| dq(&g)))),
            ];
            entry(&mut s, 0, "policy", &policy);
            s.push_str("\nrules:\n");
            for k in 0..items {
                #[rustfmt::skip]
                let rec = [
                    kv("id", format!("{}-{:03}", stem.to_uppercase(), k + 1)),
                    kv("description", dq(&sentence(rng, stem))),
                    kv("severity", rng.pick(&["critical", "high", "medium", "low"])),
                    kv("enabled", rng.chance(85)),
                    kv("applies_to", format!("[{}, {}]", rng.pick(DOMAINS), rng.pick(DOMAINS))),
                    kv("thresholds", flow_map(&[kv("warn", rng.range(1, 10)), kv("fail", rng.range(10, 40))])),
                ];
                item(&mut s, 2, &rec);
            }
        }
        1 => {
            ln!(s, "items:");
            for k in 0..items {
                let vm = rng.pick(&hosts);
                #[rustfmt::skip]
                let rec = [
                    kv("id", format!("{stem}-{k:04}")),
                    kv("name", dq(&format!("{} {} {}", stem, rng.pick(TOPICS), k))),
                    kv("status", rng.pick(OTHER_STATUS)),
                    kv("host", &vm.hostname),
                    kv("created_at", dq(&date(rng, 1, 6))),
                    kv("updated_at", date(rng, 6, 11)),
                    kv("tags", format!("[{}, {}, {}]", stem, rng.pick(TOPICS), m.site_of(vm).id)),
                    kv("config", mapping(6, &[
                        kv("port", 1024 + rng.below(60000)),
                        kv("replicas", rng.range(1, 3)),
                        kv("path", format!("/opt/{stem}/{k}")),
                    ])),
                    match rng.chance(40) {
                        true => {
                            let two = [(); 2].map(|_| sentence(rng, &vm.hostname));
                            kv("description", lines(">", 6, two))
                        }
                        false => kv("description", dq(&sentence(rng, &vm.hostname))),
                    },
                ];
                item(&mut s, 2, &rec);
            }
        }
        2 => {
            ln!(s, "entries:");
            for k in 0..items {
                let key = format!("{}-{}-{k}", stem, rng.pick(TOPICS));
                #[rustfmt::skip]
                let rec = [
                    kv("owner", "\"@ronny\""),
                    kv("status", rng.pick(OTHER_STATUS)),
                    kv("updated_at", dq(&date(rng, 3, 11))),
                    kv("paths", seq(6, (0..rng.range(1, 4)).map(|_| rng.pick(GAP_DOCS)))),
                    kv("description", dq(&sentence(rng, stem))),
                ];
                entry(&mut s, 2, &key, &rec);
            }
        }
        3 => {
            let (topic, mo, d) = (rng.pick(TOPICS), rng.range(1, 11), rng.range(1, 28));
            let (stem_uc, topic_uc) = (stem.to_uppercase(), topic.to_uppercase());
            #[rustfmt::skip]
            let rec = [
                kv("loop_id", format!("LOOP-{stem_uc}-{topic_uc}-2026{mo:02}{d:02}")),
                kv("objective", dq(&sentence(rng, stem))),
                kv("steps", ""),
            ];
            fields(&mut s, 0, &rec);
            for k in 0..items {
                let st = *rng.pick(&["done", "done", "pending", "blocked", "open"]);
                #[rustfmt::skip]
                let rec = [
                    kv("id", format!("step-{}", k + 1)),
                    kv("title", dq(&format!("Step {}: {} {}", k + 1, rng.pick(TOPICS), stem))),
                    kv("status", st),
                    opt("closed_at", (st == "done").then(|| dq(&date(rng, 6, 11)))),
                    opt("depends_on", (k > 0).then(|| format!("[step-{k}]"))),
                    kv("description", lines("|", 6, [(); 2].map(|_| sentence(rng, stem)))),
                ];
                item(&mut s, 2, &rec);
            }
        }
        4 => {
            ln!(s, "domains:");
            for k in 0..items.div_ceil(4) {
                let key = format!("{}-{k}", rng.pick(DOMAINS));
                let description = dq(&sentence(rng, stem));
                let capabilities = sub(|b| {
                    for c in 0..4 {
                        #[rustfmt::skip]
                        let rec = [
                            kv("name", format!("{stem}.{}.{k}.{c}", rng.pick(TOPICS))),
                            kv("safety", rng.pick(&["read-only", "mutating"])),
                            kv("approval", rng.pick(&["auto", "manual"])),
                            kv("args", flow_map(&[
                                kv("timeout_sec", rng.pick(&[10, 30, 60])),
                                kv("retries", rng.range(0, 3)),
                            ])),
                            kv("outputs", "[json, receipt]"),
                        ];
                        item(b, 6, &rec);
                    }
                });
                let rec = [
                    kv("description", description),
                    kv("capabilities", capabilities),
                ];
                entry(&mut s, 2, &key, &rec);
            }
        }
        5 => {
            ln!(s, "routes:");
            for k in 0..items {
                let vm = rng.pick(&hosts);
                let ip = vm.ssh_host(m.site_of(vm)).unwrap_or("127.0.0.1");
                let port = vm.services.first().map_or(80, |x| x.port);
                #[rustfmt::skip]
                let rec = [
                    kv("host", format!("{}-{k}.ronny.works", vm.hostname)),
                    kv("upstream", dq(&format!("http://{ip}:{port}"))),
                    kv("tls", rng.chance(80)),
                    kv("auth", rng.pick(&["forward", "none", "basic"])),
                    kv("service", vm.services.first().map_or("none", |x| x.name.as_str())),
                    kv("status", rng.pick(&["active", "active", "parked", "deprecated"])),
                ];
                item(&mut s, 2, &rec);
            }
        }
        6 => {
            ln!(s, "jobs:");
            for k in 0..items {
                let vm = rng.pick(&hosts);
                let (min, hour, dow) = (
                    rng.below(60),
                    rng.below(24),
                    rng.pick(&["*", "0", "1-5", "6"]),
                );
                #[rustfmt::skip]
                let rec = [
                    kv("id", format!("{stem}-job-{k}")),
                    kv("cron", dq(&format!("{min} {hour} * * {dow}"))),
                    kv("target", &vm.hostname),
                    kv("retention_days", rng.pick(&[7, 14, 30, 90, 365])),
                    kv("enabled", rng.chance(85)),
                    kv("last_run", {
                        let (mo, d, h, mi) = (rng.range(9, 11), rng.range(1, 28), rng.below(24), rng.below(60));
                        format!("\"2026-{mo:02}-{d:02}T{h:02}:{mi:02}:00Z\"")
                    }),
                    kv("status", rng.pick(&["active", "parked", "failed", "done"])),
                ];
                item(&mut s, 2, &rec);
            }
        }
        7 => {
            ln!(s, "hosts:");
            let start = rng.below(hosts.len());
            for k in 0..items.div_ceil(2).min(hosts.len()) {
                let vm = hosts[(start + k) % hosts.len()];
                let window = |day: &str, start: &str, end: &str| {
                    flow_map(&[kv("day", day), kv("start", dq(start)), kv("end", dq(end))])
                };
                #[rustfmt::skip]
                let rec = [
                    kv("site", &m.site_of(vm).id),
                    kv("checks", format!("[{}, {}, disk, memory]", rng.pick(TOPICS), rng.pick(TOPICS))),
                    kv("thresholds", mapping(6, &[
                        kv("cpu_pct", rng.range(70, 95)),
                        kv("mem_pct", rng.range(70, 95)),
                        kv("disk_pct", format!("{}  # alert before the vzdump window", rng.range(75, 90))),
                    ])),
                    kv(
                        "windows",
                        seq(
                            6,
                            [
                                window(rng.pick_str(&["sun", "sat", "wed"]), "02:00", "04:00"),
                                window(rng.pick_str(&["mon", "tue", "thu"]), "22:00", "23:30"),
                            ],
                        ),
                    ),
                    kv("owners", flow(&[dq("@ronny"), dq(&format!("agent:{}-agent", rng.pick(DOMAINS)))])),
                    kv("description", dq(&sentence(rng, &vm.hostname))),
                    kv("escalation", "null"),
                ];
                entry(&mut s, 2, &vm.hostname, &rec);
            }
        }
        _ => {
            let derived = format!(
                "ops/bindings/{}.derived.yaml",
                name.trim_end_matches(".yaml")
            );
            #[rustfmt::skip]
            let rec = [
                kv("canonical", format!("ops/bindings/{name}")),
                kv("derived_outputs", seq(2, [derived])),
                kv("companion_bindings", seq(2, [(); 3].map(|_| rng.pick(GAP_DOCS)))),
                kv("required_fields", ""),
            ];
            fields(&mut s, 0, &rec);
            for k in 0..items {
                #[rustfmt::skip]
                let rec = [
                    kv("name", format!("{}_{k}", rng.pick(TOPICS))),
                    kv("type", rng.pick(&["string", "integer", "enum", "date", "list"])),
                    kv("required", rng.chance(60)),
                    kv("description", dq(&sentence(rng, stem))),
                ];
                item(&mut s, 2, &rec);
            }
            let command = format!("./ops/plugins/{stem}/bin/{stem}-generate --write");
            fields(&mut s, 0, &[kv("generation_command", dq(&command))]);
        }
    }
    s
}

// ───────────────────────────── governance ─────────────────────────────

fn service_registry(m: &Model) -> (String, Vec<Drift>) {
    let mut drifts = Vec::new();
    let mut s = String::new();
    s.push_str(
        r#"# SERVICE_REGISTRY.yaml - Machine-readable service truth
# Status: authoritative
# Last verified: 2026-11-17
#
# WHAT services exist and WHERE they run. Host IPs: DEVICE_IDENTITY_SSOT.md and
# ops/bindings/vm.lifecycle.yaml. Compose files are workbench-owned.

source_repo: workbench
source_root: "~/code/workbench"

services:
"#,
    );
    for vm in m
        .vms
        .iter()
        .filter(|v| v.active() && !v.services.is_empty())
    {
        let Some(host) = vm.ssh_target.as_deref() else {
            continue;
        };
        ln!(s, "  # ─── {} (VM {}) ───", vm.hostname, vm.id);
        for svc in &vm.services {
            let compose = svc
                .stack
                .as_ref()
                .map(|st| format!("/opt/stacks/{st}/docker-compose.yml"));
            let rec = [
                kv("host", host),
                opt("compose", compose),
                kv("container", &svc.name),
                kv("port", svc.port),
                opt("health", svc.health),
                opt("status", svc.name.starts_with("bazarr").then_some("parked")),
                kv("notes", dq(&format!("{} on {}", svc.name, vm.hostname))),
            ];
            entry(&mut s, 2, &svc.name, &rec);
            ln!(s);
        }
        if m.drift() && vm.hostname == "infra-core" {
            s.push_str(
                r#"  vaultwarden-admin:
    host: infra-core
    container: vaultwarden-admin
    port: 8081
    notes: "Admin UI (same port as vaultwarden)"

"#,
            );
            drifts.push(Drift::new(
                "D409",
                RepoId::Spine,
                "docs/governance/SERVICE_REGISTRY.yaml",
                "service:vaultwarden-admin",
                "port 8081 used twice on infra-core",
            ));
        }
    }
    ln!(s, "hosts:");
    for vm in m.vms.iter().filter(|v| v.has_target()) {
        let Some(t) = vm.ssh_target.as_deref() else {
            continue;
        };
        let rec = [
            kv("tailscale_ip", or_null(vm.ts_ip.as_deref())),
            kv("ssh", t),
            kv("os", vm.os),
            kv("vmid", vm.id),
            kv("proxmox_host", &m.site_of(vm).hv),
        ];
        entry(&mut s, 2, &vm.hostname, &rec);
    }
    // Hypervisors of active sites and the NAS are registry hosts too (D59
    // checks coverage both ways).
    for site in m.sites.iter().filter(|x| x.status == "active") {
        let rec = [
            kv("tailscale_ip", &site.hv_ts),
            kv("ssh", &site.hv),
            kv("os", "proxmox-ve-8"),
        ];
        entry(&mut s, 2, &site.hv, &rec);
    }
    let nas = [
        kv("tailscale_ip", &m.nas_ts),
        kv("ssh", "nas"),
        kv("os", "dsm-7"),
    ];
    entry(&mut s, 2, "nas", &nas);
    (s, drifts)
}

/// ops/bindings/naming.policy.yaml: one canonical name per SSH-reachable
/// host (every guest with an SSH target, the hypervisors, the NAS), as D59
/// reads it. Drift: a host the policy calls an SSH target that
/// ssh.targets.yaml lacks.
fn naming_policy(m: &Model) -> (String, Vec<Drift>) {
    let mut drifts = Vec::new();
    let mut s = String::new();
    binding_header(
        &mut s,
        "Naming Policy",
        "One canonical name per host and the identity surfaces it must appear on.",
        "2026-11-16",
    );
    s.push_str("\nversion: 1\nowner: \"@ronny\"\nhosts:\n");
    let host = |s: &mut String, name: &str, kind: &str, site: &str, status: Option<&str>| {
        let rec = [
            kv("canonical_name", name),
            kv("kind", kind),
            kv("site", site),
            opt("status", status),
            kv("surfaces", mapping(6, &[kv("ssh_target", true)])),
        ];
        item(s, 2, &rec);
    };
    for site in &m.sites {
        if site.status == "active" {
            host(&mut s, &site.hv, "proxmox", &site.id, None);
        }
    }
    for vm in &m.vms {
        let site = &m.sites[vm.site];
        if vm.has_target() {
            host(
                &mut s,
                &vm.hostname,
                if vm.lxc { "lxc" } else { "vm" },
                &site.id,
                None,
            );
        } else if vm.status == Status::Decommissioned {
            host(&mut s, &vm.hostname, "vm", &site.id, Some("decommissioned"));
        }
    }
    host(&mut s, "nas", "nas", "home", None);
    if m.drift() {
        host(&mut s, "metrics-legacy", "vm", "shop", None);
        drifts.push(Drift::new(
            "D59",
            RepoId::Spine,
            "ops/bindings/naming.policy.yaml",
            "ssh_host:metrics-legacy",
            "naming policy host metrics-legacy (ssh_target: true) has no ssh.targets entry",
        ));
    }
    (s, drifts)
}

/// docs/governance/SSOT_REGISTRY.yaml: the SSOTs D58 holds to 21 days,
/// reviewed within the window of `CORPUS_NOW`.
fn ssot_registry() -> String {
    let mut s = String::from(
        "# SSOT registry: the source of truth for each concern and its last review.\nversion: 1\nssots:\n",
    );
    #[rustfmt::skip]
    let ssots = [
        ("vm-lifecycle", "ops/bindings/vm.lifecycle.yaml", "2026-11-14"),
        ("ssh-targets", "ops/bindings/ssh.targets.yaml", "2026-11-12"),
        ("service-registry", "docs/governance/SERVICE_REGISTRY.yaml", "2026-11-18"),
        ("device-identity", "docs/governance/DEVICE_IDENTITY_SSOT.md", "2026-11-10"),
    ];
    for (id, path, reviewed) in ssots {
        let rec = [
            kv("id", id),
            kv("path", path),
            kv("owner", "\"@ronny\""),
            kv("last_reviewed", reviewed),
        ];
        item(&mut s, 2, &rec);
    }
    s
}

fn stack_registry(m: &Model) -> String {
    let mut s = String::new();
    s.push_str(
        r#"# STACK_REGISTRY.yaml - Compose stacks and how they are deployed
# Status: authoritative
# Last verified: 2026-11-16

version: "2.0"
updated: 2026-11-16
owner: "@ronny"

stacks:
"#,
    );
    for vm in m.vms.iter().filter(|v| v.active()) {
        for st in &vm.stacks {
            let notes = (vm.hostname == "docker-host").then(|| {
                let why = [
                    "Business API, Postgres, Redis, MinIO.",
                    "Only workload left on docker-host after the VM restructure.",
                ];
                lines("|", 6, why)
            });
            let rec = [
                kv("stack_id", st),
                kv("name", title_of(st)),
                kv("path", format!("infra/compose/{st}")),
                kv("compose_files", "[docker-compose.yml]"),
                kv("deploy_method", "ssh-compose"),
                kv("status", "active"),
                kv("owner", "\"@ronny\""),
                kv("repo", "workbench"),
                kv("deploy_target", format!("proxmox:vm-{}", vm.id)),
                opt("notes", notes),
            ];
            item(&mut s, 2, &rec);
            ln!(s);
        }
    }
    s
}

fn device_identity(m: &Model) -> String {
    let mut s = String::new();
    s.push_str(
        r#"---
status: authoritative
owner: "@ronny"
last_verified: 2026-11-16
scope: all-infrastructure
---

# DEVICE IDENTITY SSOT

> Names, identities and LAN addresses of every host the spine manages.

## Naming Rules

| Pattern | Example | Use Case |
|---------|---------|----------|
| `{function}` | `nas` | Single-purpose devices |
| `{function}-{location}` | `proxmox-home`, `pihole-home` | Same function at several sites |
| `{stack}-{role}` | `docker-host`, `finance-stack` | VMs with clear stack ownership |

### Proxmox VMID Ranges

| Range | Cluster | Site |
|-------|---------|------|
"#,
    );
    for site in &m.sites {
        let range = format!("{}-{}", site.vmid_lo, site.vmid_hi);
        row(&mut s, &[&range, &code(&site.hv), &site.id]);
    }
    s.push_str(
        r#"| 9000+ | any | templates |

## Sites

| Site | Subnet | Gateway | Hypervisor |
|------|--------|---------|------------|
"#,
    );
    for site in &m.sites {
        let hv = format!("{} ({})", code(&site.hv), site.label);
        row(
            &mut s,
            &[&site.id, &site.cidr(), &format!("{}.1", site.lan), &hv],
        );
    }
    ln!(s);
    for (si, site) in m.sites.iter().enumerate() {
        let vms: Vec<&Vm> = m
            .vms
            .iter()
            .filter(|v| {
                v.site == si
                    && matches!(v.status, Status::Active | Status::Stopped)
                    && v.lan_ip.is_some()
            })
            .collect();
        if vms.is_empty() {
            continue;
        }
        let heading = match site.id.as_str() {
            "shop" => {
                "Shop VM LAN IPs (canonical, rule: 192.168.1.<VMID> unless noted)".to_string()
            }
            "home" => "Home VM LAN IPs".to_string(),
            other => format!("Site {other} VM LAN IPs"),
        };
        ln!(s, "### {heading}");
        s.push_str(
            r#"
| VM | Canonical Name | LAN IP | VMID | MAC | Notes |
|----|----------------|--------|------|-----|-------|
"#,
        );
        let mac = "44:a8:42:26:c3:0f";
        row(
            &mut s,
            &[
                &"Hypervisor",
                &code(&site.hv),
                &site.hv_lan,
                &"—",
                &mac,
                &site.label,
            ],
        );
        for vm in vms {
            let notes = if vm.status == Status::Stopped {
                "Stopped"
            } else {
                ""
            };
            let lan = vm.lan_ip.as_deref().unwrap_or("");
            let name = code(&vm.hostname);
            row(
                &mut s,
                &[&title_of(vm.role), &name, &lan, &vm.id, &vm.mac, &notes],
            );
        }
        ln!(s);
    }
    s.push_str(
        r#"## Tailscale Hosts

| Host | Tailscale IP | Site | Role |
|------|-------------|------|------|
"#,
    );
    for site in m.sites.iter().filter(|x| x.status == "active") {
        row(&mut s, &[&site.hv, &site.hv_ts, &site.id, &"Proxmox VE"]);
    }
    row(&mut s, &[&"nas", &m.nas_ts, &"home", &"Synology DS918+"]);
    s.push_str(
        r#"
## Change Control

1. Update `ops/bindings/vm.lifecycle.yaml` and the VM tables in the same commit (D100).
2. Update `docs/governance/SERVICE_REGISTRY.yaml` if a service moves.
3. Regenerate the workbench SSH config from `ops/bindings/ssh.targets.yaml`.
"#,
    );
    s
}

const GOV_REGISTRIES: &[&str] = &[
    "DOMAIN_ROUTING_REGISTRY.yaml",
    "SECRETS_NAMESPACE_REGISTRY.yaml",
    "AGENT_SURFACE_REGISTRY.yaml",
    "LOOP_REGISTRY.yaml",
    "RUNBOOK_REGISTRY.yaml",
    "ALERT_ROUTING_REGISTRY.yaml",
    "CERTIFICATE_REGISTRY.yaml",
    "DNS_ZONE_REGISTRY.yaml",
    "MEDIA_LIBRARY_REGISTRY.yaml",
    "TENANT_REGISTRY.yaml",
    "VENDOR_REGISTRY.yaml",
];

const GOV_DOCS: &[(&str, &str)] = &[
    ("REBOOT_HEALTH_GATE.md", "Reboot Health Gate"),
    ("BACKUP_GOVERNANCE.md", "Backup Governance"),
    ("SSH_ACCESS_POLICY.md", "SSH Access Policy"),
    ("SITE_TOPOLOGY.md", "Site Topology"),
    ("SERVICE_ONBOARDING.md", "Service Onboarding"),
    ("CHANGE_CONTROL.md", "Change Control"),
    ("GAP_LIFECYCLE.md", "Gap Lifecycle"),
    ("AGENT_OPERATING_RULES.md", "Agent Operating Rules"),
];

fn governance_doc(m: &Model, rng: &mut Rng, title: &str) -> String {
    let mut s = String::new();
    s.push_str(
        r#"---
status: authoritative
owner: "@ronny"
"#,
    );
    let scope = title.to_lowercase().replace(' ', "-");
    let front = [kv("last_verified", fresh_date(rng)), kv("scope", scope)];
    fields(&mut s, 0, &front);
    ln!(s, "---\n\n# {title}\n\n{}", paragraph(rng, "the spine", 3));
    s.push_str(
        r#"
## Procedure

"#,
    );
    for k in 1..=6 {
        ln!(s, "{k}. {}", sentence(rng, "the operator"));
    }
    s.push_str(
        r#"
## Per site

| Site | Hypervisor | Guests | Notes |
|------|------------|--------|-------|
"#,
    );
    for (si, site) in m.sites.iter().enumerate() {
        let n = m.vms.iter().filter(|v| v.site == si && v.active()).count();
        row(&mut s, &[&site.id, &code(&site.hv), &n, &site.status]);
    }
    s.push_str(
        r#"
## Notes

"#,
    );
    ln!(s, "{}", paragraph(rng, "the verify pack", 4));
    s
}

const SHOP_SERVER_STUB: &str = "---
status: authoritative
owner: \"@ronny\"
last_verified: 2026-11-18
scope: domain-pointer
spine_pointer_stub: true
authority_repo: \"/home/ronny/code/workbench\"
authority_path: \"docs/infrastructure/domains/shop/SHOP_SERVER_SSOT.md\"
---

# SHOP_SERVER_SSOT.md (Pointer)

The canonical document lives in the workbench; the spine keeps this pointer only.
";

const SHOP_SERVER_DOC: &str = "# Shop Server (Dell R730XD)

- Hypervisor `pve` behind the UDR6; default route 192.168.1.1.
- Storage: `tank` (ZFS mirror), `media` (RAIDZ2).
";

const NETWORK_POLICIES_DOC: &str = "---
status: authoritative
owner: \"@ronny\"
last_verified: 2026-11-18
---

# Network Policies

- Shop LAN 192.168.1.0/24 behind the UDR6; guests use 192.168.1.<VMID>.
- Remote access goes through the tailnet; no port forwards.
";

/// ops/bindings/media.services.yaml (D106): the media VMs' services.
fn media_services(m: &Model) -> String {
    let mut s = String::from(
        "# Media Services (SSOT)\n# Non-secret. Spine-native. Ports are unique per VM (D106).\n\nversion: 1\nupdated_at: \"2026-11-18\"\n\nservices:\n",
    );
    for vm in m
        .vms
        .iter()
        .filter(|v| v.role.starts_with("media-") && v.active())
    {
        for svc in &vm.services {
            entry(
                &mut s,
                2,
                &svc.name,
                &[
                    kv("vm", &vm.hostname),
                    kv("port", svc.port),
                    kv("status", "active"),
                ],
            );
        }
    }
    s
}

const VERIFY_WORKFLOW: &str = "name: verify
on: [push, pull_request]
jobs:
  verify:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: ./surfaces/verify/drift-gate.sh
";

const PRE_COMMIT: &str = "#!/usr/bin/env bash
# Pre-commit: run the instant ring on staged files.
set -euo pipefail
exec driftgate check --staged --ring instant --format short
";

// ───────────────────────────── workbench ─────────────────────────────

fn container_inventory(m: &Model, rng: &mut Rng) -> String {
    let mut s = String::new();
    s.push_str(
        r#"# Container inventory — snapshot of `docker ps -a` per guest.
# Written by infra/scripts/inventory-snapshot.sh; hand edits get overwritten.
version: 3
updated: "2026-11-14"
hosts:
"#,
    );
    for vm in m
        .vms
        .iter()
        .filter(|v| v.active() && !v.lxc && !v.os.starts_with("haos"))
    {
        let stale = rng.chance(10);
        let containers = seq(
            6,
            vm.services.iter().map(|svc| {
                let tag = format!("{}.{}", rng.range(1, 9), rng.below(20));
                let image = dq(&format!("ghcr.io/example/{}:{tag}", svc.name));
                flow_map(&[
                    kv("name", &svc.name),
                    kv("image", image),
                    kv("status", "running"),
                ])
            }),
        );
        #[rustfmt::skip]
        let rec = [
            kv("name", format!("{}          # hostname", vm.hostname)),
            kv("vmid", vm.id),
            kv("location", format!("{}         # cluster", m.site_of(vm).hv)),
            kv("tailscale_ip", or_null(vm.ts_ip.as_deref())),
            kv("snapshot_stale", stale),
            kv("containers", containers),
        ];
        item(&mut s, 2, &rec);
    }
    s
}

fn workbench_ssh(m: &Model) -> String {
    let mut s = String::new();
    s.push_str(
        r#"# ~/.ssh/config.d/tailscale.conf — generated from agentic-spine ops/bindings/ssh.targets.yaml
# Included from ~/.ssh/config.

"#
    );
    for (si, site) in m.sites.iter().enumerate() {
        if site.status != "active" {
            continue;
        }
        ln!(s, "# ─── {} ───", site.label);
        let names = if site.id == "shop" {
            "pve pve-shop"
        } else {
            &site.hv
        };
        let addr = if site.uses_tailscale() {
            &site.hv_ts
        } else {
            &site.hv_lan
        };
        ssh_block(&mut s, names, &[("HostName", addr), ("User", "root")]);
        for vm in m.vms.iter().filter(|v| v.site == si && v.has_target()) {
            let addr = vm.ssh_host(site).unwrap_or("");
            let user = vm.ssh_user.unwrap_or("ubuntu");
            ssh_block(&mut s, &vm.hostname, &[("HostName", addr), ("User", user)]);
        }
        if site.id == "home" {
            let nas = [
                ("HostName", m.nas_ts.as_str()),
                ("User", "ronadmin"),
                ("Port", "22"),
            ];
            ssh_block(&mut s, "nas", &nas);
        }
    }
    s.push_str(
        r#"# ─── Defaults (last, so host blocks win) ───
Host *
    ServerAliveInterval 30
    ServerAliveCountMax 3
    IdentityFile ~/.ssh/id_ed25519
    IdentitiesOnly yes
"#,
    );
    s
}

fn compose_file(stack: &str, svcs: &[&Svc]) -> String {
    let mut s = String::new();
    ln!(
        s,
        "# {stack} — deployed by ssh-compose (STACK_REGISTRY.yaml)"
    );
    fields(&mut s, 0, &[kv("name", stack), kv("services", "")]);
    for svc in svcs {
        let healthcheck = svc.health.map(|h| {
            let url = format!("http://localhost:{}{h}", svc.port);
            let check = [
                kv("test", flow_dq(&["CMD", "curl", "-fsS", &url])),
                kv("interval", "30s"),
            ];
            mapping(6, &check)
        });
        let rec = [
            kv("image", format!("ghcr.io/example/{}:latest", svc.name)),
            kv("container_name", &svc.name),
            kv("restart", "unless-stopped"),
            kv("ports", seq(6, [dq(&format!("{}:{}", svc.port, svc.port))])),
            opt("healthcheck", healthcheck),
        ];
        entry(&mut s, 2, &svc.name, &rec);
    }
    if svcs.is_empty() {
        entry(&mut s, 2, "placeholder", &[kv("image", "busybox")]);
    }
    s
}

// ───────────────────────────── legacy ─────────────────────────────

fn legacy_shop(m: &Model) -> (String, Vec<Drift>) {
    let mut drifts = Vec::new();
    let mut s = String::new();
    let shop = &m.sites[0];
    s.push_str(
        r#"# Shop — Server Rack

> Location doc for the shop building (rack: Dell R730XD + MD1400, Dell N2024P, UPS).
> Owner: @ronny. Last reviewed: 2026-10-02.

## Proxmox Host

"#,
    );
    ln!(
        s,
        "**Proxmox host:** `pve` — Dell R730XD — LAN {} — Tailscale {} — web UI https://pve:8006",
        shop.hv_lan,
        shop.hv_ts
    );
    s.push_str(
        r#"
## Virtual Machines

| VMID | Hostname | Status | LAN IP | Tailscale IP | Resources |
|------|----------|--------|--------|--------------|-----------|
"#,
    );
    for vm in m
        .vms
        .iter()
        .filter(|v| v.site == 0 && matches!(v.status, Status::Active | Status::Stopped))
    {
        let mut lan = vm.lan_ip.clone().unwrap_or_default();
        if m.drift() && vm.hostname == "infra-core" {
            lan = lan.replace("192.168.1.", "192.168.12.");
            drifts.push(Drift::new(
                "parity",
                RepoId::Legacy,
                "infrastructure/docs/locations/SHOP.md",
                vm.subject(&m.sites),
                "legacy doc keeps the pre-re-address LAN IP",
            ));
        }
        let status = if vm.active() { "running" } else { "stopped" };
        let ts = vm.ts_ip.as_deref().unwrap_or("");
        let size = format!("{}c / {} GB / {} GB", vm.cpu, vm.mem / 1024, vm.disk);
        row(&mut s, &[&vm.id, &vm.hostname, &status, &lan, &ts, &size]);
    }
    ln!(s);
    ln!(
        s,
        "Template 9000 (`ubuntu-2404-cloudinit-template`) is not listed: it never runs."
    );
    (s, drifts)
}

fn legacy_ssh(m: &Model) -> String {
    let mut s = String::new();
    s.push_str(
        r#"# ronny-ops :: dotfiles/ssh/config.d/tailscale.conf
# Archived. Kept for reference; the live config is in workbench.

"#,
    );
    for vm in m.vms.iter().filter(|v| v.active() && v.site < 2) {
        let addr = vm.ts_ip.as_deref().unwrap_or("");
        let user = vm.ssh_user.unwrap_or("ubuntu");
        ssh_block(&mut s, &vm.hostname, &[("HostName", addr), ("User", user)]);
    }
    s.push_str(
        r#"Host *
    ServerAliveInterval 60
    IdentityFile ~/.ssh/id_ed25519
"#,
    );
    s
}

fn legacy_backup_json(m: &Model) -> String {
    let mut s = String::new();
    s.push_str(
        r#"{
  "generated": "2026-10-02T09:00:00Z",
  "vms": [
"#,
    );
    let vms: Vec<&Vm> = m
        .vms
        .iter()
        .filter(|v| matches!(v.status, Status::Active | Status::Stopped))
        .collect();
    for (k, vm) in vms.iter().enumerate() {
        let comma = if k + 1 < vms.len() { "," } else { "" };
        ln!(
            s,
            "    {{\"vmid\": {}, \"name\": {}, \"host\": {}, \"status\": {}, \"schedule\": \"daily\", \"retention\": 7, \"enabled\": {}}}{comma}",
            vm.id,
            dq(&vm.hostname),
            dq(&m.site_of(vm).hv),
            dq(vm.status.as_str()),
            vm.active()
        );
    }
    ln!(s, "  ]");
    ln!(s, "}}");
    s
}

/// Finds a generated file by repo and path (tests, benches).
pub fn find<'a>(files: &'a [GenFile], repo: RepoId, path: &str) -> Option<&'a GenFile> {
    files.iter().find(|f| f.repo == repo && f.path == path)
}

/// Distribution of binding sizes (for `describe`-style diagnostics).
pub fn size_histogram(files: &[GenFile]) -> BTreeMap<&'static str, usize> {
    let mut h = BTreeMap::new();
    for f in files {
        let k = match f.text.len() {
            0..=2_000 => "<2K",
            2_001..=10_000 => "2-10K",
            10_001..=100_000 => "10-100K",
            100_001..=1_000_000 => "100K-1M",
            _ => ">1M",
        };
        *h.entry(k).or_insert(0) += 1;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_spreads() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let mut c = Rng::new(8);
        assert_ne!(xs[0], c.next_u64());
        let mut r = Rng::new(1);
        let mut seen = [0usize; 10];
        for _ in 0..10_000 {
            seen[r.below(10)] += 1;
        }
        assert!(seen.iter().all(|&n| n > 800 && n < 1200), "{seen:?}");
    }

    #[test]
    fn dq_escapes_quotes_and_backslashes() {
        assert_eq!(dq(r#"a"b\c"#), r#""a\"b\\c""#);
    }

    #[test]
    fn scale_multiplies_sites_vms_and_gaps() {
        let one = Model::new(CorpusOptions::default());
        let three = Model::new(CorpusOptions {
            scale: 3,
            ..CorpusOptions::default()
        });
        assert_eq!(one.sites.len(), 3);
        assert_eq!(three.sites.len(), 7);
        let ratio = three.vms.len() as f64 / one.vms.len() as f64;
        assert!((2.8..=3.2).contains(&ratio), "VM ratio {ratio}");
        // VMIDs are unique and inside their site's range (template aside).
        let mut ids = HashSet::new();
        for vm in &three.vms {
            assert!(ids.insert(vm.id), "duplicate VMID {}", vm.id);
            let site = &three.sites[vm.site];
            assert!(
                vm.template || (site.vmid_lo..=site.vmid_hi).contains(&vm.id),
                "{} outside {}",
                vm.id,
                site.id
            );
        }
        let hosts: HashSet<&str> = three.vms.iter().map(|v| v.hostname.as_str()).collect();
        assert_eq!(hosts.len(), three.vms.len(), "hostnames are unique");
    }

    #[test]
    fn ports_are_unique_per_host() {
        let m = Model::new(CorpusOptions::default());
        for vm in &m.vms {
            let mut ports = HashSet::new();
            for s in &vm.services {
                assert!(
                    ports.insert(s.port),
                    "{} port {} twice",
                    vm.hostname,
                    s.port
                );
            }
        }
    }
}
