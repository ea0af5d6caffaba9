//! Property tests for the YAML → value + span layer: any input, no panic,
//! every span inside the file and on a character boundary.

use driftgate::documents::yaml::YamlDoc;
use driftgate::documents::Document;
use driftgate::findings::RepoId;
use proptest::prelude::*;
use serde_json::Value;

/// Every node's spans lie inside the file on character boundaries, and
/// subtree sizes stay inside the table.
fn check_spans(text: &str, d: &YamlDoc) -> Result<(), TestCaseError> {
    let nodes = d.spans.nodes();
    for (i, n) in nodes.iter().enumerate() {
        let (s, e) = n.span();
        prop_assert!(s <= e, "start {} > end {}", s, e);
        prop_assert!(e <= text.len());
        prop_assert!(text.is_char_boundary(s) && text.is_char_boundary(e));
        if let Some((ks, ke)) = n.key() {
            prop_assert!(ks <= ke && ke <= text.len());
            prop_assert!(text.is_char_boundary(ks) && text.is_char_boundary(ke));
        }
        prop_assert!(i + n.size() <= nodes.len());
    }
    Ok(())
}

/// The span table fits the value: one node per value node, and every path
/// of the value resolves to a span (map members with a key span).
fn check_fit(d: &YamlDoc) -> Result<(), TestCaseError> {
    fn count(v: &Value) -> usize {
        1 + match v {
            Value::Array(a) => a.iter().map(count).sum(),
            Value::Object(m) => m.values().map(count).sum(),
            _ => 0,
        }
    }
    fn visit(d: &YamlDoc, v: &Value, path: &mut Vec<String>) -> Result<(), TestCaseError> {
        let (span, _) = d.walk(path);
        prop_assert!(span.is_some(), "no span for {:?}", path);
        match v {
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    path.push(i.to_string());
                    visit(d, x, path)?;
                    prop_assert!(d.walk(path).1.is_none(), "array item with a key span");
                    path.pop();
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    path.push(k.clone());
                    visit(d, x, path)?;
                    prop_assert!(
                        d.walk(path).1.is_some(),
                        "member {:?} without key span",
                        path
                    );
                    path.pop();
                }
            }
            _ => {}
        }
        Ok(())
    }
    prop_assert_eq!(d.spans.len(), count(&d.value));
    visit(d, &d.value, &mut Vec::new())
}

fn check_doc(bytes: &[u8]) -> Result<(), TestCaseError> {
    let doc = Document::parse(RepoId::Spine, "p.yaml", bytes);
    let text = &doc.text;
    for d in &doc.docs {
        check_spans(text, d)?;
        check_fit(d)?;
    }
    for f in &doc.problems {
        let loc = &f.location;
        if let Some(s) = loc.span {
            prop_assert!(s.start <= s.end && s.end <= text.len());
            prop_assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
            prop_assert!(s.line >= 1 && s.line <= doc.lines().line_count());
            prop_assert!(s.col >= 1);
        }
    }
    Ok(())
}

/// YAML-ish text: indentation, keys, flow punctuation, quotes, anchors,
/// multibyte characters, CRLF and BOMs mixed at random.
fn yamlish() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        Just("key: ".to_string()),
        Just("- ".to_string()),
        Just("  ".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\t".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just(", ".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just("&a ".to_string()),
        Just("*a".to_string()),
        Just("<<: ".to_string()),
        Just("---\n".to_string()),
        Just("# c\n".to_string()),
        Just("é".to_string()),
        Just("日本".to_string()),
        Just("\u{feff}".to_string()),
        Just("|\n  ".to_string()),
        Just("192.168.1.5".to_string()),
        "[a-z0-9]{1,6}",
    ];
    proptest::collection::vec(atom, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn yamlish_text_never_panics_and_spans_are_sound(s in yamlish()) {
        check_doc(s.as_bytes())?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..400)) {
        check_doc(&b)?;
    }

    #[test]
    fn pointer_lookup_of_every_member_lands_on_its_key(keys in proptest::collection::vec("[a-z]{1,8}", 1..12)) {
        let mut text = String::from("root:\n");
        let mut uniq = keys.clone();
        uniq.sort();
        uniq.dedup();
        for (i, k) in uniq.iter().enumerate() {
            text.push_str(&format!("  {k}: {i}\n"));
        }
        let doc = Document::parse(RepoId::Spine, "p.yaml", text.as_bytes());
        prop_assert!(doc.problems.is_empty());
        for (i, k) in uniq.iter().enumerate() {
            let loc = doc.location(&format!("/root/{k}"));
            let s = loc.span.expect("span");
            prop_assert_eq!(&text[s.start..s.end], k.as_str());
            prop_assert_eq!(s.line, i + 2);
            prop_assert_eq!(s.col, 3);
        }
    }
}
