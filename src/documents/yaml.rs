//! YAML (and JSON, which we read as YAML 1.2) → `serde_json::Value` plus a
//! span tree, in one pass over saphyr-parser's event stream.
//!
//! Why a tree builder of our own over saphyr's events instead of
//! `saphyr::MarkedYaml`: we need the positions of *both* occurrences of a
//! duplicate key (saphyr's loader stops at the second), a hard nesting limit
//! (100,000-deep input must not overflow the stack when the value is dropped
//! or validated), an alias-expansion budget, merge-key (`<<`) reporting, and
//! the JSON value built directly without a second conversion pass.

use super::lines::LineIndex;
use crate::findings::Span;
use saphyr::Scalar;
use saphyr_parser::{Event, Parser, ScalarStyle, Span as PSpan};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// Nesting deeper than this is rejected (real bindings nest < 10 levels).
pub const MAX_DEPTH: usize = 128;
/// Nodes that alias expansion may create in one file ("billion laughs" guard).
pub const MAX_ALIAS_NODES: usize = 100_000;

/// Where a node is. Maps keep their children in the same order as the
/// `serde_json::Map` (we build it with `preserve_order`).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Node {
    pub start: usize,
    pub end: usize,
    pub kids: Kids,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub enum Kids {
    #[default]
    Leaf,
    Seq(Vec<Node>),
    /// key, key span (start, end), value node
    Map(Vec<(String, (usize, usize), Node)>),
}

impl Node {
    fn count(&self) -> usize {
        1 + match &self.kids {
            Kids::Leaf => 0,
            Kids::Seq(v) => v.iter().map(Node::count).sum(),
            Kids::Map(v) => v.iter().map(|(_, _, n)| n.count()).sum(),
        }
    }

    /// Follows RFC 6901 tokens (already unescaped).
    pub fn walk<'a>(&'a self, tokens: &[String]) -> (Option<&'a Node>, Option<(usize, usize)>) {
        let mut node = self;
        let mut key = None;
        for t in tokens {
            match &node.kids {
                Kids::Seq(items) => match t.parse::<usize>().ok().and_then(|i| items.get(i)) {
                    Some(n) => {
                        node = n;
                        key = None;
                    }
                    None => return (None, None),
                },
                Kids::Map(entries) => match entries.iter().find(|(k, _, _)| k == t) {
                    Some((_, ks, n)) => {
                        node = n;
                        key = Some(*ks);
                    }
                    None => return (None, None),
                },
                Kids::Leaf => return (None, None),
            }
        }
        (Some(node), key)
    }
}

/// One YAML document of a stream.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct YamlDoc {
    pub value: Value,
    pub node: Node,
    /// Byte offset of the document start (`---` or first token).
    pub start: usize,
}

/// A problem found while parsing, before it becomes a `Finding`.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    Syntax {
        at: Span,
        message: String,
    },
    DuplicateKey {
        key: String,
        first: Span,
        second: Span,
    },
    MergeKey {
        at: Span,
    },
    TooDeep {
        at: Span,
    },
    AliasBomb {
        at: Span,
    },
}

pub struct Parsed {
    pub docs: Vec<YamlDoc>,
    pub problems: Vec<Problem>,
}

enum Frame {
    Seq {
        start: usize,
        anchor: usize,
        vals: Vec<Value>,
        nodes: Vec<Node>,
    },
    Map {
        start: usize,
        anchor: usize,
        map: Map<String, Value>,
        nodes: Vec<(String, (usize, usize), Node)>,
        key: Option<(String, (usize, usize))>,
        /// `<<` values to merge at the end (explicit keys win).
        merges: Vec<(Value, Node)>,
    },
}

struct Builder<'t> {
    /// Index of the text the parser sees (BOM stripped), for its markers.
    local: &'t LineIndex,
    /// Index of the whole file, for reported spans.
    lines: &'t LineIndex,
    /// Byte offset added to every position (a stripped BOM).
    base: usize,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Value, Node)>,
    alias_budget: usize,
    docs: Vec<YamlDoc>,
    doc_start: usize,
    problems: Vec<Problem>,
}

fn scalar_value(text: &str, style: ScalarStyle, tag: Option<&saphyr_parser::Tag>) -> Value {
    if style != ScalarStyle::Plain && tag.is_none() {
        return Value::String(text.to_string());
    }
    let tag_cow = tag.map(|t| std::borrow::Cow::Owned(t.clone()));
    match Scalar::parse_from_cow_and_metadata(text.into(), style, tag_cow.as_ref()) {
        Some(Scalar::Null) => Value::Null,
        Some(Scalar::Boolean(b)) => Value::Bool(b),
        Some(Scalar::Integer(i)) => Value::Number(i.into()),
        Some(Scalar::FloatingPoint(f)) => Number::from_f64(f.into_inner())
            .map(Value::Number)
            // .inf / .nan have no JSON form: keep the text.
            .unwrap_or_else(|| Value::String(text.to_string())),
        Some(Scalar::String(s)) => Value::String(s.into_owned()),
        None => Value::String(text.to_string()),
    }
}

/// Text used as a JSON object key for a YAML key of any kind.
fn key_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

impl<'t> Builder<'t> {
    fn byte(&self, m: &saphyr_parser::Marker) -> usize {
        self.base + self.local.byte_of_line_col(m.line(), m.col())
    }

    fn span(&self, s: &PSpan) -> (usize, usize) {
        let a = self.byte(&s.start);
        let b = self.byte(&s.end).max(a);
        (a, b)
    }

    fn pos(&self, at: usize) -> Span {
        self.lines.span(at, at)
    }

    /// Attach a finished value to the parent frame (or finish the document).
    fn push_value(&mut self, value: Value, node: Node) -> Result<(), ()> {
        match self.stack.last_mut() {
            None => {
                self.docs.push(YamlDoc {
                    value,
                    node,
                    start: self.doc_start,
                });
                Ok(())
            }
            Some(Frame::Seq { vals, nodes, .. }) => {
                vals.push(value);
                nodes.push(node);
                Ok(())
            }
            Some(Frame::Map {
                map,
                nodes,
                key,
                merges,
                ..
            }) => match key.take() {
                None => {
                    // This value is a key.
                    let ks = (node.start, node.end);
                    let is_complex = !matches!(node.kids, Kids::Leaf);
                    let text = key_text(&value);
                    if is_complex {
                        *key = Some((value.to_string(), ks));
                    } else {
                        *key = Some((text, ks));
                    }
                    Ok(())
                }
                Some((k, ks)) => {
                    if k == "<<" {
                        let at = ks.0;
                        merges.push((value, node));
                        let at = self.pos(at);
                        self.problems.push(Problem::MergeKey { at });
                        return Ok(());
                    }
                    if map.contains_key(&k) {
                        let first = nodes
                            .iter()
                            .find(|(name, _, _)| *name == k)
                            .map(|(_, s, _)| *s)
                            .unwrap_or(ks);
                        let (first, second) = (
                            self.lines.span(first.0, first.1),
                            self.lines.span(ks.0, ks.1),
                        );
                        self.problems.push(Problem::DuplicateKey {
                            key: k,
                            first,
                            second,
                        });
                        // Keep the first occurrence; the finding names both.
                        return Ok(());
                    }
                    map.insert(k.clone(), value);
                    nodes.push((k, ks, node));
                    Ok(())
                }
            },
        }
    }

    fn remember(&mut self, anchor: usize, value: &Value, node: &Node) {
        if anchor > 0 {
            self.anchors.insert(anchor, (value.clone(), node.clone()));
        }
    }

    fn event(&mut self, ev: Event<'_>, span: PSpan) -> Result<(), ()> {
        let (s, e) = self.span(&span);
        match ev {
            Event::DocumentStart(_) => {
                self.doc_start = s;
                Ok(())
            }
            Event::Scalar(text, style, anchor, tag) => {
                let v = scalar_value(&text, style, tag.as_deref());
                let node = Node {
                    start: s,
                    end: e,
                    kids: Kids::Leaf,
                };
                self.remember(anchor, &v, &node);
                self.push_value(v, node)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    let at = self.pos(s);
                    self.problems.push(Problem::TooDeep { at });
                    return Err(());
                }
                let frame = if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq {
                        start: s,
                        anchor,
                        vals: Vec::new(),
                        nodes: Vec::new(),
                    }
                } else {
                    Frame::Map {
                        start: s,
                        anchor,
                        map: Map::new(),
                        nodes: Vec::new(),
                        key: None,
                        merges: Vec::new(),
                    }
                };
                self.stack.push(frame);
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Ok(());
                };
                let (value, node, anchor) = match frame {
                    Frame::Seq {
                        start,
                        anchor,
                        vals,
                        nodes,
                    } => {
                        let end = nodes.last().map_or(e.max(start), |n| n.end);
                        (
                            Value::Array(vals),
                            Node {
                                start,
                                end,
                                kids: Kids::Seq(nodes),
                            },
                            anchor,
                        )
                    }
                    Frame::Map {
                        start,
                        anchor,
                        mut map,
                        mut nodes,
                        merges,
                        ..
                    } => {
                        for (mv, mn) in merges {
                            let sources: Vec<(Value, Node)> = match (mv, mn.kids) {
                                (Value::Array(vs), Kids::Seq(ns)) => {
                                    vs.into_iter().zip(ns).collect()
                                }
                                (v, kids) => vec![(
                                    v,
                                    Node {
                                        start: mn.start,
                                        end: mn.end,
                                        kids,
                                    },
                                )],
                            };
                            for (v, n) in sources {
                                if let (Value::Object(m), Kids::Map(ns)) = (v, n.kids) {
                                    for ((k, val), (_, ks, kn)) in m.into_iter().zip(ns) {
                                        if !map.contains_key(&k) {
                                            map.insert(k.clone(), val);
                                            nodes.push((k, ks, kn));
                                        }
                                    }
                                }
                            }
                        }
                        let end = nodes.last().map_or(e.max(start), |(_, _, n)| n.end);
                        (
                            Value::Object(map),
                            Node {
                                start,
                                end,
                                kids: Kids::Map(nodes),
                            },
                            anchor,
                        )
                    }
                };
                self.remember(anchor, &value, &node);
                self.push_value(value, node)
            }
            Event::Alias(id) => {
                let Some((v, n)) = self.anchors.get(&id).cloned() else {
                    let at = self.pos(s);
                    self.problems.push(Problem::Syntax {
                        at,
                        message: "alias refers to an unknown anchor".into(),
                    });
                    return Err(());
                };
                let cost = n.count();
                if cost > self.alias_budget {
                    let at = self.pos(s);
                    self.problems.push(Problem::AliasBomb { at });
                    return Err(());
                }
                self.alias_budget -= cost;
                // Point the copy at the alias itself so findings land there.
                let node = Node {
                    start: s,
                    end: e.max(s),
                    kids: n.kids,
                };
                self.push_value(v, node)
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => Ok(()),
        }
    }
}

/// Parses a whole YAML stream. Never panics; problems are returned, and the
/// documents completed before a syntax error are kept.
pub fn parse(text: &str, lines: &LineIndex) -> Parsed {
    let (body, base) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, '\u{feff}'.len_utf8()),
        None => (text, 0),
    };
    let body_lines = (base > 0).then(|| LineIndex::new(body));
    let mut b = Builder {
        local: body_lines.as_ref().unwrap_or(lines),
        lines,
        base,
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_budget: MAX_ALIAS_NODES,
        docs: Vec::new(),
        doc_start: base,
        problems: Vec::new(),
    };
    let mut parser = Parser::new_from_str(body);
    while let Some(next) = parser.next_event() {
        match next {
            Ok((ev, span)) => {
                if b.event(ev, span).is_err() {
                    break;
                }
            }
            Err(err) => {
                let at = b.byte(err.marker());
                let at = b.pos(at);
                b.problems.push(Problem::Syntax {
                    at,
                    message: err.info().to_string(),
                });
                break;
            }
        }
    }
    Parsed {
        docs: b.docs,
        problems: b.problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> (Parsed, LineIndex) {
        let li = LineIndex::new(text);
        (parse(text, &li), li)
    }

    #[test]
    fn values_follow_yaml_1_2_core_schema() {
        let (out, _) = p(
            "a: 1\nb: '1'\nc: 2026-02-23\nd: null\ne: ~\nf: yes\ng: [200, 202]\nh: 1.5\ni: true\n",
        );
        let v = &out.docs[0].value;
        assert_eq!(v["a"], serde_json::json!(1));
        assert_eq!(v["b"], serde_json::json!("1"));
        assert_eq!(v["c"], serde_json::json!("2026-02-23"));
        assert!(v["d"].is_null() && v["e"].is_null());
        assert_eq!(v["f"], serde_json::json!("yes"));
        assert_eq!(v["g"], serde_json::json!([200, 202]));
        assert_eq!(v["h"], serde_json::json!(1.5));
        assert_eq!(v["i"], serde_json::json!(true));
        assert!(out.problems.is_empty());
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let text = "vms:\n  - id: 215\n    hostname: immich\n";
        let (out, li) = p(text);
        let doc = &out.docs[0];
        let toks: Vec<String> = ["vms", "0", "hostname"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (node, key) = doc.node.walk(&toks);
        let node = node.unwrap();
        assert_eq!(&text[node.start..node.end], "immich");
        let key = key.unwrap();
        assert_eq!(&text[key.0..key.1], "hostname");
        let s = li.span(node.start, node.end);
        assert_eq!((s.line, s.col), (3, 15));
    }

    #[test]
    fn duplicate_keys_report_both_positions_and_keep_first() {
        let (out, _) = p("a: 1\nb: 2\na: 3\n");
        assert_eq!(out.docs[0].value["a"], serde_json::json!(1));
        match &out.problems[..] {
            [Problem::DuplicateKey { key, first, second }] => {
                assert_eq!(key, "a");
                assert_eq!((first.line, first.col), (1, 1));
                assert_eq!((second.line, second.col), (3, 1));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn syntax_error_has_position() {
        let (out, _) = p("a: 1\nb: \"unclosed\nc: 2\n");
        assert!(matches!(out.problems.last(), Some(Problem::Syntax { .. })));
    }

    #[test]
    fn multi_document_streams_keep_all_documents() {
        let (out, _) = p("a: 1\n---\nb: 2\n");
        assert_eq!(out.docs.len(), 2);
        assert_eq!(out.docs[1].value["b"], serde_json::json!(2));
    }

    #[test]
    fn merge_keys_are_expanded_and_reported() {
        let (out, _) = p("base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  y: 3\n");
        let v = &out.docs[0].value;
        assert_eq!(v["item"]["x"], serde_json::json!(1));
        assert_eq!(v["item"]["y"], serde_json::json!(3));
        assert!(out
            .problems
            .iter()
            .any(|p| matches!(p, Problem::MergeKey { .. })));
    }

    #[test]
    fn deep_nesting_is_bounded() {
        // Flow nesting: the scanner's own recursion limit or ours stops it.
        let (out, _) = p(&"[".repeat(100_000));
        assert!(out.problems.iter().any(|p| match p {
            Problem::TooDeep { .. } => true,
            Problem::Syntax { message, .. } => message.contains("recursion"),
            _ => false,
        }));
        // Block nesting (indentation) reaches our own limit.
        let mut block = String::new();
        for i in 0..2_000 {
            block.push_str(&" ".repeat(i));
            block.push_str("k:\n");
        }
        let (out, _) = p(&block);
        assert!(out
            .problems
            .iter()
            .any(|p| matches!(p, Problem::TooDeep { .. })));
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = i - 1;
            s.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let (out, _) = p(&s);
        assert!(out
            .problems
            .iter()
            .any(|p| matches!(p, Problem::AliasBomb { .. })));
    }

    #[test]
    fn bom_and_crlf_keep_spans_right() {
        let text = "\u{feff}a: 1\r\nbb: two\r\n";
        let (out, li) = p(text);
        let toks = vec!["bb".to_string()];
        let (node, _) = out.docs[0].node.walk(&toks);
        let node = node.unwrap();
        assert_eq!(&text[node.start..node.end], "two");
        let s = li.span(node.start, node.end);
        assert_eq!((s.line, s.col), (2, 5));
    }
}
