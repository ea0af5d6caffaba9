//! `--junit FILE`: JUnit XML (quick-junit).
//!
//! - one `<testsuite>` per code: every check record's code (passing, skipped
//!   and errored checks included) plus every code that only findings carry
//!   (`parse/...`, `config`, ...); suites in natural code order;
//! - one `<testcase>` per finding, named after its subject (`vm:pve/215`, or
//!   `repo:path` when it has none); names are unique within a suite
//!   (` #2`, ` #3` for repeats), classname is the code;
//! - an active finding is a `<failure>` (message = the finding message,
//!   type = severity, text = `repo:path:line:col`, message, help, related),
//!   so the number of failures equals the number of active findings;
//! - a waived finding is `<skipped>` with the waiver reason;
//! - a check that ran with no active finding is one passing testcase named
//!   after the check; a skipped check one `<skipped>` testcase with the
//!   reason; an errored check one `<error>` testcase.
//!
//! All text goes through [`xml_text`]: characters XML 1.0 cannot carry are
//! replaced, so the file stays well-formed whatever the messages contain
//! (quick-junit escapes `<`, `&`, `"` and `]]>` itself: it writes text nodes,
//! not CDATA).

use super::{redact, Report};
use crate::findings::{CheckRecord, CheckStatus, Disposition, Finding};
use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};
use std::collections::HashMap;
use std::time::Duration;

/// Longest `message` attribute (the full text is in the element body).
const MAX_ATTR_CHARS: usize = 500;

pub fn render(r: &Report) -> String {
    redact::scrubbed(r, render_inner)
}

/// Replaces characters outside the XML 1.0 `Char` production (C0 controls
/// other than tab/LF/CR, U+FFFE, U+FFFF) and the discouraged C1 controls by
/// U+FFFD. (Lone surrogates cannot occur in a Rust `str`.)
pub fn xml_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' => '\u{fffd}',
            '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
            _ => c,
        })
        .collect()
}

/// One line, XML-safe, bounded: for attributes.
fn attr(s: &str) -> String {
    let one = super::short::one_line(s);
    let mut out: String = xml_text(&one).chars().take(MAX_ATTR_CHARS).collect();
    if one.chars().count() > MAX_ATTR_CHARS {
        out.push('…');
    }
    out
}

#[derive(Default)]
struct Suite<'a> {
    check: Option<&'a CheckRecord>,
    findings: Vec<&'a Finding>,
}

/// Hands out unique test names within one suite.
#[derive(Default)]
struct Names(HashMap<String, usize>);

impl Names {
    fn unique(&mut self, base: &str) -> String {
        let mut base = xml_text(base);
        if base.is_empty() {
            base = "(unnamed)".into();
        }
        let mut n = *self.0.get(&base).unwrap_or(&0);
        loop {
            n += 1;
            let candidate = if n == 1 {
                base.clone()
            } else {
                format!("{base} #{n}")
            };
            if !self.0.contains_key(&candidate) {
                self.0.insert(base.clone(), n);
                self.0.insert(candidate.clone(), 1);
                return candidate;
            }
        }
    }
}

fn failure_text(f: &Finding) -> String {
    let mut t = format!("{}\n{}", f.location.display(), f.message);
    if let Some(h) = &f.help {
        t.push_str("\nhelp: ");
        t.push_str(h);
    }
    for rel in &f.related {
        t.push_str(&format!(
            "\nrelated: {} {}",
            rel.location.display(),
            rel.message
        ));
    }
    if let Some(s) = &f.subject {
        t.push_str(&format!("\nsubject: {s}"));
    }
    t.push_str(&format!("\nfingerprint: {}", f.fingerprint()));
    xml_text(&t)
}

fn finding_case(f: &Finding, names: &mut Names) -> TestCase {
    let name = names.unique(&f.subject_or_path());
    let status = match &f.disposition {
        Disposition::Active => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            st.set_message(attr(&f.message))
                .set_type(f.severity.as_str())
                .set_description(failure_text(f));
            st
        }
        Disposition::Waived { reason } => {
            let mut st = TestCaseStatus::skipped();
            st.set_message(attr(&format!("waived: {reason}")))
                .set_type("waived")
                .set_description(failure_text(f));
            st
        }
    };
    let mut tc = TestCase::new(name, status);
    tc.set_classname(xml_text(&f.code));
    tc
}

fn check_case(c: &CheckRecord, has_active: bool, names: &mut Names) -> Option<TestCase> {
    let status = match &c.status {
        CheckStatus::Ran if has_active => return None,
        CheckStatus::Ran => TestCaseStatus::success(),
        CheckStatus::Skipped(reason) => {
            let mut st = TestCaseStatus::skipped();
            st.set_message(attr(reason));
            st
        }
        CheckStatus::Errored(reason) => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
            st.set_message(attr(reason))
                .set_type("check-error")
                .set_description(xml_text(reason));
            st
        }
    };
    let base = if c.name.is_empty() { &c.code } else { &c.name };
    let mut tc = TestCase::new(names.unique(base), status);
    tc.set_classname(xml_text(&c.code));
    tc.set_time(Duration::from_millis(c.millis));
    Some(tc)
}

/// quick-junit writes a `skipped` count on the root `<testsuites>`, which
/// Jenkins xUnit's `junit-10.xsd` does not allow there (xUnit then drops the
/// whole file); per-suite `skipped` counts are allowed and stay. quick-junit
/// has no switch for it, so the attribute is removed from the root start
/// tag only (quick-junit writes that tag itself, with numeric values).
fn drop_root_skipped(xml: String) -> String {
    let Some(start) = xml.find("<testsuites ") else {
        return xml;
    };
    let Some(len) = xml[start..].find('>') else {
        return xml;
    };
    let tag = &xml[start..start + len];
    let Some(at) = tag.find(" skipped=\"") else {
        return xml;
    };
    let value_start = at + " skipped=\"".len();
    let Some(value_len) = tag[value_start..].find('"') else {
        return xml;
    };
    let cut = start + at..start + value_start + value_len + 1;
    let mut out = xml;
    out.replace_range(cut, "");
    out
}

fn render_inner(r: &Report) -> String {
    let mut suites: HashMap<&str, Suite> = HashMap::new();
    for c in r.checks {
        suites.entry(c.code.as_str()).or_default().check = Some(c);
    }
    for f in r.findings {
        suites.entry(f.code.as_str()).or_default().findings.push(f);
    }
    let mut suites: Vec<(&str, Suite)> = suites.into_iter().collect();
    suites.sort_by(|a, b| super::cmp_codes(a.0, b.0));

    let mut report = JReport::new("driftgate");
    report.set_time(Duration::from_millis(
        u64::try_from(r.elapsed_ms).unwrap_or(u64::MAX),
    ));
    for (code, suite) in &suites {
        let mut ts = TestSuite::new(xml_text(code));
        let mut names = Names::default();
        if let Some(c) = suite.check {
            ts.set_time(Duration::from_millis(c.millis));
            if let Some(h) = &c.help {
                ts.add_property(("help", xml_text(h).as_str()));
            }
            if !c.name.is_empty() {
                ts.add_property(("name", xml_text(&c.name).as_str()));
            }
        }
        for f in &suite.findings {
            ts.add_test_case(finding_case(f, &mut names));
        }
        if let Some(c) = suite.check {
            let has_active = suite.findings.iter().any(|f| f.is_active());
            if let Some(tc) = check_case(c, has_active, &mut names) {
                ts.add_test_case(tc);
            }
        }
        report.add_test_suite(ts);
    }
    match report.to_string() {
        Ok(s) => {
            let mut s = drop_root_skipped(s);
            if !s.ends_with('\n') {
                s.push('\n');
            }
            s
        }
        // Serialisation into memory only fails on writer errors; keep the
        // file well-formed anyway.
        Err(e) => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"driftgate\" tests=\"0\" failures=\"0\" errors=\"1\"><!-- {} --></testsuites>\n",
            xml_text(&e.to_string()).replace("--", "- -")
        ),
    }
}
