//! `--format json` round-trips: serialize, parse, compare with the findings.

mod report_support;

use driftgate::findings::Disposition;
use driftgate::report::json;
use report_support::*;
use serde_json::Value;

#[test]
fn round_trip_keeps_every_finding_and_the_counts() {
    let fx = scenario();
    let text = fx.with_report(json::render);
    let v: Value = serde_json::from_str(&text).expect("valid JSON");
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), fx.findings.len());
    for (j, f) in findings.iter().zip(&fx.findings) {
        for key in [
            "repo", "path", "line", "column", "code", "severity", "message", "subject",
        ] {
            assert!(j.get(key).is_some(), "{key} missing in {j}");
        }
        assert_eq!(j["repo"], f.location.repo.as_str());
        assert_eq!(j["path"], f.location.path.as_str());
        assert_eq!(j["line"], f.location.line());
        assert_eq!(j["column"], f.location.col());
        assert_eq!(j["code"], f.code.as_str());
        assert_eq!(j["severity"], f.severity.as_str());
        assert_eq!(j["message"], f.message.as_str());
        assert_eq!(j["subject"].as_str(), f.subject.as_deref());
        assert_eq!(j["fingerprint"], f.fingerprint());
        assert_eq!(j["waived"], !matches!(f.disposition, Disposition::Active));
        assert_eq!(j["related"].as_array().unwrap().len(), f.related.len());
    }
    let c = fx.with_report(|r| r.counts());
    let s = &v["summary"];
    assert_eq!(s["errors"], c.error);
    assert_eq!(s["warnings"], c.warning);
    assert_eq!(s["info"], c.info);
    assert_eq!(s["waived"], c.waived);
    assert_eq!(s["files_read"], 7);
    let active = findings.iter().filter(|f| f["waived"] == false).count();
    assert_eq!(active, c.error + c.warning + c.info);
    assert_eq!(v["checks"].as_array().unwrap().len(), fx.checks.len());
    assert_eq!(v["checks"][5]["status"], "errored");
    assert_eq!(v["repos"].as_array().unwrap().len(), 3);
}

#[test]
fn hostile_text_stays_valid_json() {
    use driftgate::findings::{Finding, Location, RepoId, Severity};
    let nasty = "ctl \u{0}\u{1b}[31m ]]> \"q\" <x> \\ \u{fffe} \u{2028} end\r\n";
    let fx = Fixture::new().finding(Finding::new(
        "D1",
        Severity::Error,
        Location::file(RepoId::Spine, nasty),
        nasty,
    ));
    let text = fx.with_report(json::render);
    let v: Value = serde_json::from_str(&text).unwrap();
    // Control characters in messages are made visible (`\u{1b}`) by every
    // reporter; newlines and everything else survive as they were.
    let shown: String = nasty
        .chars()
        .flat_map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                c.escape_unicode().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    assert_eq!(v["findings"][0]["message"], shown.as_str());
    assert!(!v["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains('\u{1b}'));
    // Paths never need control characters: all of them (newlines too)
    // are shown escaped, the same in every format.
    let path_shown: String = nasty
        .chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_unicode().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    assert_eq!(v["findings"][0]["path"], path_shown.as_str());
}

fn check_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/reports/check.schema.json"),
    )
    .expect("schema file");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

fn assert_valid(v: &Value, what: &str) {
    let errors: Vec<String> = check_schema()
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} breaks check.schema.json: {errors:#?}"
    );
}

#[test]
fn reports_validate_against_the_shipped_schema() {
    // The library scenario: waived, skipped and errored checks, related
    // locations, every severity.
    let fx = scenario();
    let v: Value = serde_json::from_str(&fx.with_report(json::render)).expect("JSON");
    assert_valid(&v, "the scenario");
    // Real runs of the binary: the demo with exec gates, and a hostile spine.
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/demo");
    for extra in [&[][..], &["--no-exec"][..]] {
        let out = assert_cmd::Command::cargo_bin("driftgate")
            .expect("binary")
            .args(["check", "--format", "json", "--now", "2026-11-20"])
            .args(extra)
            .arg(&demo)
            .output()
            .expect("runs");
        let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert!(v["findings"].as_array().is_some_and(|f| !f.is_empty()));
        assert_valid(&v, "the demo run");
    }
    // The schema is not a rubber stamp.
    let mut bad = v.clone();
    bad["findings"][0]["severity"] = Value::from("fatal");
    assert!(!check_schema().is_valid(&bad));
}
