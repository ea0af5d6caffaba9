//! Extractors: turn one source file into records, each with its line and
//! the line of every field. Files come from the workspace (parsed once);
//! markdown tables and OpenSSH config come from `Document::tables()` /
//! `Document::ssh_config()`.

use super::config::{Compiled, Source};
use super::entities::Canon;
use crate::documents::sshconfig::SshConfig;
use crate::documents::Document;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub value: String,
    pub line: usize,
}

/// One entry found in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    /// Parity field → value (absent and placeholder values are left out).
    pub fields: BTreeMap<String, Field>,
}

impl Record {
    pub fn get(&self, k: &str) -> Option<&str> {
        self.fields.get(k).map(|f| f.value.as_str())
    }
    pub fn line_of(&self, k: &str) -> usize {
        self.fields.get(k).map_or(self.line, |f| f.line)
    }
}

/// What an extractor made of its file.
#[derive(Debug, Default)]
pub struct Extracted {
    pub records: Vec<Record>,
    pub notes: Vec<String>,
}

/// Placeholders people write for "no value".
pub fn clean(s: &str) -> Option<String> {
    let t = s.trim().trim_matches('`').trim();
    match t.to_ascii_lowercase().as_str() {
        "" | "-" | "—" | "–" | "n/a" | "na" | "none" | "null" | "~" | "?" | "tbd" => None,
        _ => Some(t.to_string()),
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => clean(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub fn extract(source: &Source, doc: &Document, canon: &Canon) -> Extracted {
    let mut out = Extracted::default();
    if doc.is_unusable() {
        out.notes.push(format!(
            "{}:{}: could not be fully read ({}); parity used what could be read",
            source.repo,
            doc.path,
            doc.problems
                .first()
                .map_or("unreadable".to_string(), |p| p.message.clone())
        ));
    } else if let Some(p) = doc.problems.first() {
        out.notes.push(format!(
            "{}: {}",
            p.location.display(),
            p.message.replace('\n', " ")
        ));
    }
    match &source.compiled {
        Compiled::Structured {
            records,
            fields,
            each,
        } => {
            let Some(root) = doc.value() else {
                out.notes.push(format!(
                    "{}:{}: no YAML/JSON value; source `{}` skipped",
                    source.repo, doc.path, source.spec.id
                ));
                return out;
            };
            let selected = match records.select(root) {
                Ok(s) => s,
                Err(e) => {
                    out.notes.push(format!(
                        "{}:{}: source `{}`: {e}",
                        source.repo, doc.path, source.spec.id
                    ));
                    return out;
                }
            };
            for rec in selected {
                let base = rec.pointer.clone();
                let line = base.as_deref().map_or(1, |p| doc.value_location(p).line());
                let mut r = Record {
                    line,
                    fields: BTreeMap::new(),
                };
                for (name, f) in fields {
                    // A filter that fails on one record (`.a | tonumber`)
                    // leaves the field empty; it does not stop the source.
                    let Ok(sel) = f.select(&rec.value) else {
                        continue;
                    };
                    let Some(first) = sel.into_iter().find(|s| !s.value.is_null()) else {
                        continue;
                    };
                    let Some(value) = scalar(&first.value) else {
                        continue;
                    };
                    let fline = match (&base, &first.pointer) {
                        (Some(b), Some(p)) => doc.location(&format!("{b}{p}")).line(),
                        _ => line,
                    };
                    r.fields.insert(name.clone(), Field { value, line: fline });
                }
                match each {
                    None => out.records.push(r),
                    // One record per item; a record without items yields none.
                    Some((field, items)) => {
                        for item in items.select(&rec.value).unwrap_or_default() {
                            let Some(value) = scalar(&item.value) else {
                                continue;
                            };
                            let iline = match (&base, &item.pointer) {
                                (Some(b), Some(p)) => doc.location(&format!("{b}{p}")).line(),
                                _ => line,
                            };
                            let mut one = r.clone();
                            one.line = iline;
                            one.fields
                                .insert(field.clone(), Field { value, line: iline });
                            out.records.push(one);
                        }
                    }
                }
            }
        }
        Compiled::SshConfig => ssh_records(doc.ssh_config(), canon, &mut out),
        Compiled::Table { columns, heading } => {
            let ident: Vec<&(String, String)> = columns
                .iter()
                .filter(|(f, _)| matches!(f.as_str(), "vmid" | "hostname" | "key" | "service"))
                .collect();
            let mut picked = 0;
            for t in doc.tables() {
                let heading_ok = heading.as_ref().is_none_or(|h| {
                    t.heading
                        .as_deref()
                        .is_some_and(|th| th.to_lowercase().contains(&h.to_lowercase()))
                });
                // Picked by its header: every identifying column must be
                // there (a camera table has no VMID column); the others are
                // read when present.
                if !heading_ok
                    || ident.is_empty()
                    || !ident.iter().all(|(_, c)| t.column(c).is_some())
                {
                    continue;
                }
                picked += 1;
                for row in &t.rows {
                    let mut r = Record {
                        line: row.line,
                        fields: BTreeMap::new(),
                    };
                    for (field, col) in columns {
                        if let Some(v) = t.cell(row, col).and_then(clean) {
                            r.fields.insert(
                                field.clone(),
                                Field {
                                    value: v,
                                    line: row.line,
                                },
                            );
                        }
                    }
                    if !r.fields.is_empty() {
                        out.records.push(r);
                    }
                }
            }
            if picked == 0 {
                out.notes.push(format!(
                    "{}:{}: no table with columns {} found; source `{}` listed nothing",
                    source.repo,
                    doc.path,
                    ident
                        .iter()
                        .map(|(_, c)| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    source.spec.id
                ));
            }
        }
        Compiled::Regex(re) => {
            for (i, line) in doc.text.lines().enumerate() {
                let Some(caps) = re.captures(line) else {
                    continue;
                };
                let mut r = Record {
                    line: i + 1,
                    fields: BTreeMap::new(),
                };
                for name in re.capture_names().flatten() {
                    if let Some(v) = caps.name(name).and_then(|m| clean(m.as_str())) {
                        r.fields.insert(
                            name.to_string(),
                            Field {
                                value: v,
                                line: i + 1,
                            },
                        );
                    }
                }
                out.records.push(r);
            }
        }
    }
    out
}

/// Blocks that may match a host: those naming it literally, plus every
/// block with a wildcard or negated pattern (checked one by one).
struct BlockIndex<'a> {
    cfg: &'a SshConfig,
    literal: HashMap<String, Vec<usize>>,
    patterned: Vec<usize>,
}

impl<'a> BlockIndex<'a> {
    fn new(cfg: &'a SshConfig) -> Self {
        let mut literal: HashMap<String, Vec<usize>> = HashMap::new();
        let mut patterned = Vec::new();
        for (i, b) in cfg.hosts.iter().enumerate() {
            if b.patterns.is_empty() || b.patterns.iter().any(|p| p.contains(['*', '?', '!'])) {
                patterned.push(i);
            } else {
                for p in &b.patterns {
                    literal.entry(p.to_ascii_lowercase()).or_default().push(i);
                }
            }
        }
        BlockIndex {
            cfg,
            literal,
            patterned,
        }
    }

    /// The value ssh would use for `key` when connecting to `alias`: the
    /// first one in file order among the blocks matching `alias` (so a
    /// `Host *` block above a host's own block wins, exactly as in ssh).
    fn effective(&self, alias: &str, key: &str) -> Option<(&'a str, usize)> {
        let mut idx: Vec<usize> = self
            .literal
            .get(&alias.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default();
        idx.extend(self.patterned.iter().copied());
        idx.sort_unstable();
        idx.dedup();
        let cfg: &'a SshConfig = self.cfg;
        idx.into_iter()
            .filter_map(|i| cfg.hosts.get(i))
            .filter(|b| b.applies_to(alias))
            .find_map(|b| b.get(key))
    }
}

#[cfg(test)]
fn effective<'a>(cfg: &'a SshConfig, alias: &str, key: &str) -> Option<(&'a str, usize)> {
    BlockIndex::new(cfg).effective(alias, key)
}

fn ssh_records(cfg: &SshConfig, canon: &Canon, out: &mut Extracted) {
    let index = BlockIndex::new(cfg);
    for b in &cfg.hosts {
        if b.is_wildcard() {
            continue;
        }
        let aliases: Vec<&str> = b.aliases().collect();
        // `Host pve pve-shop`: the block is the canonical target whichever
        // alias names it; the other aliases are just extra names.
        let Some(key) = aliases
            .iter()
            .find(|a| canon.targets.contains_key(**a))
            .or(aliases.first())
        else {
            continue;
        };
        let mut r = Record {
            line: b.line,
            fields: BTreeMap::new(),
        };
        r.fields.insert(
            "key".into(),
            Field {
                value: key.to_string(),
                line: b.line,
            },
        );
        for (field, kw) in [("hostname", "hostname"), ("user", "user")] {
            if let Some((v, line)) = index.effective(key, kw) {
                if let Some(v) = clean(v) {
                    r.fields.insert(field.into(), Field { value: v, line });
                }
            }
        }
        out.records.push(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::sshconfig::parse;

    #[test]
    fn ssh_first_match_wins_like_ssh() {
        let cfg = parse("Host *\n  User nobody\nHost a\n  User root\n  HostName 10.0.0.1\nHost b !c\n  User bee\n");
        assert_eq!(effective(&cfg, "a", "user"), Some(("nobody", 2)));
        assert_eq!(effective(&cfg, "a", "hostname"), Some(("10.0.0.1", 5)));
        let cfg = parse("Host a\n  User root\nHost *\n  User nobody\n");
        assert_eq!(effective(&cfg, "a", "user"), Some(("root", 2)));
        assert_eq!(effective(&cfg, "zzz", "user"), Some(("nobody", 4)));
        let neg = parse("Host * !c\n  User x\n");
        assert_eq!(effective(&neg, "c", "user"), None);
    }

    #[test]
    fn placeholders_are_absent() {
        assert_eq!(clean(" — "), None);
        assert_eq!(clean("`immich`"), Some("immich".into()));
        assert_eq!(clean("n/a"), None);
    }
}
