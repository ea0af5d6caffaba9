//! D51 caddy-proto-lock: every active `reverse_proxy` to Authentik
//! (127.0.0.1:9000) in the staged Caddyfile `ops/staged/caddy-auth/Caddyfile`
//! is matched by an active `header_up X-Forwarded-Proto https` line. A port
//! of the registry's `d51-caddy-proto-lock.sh`, which counts lines: active
//! (not `#`-commented) proxy lines against active header lines; fewer
//! headers than proxies is drift. A Caddyfile with no proxy line to :9000 at
//! all is drift too. The script also requires
//! `ops/bindings/deploy.dependencies.yaml`, a declared input here.
//!
//! The finding points at the first active proxy line whose `{ ... }` block
//! has no header line (else at the first proxy line), with both counts.

use super::common::*;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use regex::Regex;
use std::sync::OnceLock;

pub struct CaddyProto;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: CaddyProto = CaddyProto;

const CADDYFILE: &str = "ops/staged/caddy-auth/Caddyfile";

fn res() -> Option<&'static (Regex, Regex, Regex)> {
    static R: OnceLock<Option<(Regex, Regex, Regex)>> = OnceLock::new();
    R.get_or_init(|| {
        Some((
            Regex::new(r"reverse_proxy.*127\.0\.0\.1:9000").ok()?,
            Regex::new(r"header_up X-Forwarded-Proto https").ok()?,
            Regex::new(r"^\s*#").ok()?,
        ))
    })
    .as_ref()
}

impl NativeGate for CaddyProto {
    fn name(&self) -> &'static str {
        "caddy_proto"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(doc) = spine_doc(cx, CADDYFILE) else {
            return Ok(vec![missing_file(
                cx,
                CADDYFILE,
                "the Authentik upstreams cannot be checked",
            )]);
        };
        let (proxy, header, comment) = res().ok_or("D51 patterns do not compile")?;
        let lines: Vec<&str> = doc.text.lines().collect();
        let mut any_proxy = false;
        let mut active_proxies = Vec::new();
        let mut active_headers = 0usize;
        for (i, l) in lines.iter().enumerate() {
            let active = !comment.is_match(l);
            if proxy.is_match(l) {
                any_proxy = true;
                if active {
                    active_proxies.push(i);
                }
            }
            if header.is_match(l) && active {
                active_headers += 1;
            }
        }
        let subject = format!("file:{CADDYFILE}");
        if !any_proxy {
            return Ok(vec![cx
                .finding_at(
                    Location::file(RepoId::Spine, CADDYFILE),
                    "the staged Caddyfile has no reverse_proxy to Authentik (127.0.0.1:9000)",
                )
                .with_subject(subject)]);
        }
        if active_headers >= active_proxies.len() {
            return Ok(Vec::new());
        }
        // Where to point: the first proxy whose block lacks the header.
        let lacking = active_proxies.iter().copied().find(|&i| {
            if !lines[i].contains('{') {
                return true;
            }
            let mut depth = 0i64;
            for l in &lines[i..] {
                if !comment.is_match(l) && header.is_match(l) && depth > 0 {
                    return false;
                }
                depth += l.matches('{').count() as i64 - l.matches('}').count() as i64;
                if depth <= 0 {
                    break;
                }
            }
            true
        });
        let line = lacking.or(active_proxies.first().copied()).unwrap_or(0) + 1;
        Ok(vec![cx
            .finding_at(
                line_text_location(&doc, line),
                format!(
                    "{} active reverse_proxy lines to Authentik (127.0.0.1:9000) but only {} `header_up X-Forwarded-Proto https` lines",
                    active_proxies.len(),
                    active_headers
                ),
            )
            .with_subject(subject)])
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const DEPS: (&str, &str) = ("ops/bindings/deploy.dependencies.yaml", "services: {}\n");

    #[test]
    fn a_block_without_the_header_is_found_at_its_line() {
        let caddy = "a.example {\n\treverse_proxy 127.0.0.1:9000 {\n\t\theader_up X-Forwarded-Proto https\n\t}\n}\nb.example {\n\treverse_proxy 127.0.0.1:9000 {\n\t\theader_up Host {host}\n\t}\n}\n# reverse_proxy 127.0.0.1:9000\n";
        let f = findings(run_gate("D51", &[(CADDYFILE, caddy), DEPS], None, None));
        assert_eq!(f.len(), 1, "{:?}", summary(&f));
        assert_eq!(f[0].location.line(), 7);
        assert!(f[0].message.starts_with("2 active reverse_proxy lines"));
    }

    #[test]
    fn matching_counts_pass_and_no_proxy_at_all_is_drift() {
        let ok = "a.example {\n\treverse_proxy 127.0.0.1:9000 {\n\t\theader_up X-Forwarded-Proto https\n\t}\n}\n";
        assert!(findings(run_gate("D51", &[(CADDYFILE, ok), DEPS], None, None)).is_empty());
        let none = "a.example {\n\treverse_proxy 127.0.0.1:8080\n}\n";
        let f = findings(run_gate("D51", &[(CADDYFILE, none), DEPS], None, None));
        assert_eq!(f.len(), 1, "{:?}", summary(&f));
        assert!(f[0].message.contains("no reverse_proxy"));
    }
}
