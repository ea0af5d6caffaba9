//! `--format short`: one line per active finding, errored checks, summary.

mod report_support;

use driftgate::findings::{Finding, Location, RepoId, Severity};
use driftgate::report::short;
use report_support::*;

#[test]
fn scenario_lines() {
    let fx = scenario();
    let out = fx.with_report(short::render);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "spine:ops/bindings/vm.lifecycle.yaml:7:13: D52 VM 215 (immich): second problem on the same subject",
            "spine:ops/bindings/vm.lifecycle.yaml:10:13: schema/vm.lifecycle VM 215 (immich): status `stoped` is not one of active, stopped, decommissioned, planned",
            "spine:ops/bindings/vm.lifecycle.yaml:11:13: D52 VM 215 (immich): LAN IP last octet 51 does not match the VM id 215",
            "workbench:ops/bindings/ssh.targets.yaml:4:27: D69 ssh target `immich`: description has \"quotes\" & <angle> brackets",
            "legacy:infrastructure/data/backup_inventory.json:1:1: D401 backup inventory lists a host the spine does not know: `nas-old`",
            "driftgate: check D90 (broken-rule) errored: jq: error: null (null) cannot be iterated over",
            "7 files read · 3 errors, 1 warning, 1 info (1 waived) · 1 gate skipped · 42 ms",
        ]
    );
}

#[test]
fn newlines_in_messages_never_split_a_finding() {
    let fx = Fixture::new().finding(Finding::new(
        "D1",
        Severity::Error,
        Location::file(RepoId::Spine, "a.yaml"),
        "one\r\ntwo\nthree",
    ));
    let out = fx.with_report(short::render);
    assert_eq!(out.lines().count(), 2);
    // \r is shown as `\u{d}`, newlines become spaces.
    assert!(
        out.starts_with("spine:a.yaml:1:1: D1 one\\u{d} two three\n"),
        "{out}"
    );
}
