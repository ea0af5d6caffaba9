//! Stage 2: parse each file once into a value tree with spans.
//!
//! A `Document` is immutable once built and shared (`Arc`) between the schema
//! pass, every gate and the reporters. Derived views (markdown tables, SSH
//! config hosts) are computed at most once per document and cached here too.

pub mod lines;
pub mod markdown;
pub mod sshconfig;
pub mod yaml;

use crate::findings::{Finding, Location, RepoId, Severity, Span};
use lines::LineIndex;
use serde_json::Value;
use std::sync::{Arc, OnceLock};
use yaml::{Problem, YamlDoc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
    Markdown,
    SshConfig,
    Text,
    /// Not text (NUL bytes) or over the size limit: content not parsed.
    Opaque,
}

impl Format {
    pub fn of_path(path: &str) -> Format {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Format::Yaml
        } else if lower.ends_with(".json") {
            Format::Json
        } else if lower.ends_with(".md") || lower.ends_with(".markdown") {
            Format::Markdown
        } else if lower.contains("ssh/config") || lower.ends_with(".conf") && lower.contains("ssh")
        {
            Format::SshConfig
        } else {
            Format::Text
        }
    }
}

pub struct Document {
    pub repo: RepoId,
    pub path: String,
    pub format: Format,
    pub text: Arc<str>,
    /// YAML/JSON documents of the stream (usually one).
    pub docs: Vec<YamlDoc>,
    /// Parse problems as findings (syntax, duplicate keys, encoding, ...).
    pub problems: Vec<Finding>,
    /// Line starts, built when a location is first asked for: a clean
    /// file never needs one, and a 500 MB spine would hold ~150 MB of them.
    lines: OnceLock<LineIndex>,
    /// The YAML result came from the parse cache.
    pub from_cache: bool,
    tables: OnceLock<Vec<markdown::Table>>,
    ssh: OnceLock<sshconfig::SshConfig>,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("repo", &self.repo)
            .field("path", &self.path)
            .field("format", &self.format)
            .field("docs", &self.docs.len())
            .field("problems", &self.problems.len())
            .finish()
    }
}

/// Splits a JSON pointer (`/vms/3/id`) into unescaped tokens.
pub fn pointer_tokens(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Escapes one pointer token.
pub fn pointer_escape(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    push_pointer_token(&mut out, token);
    out
}

/// Appends `token` escaped for a JSON pointer (RFC 6901) without
/// allocating when it needs no escaping.
pub fn push_pointer_token(out: &mut String, token: &str) {
    if !token.contains(['~', '/']) {
        out.push_str(token);
        return;
    }
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

impl Document {
    /// Parses `bytes` according to the file's format. Never fails: problems
    /// become findings in `problems`.
    pub fn parse(repo: RepoId, path: &str, bytes: &[u8]) -> Document {
        Self::parse_with(repo, path, bytes, None)
    }

    /// Like `parse`, but takes the YAML result (documents + parse findings)
    /// from the cache when given (`Some(Ok)`), and hands a fresh one to
    /// `store` otherwise.
    pub fn parse_cached(
        repo: RepoId,
        path: &str,
        bytes: &[u8],
        cached: Option<Cached>,
        store: &dyn Fn(&Cached),
    ) -> Document {
        let doc = Self::parse_with(repo, path, bytes, cached);
        if doc.from_cache {
            return doc;
        }
        if matches!(doc.format, Format::Yaml | Format::Json) {
            store(&Cached {
                docs: doc.docs.clone(),
                problems: doc.problems.clone(),
            });
        }
        doc
    }

    /// Does the format get a YAML parse (and so a cache entry)?
    pub fn is_cacheable(path: &str) -> bool {
        matches!(Format::of_path(path), Format::Yaml | Format::Json)
    }

    fn parse_with(repo: RepoId, path: &str, bytes: &[u8], cached: Option<Cached>) -> Document {
        let mut problems = Vec::new();
        let mut format = Format::of_path(path);
        let text: Arc<str> = match std::str::from_utf8(bytes) {
            Ok(t) => t.into(),
            Err(e) => {
                let lossy = String::from_utf8_lossy(bytes).into_owned();
                let li = LineIndex::new(&lossy);
                let at = li.span(e.valid_up_to(), e.valid_up_to() + 1);
                problems.push(
                    Finding::new(
                        "parse/encoding",
                        Severity::Error,
                        Location::at(repo, path, at),
                        format!(
                            "file is not valid UTF-8 (invalid byte sequence at byte {})",
                            e.valid_up_to()
                        ),
                    )
                    .with_help("re-save the file as UTF-8"),
                );
                lossy.into()
            }
        };
        if text.contains('\0') {
            let off = text.find('\0').unwrap_or(0);
            let li = LineIndex::new(&text);
            problems.push(
                Finding::new(
                    "parse/binary",
                    Severity::Error,
                    Location::at(repo, path, li.span(off, off + 1)),
                    "file contains NUL bytes; it looks binary and was not parsed",
                )
                .with_help("a binding must be a text file; remove or rename the binary file"),
            );
            format = Format::Opaque;
        }
        let mut docs = Vec::new();
        let mut from_cache = false;
        if let (Some(c), Format::Yaml | Format::Json) = (cached, format) {
            // The cache key covers the bytes, so encoding/binary findings
            // above are recomputed identically; take the rest from the entry.
            docs = c.docs;
            problems = c.problems;
            from_cache = true;
        } else if matches!(format, Format::Yaml | Format::Json) {
            // The parser's index is dropped with the parse; findings build
            // their own on demand (`lines()`).
            let parsed = yaml::parse(&text, &LineIndex::shared(text.clone()));
            docs = parsed.docs;
            for p in parsed.problems {
                problems.push(problem_finding(repo, path, p));
            }
        }
        Document {
            repo,
            path: path.to_string(),
            format,
            text,
            docs,
            problems,
            lines: OnceLock::new(),
            from_cache,
            tables: OnceLock::new(),
            ssh: OnceLock::new(),
        }
    }

    /// A document standing for a file that could not be read or was too big.
    pub fn opaque(repo: RepoId, path: &str, problem: Finding) -> Document {
        Document {
            repo,
            path: path.to_string(),
            format: Format::Opaque,
            text: "".into(),
            docs: Vec::new(),
            problems: vec![problem],
            lines: OnceLock::new(),
            from_cache: false,
            tables: OnceLock::new(),
            ssh: OnceLock::new(),
        }
    }

    /// Line index of the text (built on first use).
    pub fn lines(&self) -> &LineIndex {
        self.lines
            .get_or_init(|| LineIndex::shared(self.text.clone()))
    }

    /// The first (usually only) YAML/JSON document's value.
    pub fn value(&self) -> Option<&Value> {
        self.docs.first().map(|d| &d.value)
    }

    /// True when the file could not be read as what it is: a syntax error
    /// truncated its value, or it was refused (binary, too big, unreadable).
    /// Gates skip such inputs; the parse finding says what is wrong.
    pub fn is_unusable(&self) -> bool {
        self.has_syntax_error() || self.format == Format::Opaque
    }

    /// True when parsing failed badly enough that rules should not trust the
    /// value (a syntax error truncated it).
    pub fn has_syntax_error(&self) -> bool {
        self.problems
            .iter()
            .any(|p| p.code == "parse/syntax" || p.code == "parse/limit")
    }

    pub fn span(&self, start: usize, end: usize) -> Span {
        self.lines().span(start, end)
    }

    /// Span of the value at `pointer` in document `doc`; falls back to the
    /// nearest ancestor that exists, then to the document start.
    pub fn span_of_in(&self, doc: usize, pointer: &str) -> Option<Span> {
        let d = self.docs.get(doc)?;
        let mut toks = pointer_tokens(pointer);
        loop {
            if let (Some((start, end)), _) = d.walk(&toks) {
                return Some(self.lines().span(start, end));
            }
            if toks.pop().is_none() {
                return Some(self.lines().span(d.start, d.start));
            }
        }
    }

    pub fn span_of(&self, pointer: &str) -> Option<Span> {
        self.span_of_in(0, pointer)
    }

    /// Span of the *key* of the member at `pointer` (for object members);
    /// the value span for array items and the root.
    pub fn key_span_of(&self, pointer: &str) -> Option<Span> {
        let d = self.docs.first()?;
        match d.walk(&pointer_tokens(pointer)) {
            (Some(_), Some((a, b))) => Some(self.lines().span(a, b)),
            _ => self.span_of(pointer),
        }
    }

    /// Location of the value at `pointer` (key span for object members, so a
    /// finding about `status: retired` points at `status`).
    pub fn location(&self, pointer: &str) -> Location {
        match self.key_span_of(pointer) {
            Some(s) => Location::at(self.repo, &self.path, s),
            None => Location::file(self.repo, &self.path),
        }
    }

    /// Location of the value itself (not its key).
    pub fn value_location(&self, pointer: &str) -> Location {
        match self.span_of(pointer) {
            Some(s) => Location::at(self.repo, &self.path, s),
            None => Location::file(self.repo, &self.path),
        }
    }

    /// Location of a 1-based line (for line-oriented formats).
    pub fn line_location(&self, line: usize) -> Location {
        Location::at(self.repo, &self.path, self.lines().line_span(line))
    }

    /// Markdown tables of this document, parsed once.
    pub fn tables(&self) -> &[markdown::Table] {
        self.tables.get_or_init(|| markdown::tables(&self.text))
    }

    /// OpenSSH client config of this document, parsed once.
    pub fn ssh_config(&self) -> &sshconfig::SshConfig {
        self.ssh.get_or_init(|| sshconfig::parse(&self.text))
    }
}

/// What the parse cache keeps for a YAML/JSON file: everything the parse
/// produced, keyed by a hash of the file's bytes.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Cached {
    pub docs: Vec<YamlDoc>,
    pub problems: Vec<Finding>,
}

fn problem_finding(repo: RepoId, path: &str, p: Problem) -> Finding {
    match p {
        Problem::Syntax { at, message } => Finding::new(
            "parse/syntax",
            Severity::Error,
            Location::at(repo, path, at),
            format!("YAML syntax error: {message}"),
        )
        .with_help("fix the YAML syntax; the rest of this file was not checked"),
        Problem::DuplicateKey { key, first, second } => Finding::new(
            "parse/duplicate-key",
            Severity::Error,
            Location::at(repo, path, second),
            format!(
                "duplicate key `{key}` (first at line {}:{}); the last value is used, as PyYAML and yq do",
                first.line, first.col
            ),
        )
        .with_related(
            Location::at(repo, path, first),
            format!("`{key}` first defined here"),
        )
        .with_subject(format!("key:{key}@{}", first.line))
        .with_help(format!("remove one of the two `{key}` keys")),
        Problem::MergeKey { at } => Finding::new(
            "parse/merge-key",
            Severity::Warning,
            Location::at(repo, path, at),
            "merge key `<<` is YAML 1.1 only; driftgate expanded it, other YAML 1.2 tools will not",
        )
        .with_help("write the keys out instead of merging them"),
        Problem::TooDeep { at } => Finding::new(
            "parse/limit",
            Severity::Error,
            Location::at(repo, path, at),
            format!(
                "nesting deeper than {} levels; the rest of this file was not checked",
                yaml::MAX_DEPTH
            ),
        ),
        Problem::AliasBomb { at } => Finding::new(
            "parse/limit",
            Severity::Error,
            Location::at(repo, path, at),
            format!(
                "alias expansion exceeds {} nodes (alias bomb?); the rest of this file was not checked",
                yaml::MAX_ALIAS_NODES
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_key_becomes_finding_with_related_first() {
        let d = Document::parse(RepoId::Spine, "ops/bindings/x.yaml", b"a: 1\na: 2\n");
        let f = &d.problems[0];
        assert_eq!(f.code, "parse/duplicate-key");
        assert_eq!(f.location.line(), 2);
        assert_eq!(f.related[0].location.line(), 1);
    }

    #[test]
    fn the_last_duplicate_wins_and_locations_follow_it() {
        let text = b"a:\n  x: 1\nb: 2\na:\n  y: 3\n  z: [4, 5]\nc: 6\n";
        let d = Document::parse(RepoId::Spine, "x.yaml", text);
        let v = d.value().expect("parses");
        assert_eq!(v["a"], serde_json::json!({"y": 3, "z": [4, 5]}));
        assert!(d.problems[0].message.contains("the last value is used"));
        assert_eq!(d.location("/a/y").line(), 5);
        assert_eq!(d.location("/a/z/1").line(), 6);
        assert_eq!(d.location("/b").line(), 3);
        assert_eq!(d.location("/c").line(), 7);
        // The dropped first value is gone: its pointer falls back to the
        // second `a`, never to line 2.
        assert_eq!(d.location("/a/x").line(), 5);
    }

    #[test]
    fn non_utf8_is_a_finding_and_parsing_goes_on() {
        let d = Document::parse(RepoId::Spine, "x.yaml", b"a: 1\nb: \xff\xfe\n");
        assert_eq!(d.problems[0].code, "parse/encoding");
        assert_eq!(d.problems[0].location.line(), 2);
        assert_eq!(d.value().unwrap()["a"], serde_json::json!(1));
    }

    #[test]
    fn nul_bytes_mark_binary() {
        let d = Document::parse(RepoId::Spine, "x.yaml", b"\x00\x01\x02");
        assert_eq!(d.format, Format::Opaque);
        assert_eq!(d.problems[0].code, "parse/binary");
    }

    #[test]
    fn location_falls_back_to_nearest_ancestor() {
        let d = Document::parse(RepoId::Spine, "x.yaml", b"vms:\n  - id: 1\n");
        assert_eq!(d.location("/vms/0/missing").line(), 2);
        assert_eq!(d.location("/vms/0/id").col(), 5);
    }
}
