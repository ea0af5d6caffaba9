//! `--format markdown` job summary.

mod report_support;

use driftgate::findings::{CheckStatus, Finding, Location, RepoId, Severity};
use driftgate::report::markdown;
use report_support::*;

#[test]
fn scenario_snapshot() {
    let out = scenario().with_report(markdown::render);
    insta::assert_snapshot!("markdown_scenario", out);
}

#[test]
fn verdict_counts_groups_and_sections() {
    let fx = scenario();
    let out = fx.with_report(markdown::render);
    assert!(out.starts_with("## ❌ driftgate: 3 errors, 1 warning, 1 info, 1 check errored\n"));
    assert!(out.contains("| ❌ error | 3 |"));
    assert!(out.contains("| 💤 waived | 1 |"));
    assert!(out.contains("### ❌ D52 · vm-lan-ip-octet (2 findings)"));
    assert!(out.contains("> How to fix D52."));
    assert!(out.contains(
        "| ops/bindings/vm.lifecycle.yaml:11 | vm:pve/215 | VM 215 (immich): LAN IP last octet 51 does not match the VM id 215 |"
    ));
    // Non-spine locations carry the repo; HTML is escaped.
    assert!(out.contains(
        "| workbench:ops/bindings/ssh.targets.yaml:4 | ssh_host:immich | ssh target `immich`: description has \"quotes\" &amp; &lt;angle&gt; brackets |"
    ));
    assert!(out.contains("- ⛔ **D90** (broken-rule) errored: jq: error"));
    assert!(out.contains("- ⏭️ **D80** (exec-only-gate) skipped: exec gates disabled (--no-exec)"));
    assert!(out.contains("- **D52** vm:pve/204 — GAP-OP-12: renumbering scheduled"));
    assert!(out.contains("| spine | work tree | `0123456789ab` |"));
    assert!(out.contains("| legacy | work tree | — |"));
}

#[test]
fn clean_run_is_green() {
    let fx = Fixture::new()
        .check("D1", "gate-one", CheckStatus::Ran)
        .finding(Finding::new(
            "D2",
            Severity::Warning,
            Location::file(RepoId::Spine, "a.yaml"),
            "just a warning",
        ));
    let out = fx.with_report(markdown::render);
    assert!(out.starts_with("## ✅ driftgate: 1 warning\n"), "{out}");
    let clean = Fixture::new().with_report(markdown::render);
    assert!(clean.starts_with("## ✅ driftgate: no findings\n"));
}

#[test]
fn cells_cannot_break_the_table() {
    let fx = Fixture::new().finding(
        Finding::new(
            "D3",
            Severity::Error,
            Location::file(RepoId::Spine, "a|b.yaml"),
            "pipe | here\r\nsecond line\n<script>alert(1)</script>\u{0}\u{1b}",
        )
        .with_subject("service:x|y"),
    );
    let out = fx.with_report(markdown::render);
    let row = out
        .lines()
        .find(|l| l.starts_with("| a"))
        .expect("row present");
    assert_eq!(
        row,
        "| a\\|b.yaml | service:x\\|y | pipe \\| here<br>second line<br>&lt;script&gt;alert(1)&lt;/script&gt; |"
    );
    // The row has exactly 4 unescaped pipes (3 cells).
    let unescaped = row.replace("\\|", "").matches('|').count();
    assert_eq!(unescaped, 4);
}

#[test]
fn long_runs_are_capped() {
    let mut fx = Fixture::new();
    for i in 0..250 {
        fx = fx.finding(Finding::new(
            if i % 2 == 0 { "D10" } else { "D11" },
            Severity::Error,
            Location::file(RepoId::Spine, format!("f{i:03}.yaml")),
            format!("finding {i}"),
        ));
    }
    let out = fx.with_report(markdown::render);
    let rows = out.lines().filter(|l| l.starts_with("| f")).count();
    assert_eq!(rows, markdown::MAX_FINDINGS);
    assert!(out.contains("… 50 more findings (see the JUnit, SARIF or JSON report)"));
    assert!(out.starts_with("## ❌ driftgate: 250 errors\n"));
}
