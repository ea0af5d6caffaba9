//! D74 billing-provider-lane-lock: the background engine and the inbox
//! watcher stay on the local-first provider lane, with paid providers behind
//! explicit overrides. A port of the registry's
//! `d74-billing-provider-lane-lock.sh`.
//!
//! Spine: `ops/engine/run.sh` resolves its provider from
//! `SPINE_ENGINE_PROVIDER`, has a `local)` lane and no silent
//! openai→anthropic fallback; `ops/runtime/inbox/hot-folder-watcher.sh`
//! defaults the watcher to `local`, defines the paid and anthropic override
//! switches (default 0), refuses paid and anthropic providers without them,
//! and reads no API key from the keychain. Workbench:
//! `dotfiles/macbook/launchd/com.ronny.agent-inbox.plist` has no uppercase
//! path segment under `/Users/ronnyworks/`, and its `EnvironmentVariables`
//! pin the watcher and engine providers, the spine paths and the model.
//! Patterns are the script's rg regexes, per line; the plist is read as an
//! XML property list (as Python's plistlib does).

use super::common::*;
use crate::documents::Document;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use regex::Regex;
use std::collections::HashMap;
use std::sync::Arc;

pub struct ProviderLanes;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: ProviderLanes = ProviderLanes;

const ENGINE: &str = "ops/engine/run.sh";
const WATCHER: &str = "ops/runtime/inbox/hot-folder-watcher.sh";
const PLIST: &str = "dotfiles/macbook/launchd/com.ronny.agent-inbox.plist";

/// (regex, must match?, message)
const ENGINE_RULES: [(&str, bool, &str); 3] = [
    (r#"provider="\$\{SPINE_ENGINE_PROVIDER:-"#, true, "does not resolve its provider from the SPINE_ENGINE_PROVIDER override"),
    (r"local\)", true, "has no local provider lane (`local)`)"),
    (r"OpenAI provider failed; falling back to Anthropic", false, "silently falls back from openai to anthropic"),
];
const WATCHER_RULES: [(&str, bool, &str); 6] = [
    (r#"WATCHER_PROVIDER="\$\{SPINE_WATCHER_PROVIDER:-local\}""#, true, "does not default SPINE_WATCHER_PROVIDER to local"),
    (r#"WATCHER_ALLOW_PAID_PROVIDER="\$\{SPINE_WATCHER_ALLOW_PAID_PROVIDER:-0\}""#, true, "does not default SPINE_WATCHER_ALLOW_PAID_PROVIDER to 0"),
    (r"paid watcher provider '\$WATCHER_PROVIDER' requires SPINE_WATCHER_ALLOW_PAID_PROVIDER=1", true, "does not refuse paid providers without SPINE_WATCHER_ALLOW_PAID_PROVIDER=1"),
    (r#"WATCHER_ALLOW_ANTHROPIC="\$\{SPINE_WATCHER_ALLOW_ANTHROPIC:-0\}""#, true, "does not default SPINE_WATCHER_ALLOW_ANTHROPIC to 0"),
    (r"provider=anthropic is blocked by default", true, "does not block anthropic by default"),
    (r#"security find-generic-password -a "\$USER" -s "anthropic-api-key" -w"#, false, "falls back to the keychain for ANTHROPIC_API_KEY"),
];
const ENV: [(&str, &str); 8] = [
    ("SPINE_WATCHER_PROVIDER", "local"),
    ("SPINE_ENGINE_PROVIDER", "zai"),
    ("SPINE_REPO", "/Users/ronnyworks/code/agentic-spine"),
    ("SPINE_INBOX", "/Users/ronnyworks/code/agentic-spine/mailroom/inbox"),
    ("SPINE_OUTBOX", "/Users/ronnyworks/code/agentic-spine/mailroom/outbox"),
    ("SPINE_STATE", "/Users/ronnyworks/code/agentic-spine/mailroom/state"),
    ("SPINE_LOGS", "/Users/ronnyworks/code/agentic-spine/mailroom/logs"),
    ("ZAI_MODEL", "glm-5"),
];

/// 1-based line of the first line matching `re`.
fn first_line(doc: &Document, re: &Regex) -> Option<usize> {
    doc.text.split('\n').position(|l| re.is_match(l)).map(|i| i + 1)
}

fn lines_rules(
    cx: &GateContext<'_>,
    repo: RepoId,
    path: &str,
    rules: &[(&str, bool, &str)],
    out: &mut Vec<Finding>,
) -> Result<(), String> {
    let doc: Option<Arc<Document>> = if cx.inputs.has(repo, path) {
        cx.doc(repo, path)
    } else {
        None
    };
    let Some(doc) = doc else {
        out.push(
            cx.finding_at(Location::file(repo, path), format!("{repo}:{path} is missing"))
                .with_subject(format!("{repo}:{path}")),
        );
        return Ok(());
    };
    for (pat, must, msg) in rules {
        let re = Regex::new(pat).map_err(|e| format!("pattern {pat}: {e}"))?;
        match (first_line(&doc, &re), must) {
            (None, true) => out.push(
                cx.finding_at(line_text_location(&doc, 1), format!("{path} {msg}"))
                    .with_subject(format!("{repo}:{path}")),
            ),
            (Some(l), false) => out.push(
                cx.finding_at(line_text_location(&doc, l), format!("{path} {msg}"))
                    .with_subject(format!("{repo}:{path}")),
            ),
            _ => {}
        }
    }
    Ok(())
}

// ───────────────────────── a small XML plist reader ─────────────────────────

#[derive(Debug, Clone, PartialEq)]
enum Plist {
    Dict(Vec<(String, Plist)>),
    Array(Vec<Plist>),
    Str(String),
    /// integer, real, date, data, true, false: not strings.
    Other,
}

#[derive(Debug)]
enum Tok {
    Open(String),
    Close(String),
    Empty(String),
    Text(String),
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn tokens(xml: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find('<') {
        let text = &rest[..i];
        if !text.trim().is_empty() {
            out.push(Tok::Text(unescape(text)));
        } else if !text.is_empty() {
            out.push(Tok::Text(text.to_string()));
        }
        rest = &rest[i..];
        let (skip, end) = if rest.starts_with("<!--") {
            ("-->", true)
        } else if rest.starts_with("<?") {
            ("?>", true)
        } else if rest.starts_with("<!") {
            (">", true)
        } else {
            (">", false)
        };
        let Some(j) = rest.find(skip) else {
            return Err("unterminated markup".into());
        };
        let tag = &rest[..j + skip.len()];
        rest = &rest[j + skip.len()..];
        if end {
            continue;
        }
        let inner = tag.trim_start_matches('<').trim_end_matches('>');
        let name = |s: &str| {
            s.trim_start_matches('/')
                .split(|c: char| c.is_whitespace() || c == '/')
                .next()
                .unwrap_or_default()
                .to_string()
        };
        if inner.starts_with('/') {
            out.push(Tok::Close(name(inner)));
        } else if inner.ends_with('/') {
            out.push(Tok::Empty(name(inner)));
        } else {
            out.push(Tok::Open(name(inner)));
        }
    }
    Ok(out)
}

fn value(toks: &[Tok], i: &mut usize) -> Result<Plist, String> {
    while let Some(Tok::Text(t)) = toks.get(*i) {
        if !t.trim().is_empty() {
            return Err(format!("unexpected text `{}`", t.trim()));
        }
        *i += 1;
    }
    let tok = toks.get(*i).ok_or("unexpected end of the plist")?;
    *i += 1;
    match tok {
        Tok::Empty(n) => Ok(match n.as_str() {
            "dict" => Plist::Dict(Vec::new()),
            "array" => Plist::Array(Vec::new()),
            "string" => Plist::Str(String::new()),
            _ => Plist::Other,
        }),
        Tok::Open(n) if n == "dict" => {
            let mut entries = Vec::new();
            loop {
                while let Some(Tok::Text(t)) = toks.get(*i) {
                    if !t.trim().is_empty() {
                        return Err("text inside <dict>".into());
                    }
                    *i += 1;
                }
                match toks.get(*i) {
                    Some(Tok::Close(c)) if c == "dict" => {
                        *i += 1;
                        return Ok(Plist::Dict(entries));
                    }
                    Some(Tok::Open(k)) if k == "key" => {
                        *i += 1;
                        let key = match toks.get(*i) {
                            Some(Tok::Text(t)) => {
                                *i += 1;
                                t.clone()
                            }
                            _ => String::new(),
                        };
                        match toks.get(*i) {
                            Some(Tok::Close(c)) if c == "key" => *i += 1,
                            _ => return Err("unclosed <key>".into()),
                        }
                        entries.push((key, value(toks, i)?));
                    }
                    _ => return Err("expected <key> in <dict>".into()),
                }
            }
        }
        Tok::Open(n) if n == "array" => {
            let mut items = Vec::new();
            loop {
                while let Some(Tok::Text(t)) = toks.get(*i) {
                    if !t.trim().is_empty() {
                        return Err("text inside <array>".into());
                    }
                    *i += 1;
                }
                if let Some(Tok::Close(c)) = toks.get(*i) {
                    if c == "array" {
                        *i += 1;
                        return Ok(Plist::Array(items));
                    }
                }
                items.push(value(toks, i)?);
            }
        }
        Tok::Open(n) => {
            let mut text = String::new();
            while let Some(Tok::Text(t)) = toks.get(*i) {
                text.push_str(t);
                *i += 1;
            }
            match toks.get(*i) {
                Some(Tok::Close(c)) if c == n => *i += 1,
                _ => return Err(format!("unclosed <{n}>")),
            }
            Ok(if n == "string" {
                Plist::Str(text)
            } else {
                Plist::Other
            })
        }
        other => Err(format!("unexpected {other:?}")),
    }
}

/// The top-level value of an XML plist (`<plist><dict>…</dict></plist>`).
fn parse_plist(xml: &str) -> Result<Plist, String> {
    let toks = tokens(xml)?;
    let mut i = toks
        .iter()
        .position(|t| matches!(t, Tok::Open(n) if n == "plist"))
        .ok_or("no <plist> element")?
        + 1;
    value(&toks, &mut i)
}

impl NativeGate for ProviderLanes {
    fn name(&self) -> &'static str {
        "provider_lanes"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let mut out = Vec::new();
        lines_rules(cx, RepoId::Spine, ENGINE, &ENGINE_RULES, &mut out)?;
        lines_rules(cx, RepoId::Spine, WATCHER, &WATCHER_RULES, &mut out)?;
        let Some(plist) = cx.doc(RepoId::Workbench, PLIST) else {
            return Ok(out); // a required input: the engine skips
        };
        let upper = Regex::new("/Users/ronnyworks/[A-Z]").map_err(|e| e.to_string())?;
        if let Some(l) = first_line(&plist, &upper) {
            out.push(
                cx.finding_at(
                    line_text_location(&plist, l),
                    format!("{PLIST} has an uppercase path segment under /Users/ronnyworks/ (use the lowercase code root)"),
                )
                .with_subject(format!("workbench:{PLIST}")),
            );
        }
        let env: HashMap<String, Plist> = match parse_plist(&plist.text) {
            Ok(Plist::Dict(top)) => match top.into_iter().rev().find(|(k, _)| k == "EnvironmentVariables") {
                // plistlib: a later duplicate key wins, in both dicts.
                Some((_, Plist::Dict(e))) => e.into_iter().collect(),
                _ => HashMap::new(),
            },
            other => {
                // plistlib raises, and the script fails: a finding.
                let why = match other {
                    Err(e) => e,
                    Ok(_) => "its top level is not a dict".to_string(),
                };
                out.push(
                    cx.finding_at(
                        line_text_location(&plist, 1),
                        format!("{PLIST} cannot be read as a property list ({why}), so its EnvironmentVariables cannot be checked"),
                    )
                    .with_subject(format!("workbench:{PLIST}")),
                );
                return Ok(out);
            }
        };
        for (k, want) in ENV {
            let got = env.get(k);
            if got != Some(&Plist::Str(want.to_string())) {
                let shown = match got {
                    None => "unset".to_string(),
                    Some(Plist::Str(s)) => format!("`{s}`"),
                    Some(_) => "not a string".to_string(),
                };
                let line = first_line(&plist, &Regex::new(&format!("<key>{}</key>", regex::escape(k))).map_err(|e| e.to_string())?)
                    .unwrap_or(1);
                out.push(
                    cx.finding_at(
                        line_text_location(&plist, line),
                        format!("{PLIST}: EnvironmentVariables.{k} is {shown}, expected `{want}`"),
                    )
                    .with_subject(format!("workbench:{PLIST}#{k}")),
                );
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plist_environment_is_read() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key><string>com.x</string>
  <!-- a comment -->
  <key>ProgramArguments</key><array><string>/bin/sh</string><string>-c</string></array>
  <key>RunAtLoad</key><true/>
  <key>EnvironmentVariables</key>
  <dict>
    <key>A</key>
    <string>x &amp; y</string>
    <key>B</key><integer>3</integer>
    <key>C</key><string/>
  </dict>
</dict>
</plist>"#;
        let Ok(Plist::Dict(top)) = parse_plist(xml) else {
            panic!("parses")
        };
        let env = top
            .iter()
            .find(|(k, _)| k == "EnvironmentVariables")
            .map(|(_, v)| v.clone());
        assert_eq!(
            env,
            Some(Plist::Dict(vec![
                ("A".into(), Plist::Str("x & y".into())),
                ("B".into(), Plist::Other),
                ("C".into(), Plist::Str(String::new())),
            ]))
        );
        assert!(parse_plist("<plist><dict><key>A</key></dict></plist>").is_err());
    }
}
