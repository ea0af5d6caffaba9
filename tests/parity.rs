//! `driftgate parity` on its own three-repo fixture (tests/fixtures/parity),
//! on the demo workspace, and through the CLI.

mod common;

use common::{copy_tree, demo_copy, driftgate};
use driftgate::check::{CheckOptions, Sources};
use driftgate::parity::{self, ParityRun};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn opts(spine: &Path, workbench: Option<&Path>, legacy: Option<&Path>) -> CheckOptions {
    CheckOptions {
        sources: Sources {
            spine: spine.to_path_buf(),
            workbench: workbench.map(Path::to_path_buf),
            legacy: legacy.map(Path::to_path_buf),
        },
        ..Default::default()
    }
}

fn run_ws(root: &Path) -> ParityRun {
    let wb = root.join("workbench");
    let lg = root.join("legacy");
    let o = opts(
        &root.join("spine"),
        wb.is_dir().then_some(wb.as_path()),
        lg.is_dir().then_some(lg.as_path()),
    );
    parity::run(&o, &parity::NoProgress).expect("parity runs")
}

/// (kind, key, file name, field, line)
type Brief = (String, String, String, Option<String>, Option<usize>);

fn findings_json(run: &ParityRun) -> Vec<Value> {
    parity::output::value(run)["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The exact findings on tests/fixtures/parity, in output order.
fn expected_fixture_findings() -> Vec<Value> {
    let wb_inv = "infra/data/CONTAINER_INVENTORY.yaml";
    let wb_ssh = "dotfiles/ssh/config.d/tailscale.conf";
    let shop = "infrastructure/docs/locations/SHOP.md";
    let backup = "infrastructure/data/backup_inventory.json";
    let lg_ssh = "infrastructure/dotfiles/ssh/config.d/tailscale.conf";
    vec![
        json!({"kind": "missing", "entity": "vm", "key": "pve/210", "repo": "workbench", "source": wb_inv, "line": null, "name": "streaming-stack"}),
        json!({"kind": "missing", "entity": "ssh_host", "key": "streaming-stack", "repo": "workbench", "source": wb_ssh, "line": null}),
        // A LAN-only device (access_policy: lan_only) is expected in the
        // workbench config too, as the user's own alignment audit expects.
        json!({"kind": "missing", "entity": "ssh_host", "key": "switch-shop", "repo": "workbench", "source": wb_ssh, "line": null}),
        json!({"kind": "stale", "entity": "vm", "key": "pve/201", "repo": "workbench", "source": wb_inv, "line": 11, "canonical": "decommissioned", "name": "media-stack"}),
        json!({"kind": "stale", "entity": "ssh_host", "key": "media-stack", "repo": "workbench", "source": wb_ssh, "line": 29, "canonical": "decommissioned"}),
        json!({"kind": "mismatch", "entity": "vm", "key": "pve/204", "repo": "workbench", "source": wb_inv, "line": 27, "field": "tailscale_ip", "canonical": "100.92.91.128", "found": "100.92.91.129", "name": "infra-core"}),
        json!({"kind": "mismatch", "entity": "ssh_host", "key": "docker-host", "repo": "workbench", "source": wb_ssh, "line": 14, "field": "user", "canonical": "ronny", "found": "root"}),
        json!({"kind": "alias", "entity": "vm", "key": "pve/200", "repo": "workbench", "source": wb_inv, "line": 7, "field": "cluster", "canonical": "pve", "found": "pve-shop", "name": "docker-host"}),
        json!({"kind": "missing", "entity": "vm", "key": "pve/210", "repo": "legacy", "source": shop, "line": null, "name": "streaming-stack"}),
        json!({"kind": "stale", "entity": "vm", "key": "pve/201", "repo": "legacy", "source": backup, "line": 5, "canonical": "decommissioned", "found": "active", "name": "media-stack"}),
        json!({"kind": "mismatch", "entity": "vm", "key": "pve/204", "repo": "legacy", "source": shop, "line": 16, "field": "lan_ip", "canonical": "192.168.1.204", "found": "192.168.12.204", "name": "infra-core"}),
        json!({"kind": "mismatch", "entity": "vm", "key": "pve/209", "repo": "legacy", "source": backup, "line": 8, "field": "hostname", "canonical": "download-stack", "found": "downloads", "name": "download-stack"}),
        json!({"kind": "mismatch", "entity": "vm", "key": "pve/209", "repo": "legacy", "source": shop, "line": 17, "field": "status", "canonical": "stopped", "found": "running", "name": "download-stack"}),
        json!({"kind": "mismatch", "entity": "ssh_host", "key": "infra-core", "repo": "legacy", "source": lg_ssh, "line": 12, "field": "hostname", "canonical": "192.168.1.204", "found": "192.168.12.204"}),
        json!({"kind": "mismatch", "entity": "ssh_host", "key": "pve", "repo": "legacy", "source": shop, "line": 7, "field": "lan_ip", "canonical": "192.168.1.184", "found": "192.168.12.184"}),
        json!({"kind": "alias", "entity": "vm", "key": "proxmox-home/101", "repo": "legacy", "source": backup, "line": 12, "field": "cluster", "canonical": "proxmox-home", "found": "pve-home", "name": "immich"}),
        json!({"kind": "untracked", "entity": "vm", "key": "pve/250", "repo": "legacy", "source": backup, "line": 10, "name": "nextcloud-old"}),
        json!({"kind": "untracked", "entity": "ssh_host", "key": "nextcloud", "repo": "legacy", "source": lg_ssh, "line": 15}),
        json!({"kind": "subnet", "entity": "vm", "key": "pve/204", "repo": "legacy", "source": shop, "line": 16, "field": "lan_ip", "canonical": "192.168.1.0/24", "found": "192.168.12.204", "name": "infra-core"}),
        json!({"kind": "subnet", "entity": "ssh_host", "key": "infra-core", "repo": "legacy", "source": lg_ssh, "line": 12, "field": "hostname", "canonical": "192.168.1.0/24", "found": "192.168.12.204"}),
        json!({"kind": "subnet", "entity": "ssh_host", "key": "pve", "repo": "legacy", "source": shop, "line": 7, "field": "lan_ip", "canonical": "192.168.1.0/24", "found": "192.168.12.184"}),
    ]
}

#[test]
fn fixture_findings_are_exactly_the_planted_drift() {
    let run = run_ws(&fixture("parity"));
    let got = findings_json(&run);
    let want = expected_fixture_findings();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "finding #{i} differs");
    }
    assert_eq!(got.len(), want.len(), "all findings: {got:#?}");
    assert_eq!(run.exit_code(), 1);
    // This fixture has VMs and SSH hosts only: service parity says it
    // skipped, and nothing else is noted.
    assert_eq!(
        run.notes,
        vec!["spine `docs/governance/SERVICE_REGISTRY.yaml` not found: service parity skipped"],
    );
}

#[test]
fn fixture_has_every_kind_and_every_mismatch_field() {
    let got = findings_json(&run_ws(&fixture("parity")));
    for kind in [
        "missing",
        "stale",
        "mismatch",
        "alias",
        "untracked",
        "subnet",
    ] {
        assert!(got.iter().any(|f| f["kind"] == kind), "no {kind} finding");
    }
    for field in ["lan_ip", "tailscale_ip", "user", "status", "hostname"] {
        assert!(
            got.iter()
                .any(|f| f["kind"] == "mismatch" && f["field"] == field),
            "no {field} mismatch"
        );
    }
}

/// The traps in the fixture: each must stay silent. (The exact list above
/// already implies it; these say why.)
#[test]
fn fixture_traps_produce_no_findings() {
    let run = run_ws(&fixture("parity"));
    let got = findings_json(&run);
    let about = |key: &str| -> Vec<&Value> { got.iter().filter(|f| f["key"] == key).collect() };
    // Template VM 9000 is listed in the backup inventory (status template).
    assert!(about("pve/9000").is_empty());
    // `Host docker-host` uses the Tailscale IP as HostName: only the user
    // finding, no hostname mismatch.
    let dh = about("docker-host");
    assert_eq!(dh.len(), 1);
    assert_eq!(dh[0]["field"], "user");
    // `Host pve pve-shop`: no untracked `pve-shop`, no workbench finding on pve.
    assert!(about("pve-shop").is_empty());
    assert!(!got
        .iter()
        .any(|f| f["key"] == "pve" && f["repo"] == "workbench"));
    // `Host *` is no host; its `User ubuntu` is inherited correctly by
    // infra-core, download-stack and immich-home (spine user ubuntu).
    assert!(about("*").is_empty());
    assert!(about("download-stack").is_empty());
    assert!(about("immich-home").is_empty());
    assert!(!got
        .iter()
        .any(|f| f["key"] == "infra-core" && f["repo"] == "workbench"));
    // Camera table in SHOP.md (192.168.12.x IPs) is not a VM table.
    assert!(!got.iter().any(|f| {
        f["found"]
            .as_str()
            .is_some_and(|s| s.starts_with("192.168.12.3"))
    }));
    // `immich` on both clusters: pve/203 clean, proxmox-home/101 only the
    // legacy `pve-home` alias.
    assert!(about("pve/203").is_empty());
    assert!(about("immich").is_empty());
    let home = about("proxmox-home/101");
    assert_eq!(home.len(), 1);
    assert_eq!(home[0]["kind"], "alias");
    // SHOP.md lists media-stack as decommissioned: it agrees, so the legacy
    // stale finding comes from the backup inventory only.
    let stale: Vec<&Value> = got
        .iter()
        .filter(|f| f["key"] == "pve/201" && f["repo"] == "legacy")
        .collect();
    assert_eq!(stale.len(), 1);
    assert_eq!(
        stale[0]["source"],
        "infrastructure/data/backup_inventory.json"
    );
    let f = run
        .findings
        .iter()
        .find(|f| f.key == "pve/201" && f.repo == driftgate::findings::RepoId::Legacy)
        .unwrap();
    assert!(
        f.also.is_empty(),
        "SHOP.md must not be listed: {:?}",
        f.also
    );
}

fn redact(md: &str, root: &Path) -> String {
    let re = regex::Regex::new(r"`[0-9a-f]{10}` \(work tree\)").unwrap();
    let md = md.replace(&root.display().to_string(), "[ROOT]");
    re.replace_all(&md, "[COMMIT] (work tree)").into_owned()
}

#[test]
fn fixture_markdown_report() {
    let root = fixture("parity");
    let run = run_ws(&root);
    let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let md = redact(&parity::report_md::render(&run, now), &root);
    insta::assert_snapshot!("parity_fixture_markdown", md);
}

#[test]
fn workbench_absent_reports_legacy_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixture("parity/spine"), &tmp.path().join("spine"));
    copy_tree(&fixture("parity/legacy"), &tmp.path().join("legacy"));
    let run = run_ws(tmp.path());
    let want: Vec<Value> = expected_fixture_findings()
        .into_iter()
        .filter(|f| f["repo"] == "legacy")
        .collect();
    assert_eq!(findings_json(&run), want);
    let v = parity::output::value(&run);
    assert_eq!(v["missing_repos"], json!(["workbench"]));
    assert!(v["repos"].get("workbench").is_none());
    let md = parity::report_md::render(&run, chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
    assert!(
        md.contains("| workbench | _not available — skipped_ | |"),
        "{md}"
    );
    assert!(md.contains("workbench checkout not available"), "{md}");
    // The VM table keeps a workbench column saying it was not read.
    assert!(
        md.contains("| 200 | docker-host | active | n/a | ✅ |"),
        "{md}"
    );
}

#[test]
fn missing_source_file_reports_every_expected_entity_missing() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixture("parity"), tmp.path());
    std::fs::remove_file(
        tmp.path()
            .join("workbench/infra/data/CONTAINER_INVENTORY.yaml"),
    )
    .unwrap();
    let run = run_ws(tmp.path());
    let missing: Vec<&str> = run
        .findings
        .iter()
        .filter(|f| f.source == "infra/data/CONTAINER_INVENTORY.yaml")
        .map(|f| {
            assert_eq!(f.kind.as_str(), "missing");
            f.key.as_str()
        })
        .collect();
    // Every active VM (stopped 209, template and decommissioned excluded).
    assert_eq!(
        missing,
        vec![
            "proxmox-home/101",
            "pve/200",
            "pve/203",
            "pve/204",
            "pve/210"
        ]
    );
    assert!(run
        .notes
        .iter()
        .any(|n| n.contains("CONTAINER_INVENTORY.yaml not found")));
}

#[test]
fn broken_source_files_are_notes_not_panics() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixture("parity"), tmp.path());
    std::fs::write(
        tmp.path()
            .join("workbench/infra/data/CONTAINER_INVENTORY.yaml"),
        "hosts:\n  - name: docker-host\n    vmid: [200\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path()
            .join("legacy/infrastructure/data/backup_inventory.json"),
        b"\x00\x01\xff binary",
    )
    .unwrap();
    std::fs::write(
        tmp.path()
            .join("legacy/infrastructure/docs/locations/SHOP.md"),
        "| VMID | Hostname |\n|---|---|\n| abc | `x |\n| 204 |\n",
    )
    .unwrap();
    let run = run_ws(tmp.path());
    assert!(
        run.notes.iter().any(
            |n| n.contains("CONTAINER_INVENTORY.yaml") && n.contains("could not be fully read")
        ),
        "{:?}",
        run.notes
    );
    assert!(
        run.notes
            .iter()
            .any(|n| n.contains("backup_inventory.json")),
        "{:?}",
        run.notes
    );
    // The short SHOP.md row for 204 still counts as listing it; `abc` is no VMID.
    assert!(!run.findings.iter().any(|f| f.key.contains("abc")));
    // Both legacy VM sources now miss pve/203: one finding (first source),
    // the other file kept as a further place.
    let m = run
        .findings
        .iter()
        .find(|f| {
            f.kind.as_str() == "missing"
                && f.key == "pve/203"
                && f.repo == driftgate::findings::RepoId::Legacy
        })
        .expect("pve/203 missing in legacy");
    assert_eq!(m.source, "infrastructure/data/backup_inventory.json");
    assert_eq!(
        m.also,
        vec![("infrastructure/docs/locations/SHOP.md".to_string(), 0)]
    );
    assert!(!run.findings.iter().any(|f| f.key == "pve/204"
        && f.kind.as_str() == "missing"
        && f.repo == driftgate::findings::RepoId::Legacy
        && !f.also.is_empty()));
}

#[test]
fn config_sources_aliases_and_expectations() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixture("parity"), tmp.path());
    // An extra JSON source with a jq selection, a cluster alias, a disabled
    // built-in and an expectation override.
    std::fs::write(
        tmp.path().join("workbench/hosts.json"),
        r#"{"hosts": [
  {"id": 203, "cl": "r730", "ip": "192.168.1.203", "on": true},
  {"id": 204, "cl": "pve", "ip": "192.168.1.44", "on": true},
  {"id": 210, "cl": "pve", "ip": "192.168.1.210", "on": false}
]}
"#,
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("spine/driftgate.yaml"),
        r#"parity:
  cluster_aliases: {r730: pve}
  disable: [legacy-shop-proxmox, legacy-backup, legacy-shop-vms, workbench-inventory]
  expect:
    legacy-ssh: '.site == "shop"'
    workbench-ssh: null
  extra_sources:
    - id: wb-hosts
      repo: workbench
      path: hosts.json
      entity: vm
      extract:
        kind: json
        records: '.hosts[] | select(.on)'
        fields: {vmid: .id, cluster: .cl, lan_ip: .ip}
      expect: '.site == "shop" and .status == "active"'
"#,
    )
    .unwrap();
    let run = run_ws(tmp.path());
    let got: Vec<Brief> = run
        .findings
        .iter()
        .map(|f| {
            (
                f.kind.as_str().to_string(),
                f.key.clone(),
                f.source.rsplit('/').next().unwrap().to_string(),
                f.field.clone(),
                f.line,
            )
        })
        .collect();
    let s = |x: &str| x.to_string();
    let want = vec![
        // 200 is not in hosts.json; 210 is, but `select(.on)` drops it.
        (s("missing"), s("pve/200"), s("hosts.json"), None, None),
        (s("missing"), s("pve/210"), s("hosts.json"), None, None),
        // workbench-ssh expects nothing now (no missing streaming-stack),
        // but what it lists must still be right.
        (
            s("stale"),
            s("media-stack"),
            s("tailscale.conf"),
            None,
            Some(29),
        ),
        (
            s("mismatch"),
            s("pve/204"),
            s("hosts.json"),
            Some(s("lan_ip")),
            Some(3),
        ),
        (
            s("mismatch"),
            s("docker-host"),
            s("tailscale.conf"),
            Some(s("user")),
            Some(14),
        ),
        // `r730` resolves through `cluster_aliases`.
        (
            s("alias"),
            s("pve/203"),
            s("hosts.json"),
            Some(s("cluster")),
            Some(2),
        ),
        // legacy-ssh must now list every shop target.
        (
            s("missing"),
            s("docker-host"),
            s("tailscale.conf"),
            None,
            None,
        ),
        (
            s("missing"),
            s("download-stack"),
            s("tailscale.conf"),
            None,
            None,
        ),
        (
            s("missing"),
            s("streaming-stack"),
            s("tailscale.conf"),
            None,
            None,
        ),
        (
            s("missing"),
            s("switch-shop"),
            s("tailscale.conf"),
            None,
            None,
        ),
        (
            s("mismatch"),
            s("infra-core"),
            s("tailscale.conf"),
            Some(s("hostname")),
            Some(12),
        ),
        (
            s("untracked"),
            s("nextcloud"),
            s("tailscale.conf"),
            None,
            Some(15),
        ),
        (
            s("subnet"),
            s("infra-core"),
            s("tailscale.conf"),
            Some(s("hostname")),
            Some(12),
        ),
    ];
    assert_eq!(got, want);
}

/// tests/fixtures/demo/DRIFT.md, rows P1–P9: every row is reported, and
/// every parity finding on the demo is one of those rows (or a listed
/// overlap).
#[test]
fn demo_reports_the_parity_rows_of_drift_md() {
    let run = run_ws(&fixture("demo"));
    let inv = "infra/data/CONTAINER_INVENTORY.yaml";
    let wb_ssh = "dotfiles/ssh/config.d/tailscale.conf";
    let shop = "infrastructure/docs/locations/SHOP.md";
    let backup = "infrastructure/data/backup_inventory.json";
    let lg_ssh = "infrastructure/dotfiles/ssh/config.d/tailscale.conf";
    // (row, repo, kind, subject, field, source, line)
    type Row<'a> = (
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        Option<&'a str>,
        &'a str,
        Option<usize>,
    );
    let want: Vec<Row> = vec![
        // A service a VM's lifecycle entry lists that the registry lacks.
        (
            "P9.3",
            "spine",
            "untracked",
            "service:immich-ml",
            None,
            "ops/bindings/vm.lifecycle.yaml",
            Some(124),
        ),
        (
            "P2.1",
            "workbench",
            "missing",
            "vm:pve/210",
            None,
            inv,
            None,
        ),
        // P2.2 names the VM; parity keys SSH hosts by target id.
        (
            "P8.1",
            "workbench",
            "missing",
            "ssh_host:idrac-shop",
            None,
            wb_ssh,
            None,
        ),
        (
            "P8.2",
            "workbench",
            "missing",
            "ssh_host:nvr-shop",
            None,
            wb_ssh,
            None,
        ),
        (
            "P8.3",
            "workbench",
            "missing",
            "ssh_host:pve-lab",
            None,
            wb_ssh,
            None,
        ),
        (
            "P2.2",
            "workbench",
            "missing",
            "ssh_host:streaming-stack",
            None,
            wb_ssh,
            None,
        ),
        (
            "P8.4",
            "workbench",
            "missing",
            "ssh_host:switch-shop",
            None,
            wb_ssh,
            None,
        ),
        (
            "P1.1",
            "workbench",
            "stale",
            "vm:pve/201",
            None,
            inv,
            Some(17),
        ),
        // Services the registry places elsewhere (P9.4: the media-stack
        // block's containers, one line; P9.1 planted).
        (
            "P9.4",
            "workbench",
            "stale",
            "service:jellyfin",
            Some("host"),
            inv,
            Some(22),
        ),
        (
            "P9.4",
            "workbench",
            "stale",
            "service:radarr",
            Some("host"),
            inv,
            Some(22),
        ),
        (
            "P9.1",
            "workbench",
            "stale",
            "service:vaultwarden",
            Some("host"),
            inv,
            Some(14),
        ),
        (
            "P7",
            "workbench",
            "mismatch",
            "vm:pve/207",
            Some("tailscale_ip"),
            inv,
            Some(78),
        ),
        // Not a P row: the workbench counterpart of P5, listed as gate G-D163.
        (
            "G-D163",
            "workbench",
            "mismatch",
            "ssh_host:docker-host",
            Some("user"),
            wb_ssh,
            Some(24),
        ),
        (
            "P4",
            "workbench",
            "alias",
            "vm:pve/200",
            Some("cluster"),
            inv,
            Some(8),
        ),
        // P1.3, with P1.2 (SHOP.md:22) as a second place of the same
        // (stale, vm, pve/201, legacy) finding (checked below).
        (
            "P1.3",
            "legacy",
            "stale",
            "vm:pve/201",
            None,
            backup,
            Some(6),
        ),
        (
            "P9.2",
            "legacy",
            "stale",
            "service:gitea",
            Some("host"),
            shop,
            Some(56),
        ),
        (
            "P3.2",
            "legacy",
            "mismatch",
            "vm:pve/200",
            Some("lan_ip"),
            shop,
            Some(21),
        ),
        (
            "P3.3",
            "legacy",
            "mismatch",
            "vm:pve/204",
            Some("lan_ip"),
            shop,
            Some(25),
        ),
        (
            "P3.4",
            "legacy",
            "mismatch",
            "ssh_host:docker-host",
            Some("hostname"),
            lg_ssh,
            Some(9),
        ),
        (
            "P3.5",
            "legacy",
            "mismatch",
            "ssh_host:infra-core",
            Some("hostname"),
            lg_ssh,
            Some(21),
        ),
        (
            "P5",
            "legacy",
            "mismatch",
            "ssh_host:observability",
            Some("user"),
            lg_ssh,
            Some(26),
        ),
        (
            "P3.1",
            "legacy",
            "mismatch",
            "ssh_host:pve",
            Some("lan_ip"),
            shop,
            Some(14),
        ),
        (
            "P6",
            "legacy",
            "untracked",
            "ssh_host:nextcloud",
            None,
            lg_ssh,
            Some(32),
        ),
        // The 192.168.12.x addresses of P3.x are also outside the shop LAN.
        (
            "P3.2",
            "legacy",
            "subnet",
            "vm:pve/200",
            Some("lan_ip"),
            shop,
            Some(21),
        ),
        (
            "P3.3",
            "legacy",
            "subnet",
            "vm:pve/204",
            Some("lan_ip"),
            shop,
            Some(25),
        ),
        (
            "P3.4",
            "legacy",
            "subnet",
            "ssh_host:docker-host",
            Some("hostname"),
            lg_ssh,
            Some(9),
        ),
        (
            "P3.5",
            "legacy",
            "subnet",
            "ssh_host:infra-core",
            Some("hostname"),
            lg_ssh,
            Some(21),
        ),
        (
            "P3.1",
            "legacy",
            "subnet",
            "ssh_host:pve",
            Some("lan_ip"),
            shop,
            Some(14),
        ),
    ];
    type Owned = (
        String,
        String,
        String,
        String,
        Option<String>,
        String,
        Option<usize>,
    );
    let own = |r: &Row| -> Owned {
        (
            r.0.to_string(),
            r.1.to_string(),
            r.2.to_string(),
            r.3.to_string(),
            r.4.map(str::to_string),
            r.5.to_string(),
            r.6,
        )
    };
    let want: Vec<Owned> = want.iter().map(own).collect();
    let got: Vec<Owned> = run
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            (
                want.get(i).map_or("?".to_string(), |w| w.0.clone()),
                f.repo.as_str().to_string(),
                f.kind.as_str().to_string(),
                f.subject(),
                f.field.clone(),
                f.source.clone(),
                f.line,
            )
        })
        .collect();
    assert_eq!(got, want);
    let p1 = run
        .findings
        .iter()
        .find(|f| f.kind.as_str() == "stale" && f.repo == driftgate::findings::RepoId::Legacy)
        .unwrap();
    assert_eq!(p1.also, vec![(shop.to_string(), 22)], "P1.2");
    let text = std::fs::read_to_string(fixture("demo/DRIFT.md")).unwrap();
    for row in [
        "P1.1", "P1.2", "P1.3", "P2.1", "P2.2", "P3.1", "P3.2", "P3.3", "P3.4", "P3.5", "P4", "P5",
        "P6", "P7", "P8.1", "P8.2", "P8.3", "P8.4", "P9.1", "P9.2", "P9.3", "P9.4",
    ] {
        assert!(
            text.contains(&format!("| {row} | parity:")),
            "DRIFT.md has no row {row}"
        );
    }
}

#[test]
fn demo_with_fixes_is_parity_clean() {
    let ws = demo_copy(true);
    let out = driftgate()
        .args(["parity", "--format", "json"])
        .arg(ws.path())
        .output()
        .unwrap();
    let v = common::json_of(&out);
    assert_eq!(v["findings"], json!([]), "{v:#}");
    assert_eq!(v["coverage"]["shortfalls"], json!([]), "{v:#}");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(v["missing_repos"], json!([]));
}

/// The count and lacking guests of one matrix cell of a JSON report.
fn cell(v: &Value, category: &str, site: &str) -> (u64, Vec<String>) {
    let row = v["coverage"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["category"] == category)
        .unwrap_or_else(|| panic!("no row {category}"));
    let c = row["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["site"] == site)
        .unwrap_or_else(|| panic!("no cell {category}/{site}"));
    (
        c["count"].as_u64().unwrap(),
        c["lacking"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["guest"].as_str().unwrap().to_string())
            .collect(),
    )
}

/// DRIFT.md G-D410: every home backup target is disabled. The matrix has a
/// column per site of topology.sites.yaml (the planned `lab` too), counts
/// that agree with the bindings, and the built-in policy's shortfall, in
/// JSON, markdown and JUnit; the demo-fixes overlay clears it (above).
#[test]
fn demo_coverage_matrix_counts_and_the_site_without_backups() {
    let ws = demo_copy(false);
    let out = driftgate()
        .args(["parity", "--format", "json", "--now", "2026-11-20"])
        .arg(ws.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = common::json_of(&out);
    let sites: Vec<&str> = v["coverage"]["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(sites, ["shop", "home", "lab"]);
    assert_eq!(v["coverage"]["sites"][2]["status"], "planned");
    // Counted by hand from the demo's bindings.
    assert_eq!(cell(&v, "active_guests", "shop").0, 11);
    assert_eq!(cell(&v, "active_guests", "home").0, 4);
    assert_eq!(cell(&v, "active_guests", "lab").0, 0);
    assert_eq!(cell(&v, "backup_targets", "shop").0, 11);
    assert_eq!(
        cell(&v, "backup_targets", "home"),
        (
            0,
            vec![
                "VM 100 (homeassistant)".to_string(),
                "VM 101 (immich)".into(),
                "VM 102 (vaultwarden-home)".into(),
                "LXC 105 (pihole-home)".into()
            ]
        )
    );
    // pihole-home (LXC 105) is active but in no startup entry.
    assert_eq!(
        cell(&v, "startup", "home"),
        (3, vec!["LXC 105 (pihole-home)".to_string()])
    );
    assert_eq!(cell(&v, "ssh_targets", "lab").0, 1, "pve-lab is reserved");
    assert_eq!(
        v["coverage"]["shortfalls"],
        json!([{
            "site": "home", "category": "backup_targets", "count": 0, "minimum": 1,
            "message": "site `home` has 0 enabled backup targets; the coverage policy asks for at least 1"
        }])
    );

    // Markdown: one column per site, the shortfall marked.
    let md = driftgate()
        .args(["parity", "--format", "markdown", "--now", "2026-11-20"])
        .arg(ws.path())
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(
        md.contains("| | `shop` | `home` | `lab` (planned) |"),
        "{md}"
    );
    assert!(
        md.contains("| enabled backup targets | 11 | ❌ 0<br>lacking: VM 100 (homeassistant)"),
        "{md}"
    );

    // JUnit: a failing parity/coverage case at the site's topology entry.
    let junit = ws.path().join("parity.xml");
    driftgate()
        .args(["parity", "--now", "2026-11-20", "--junit"])
        .arg(&junit)
        .arg(ws.path())
        .output()
        .unwrap();
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed JUnit");
    let fails: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .filter_map(|n| n.attribute("message").map(str::to_string))
        .filter(|m| m.contains("coverage policy"))
        .collect();
    assert_eq!(fails.len(), 1, "{xml}");
    assert!(xml.contains("topology.sites.yaml:33"), "{xml}");
}

/// A coverage policy from driftgate.yaml replaces the built-in one; a bad
/// one is a config error (exit 2) at driftgate.yaml.
#[test]
fn coverage_policy_comes_from_driftgate_yaml() {
    let ws = demo_copy(true);
    let cfg = ws.path().join("spine/driftgate.yaml");
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str("gate_options:\n  D410:\n    every_active_guest: [compose_targets]\n");
    std::fs::write(&cfg, &text).unwrap();
    let out = driftgate()
        .args(["parity", "--format", "json"])
        .arg(ws.path())
        .output()
        .unwrap();
    let v = common::json_of(&out);
    assert_eq!(
        v["coverage"]["policy"]["source"],
        "driftgate.yaml gate_options.D410"
    );
    let msgs: Vec<&str> = v["coverage"]["shortfalls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        msgs,
        [
            "VM 100 (homeassistant) on site `home` hosts registry services but has no compose target; the coverage policy asks it of every active guest",
            "LXC 105 (pihole-home) on site `home` hosts registry services but has no compose target; the coverage policy asks it of every active guest"
        ]
    );
    assert_eq!(out.status.code(), Some(1));

    std::fs::write(&cfg, text.replace("[compose_targets]", "[nonsense]")).unwrap();
    let out = driftgate()
        .args(["parity"])
        .arg(ws.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown coverage category `nonsense`"));
}

#[test]
fn cli_writes_every_output_and_exits_1_without_progress_noise() {
    let root = fixture("parity");
    let tmp = tempfile::tempdir().unwrap();
    let p = |n: &str| tmp.path().join(n);
    std::fs::write(p("summary.md"), "# earlier step\n").unwrap();
    let out = driftgate()
        .args([
            "parity",
            "--format",
            "json",
            "--now",
            "2026-11-20",
            "--output",
        ])
        .arg(p("report.md"))
        .arg("--json")
        .arg(p("report.json"))
        .arg("--junit")
        .arg(p("junit.xml"))
        .arg("--summary")
        .arg(p("summary.md"))
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // stderr is not a terminal here: no progress bar, no escape codes.
    assert!(
        out.stderr.is_empty(),
        "stderr: {:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = common::json_of(&out);
    assert_eq!(
        stdout["findings"].as_array().unwrap(),
        &expected_fixture_findings()
    );
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(p("report.json")).unwrap()).unwrap();
    assert_eq!(file, stdout);
    assert_eq!(
        stdout["repos"]["spine"]["path"],
        json!(root.join("spine").display().to_string())
    );
    let md = std::fs::read_to_string(p("report.md")).unwrap();
    let run = run_ws(&root);
    let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    assert_eq!(md, parity::report_md::render(&run, now));
    // --summary appends (like the runners' $GITHUB_STEP_SUMMARY).
    let summary = std::fs::read_to_string(p("summary.md")).unwrap();
    assert_eq!(summary, format!("# earlier step\n{md}"));
    let junit = std::fs::read_to_string(p("junit.xml")).unwrap();
    for kind in [
        "missing",
        "stale",
        "mismatch",
        "alias",
        "untracked",
        "subnet",
    ] {
        assert!(junit.contains(&format!("parity/{kind}")), "{kind}: {junit}");
    }
}

#[test]
fn cli_markdown_is_the_default_and_progress_is_hidden_off_a_tty() {
    let out = driftgate()
        .args(["parity", "--now", "2026-11-20"])
        .arg(fixture("parity"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("# Parity report — 2026-11-20\n"), "{md}");
    assert!(!out.stderr.contains(&0x1b) && !out.stderr.contains(&b'\r'));
    assert!(out.stderr.is_empty());
}

#[test]
fn cli_config_and_usage_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixture("parity"), tmp.path());
    std::fs::write(
        tmp.path().join("spine/driftgate.yaml"),
        "fail_on: error\nparity:\n  extra_sources:\n    - id: broken\n      repo: workbench\n      path: x.yaml\n      entity: vm\n      extract: {kind: yaml, records: '.hosts[', fields: {}}\n",
    )
    .unwrap();
    let out = driftgate().arg("parity").arg(tmp.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    // Points at the `records:` value's line... or at least its source entry.
    assert!(err.contains("driftgate.yaml:8:"), "{err}");
    assert!(err.contains("parity source `broken`"), "{err}");
    assert!(out.stdout.is_empty());

    let bad_now = driftgate()
        .args(["parity", "--now", "yesterday"])
        .arg(fixture("parity"))
        .output()
        .unwrap();
    assert_eq!(bad_now.status.code(), Some(2));

    // Not a spine at all.
    let empty = tempfile::tempdir().unwrap();
    let out = driftgate()
        .arg("parity")
        .arg("--spine")
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is this a spine checkout?"));
}

#[test]
fn junit_findings_carry_codes_lines_and_spine_entries() {
    let run = run_ws(&fixture("parity"));
    let fs = parity::output::to_findings(&run);
    assert_eq!(fs.len(), 21);
    let stale = fs
        .iter()
        .find(|f| {
            f.code == "parity/stale" && f.location.repo == driftgate::findings::RepoId::Legacy
        })
        .unwrap();
    assert_eq!(
        stale.location.path,
        "infrastructure/data/backup_inventory.json"
    );
    assert_eq!(stale.location.line(), 5);
    assert_eq!(stale.subject.as_deref(), Some("vm:pve/201"));
    assert_eq!(stale.severity, driftgate::findings::Severity::Error);
    assert_eq!(
        stale.related[0].location.path,
        "ops/bindings/vm.lifecycle.yaml"
    );
    assert_eq!(stale.related[0].location.line(), 26);
    assert!(
        stale
            .message
            .contains("VM pve/201 (media-stack) is decommissioned in the spine"),
        "{}",
        stale.message
    );
    let missing = fs
        .iter()
        .find(|f| {
            f.code == "parity/missing" && f.subject.as_deref() == Some("ssh_host:streaming-stack")
        })
        .unwrap();
    assert!(missing.location.span.is_none());
    assert_eq!(
        missing.related[0].location.path,
        "ops/bindings/ssh.targets.yaml"
    );
    let alias = fs.iter().find(|f| f.code == "parity/alias").unwrap();
    assert_eq!(alias.severity, driftgate::findings::Severity::Warning);
    assert!(alias.help.as_deref().unwrap_or("").contains("`pve`"));
}

/// .gitea/workflows/nightly-parity.yml, read with driftgate's own parser.
#[test]
fn nightly_workflow_schedules_checks_out_three_repos_and_uploads_always() {
    let rel = ".gitea/workflows/nightly-parity.yml";
    let bytes = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap();
    let doc =
        driftgate::documents::Document::parse(driftgate::findings::RepoId::Spine, rel, &bytes);
    assert!(doc.problems.is_empty(), "{:?}", doc.problems);
    let wf = doc.value().cloned().unwrap();
    // `on` stays a string key under YAML 1.2 (not `true`).
    let cron = wf["on"]["schedule"][0]["cron"].as_str().unwrap();
    assert_eq!(cron.split_whitespace().count(), 5, "{cron}");
    assert!(wf["on"]
        .as_object()
        .unwrap()
        .contains_key("workflow_dispatch"));
    let steps: Vec<Value> = wf["jobs"]["parity"]["steps"].as_array().unwrap().clone();
    let uses = |s: &Value, what: &str| s["uses"].as_str().is_some_and(|u| u.starts_with(what));
    let pos = |pred: &dyn Fn(&Value) -> bool| steps.iter().position(pred);

    // Three repos side by side (+ driftgate itself), others with tokens.
    let checkouts: Vec<&Value> = steps
        .iter()
        .filter(|s| uses(s, "actions/checkout"))
        .collect();
    let paths: Vec<&str> = checkouts
        .iter()
        .filter_map(|s| s["with"]["path"].as_str())
        .collect();
    for p in ["spine", "workbench", "legacy"] {
        assert!(paths.contains(&p), "no checkout into {p}: {paths:?}");
    }
    for p in ["workbench", "legacy"] {
        let c = checkouts.iter().find(|s| s["with"]["path"] == p).unwrap();
        assert!(c["with"]["repository"].as_str().unwrap().contains("vars."));
        assert!(c["with"]["token"].as_str().unwrap().contains("secrets."));
        assert_eq!(c["continue-on-error"], json!(true), "{p} is optional");
    }
    // A pinned release binary, checksum-verified (tests/workflows.rs checks
    // the script); no toolchain, no build.
    let build = pos(&|s| {
        s["run"]
            .as_str()
            .is_some_and(|r| r.contains("/releases/download/") && r.contains("sha256sum -c"))
    })
    .expect("download step");
    assert!(!steps
        .iter()
        .any(|s| s["run"].as_str().is_some_and(|r| r.contains("cargo "))));
    // parity with every output; its exit code is kept for later.
    let run = pos(&|s| {
        s["run"]
            .as_str()
            .is_some_and(|r| r.contains("driftgate parity"))
    })
    .expect("parity step");
    let script = steps[run]["run"].as_str().unwrap();
    for flag in [
        "--output parity-report.md",
        "--json parity.json",
        "--junit parity-junit.xml",
        r#"${GITHUB_STEP_SUMMARY:+--summary "$GITHUB_STEP_SUMMARY"}"#,
        "$GITHUB_OUTPUT",
        "set +e",
    ] {
        assert!(script.contains(flag), "missing {flag}: {script}");
    }
    assert!(build < run);
    // Uploads always run, then the job fails on a non-zero exit.
    let uploads: Vec<usize> = (0..steps.len())
        .filter(|i| uses(&steps[*i], "actions/upload-artifact"))
        .collect();
    assert_eq!(uploads.len(), 2);
    let uploaded: String = uploads
        .iter()
        .map(|i| steps[*i]["with"]["path"].as_str().unwrap_or(""))
        .collect();
    for f in ["parity-report.md", "parity.json", "parity-junit.xml"] {
        assert!(uploaded.contains(f), "{f} not uploaded");
    }
    for i in &uploads {
        assert_eq!(steps[*i]["if"], "always()");
        assert_eq!(steps[*i]["continue-on-error"], json!(true));
        assert!(*i > run);
    }
    let fail = pos(&|s| {
        s["if"]
            .as_str()
            .is_some_and(|c| c.contains("steps.parity.outputs.code"))
    })
    .expect("fail step");
    assert!(uploads.iter().all(|u| *u < fail));
    assert!(steps[fail]["run"].as_str().unwrap().contains("exit 1"));
    assert_eq!(steps[run]["id"], "parity");
}

#[test]
fn rev_reads_the_spine_from_git_history() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixture("parity"), tmp.path());
    let spine = tmp.path().join("spine");
    common::init_repo(&spine);
    // Work tree: 201 brought back to life (uncommitted).
    common::edit(
        &spine.join("ops/bindings/vm.lifecycle.yaml"),
        "status: decommissioned",
        "status: active",
    );
    let wt = run_ws(tmp.path());
    assert!(!wt
        .findings
        .iter()
        .any(|f| f.kind.as_str() == "stale" && f.key == "pve/201"));
    let mut o = opts(
        &spine,
        Some(&tmp.path().join("workbench")),
        Some(&tmp.path().join("legacy")),
    );
    o.snapshot = driftgate::workspace::Snapshot::Rev("HEAD".into());
    let at_head = parity::run(&o, &parity::NoProgress).unwrap();
    assert_eq!(findings_json(&at_head), expected_fixture_findings());
    assert!(at_head.ws.spine().commit.is_some());
}

#[test]
fn records_without_vmid_resolve_by_hostname_within_their_site() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixture("parity"), tmp.path());
    std::fs::write(
        tmp.path().join("workbench/HOME.md"),
        "# Home\n\n| Hostname | LAN IP |\n|---|---|\n| `immich` | 10.0.0.111 |\n| ghost | 10.0.0.9 |\n| — | 10.0.0.1 |\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("spine/driftgate.yaml"),
        "parity:\n  sources:\n    - id: home-doc\n      repo: workbench\n      path: HOME.md\n      entity: vm\n      site: home\n      extract:\n        kind: markdown_table\n        columns: {hostname: Hostname, lan_ip: LAN IP}\n",
    )
    .unwrap();
    let run = run_ws(tmp.path());
    let got: Vec<Value> = findings_json(&run);
    assert_eq!(
        got,
        vec![
            // `immich` on home is VM 101, not the shop's 203.
            json!({"kind": "mismatch", "entity": "vm", "key": "proxmox-home/101", "repo": "workbench", "source": "HOME.md", "line": 5, "field": "lan_ip", "canonical": "10.0.0.101", "found": "10.0.0.111", "name": "immich"}),
            json!({"kind": "untracked", "entity": "vm", "key": "proxmox-home/ghost", "repo": "workbench", "source": "HOME.md", "line": 6, "name": "ghost"}),
        ]
    );
}

#[test]
fn duplicate_keys_in_a_source_are_noted_with_their_line() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixture("parity"), tmp.path());
    common::edit(
        &tmp.path()
            .join("workbench/infra/data/CONTAINER_INVENTORY.yaml"),
        "    tailscale_ip: 100.114.101.50\n",
        "    tailscale_ip: 100.114.101.50\n    tailscale_ip: 100.114.101.99\n",
    );
    let run = run_ws(tmp.path());
    assert!(
        run.notes.iter().any(|n| n
            .starts_with("workbench:infra/data/CONTAINER_INVENTORY.yaml:22:")
            && n.contains("duplicate key `tailscale_ip`")),
        "{:?}",
        run.notes
    );
    // The last value is used (as PyYAML and yq do, everywhere in
    // driftgate): 203's Tailscale IP now disagrees, at the second key.
    let f: Vec<_> = run.findings.iter().filter(|f| f.key == "pve/203").collect();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].found.as_deref(), Some("100.114.101.99"));
    assert_eq!(f[0].line, Some(22));
}
