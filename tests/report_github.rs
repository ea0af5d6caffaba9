//! `--format github` workflow commands.

mod report_support;

use driftgate::findings::{Finding, Location, RepoId, Severity};
use driftgate::report::github;
use report_support::*;

#[test]
fn scenario_annotations() {
    let fx = scenario();
    let out = fx.with_report(github::render);
    let lines: Vec<&str> = out.lines().collect();
    // 5 active findings + 1 errored check + summary.
    assert_eq!(lines.len(), 7, "{out}");
    assert_eq!(
        lines[0],
        "::error file=ops/bindings/vm.lifecycle.yaml,line=7,col=13,title=D52::VM 215 (immich): second problem on the same subject"
    );
    assert!(out.contains(
        "::error file=ops/bindings/vm.lifecycle.yaml,line=10,col=13,title=schema/vm.lifecycle::VM 215 (immich): status `stoped` is not one of active, stopped, decommissioned, planned%0Ahelp: use one of the statuses of the vm.lifecycle schema\n"
    ));
    // The workbench lies inside the spine dir in the fixture: prefixed path.
    assert!(
        out.contains(
            "::warning file=workbench/ops/bindings/ssh.targets.yaml,line=4,col=27,title=D69::"
        ),
        "{out}"
    );
    // Legacy is elsewhere: no file=, location in the message; info → notice.
    assert!(out.contains(
        "::notice title=D401::legacy:infrastructure/data/backup_inventory.json:1:1: backup inventory"
    ), "{out}");
    // Waived findings are not annotated.
    assert!(!out.contains("VM 204"));
    assert!(out.contains("::error title=D90::check D90 (broken-rule) errored: jq: error"));
    assert_eq!(*lines.last().unwrap(), fx.with_report(|r| r.summary_line()));
}

#[test]
fn escaping_prevents_command_injection() {
    let fx = Fixture::new().finding(
        Finding::new(
            "D5,x:y",
            Severity::Error,
            Location::file(RepoId::Spine, "dir,with:odd%chars.yaml"),
            "100% broken\r\n::set-env name=X::pwned\nthird",
        )
        .with_help("a\nb"),
    );
    let out = fx.with_report(github::render);
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        "::error file=dir%2Cwith%3Aodd%25chars.yaml,title=D5%2Cx%3Ay::100%25 broken%0D%0A::set-env name=X::pwned%0Athird%0Ahelp: a%0Ab"
    );
    // Exactly one workflow command line (plus the summary).
    assert_eq!(out.lines().filter(|l| l.starts_with("::")).count(), 1);
    assert_eq!(out.lines().count(), 2);
}

#[test]
fn multiline_span_reports_end_line() {
    let start = VM_TEXT.find("photo library").unwrap();
    let end = VM_TEXT.find("2024").unwrap() + 5; // includes the final newline
    let fx = Fixture::new()
        .source(RepoId::Spine, VM_LIFECYCLE, VM_TEXT)
        .finding(Finding::new(
            "D77",
            Severity::Warning,
            Location::at(RepoId::Spine, VM_LIFECYCLE, span_at(VM_TEXT, start, end)),
            "notes",
        ));
    let out = fx.with_report(github::render);
    assert!(out.starts_with(
        "::warning file=ops/bindings/vm.lifecycle.yaml,line=13,col=7,endLine=14,title=D77::notes\n"
    ), "{out}");
}

#[test]
fn escape_helpers() {
    assert_eq!(github::escape_data("a%b\rc\nd:e,f"), "a%25b%0Dc%0Ad:e,f");
    assert_eq!(
        github::escape_property("a%b\rc\nd:e,f"),
        "a%25b%0Dc%0Ad%3Ae%2Cf"
    );
}
