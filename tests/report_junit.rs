//! JUnit output: parses as XML, counts equal the findings, names unique,
//! detail in the failure text, hostile characters survive.

mod report_support;

use driftgate::findings::{CheckStatus, Finding, Location, RepoId, Severity};
use driftgate::report::junit;
use report_support::*;
use std::collections::{BTreeMap, HashSet};

fn xml(fx: &Fixture) -> String {
    fx.with_report(junit::render)
}

fn suites<'a>(doc: &'a roxmltree::Document<'a>) -> BTreeMap<String, roxmltree::Node<'a, 'a>> {
    doc.root_element()
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .map(|n| (n.attribute("name").unwrap().to_string(), n))
        .collect()
}

fn cases<'a>(suite: roxmltree::Node<'a, 'a>) -> Vec<roxmltree::Node<'a, 'a>> {
    suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect()
}

fn child<'a>(n: roxmltree::Node<'a, 'a>, tag: &str) -> Option<roxmltree::Node<'a, 'a>> {
    n.children().find(|c| c.has_tag_name(tag))
}

fn s_has_skipped_suite(doc: &roxmltree::Document) -> bool {
    doc.root_element()
        .children()
        .any(|n| n.attribute("skipped").is_some_and(|v| v != "0"))
}

#[test]
fn structure_and_counts_match_findings() {
    let fx = scenario();
    let text = xml(&fx);
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");

    let active = fx.findings.iter().filter(|f| f.is_active()).count();
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert_eq!(failures, active);
    assert_eq!(
        root.attribute("failures"),
        Some(active.to_string().as_str())
    );
    // One <error> for the errored check D90.
    assert_eq!(root.attribute("errors"), Some("1"));
    // Jenkins xUnit's junit-10.xsd allows only these on <testsuites>
    // (no `skipped`: xUnit drops a file that has it there).
    for attr in root.attributes() {
        assert!(
            ["name", "time", "tests", "failures", "disabled", "errors"].contains(&attr.name()),
            "<testsuites {}=…> is not allowed by junit-10.xsd",
            attr.name()
        );
    }
    assert!(
        s_has_skipped_suite(&doc),
        "suites still count their skipped cases"
    );

    let s = suites(&doc);
    // Every check code has a suite, plus codes only findings carry (D401).
    let names: Vec<&str> = doc
        .root_element()
        .children()
        .filter_map(|n| n.attribute("name"))
        .collect();
    assert_eq!(
        names,
        [
            "D52",
            "D69",
            "D70",
            "D80",
            "D90",
            "D401",
            "schema/vm.lifecycle"
        ]
    );

    // Names unique within each suite; declared counts agree with children.
    for (code, suite) in &s {
        let cs = cases(*suite);
        let mut seen = HashSet::new();
        for c in &cs {
            let name = c.attribute("name").unwrap();
            assert!(seen.insert(name), "duplicate testcase {name} in {code}");
            assert_eq!(c.attribute("classname"), Some(code.as_str()));
        }
        assert_eq!(
            suite.attribute("tests"),
            Some(cs.len().to_string().as_str())
        );
    }

    // D52: two active findings on vm:pve/215 and a waived one on vm:pve/204.
    let d52: Vec<_> = cases(s["D52"]);
    let names: Vec<&str> = d52.iter().map(|c| c.attribute("name").unwrap()).collect();
    assert_eq!(names, ["vm:pve/204", "vm:pve/215", "vm:pve/215 #2"]);
    let skipped = child(d52[0], "skipped").expect("waived → skipped");
    assert_eq!(
        skipped.attribute("message"),
        Some("waived: GAP-OP-12: renumbering scheduled")
    );
    let fail = child(d52[2], "failure").expect("failure");
    assert_eq!(
        fail.attribute("message"),
        Some("VM 215 (immich): LAN IP last octet 51 does not match the VM id 215")
    );
    let body = fail.text().unwrap();
    assert!(
        body.starts_with("spine:ops/bindings/vm.lifecycle.yaml:11:13\n"),
        "{body}"
    );
    assert!(body.contains("help: set lan_ip to 10.0.0.215"));
    assert!(body.contains("related: workbench:ops/bindings/ssh.targets.yaml:3:11"));
    // Check with findings has no extra passing testcase.
    assert_eq!(d52.len(), 3);

    // D70 ran clean → one passing testcase named after the check.
    let d70 = cases(s["D70"]);
    assert_eq!(d70.len(), 1);
    assert_eq!(d70[0].attribute("name"), Some("passing-gate"));
    assert!(d70[0].children().all(|c| !c.is_element()));

    // D80 skipped with reason; D90 errored.
    let d80 = cases(s["D80"]);
    assert_eq!(
        child(d80[0], "skipped").unwrap().attribute("message"),
        Some("exec gates disabled (--no-exec)")
    );
    let d90 = cases(s["D90"]);
    assert!(child(d90[0], "error")
        .unwrap()
        .attribute("message")
        .unwrap()
        .contains("cannot be iterated"));

    // A finding without a subject is named repo:path.
    let d401 = cases(s["D401"]);
    assert_eq!(d401[0].attribute("name"), Some("service:nas-old"));
}

#[test]
fn subjectless_findings_are_named_by_file_and_deduped() {
    let mk = |line: usize| {
        Finding::new(
            "parse/duplicate-key",
            Severity::Error,
            Location::at(
                RepoId::Spine,
                "ops/bindings/x.yaml",
                span_at(&"a\n".repeat(10), (line - 1) * 2, (line - 1) * 2 + 1),
            ),
            format!("duplicate key on line {line}"),
        )
    };
    let fx = Fixture::new()
        .finding(mk(2))
        .finding(mk(5))
        .finding(mk(7))
        // A subject literally equal to a deduped name must not collide.
        .finding(mk(9).with_subject("spine:ops/bindings/x.yaml #2"));
    let text = xml(&fx);
    let doc = roxmltree::Document::parse(&text).unwrap();
    let s = suites(&doc);
    let names: Vec<&str> = cases(s["parse/duplicate-key"])
        .iter()
        .map(|c| c.attribute("name").unwrap())
        .collect();
    assert_eq!(names.len(), 4);
    assert_eq!(names.iter().collect::<HashSet<_>>().len(), 4, "{names:?}");
    assert_eq!(names[0], "spine:ops/bindings/x.yaml");
    assert_eq!(names[1], "spine:ops/bindings/x.yaml #2");
    let fail = child(cases(s["parse/duplicate-key"])[1], "failure").unwrap();
    assert!(fail
        .text()
        .unwrap()
        .starts_with("spine:ops/bindings/x.yaml:5:1\n"));
}

#[test]
fn hostile_text_stays_well_formed() {
    let nasty = "ctl \u{0}\u{1}\u{8}\u{b}\u{c}\u{1b}[31m red ]]> \"quoted\" <tag attr='x'> & amp; \u{fffe}\u{ffff} \u{85} end\r\nline2";
    let fx = Fixture::new()
        .finding(
            Finding::new(
                "D99",
                Severity::Error,
                Location::file(RepoId::Spine, "ops/bindings/<weird> & \"name\".yaml"),
                nasty,
            )
            .with_help(nasty)
            .with_subject(format!("service:{nasty}")),
        )
        .check("D99", nasty, CheckStatus::Ran)
        .check("D98", "x", CheckStatus::Errored(nasty.into()))
        .check("D97", "y", CheckStatus::Skipped(nasty.into()));
    let text = xml(&fx);
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let fail = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    let msg = fail.attribute("message").unwrap();
    assert!(
        msg.contains("]]> \"quoted\" <tag attr='x'> & amp;"),
        "{msg}"
    );
    assert!(!msg.contains('\u{0}') && !msg.contains('\u{fffe}'));
    let body = fail.text().unwrap();
    assert!(body.contains("ops/bindings/<weird> & \"name\".yaml:1:1"));
    assert!(body.contains("]]>"));
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("error"))
            .count(),
        1
    );
}

#[test]
fn empty_run_is_valid() {
    let fx = Fixture::new();
    let text = xml(&fx);
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert_eq!(doc.root_element().attribute("tests"), Some("0"));
    assert_eq!(doc.root_element().attribute("failures"), Some("0"));
}
