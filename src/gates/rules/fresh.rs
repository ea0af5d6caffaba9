//! `fresh`: a date field is no older than N days (relative to `--now`).
//!
//! ```yaml
//! rule:
//!   kind: fresh
//!   files: ["spine:ops/bindings/*.yaml", "spine:docs/governance/*.md"]
//!   items: .              # default: the document itself
//!   field: [last_verified, last_reviewed]
//!   max_age_days: 21
//!   message: "{{$field}} {{$date}} is {{$age}} days old (max {{$max}})"
//! ```
//! Every listed field present on an item is checked; absent fields are not
//! findings unless `required: true`. Dates are `YYYY-MM-DD` (a timestamp's
//! date part is used). Markdown files are judged by their YAML front matter
//! (`---` block at the top).

use super::{item_json, render, Halt, Loaded, Output, RuleCx, RuleResult};
use crate::documents::{Document, Format};
use crate::findings::Location;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Fields {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub file: Option<String>,
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub items: Option<String>,
    pub field: Fields,
    pub max_age_days: i64,
    #[serde(default)]
    pub required: bool,
    pub message: Option<String>,
    pub subject: Option<String>,
}

/// Parses a date or the date part of a timestamp.
pub fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    let s = s.trim();
    let head = s.get(..10).unwrap_or(s);
    chrono::NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()
}

/// A markdown file's front matter as its own document, with the byte and
/// line offset of its first line in the file.
fn front_matter(doc: &Document) -> Option<(Document, usize, usize)> {
    let text = &*doc.text;
    let first_nl = text.find('\n')?;
    if text[..first_nl].trim_end() != "---" {
        return None;
    }
    let body = &text[first_nl + 1..];
    let mut off = 0;
    for line in body.split_inclusive('\n') {
        if line.trim_end() == "---" {
            let fm = &body[..off];
            // Parsed as YAML (the path decides the format); locations are
            // moved back into the markdown file by `shift`.
            let yaml_path = format!("{}.front-matter.yaml", doc.path);
            return Some((
                Document::parse(doc.repo, &yaml_path, fm.as_bytes()),
                first_nl + 1,
                1,
            ));
        }
        off += line.len();
    }
    None
}

fn shift(loc: Location, file: &Document, bytes: usize, lines: usize) -> Location {
    match loc.span {
        Some(mut s) => {
            s.start += bytes;
            s.end += bytes;
            s.line += lines;
            Location::at(file.repo, &file.path, s)
        }
        None => Location::file(file.repo, &file.path),
    }
}

pub fn run(cx: &RuleCx<'_>, spec: Spec) -> RuleResult {
    let fields: Vec<String> = match &spec.field {
        Fields::One(f) => vec![f.clone()],
        Fields::Many(v) => v.clone(),
    };
    let items_f = cx.items_jq(spec.items.as_deref().unwrap_or("."), "/items")?;
    let docs: Vec<Arc<Document>> = match (&spec.file, spec.files.is_empty()) {
        (Some(f), true) => vec![cx.load(f)?.doc],
        (None, false) => cx.glob(&spec.files, &spec.exclude)?,
        _ => {
            return Err(Halt::Config {
                pointer: cx.base.clone(),
                message: "`fresh` needs exactly one of `file` or `files`".into(),
            })
        }
    };
    let mut out = Output::default();
    let message = spec
        .message
        .as_deref()
        .unwrap_or("`{{$field}}` {{$date}} is {{$age}} days old (max {{$max}})");
    for doc in docs {
        // Markdown: judge the front matter, shifting spans back into the file.
        let (target, bytes, lines): (Arc<Document>, usize, usize) =
            if doc.format == Format::Markdown {
                match front_matter(&doc) {
                    Some((fm, b, l)) => (Arc::new(fm), b, l),
                    None => continue,
                }
            } else {
                (doc.clone(), 0, 0)
            };
        if target.is_unusable() {
            continue;
        }
        // The whole document (the default) needs no jq and no conversion.
        let root_only = spec.items.as_deref().is_none_or(|i| i.trim() == ".");
        let pointers: Vec<String> = if root_only {
            vec![String::new()]
        } else {
            let loaded = Loaded {
                val: if bytes == 0 {
                    cx.shared.value(&target)
                } else {
                    target
                        .value()
                        .map(super::jq::from_json)
                        .unwrap_or(jaq_json::Val::Null)
                },
                doc: target.clone(),
            };
            match cx.items(&items_f, &loaded) {
                Ok(i) => i.into_iter().map(|i| i.pointer).collect(),
                Err(e) => {
                    cx.item_error(&mut out, &doc, "", &e);
                    continue;
                }
            }
        };
        let tdoc = &target;
        for pointer in pointers {
            let json = item_json(tdoc, &pointer);
            let Some(obj) = json.and_then(|j| j.as_object()) else {
                continue;
            };
            let mut seen = false;
            for field in &fields {
                let Some(v) = obj.get(field) else { continue };
                seen = true;
                let ptr = format!("{pointer}/{}", crate::documents::pointer_escape(field));
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let (msg, fire) = match parse_date(&text) {
                    None => (
                        format!("`{field}` is `{text}`, not a YYYY-MM-DD date"),
                        true,
                    ),
                    Some(d) => {
                        let age = (cx.shared.now - d).num_days();
                        let vars = [
                            ("field", field.clone()),
                            ("date", d.format("%Y-%m-%d").to_string()),
                            ("age", age.to_string()),
                            ("max", spec.max_age_days.to_string()),
                            ("file", doc.path.clone()),
                        ];
                        (render(message, json, &vars), age > spec.max_age_days)
                    }
                };
                if fire {
                    let subject = spec
                        .subject
                        .as_deref()
                        .map(|s| {
                            render(
                                s,
                                json,
                                &[("file", doc.path.clone()), ("field", field.clone())],
                            )
                        })
                        .unwrap_or_else(|| format!("file:{}#{field}", doc.path));
                    let mut f = cx
                        .gate
                        .finding_at(shift(tdoc.location(&ptr), &doc, bytes, lines), msg);
                    f.subject = Some(subject);
                    out.findings.push(f);
                }
            }
            if !seen && spec.required {
                let mut f = cx.gate.finding_at(
                    shift(tdoc.location(&pointer), &doc, bytes, lines),
                    format!("none of {} is set", fields.join(", ")),
                );
                f.subject = Some(format!("file:{}", doc.path));
                out.findings.push(f);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::spine;
    use crate::gates::tests_support::{gate_cx, run_rule_on};
    use serde_json::json;

    fn rule() -> serde_json::Value {
        json!({"kind": "fresh", "files": ["b/*.yaml", "d/*.md"], "field": ["last_verified", "last_reviewed"], "max_age_days": 21})
    }

    #[test]
    fn stale_dates_are_reported_at_their_key_including_front_matter() {
        let t = spine(&[
            ("b/ok.yaml", "# c\nlast_verified: 2026-11-16\n"),
            ("b/old.yaml", "# c\nstatus: x\nlast_verified: 2026-01-05\n"),
            ("b/ts.yaml", "last_reviewed: \"2026-10-01T10:00:00Z\"\n"),
            ("b/bad.yaml", "last_verified: someday\n"),
            (
                "d/doc.md",
                "---\nowner: me\nlast_verified: 2026-10-01\n---\n# Doc\n",
            ),
            ("d/plain.md", "# no front matter\n"),
        ]);
        let out = run_rule_on(&t.ws, &gate_cx("D58"), &rule()).unwrap();
        let mut got: Vec<_> = out
            .findings
            .iter()
            .map(|f| {
                (
                    f.location.path.as_str(),
                    f.location.line(),
                    f.location.col(),
                )
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("b/bad.yaml", 1, 1),
                ("b/old.yaml", 3, 1),
                ("b/ts.yaml", 1, 1),
                ("d/doc.md", 3, 1)
            ]
        );
        let old = out
            .findings
            .iter()
            .find(|f| f.location.path == "b/old.yaml")
            .unwrap();
        assert_eq!(
            old.message,
            "`last_verified` 2026-01-05 is 319 days old (max 21)"
        );
        let md = out
            .findings
            .iter()
            .find(|f| f.location.path == "d/doc.md")
            .unwrap();
        let text = std::fs::read_to_string(t.dir.path().join("d/doc.md")).unwrap();
        let s = md.location.span.unwrap();
        assert_eq!(&text[s.start..s.end], "last_verified");
    }

    #[test]
    fn fresh_files_pass() {
        let t = spine(&[("b/ok.yaml", "last_verified: 2026-11-16\n")]);
        let out = run_rule_on(&t.ws, &gate_cx("D58"), &rule()).unwrap();
        assert!(out.findings.is_empty());
    }
}
