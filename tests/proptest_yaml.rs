//! Property tests for the YAML → value + span layer: any input, no panic,
//! every span inside the file and on a character boundary.

use driftgate::documents::yaml::{Kids, Node};
use driftgate::documents::Document;
use driftgate::findings::RepoId;
use proptest::prelude::*;

fn check_node(text: &str, n: &Node) -> Result<(), TestCaseError> {
    prop_assert!(n.start <= n.end, "start {} > end {}", n.start, n.end);
    prop_assert!(n.end <= text.len());
    prop_assert!(text.is_char_boundary(n.start) && text.is_char_boundary(n.end));
    match &n.kids {
        Kids::Leaf => {}
        Kids::Seq(items) => {
            for k in items {
                check_node(text, k)?;
            }
        }
        Kids::Map(entries) => {
            for (_, (ks, ke), v) in entries {
                prop_assert!(ks <= ke && *ke <= text.len());
                prop_assert!(text.is_char_boundary(*ks) && text.is_char_boundary(*ke));
                check_node(text, v)?;
            }
        }
    }
    Ok(())
}

fn check_doc(bytes: &[u8]) -> Result<(), TestCaseError> {
    let doc = Document::parse(RepoId::Spine, "p.yaml", bytes);
    let text = &doc.text;
    for d in &doc.docs {
        check_node(text, &d.node)?;
    }
    for f in &doc.problems {
        let loc = &f.location;
        if let Some(s) = loc.span {
            prop_assert!(s.start <= s.end && s.end <= text.len());
            prop_assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
            prop_assert!(s.line >= 1 && s.line <= doc.lines.line_count());
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
