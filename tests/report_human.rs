//! Human (miette) output.

mod report_support;

use driftgate::findings::{Finding, Location, RepoId, Severity};
use driftgate::report::human;
use report_support::*;

fn plain(fx: &Fixture) -> String {
    fx.with_report(human::render)
}

#[test]
fn scenario_snapshot() {
    let out = plain(&scenario());
    insta::assert_snapshot!("human_scenario", out);
}

#[test]
fn crlf_source_leaves_no_carriage_return_and_columns_are_chars() {
    let out = plain(&scenario());
    assert!(!out.contains('\r'), "{out:?}");
    // `Ümlaut` is at char column 27 of line 4 (byte column 29).
    assert!(
        out.contains("╭─[workbench:ops/bindings/ssh.targets.yaml:4:27]"),
        "{out}"
    );
}

#[test]
fn multiline_and_empty_spans_snapshot() {
    let start = VM_TEXT.find("photo library").unwrap();
    let end = VM_TEXT.find("2024").unwrap() + 4;
    let point = VM_TEXT.find("proxmox_host").unwrap();
    let fx = Fixture::new()
        .source(RepoId::Spine, VM_LIFECYCLE, VM_TEXT)
        .finding(
            Finding::new(
                "D77",
                Severity::Warning,
                Location::at(RepoId::Spine, VM_LIFECYCLE, span_at(VM_TEXT, start, end)),
                "VM 215 (immich): notes span several lines",
            )
            .with_help("keep notes on one line"),
        )
        .finding(Finding::new(
            "parse/merge-key",
            Severity::Error,
            Location::at(RepoId::Spine, VM_LIFECYCLE, span_at(VM_TEXT, point, point)),
            "an empty span points at a position",
        ));
    let out = plain(&fx);
    insta::assert_snapshot!("human_multiline_empty", out);
}

#[test]
fn every_active_finding_is_rendered_with_code_message_and_help() {
    let fx = scenario();
    let out = plain(&fx);
    for f in fx.findings.iter().filter(|f| f.is_active()) {
        assert!(out.contains(&f.code), "{} missing", f.code);
        assert!(out.contains(&f.message), "{} missing", f.message);
        if let Some(h) = &f.help {
            assert!(out.contains(h.as_str()), "{h} missing");
        }
    }
    // The waived finding is listed briefly, not as a diagnostic.
    assert!(out.contains("waived: D52 vm:pve/204 — GAP-OP-12: renumbering scheduled"));
    assert!(!out.contains("VM 204 (infra-core): LAN IP drift"));
    // Errored check shown; summary last.
    assert!(out.contains("check errored: D90 (broken-rule) — jq: error"));
    let last = out.lines().last().unwrap();
    assert_eq!(last, fx.with_report(|r| r.summary_line()));
}

#[test]
fn related_span_in_same_file_is_a_label_other_file_a_line() {
    let out = plain(&scenario());
    assert!(out.contains("╰── VM id declared here"), "{out}");
    assert!(out.contains(
        "related: workbench:ops/bindings/ssh.targets.yaml:3:11 ssh target `immich` uses 10.0.0.215"
    ));
}

#[test]
fn no_source_or_stale_span_gives_location_line_not_snippet() {
    let fx = Fixture::new()
        // Span beyond the end of the known text: stale source.
        .source(RepoId::Spine, "a.yaml", "x: 1\n")
        .finding(Finding::new(
            "D1",
            Severity::Error,
            Location::at(
                RepoId::Spine,
                "a.yaml",
                span_at("0123456789\n0123456789\n", 15, 17),
            ),
            "stale",
        ))
        .finding(Finding::new(
            "D2",
            Severity::Error,
            Location::at(RepoId::Spine, "missing.yaml", span_at("ab\ncd\n", 4, 5)),
            "no source",
        ));
    let out = plain(&fx);
    assert!(out.contains("at spine:a.yaml:2:5"), "{out}");
    assert!(out.contains("at spine:missing.yaml:2:2"), "{out}");
    assert!(!out.contains('╭'), "{out}");
}

#[test]
fn colour_only_when_asked() {
    let fx = scenario();
    let plain_out = fx.with_report(|r| human::render_colored(r, false));
    let colour_out = fx.with_report(|r| human::render_colored(r, true));
    assert!(!plain_out.contains('\u{1b}'));
    assert!(colour_out.contains("\u{1b}["));
    // Links are never emitted (no OSC 8 hyperlinks).
    assert!(!colour_out.contains("\u{1b}]8;"));
}

#[test]
fn secret_in_source_snippet_is_masked() {
    let text = "service: grafana\nadmin_password: hunter2-very-secret\nport: 3000\n";
    let fx = Fixture::new()
        .source(RepoId::Spine, "ops/bindings/grafana.yaml", text)
        .finding(
            Finding::new(
                "D300",
                Severity::Error,
                at(
                    RepoId::Spine,
                    "ops/bindings/grafana.yaml",
                    text,
                    "hunter2-very-secret",
                ),
                "plain-text credential in a binding",
            )
            .with_subject("service:grafana"),
        );
    let out = plain(&fx);
    assert!(!out.contains("hunter2"), "{out}");
    assert!(out.contains("admin_password: *******************"), "{out}");
    // The label still sits under the (masked) value.
    assert!(out.contains("service:grafana"));
}

#[test]
fn huge_spans_are_cut_to_their_first_line() {
    let text: String = (1..=200).map(|i| format!("k{i}: v{i}\n")).collect();
    let fx = Fixture::new()
        .source(RepoId::Spine, "big.yaml", &text)
        .finding(Finding::new(
            "schema/x",
            Severity::Error,
            Location::at(RepoId::Spine, "big.yaml", span_at(&text, 0, text.len())),
            "the whole document is wrong",
        ));
    let out = plain(&fx);
    assert!(out.contains("here (continues to line 200)"), "{out}");
    assert!(out.contains("k1: v1"));
    assert!(!out.contains("k100: v100"), "{out}");
    assert!(out.lines().count() < 20, "{out}");
}

#[test]
fn very_long_lines_are_not_drawn() {
    let text = format!("{{\"a\": \"{}\", \"bad\": 1}}\n", "x".repeat(5000));
    let at_bad = text.find("\"bad\"").unwrap();
    let fx = Fixture::new()
        .source(RepoId::Spine, "min.json", &text)
        .finding(Finding::new(
            "schema/x",
            Severity::Error,
            Location::at(
                RepoId::Spine,
                "min.json",
                span_at(&text, at_bad, at_bad + 5),
            ),
            "unexpected key",
        ));
    let out = plain(&fx);
    assert!(
        out.contains(&format!("at spine:min.json:1:{}", at_bad + 1)),
        "{out}"
    );
    assert!(!out.contains("xxxxxxxxxx"));
}

#[test]
fn huge_messages_are_bounded() {
    let fx = Fixture::new().finding(Finding::new(
        "D1",
        Severity::Error,
        Location::file(RepoId::Spine, "a.yaml"),
        "é".repeat(human::MAX_MESSAGE_CHARS + 500),
    ));
    let out = plain(&fx);
    assert!(
        out.contains("… (500 more characters; see --format json)"),
        "{out}"
    );
    assert!(out.chars().filter(|&c| c == 'é').count() == human::MAX_MESSAGE_CHARS);
}
