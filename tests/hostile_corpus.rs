//! The committed hostile corpus (tests/fixtures/hostile): every broken file
//! is reported at its position, every report stays well-formed, the secret
//! never leaves, and the run ends with exit 1 (findings), not a crash.

mod common;

use common::*;

fn corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    copy_tree(&fixtures().join("hostile"), dir.path());
    dir
}

#[test]
fn every_hostile_file_is_reported_and_every_report_is_well_formed() {
    let dir = corpus();
    let spine = dir.path().join("spine");
    let junit = dir.path().join("out.xml");
    let sarif = dir.path().join("out.sarif");
    let out = check_json_cmd(&spine)
        .arg("--junit")
        .arg(&junit)
        .arg("--sarif")
        .arg(&sarif)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json_of(&out);
    let has = |code: &str, file: &str, line: u64| {
        r["findings"].as_array().into_iter().flatten().any(|f| {
            f["code"] == code
                && f["path"] == format!("ops/bindings/{file}")
                && f["line"].as_u64() == Some(line)
        })
    };
    assert!(
        has("parse/syntax", "unclosed-quote.yaml", 2)
            || has("parse/syntax", "unclosed-quote.yaml", 3)
    );
    assert!(has("parse/syntax", "bad-indent.yaml", 4));
    assert!(has("parse/syntax", "tab-indent.yaml", 3));
    assert!(has("parse/duplicate-key", "duplicate-keys.yaml", 3));
    assert!(has("parse/merge-key", "merge-keys.yaml", 3));
    assert!(has("parse/encoding", "latin1.yaml", 2));
    assert!(has("parse/binary", "nul-bytes.yaml", 2));
    assert!(has("parse/multi-document", "vm.lifecycle.yaml", 6));
    // BOM + CRLF: the bad date is found on line 2 by the conventions gate.
    assert!(
        r["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["path"] == "ops/bindings/bom-crlf.yaml"
                && f["line"].as_u64() == Some(2)
                && f["code"] == "D129"),
        "{r}"
    );
    // The hostile status value reaches a message (D129 vocabulary).
    assert!(r["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|f| f["path"] == "ops/bindings/xml-hostile.yaml"));

    // No secret in any output.
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let junit_text = std::fs::read_to_string(&junit).expect("junit written");
    let sarif_text = std::fs::read_to_string(&sarif).expect("sarif written");
    for text in [&stdout, &junit_text, &sarif_text] {
        assert!(!text.contains("kQ7xD2bN4CNTRL"), "secret leaked");
    }
    // JUnit is well-formed XML whose failure count equals the active findings.
    let doc = roxmltree::Document::parse(&junit_text).expect("well-formed JUnit");
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    let active = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["waived"] == false)
        .count();
    assert_eq!(failures, active);
    // SARIF is valid JSON with one result per active finding.
    let s: serde_json::Value = serde_json::from_str(&sarif_text).expect("SARIF is JSON");
    assert_eq!(
        s["runs"][0]["results"].as_array().map(Vec::len),
        Some(active)
    );
}

#[test]
fn human_output_survives_the_corpus() {
    let dir = corpus();
    let out = driftgate()
        .args(["check", "--no-exec", "--now", "2026-11-20", "--spine"])
        .arg(dir.path().join("spine"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("files read"), "summary line ends the output");
    assert!(!text.contains("kQ7xD2bN4CNTRL"));
    assert!(
        !text.contains('\u{1}'),
        "control characters are not echoed raw"
    );
    assert!(
        !text.contains('\u{1b}'),
        "no terminal escape from a committed value"
    );
    assert!(text.contains("\\u{1b}"), "the escape is shown, visibly");
}
