//! End to end: the real pipeline on tests/fixtures/demo, every reporter's
//! output parsed back and compared with the run's findings.

use driftgate::check::{self, CheckOptions, Run, Sources};
use driftgate::gates::GateOptions;
use driftgate::report::{github, human, json, junit, markdown, sarif, short, Report};
use serde_json::Value;
use std::path::Path;

fn demo_run() -> Run {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/demo");
    let opts = CheckOptions {
        sources: Sources {
            spine: demo.join("spine"),
            workbench: Some(demo.join("workbench")),
            legacy: Some(demo.join("legacy")),
        },
        gates: GateOptions {
            now: chrono::NaiveDate::from_ymd_opt(2026, 11, 20),
            exec: false,
            ..Default::default()
        },
        no_cache: true,
        ..Default::default()
    };
    check::run(&opts)
}

/// Renders with the Report the command line renders (`Run::with_report`).
fn with_report<T>(run: &Run, f: impl FnOnce(&Report) -> T) -> T {
    run.with_report(f)
}

fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sarif/sarif-schema-2.1.0.json"),
    )
    .unwrap();
    let mut schema: Value = serde_json::from_str(&text).unwrap();
    // Same in-memory fix of the schema's broken `language` pattern as in
    // tests/report_sarif.rs.
    for def in ["run", "toolComponent"] {
        schema["definitions"][def]["properties"]["language"]["pattern"] =
            "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into();
    }
    jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

#[test]
fn demo_outputs_agree_with_the_findings() {
    let run = demo_run();
    let active: Vec<_> = run.findings.iter().filter(|f| f.is_active()).collect();
    assert!(
        active.len() >= 5,
        "the demo has planted drift: {:?}",
        run.findings
    );
    // S1 in DRIFT.md: `status: retired` at vm.lifecycle.yaml:337.
    let s1 = active
        .iter()
        .find(|f| f.location.path == "ops/bindings/vm.lifecycle.yaml" && f.location.line() == 337)
        .expect("S1 reported");

    // Human: every active finding's location and code; summary last.
    let h = with_report(&run, human::render);
    for f in &active {
        assert!(h.contains(&f.code), "human lacks {}", f.code);
    }
    assert!(h.contains(&format!(
        "╭─[spine:ops/bindings/vm.lifecycle.yaml:337:{}]",
        s1.location.col()
    )));
    assert!(h.contains("status: retired"), "snippet of S1 shown");
    assert_eq!(
        h.lines().last().unwrap(),
        with_report(&run, |r| r.summary_line())
    );

    // Short: one line per active finding + summary.
    let s = with_report(&run, short::render);
    assert_eq!(s.lines().count(), active.len() + 1);

    // JSON round-trip.
    let j: Value = serde_json::from_str(&with_report(&run, json::render)).unwrap();
    assert_eq!(j["findings"].as_array().unwrap().len(), run.findings.len());
    assert_eq!(
        j["summary"]["errors"].as_u64().unwrap() as usize
            + j["summary"]["warnings"].as_u64().unwrap() as usize
            + j["summary"]["info"].as_u64().unwrap() as usize,
        active.len()
    );

    // JUnit: failures == active findings; a suite per check code.
    let x = with_report(&run, junit::render);
    let doc = roxmltree::Document::parse(&x).expect("well-formed JUnit");
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert_eq!(failures, active.len());
    let suites: Vec<&str> = doc
        .root_element()
        .children()
        .filter_map(|n| n.attribute("name"))
        .collect();
    for c in &run.checks {
        assert!(suites.contains(&c.code.as_str()), "no suite for {}", c.code);
    }
    let s1_fail = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .find(|n| {
            n.text()
                .unwrap_or("")
                .starts_with("spine:ops/bindings/vm.lifecycle.yaml:337:")
        })
        .expect("S1 failure text names file:line");
    assert_eq!(s1_fail.attribute("message"), Some(s1.message.as_str()));

    // SARIF: valid; one result per finding; S1 region line 337.
    let v: Value = serde_json::from_str(&with_report(&run, sarif::render)).unwrap();
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&v)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), run.findings.len());
    assert!(results.iter().any(|r| {
        r["locations"][0]["physicalLocation"]["region"]["startLine"] == 337
            && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "ops/bindings/vm.lifecycle.yaml"
    }));
    // Waived findings (if the gates produced them) carry suppressions.
    let waived = run.findings.iter().filter(|f| !f.is_active()).count();
    assert_eq!(
        results
            .iter()
            .filter(|r| r.get("suppressions").is_some())
            .count(),
        waived
    );

    // GitHub: one command per active finding (+ errored checks).
    let g = with_report(&run, github::render);
    let errored = run
        .checks
        .iter()
        .filter(|c| matches!(c.status, driftgate::findings::CheckStatus::Errored(_)))
        .count();
    assert_eq!(
        g.lines().filter(|l| l.starts_with("::")).count(),
        active.len() + errored
    );
    assert!(g.contains(&format!(
        "file=ops/bindings/vm.lifecycle.yaml,line=337,col={},title={}::",
        s1.location.col(),
        s1.code.replace(':', "%3A")
    )));

    // Markdown: red verdict, S1 row.
    let m = with_report(&run, markdown::render);
    assert!(m.starts_with("## ❌ driftgate: "));
    assert!(m.contains("| ops/bindings/vm.lifecycle.yaml:337 | "));
}
