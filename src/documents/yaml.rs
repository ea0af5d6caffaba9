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
use std::sync::OnceLock;

/// Nesting deeper than this is rejected (real bindings nest < 10 levels).
pub const MAX_DEPTH: usize = 128;
/// Nodes that alias expansion may create in one file ("billion laughs" guard).
pub const MAX_ALIAS_NODES: usize = 100_000;

/// `key_len` of a node without a key (array item, document root, or a key
/// too far from its value to encode).
const NO_KEY: u16 = u16::MAX;

/// Where one node is, in 16 bytes: its value span, its key (map members
/// only) as a distance back from the value and a length, and how many
/// nodes its subtree holds (itself included), so a walker skips a
/// sibling's whole subtree in one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpanNode {
    start: u32,
    end: u32,
    key_back: u16,
    key_len: u16,
    size: u32,
}

fn off(x: usize) -> u32 {
    // Files are refused long before 4 GiB (--max-file-bytes); saturate
    // rather than wrap if a limit was raised that far.
    u32::try_from(x).unwrap_or(u32::MAX)
}

impl SpanNode {
    fn leaf(start: usize, end: usize) -> SpanNode {
        SpanNode {
            start: off(start),
            end: off(end),
            key_back: 0,
            key_len: NO_KEY,
            size: 1,
        }
    }

    /// Byte span of the value.
    pub fn span(&self) -> (usize, usize) {
        (self.start as usize, self.end as usize)
    }

    /// Byte span of the member's key, if it has one.
    pub fn key(&self) -> Option<(usize, usize)> {
        (self.key_len != NO_KEY).then(|| {
            let ks = self.start as usize - self.key_back as usize;
            (ks, ks + self.key_len as usize)
        })
    }

    /// Nodes in this subtree, itself included.
    pub fn size(&self) -> usize {
        self.size.max(1) as usize
    }

    fn set_key(&mut self, key: Option<(usize, usize)>) {
        let enc = key.and_then(|(ks, ke)| {
            let back = (self.start as usize).checked_sub(ks)?;
            let len = ke.checked_sub(ks)?;
            match (u16::try_from(back), u16::try_from(len)) {
                (Ok(b), Ok(l)) if l != NO_KEY => Some((b, l)),
                _ => None, // degrade to the value span
            }
        });
        (self.key_back, self.key_len) = enc.unwrap_or((0, NO_KEY));
    }
}

/// Positions of every node of a document, flat and in pre-order of the
/// value (array items in order, map members in the `serde_json::Map`'s
/// order, which we build with `preserve_order`). Compared with a tree of
/// nodes that repeats every key as its own string, this is 16 bytes per
/// node, one allocation per document, and a plain integer array in the
/// parse cache.
#[derive(Debug, Clone, Default)]
pub struct Spans(Vec<SpanNode>, OnceLock<Jumps>);

/// Children with more siblings than this get a jump table, so the N-th
/// item of a 100,000-item list is found in one step, not N.
const JUMP_MIN_CHILDREN: usize = 16;

/// For each container with many children (sorted by node index): the node
/// index of every child and, for maps, each key's position by a hash of
/// the key. Derived from the value and the nodes on first lookup; a file
/// nobody asks a location of never builds it.
#[derive(Debug, Clone, Default)]
struct Jumps(Vec<Jump>);

#[derive(Debug, Clone)]
struct Jump {
    at: u32,
    kids: Box<[u32]>,
    /// key hash → position; `u32::MAX` where two keys share a hash (the
    /// lookup then scans).
    keys: HashMap<u64, u32>,
}

fn key_hash(k: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    // Fixed keys: the same hash at build and at lookup.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    k.hash(&mut h);
    h.finish()
}

impl Jumps {
    fn build(value: &Value, nodes: &[SpanNode]) -> Jumps {
        let mut out = Vec::new();
        Self::visit(value, nodes, 0, 0, &mut out);
        out.sort_by_key(|j| j.at);
        Jumps(out)
    }

    fn visit(v: &Value, nodes: &[SpanNode], at: usize, depth: usize, out: &mut Vec<Jump>) {
        if depth > MAX_DEPTH || nodes.get(at).is_none_or(|n| n.size() == 1) {
            return;
        }
        let kids: Vec<usize> = Spans::children(nodes, at).collect();
        let mut keys = HashMap::new();
        match v {
            Value::Array(items) => {
                for (item, &k) in items.iter().zip(&kids) {
                    Self::visit(item, nodes, k, depth + 1, out);
                }
            }
            Value::Object(map) => {
                let big = kids.len() > JUMP_MIN_CHILDREN;
                for (pos, ((name, x), &k)) in map.iter().zip(&kids).enumerate() {
                    Self::visit(x, nodes, k, depth + 1, out);
                    if big {
                        keys.entry(key_hash(name))
                            .and_modify(|p| *p = u32::MAX)
                            .or_insert(off(pos));
                    }
                }
            }
            _ => return,
        }
        if kids.len() > JUMP_MIN_CHILDREN {
            out.push(Jump {
                at: off(at),
                kids: kids.into_iter().map(off).collect(),
                keys,
            });
        }
    }

    fn find(&self, at: usize) -> Option<&Jump> {
        let i = self.0.binary_search_by_key(&off(at), |j| j.at).ok()?;
        self.0.get(i)
    }
}

impl Spans {
    fn new(nodes: Vec<SpanNode>) -> Spans {
        Spans(nodes, OnceLock::new())
    }

    fn jumps(&self, root: &Value) -> &Jumps {
        self.1.get_or_init(|| Jumps::build(root, &self.0))
    }

    /// The nodes in pre-order (for tests and tools that check soundness).
    pub fn nodes(&self) -> &[SpanNode] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Children of the subtree rooted at index `at`, as indexes.
    fn children(nodes: &[SpanNode], at: usize) -> impl Iterator<Item = usize> + '_ {
        let end = at + nodes.get(at).map_or(1, SpanNode::size);
        siblings(nodes, at + 1, end)
    }
}

/// Cache form: the nodes as little-endian `u32`s (start, end, key, size),
/// base64 in one JSON string — decoding is a copy, not 4 number parses per
/// node.
impl serde::Serialize for Spans {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use base64::Engine;
        let mut bytes = Vec::with_capacity(self.0.len() * 16);
        for n in &self.0 {
            let key = (u32::from(n.key_back) << 16) | u32::from(n.key_len);
            for x in [n.start, n.end, key, n.size] {
                bytes.extend_from_slice(&x.to_le_bytes());
            }
        }
        s.serialize_str(&base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes))
    }
}

impl<'de> serde::Deserialize<'de> for Spans {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Spans, D::Error> {
        use base64::Engine;
        use serde::de::Error;
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(text.as_bytes())
            .map_err(|e| D::Error::custom(format!("span table: {e}")))?;
        if bytes.len() % 16 != 0 {
            return Err(D::Error::custom(
                "span table length is not a multiple of 16",
            ));
        }
        let word = |c: &[u8], i: usize| {
            u32::from_le_bytes([c[4 * i], c[4 * i + 1], c[4 * i + 2], c[4 * i + 3]])
        };
        let nodes: Vec<SpanNode> = bytes
            .chunks_exact(16)
            .map(|c| SpanNode {
                start: word(c, 0),
                end: word(c, 1),
                key_back: (word(c, 2) >> 16) as u16,
                key_len: (word(c, 2) & 0xffff) as u16,
                size: word(c, 3),
            })
            .collect();
        // A damaged entry must not make `key()` underflow.
        if nodes
            .iter()
            .any(|n| n.key_len != NO_KEY && n.key_back as u32 > n.start)
        {
            return Err(D::Error::custom("span table key before file start"));
        }
        Ok(Spans::new(nodes))
    }
}

/// One YAML document of a stream.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct YamlDoc {
    pub value: Value,
    pub spans: Spans,
    /// Byte offset of the document start (`---` or first token).
    pub start: usize,
}

/// Result of `YamlDoc::walk`: the value's byte span and its key's.
pub type Walked = (Option<(usize, usize)>, Option<(usize, usize)>);

impl YamlDoc {
    /// Follows RFC 6901 tokens (already unescaped) through the value and
    /// its spans: the span of the value reached, and of its key when it is
    /// a map member. `(None, None)` when the path does not exist (or the
    /// span table does not fit the value, e.g. a damaged cache entry).
    pub fn walk(&self, tokens: &[String]) -> Walked {
        let nodes = &self.spans.0;
        let jumps = self.spans.jumps(&self.value);
        let mut at = 0usize;
        let mut value = &self.value;
        let mut key = None;
        for t in tokens {
            let jump = jumps.find(at);
            let (pos, next) = match value {
                Value::Array(items) => match t.parse::<usize>().ok() {
                    Some(i) if i < items.len() => (i, &items[i]),
                    _ => return (None, None),
                },
                Value::Object(map) => {
                    let Some(v) = map.get(t) else {
                        return (None, None);
                    };
                    let hashed = jump
                        .and_then(|j| j.keys.get(&key_hash(t)))
                        .filter(|&&p| p != u32::MAX)
                        .map(|&p| p as usize);
                    match hashed.or_else(|| map.keys().position(|k| k == t)) {
                        Some(i) => (i, v),
                        None => return (None, None),
                    }
                }
                _ => return (None, None),
            };
            let child = match jump {
                Some(j) => j.kids.get(pos).map(|&c| c as usize),
                None => Spans::children(nodes, at).nth(pos),
            };
            let Some(child) = child else {
                return (None, None);
            };
            at = child;
            value = next;
            key = nodes[at].key();
        }
        match nodes.get(at) {
            Some(n) => (Some(n.span()), key),
            None => (None, None),
        }
    }
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
        /// Pre-order spans of the items (the frame's own node comes first
        /// when the frame closes).
        nodes: Vec<SpanNode>,
    },
    Map {
        start: usize,
        anchor: usize,
        map: Map<String, Value>,
        nodes: Vec<SpanNode>,
        key: Option<(String, (usize, usize))>,
        /// `<<` values to merge at the end (explicit keys win).
        merges: Vec<(Value, Vec<SpanNode>)>,
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
    anchors: HashMap<usize, (Value, Vec<SpanNode>)>,
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
    fn push_value(&mut self, value: Value, mut sub: Sub) -> Result<(), ()> {
        match self.stack.last_mut() {
            None => {
                sub.root_mut().set_key(None);
                let mut nodes = sub.into_vec();
                nodes.shrink_to_fit();
                self.docs.push(YamlDoc {
                    value,
                    spans: Spans::new(nodes),
                    start: self.doc_start,
                });
                Ok(())
            }
            Some(Frame::Seq { vals, nodes, .. }) => {
                vals.push(value);
                sub.root_mut().set_key(None);
                sub.append_to(nodes);
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
                    let root = sub.root_mut();
                    let ks = root.span();
                    if value.is_object() || value.is_array() {
                        *key = Some((value.to_string(), ks));
                    } else {
                        *key = Some((key_text(&value), ks));
                    }
                    Ok(())
                }
                Some((k, ks)) => {
                    if k == "<<" {
                        let at = ks.0;
                        merges.push((value, sub.into_vec()));
                        let at = self.pos(at);
                        self.problems.push(Problem::MergeKey { at });
                        return Ok(());
                    }
                    if map.contains_key(&k) {
                        let first_at = map
                            .keys()
                            .position(|name| *name == k)
                            .and_then(|i| siblings(nodes, 1, nodes.len()).nth(i));
                        let first = first_at.and_then(|i| nodes[i].key()).unwrap_or(ks);
                        let (first_span, second) = (
                            self.lines.span(first.0, first.1),
                            self.lines.span(ks.0, ks.1),
                        );
                        self.problems.push(Problem::DuplicateKey {
                            key: k.clone(),
                            first: first_span,
                            second,
                        });
                        // The last occurrence wins, as in PyYAML and yq (the
                        // spine's own tools): drop the first one's value and
                        // spans; the finding names both.
                        if let Some(i) = first_at {
                            let end = (i + nodes[i].size()).min(nodes.len());
                            nodes.drain(i..end);
                        }
                        map.shift_remove(&k);
                    }
                    map.insert(k, value);
                    let root = sub.root_mut();
                    root.set_key(Some(ks));
                    sub.append_to(nodes);
                    Ok(())
                }
            },
        }
    }

    fn remember(&mut self, anchor: usize, value: &Value, sub: &Sub) {
        if anchor > 0 {
            self.anchors
                .insert(anchor, (value.clone(), sub.clone().into_vec()));
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
                let sub = Sub::Leaf(SpanNode::leaf(s, e));
                self.remember(anchor, &v, &sub);
                self.push_value(v, sub)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    let at = self.pos(s);
                    self.problems.push(Problem::TooDeep { at });
                    return Err(());
                }
                // Slot 0 of a frame's span list is the container itself,
                // filled in when it closes.
                let nodes = vec![SpanNode::leaf(s, s)];
                let frame = if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq {
                        start: s,
                        anchor,
                        vals: Vec::new(),
                        nodes,
                    }
                } else {
                    Frame::Map {
                        start: s,
                        anchor,
                        map: Map::new(),
                        nodes,
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
                let (value, mut nodes, start, anchor) = match frame {
                    Frame::Seq {
                        start,
                        anchor,
                        vals,
                        nodes,
                    } => {
                        let mut vals = vals;
                        vals.shrink_to_fit();
                        (Value::Array(vals), nodes, start, anchor)
                    }
                    Frame::Map {
                        start,
                        anchor,
                        mut map,
                        mut nodes,
                        merges,
                        ..
                    } => {
                        for (mv, mflat) in merges {
                            // `<<: *base` or `<<: [*a, *b]`: (value, subtree root index)
                            let sources: Vec<(Value, usize)> = match mv {
                                Value::Array(vs) => {
                                    let kids: Vec<usize> =
                                        siblings(&mflat, 1, mflat.len()).collect();
                                    vs.into_iter().zip(kids).collect()
                                }
                                v => vec![(v, 0)],
                            };
                            for (v, root) in sources {
                                let Value::Object(m) = v else { continue };
                                let size = mflat.get(root).map_or(1, SpanNode::size);
                                let members: Vec<usize> =
                                    siblings(&mflat, root + 1, (root + size).min(mflat.len()))
                                        .collect();
                                for ((k, val), at) in m.into_iter().zip(members) {
                                    if !map.contains_key(&k) {
                                        map.insert(k, val);
                                        let n = mflat[at].size();
                                        if let Some(sub) = mflat.get(at..at + n) {
                                            nodes.extend_from_slice(sub);
                                        }
                                    }
                                }
                            }
                        }
                        // Exact capacity: insertion grew the map by doubling,
                        // and maps are most of a spine's memory.
                        let map: Map<String, Value> = map.into_iter().collect();
                        (Value::Object(map), nodes, start, anchor)
                    }
                };
                let end = siblings(&nodes, 1, nodes.len())
                    .last()
                    .map_or(off(e.max(start)), |i| nodes[i].end);
                nodes[0] = SpanNode {
                    start: off(start),
                    end,
                    key_back: 0,
                    key_len: NO_KEY,
                    size: off(nodes.len()),
                };
                let sub = Sub::Tree(nodes);
                self.remember(anchor, &value, &sub);
                self.push_value(value, sub)
            }
            Event::Alias(id) => {
                let Some((v, mut flat)) = self.anchors.get(&id).cloned() else {
                    let at = self.pos(s);
                    self.problems.push(Problem::Syntax {
                        at,
                        message: "alias refers to an unknown anchor".into(),
                    });
                    return Err(());
                };
                let cost = flat.len();
                if cost > self.alias_budget {
                    let at = self.pos(s);
                    self.problems.push(Problem::AliasBomb { at });
                    return Err(());
                }
                self.alias_budget -= cost;
                // Point the copy at the alias itself so findings land there.
                if let Some(root) = flat.first_mut() {
                    root.start = off(s);
                    root.end = off(e.max(s));
                    root.set_key(None);
                }
                self.push_value(v, Sub::Tree(flat))
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => Ok(()),
        }
    }
}

/// Indexes of the subtree roots that follow each other in `nodes[from..end]`.
fn siblings(nodes: &[SpanNode], from: usize, end: usize) -> impl Iterator<Item = usize> + '_ {
    let end = end.min(nodes.len());
    let mut c = from;
    std::iter::from_fn(move || {
        if c >= end {
            return None;
        }
        let here = c;
        c += nodes[here].size();
        Some(here)
    })
}

/// A finished value's spans: one node for a scalar (no allocation), the
/// pre-order list for a container.
#[derive(Clone)]
enum Sub {
    Leaf(SpanNode),
    Tree(Vec<SpanNode>),
}

impl Sub {
    fn root_mut(&mut self) -> &mut SpanNode {
        match self {
            Sub::Leaf(n) => n,
            Sub::Tree(v) => {
                if v.is_empty() {
                    v.push(SpanNode::leaf(0, 0));
                }
                &mut v[0]
            }
        }
    }

    fn into_vec(self) -> Vec<SpanNode> {
        match self {
            Sub::Leaf(n) => vec![n],
            Sub::Tree(v) => v,
        }
    }

    fn append_to(self, out: &mut Vec<SpanNode>) {
        match self {
            Sub::Leaf(n) => out.push(n),
            Sub::Tree(v) => out.extend_from_slice(&v),
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
        let (node, key) = doc.walk(&toks);
        let node = node.unwrap();
        assert_eq!(&text[node.0..node.1], "immich");
        let key = key.unwrap();
        assert_eq!(&text[key.0..key.1], "hostname");
        let s = li.span(node.0, node.1);
        assert_eq!((s.line, s.col), (3, 15));
    }

    #[test]
    fn long_lists_and_maps_resolve_every_member() {
        // Past JUMP_MIN_CHILDREN, lookups go through the jump table.
        let mut text = String::from("items:\n");
        for i in 0..1000 {
            text.push_str(&format!("  - name: n{i}\n    tags: [a, b]\n"));
        }
        text.push_str("wide:\n");
        for k in 0..40 {
            text.push_str(&format!("  k{k}: {k}\n"));
        }
        let (out, li) = p(&text);
        let d = &out.docs[0];
        for i in [0usize, 16, 17, 500, 999] {
            let toks = vec!["items".to_string(), i.to_string(), "name".to_string()];
            let (v, k) = d.walk(&toks);
            let (v, k) = (v.unwrap(), k.unwrap());
            assert_eq!(&text[v.0..v.1], format!("n{i}"));
            assert_eq!(&text[k.0..k.1], "name");
            assert_eq!(li.span(k.0, k.1).line, 2 + 2 * i);
            let toks = vec![
                "items".to_string(),
                i.to_string(),
                "tags".to_string(),
                "1".to_string(),
            ];
            let (v, _) = d.walk(&toks);
            let v = v.unwrap();
            assert_eq!(&text[v.0..v.1], "b");
        }
        for k in [0usize, 20, 39] {
            let toks = vec!["wide".to_string(), format!("k{k}")];
            let (v, key) = d.walk(&toks);
            assert_eq!(&text[v.unwrap().0..v.unwrap().1], k.to_string());
            assert_eq!(&text[key.unwrap().0..key.unwrap().1], format!("k{k}"));
        }
        let toks = vec!["items".to_string(), "1000".to_string()];
        assert_eq!(d.walk(&toks), (None, None));
        let toks = vec!["wide".to_string(), "k40".to_string()];
        assert_eq!(d.walk(&toks), (None, None));

        // Big maps nested in big maps: every level keyed by hash.
        let mut text = String::from("outer:\n");
        for m in 0..20 {
            text.push_str(&format!("  m{m}:\n"));
            for k in 0..20 {
                text.push_str(&format!("    k{k}: v{m}_{k}\n"));
            }
        }
        let (out, _) = p(&text);
        let d = &out.docs[0];
        for (m, k) in [(0, 0), (7, 13), (19, 19)] {
            let toks = vec!["outer".to_string(), format!("m{m}"), format!("k{k}")];
            let (v, key) = d.walk(&toks);
            assert_eq!(&text[v.unwrap().0..v.unwrap().1], format!("v{m}_{k}"));
            assert_eq!(&text[key.unwrap().0..key.unwrap().1], format!("k{k}"));
        }
    }

    #[test]
    fn duplicate_keys_report_both_positions_and_keep_the_last() {
        let (out, _) = p("a: 1\nb: 2\na: 3\n");
        assert_eq!(out.docs[0].value["a"], serde_json::json!(3));
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
        let text = "base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  y: 3\nlist:\n  - *b\n";
        let (out, _) = p(text);
        let d = &out.docs[0];
        let v = &d.value;
        assert_eq!(v["item"]["x"], serde_json::json!(1));
        assert_eq!(v["item"]["y"], serde_json::json!(3));
        let at = |path: &[&str]| {
            let toks: Vec<String> = path.iter().map(|s| s.to_string()).collect();
            d.walk(&toks)
        };
        // A merged member points at its definition in the anchor; an
        // explicit one at itself; an alias at the alias.
        let (x, xk) = at(&["item", "x"]);
        assert_eq!(&text[xk.unwrap().0..x.unwrap().1], "x: 1");
        let (y, _) = at(&["item", "y"]);
        assert_eq!(y.unwrap().0, text.find("3").unwrap());
        let (l, _) = at(&["list", "0"]);
        assert_eq!(&text[l.unwrap().0..l.unwrap().1], "*b");
        assert_eq!(at(&["list", "0", "y"]).0.map(|s| s.0), text.find("2"));
        assert_eq!(at(&["item", "z"]), (None, None));
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
        let (node, _) = out.docs[0].walk(&toks);
        let node = node.unwrap();
        assert_eq!(&text[node.0..node.1], "two");
        let s = li.span(node.0, node.1);
        assert_eq!((s.line, s.col), (2, 5));
    }
}
