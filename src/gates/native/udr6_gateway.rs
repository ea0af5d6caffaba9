//! D52 udr6-gateway-assertion: the shop's governance documents name the
//! UDR6 network (192.168.1.0/24, gateway 192.168.1.1), not the pre-cutover
//! 192.168.12.0/24 network, and list VMID-based LAN IPs rather than
//! Tailscale-derived ones.
//!
//! A port of the registry's `d52-udr6-gateway-assertion.sh`, line for line:
//! 1. `docs/governance/DEVICE_IDENTITY_SSOT.md` has a line matching
//!    `192.168.1.0/24.*Shop` and none matching `192.168.12.0/24.*Shop`;
//! 2. `SHOP_SERVER_SSOT.md` mentions `192.168.1.1` (a substring, as grep
//!    does, so `192.168.1.10` counts too);
//! 3. `NETWORK_POLICIES.md` mentions `192.168.1.0/24`;
//! 4. DEVICE_IDENTITY_SSOT.md has no line pairing a Tailscale-derived IP
//!    with its VMID (`.128 … 204`, `.76 … 209`, `.64 … 210`).
//!
//! A missing document is a finding, as in the script. Documents 2 and 3 may
//! be pointer stubs (`spine_pointer_stub: true`, `authority_repo:`,
//! `authority_path:`); the script follows them to `authority_repo/authority_path`
//! and falls back to the stub itself when that file does not exist. driftgate
//! follows a stub whose authority_repo ends in `workbench` into the workbench
//! checkout (declared input `workbench:docs/**/*.md`) instead of the absolute
//! path on the author's machine; otherwise it judges the stub, like the script.

use super::common::*;
use crate::documents::Document;
use crate::findings::{Finding, RepoId};
use crate::gates::{GateContext, NativeGate};
use regex::Regex;
use std::sync::{Arc, LazyLock};

pub struct Udr6Gateway;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: Udr6Gateway = Udr6Gateway;

const DEVICE_IDENTITY: &str = "docs/governance/DEVICE_IDENTITY_SSOT.md";
const SHOP_SERVER: &str = "docs/governance/SHOP_SERVER_SSOT.md";
const NETWORK_POLICIES: &str = "docs/governance/NETWORK_POLICIES.md";

/// The script's grep patterns (basic regular expressions; these use only
/// `\.` and `.*`, which mean the same in Rust's regex syntax).
struct Patterns {
    shop_subnet: Regex,
    old_shop_subnet: Regex,
    /// (pattern, hostname, VMID, Tailscale-derived IP)
    tailscale: Vec<(Regex, &'static str, u32, &'static str)>,
}

static PATTERNS: LazyLock<Result<Patterns, regex::Error>> = LazyLock::new(|| {
    Ok(Patterns {
        shop_subnet: Regex::new(r"192\.168\.1\.0/24.*Shop")?,
        old_shop_subnet: Regex::new(r"192\.168\.12\.0/24.*Shop")?,
        tailscale: vec![
            (
                Regex::new(r"192\.168\.1\.128.*204")?,
                "infra-core",
                204,
                "192.168.1.128",
            ),
            (
                Regex::new(r"192\.168\.1\.76.*209")?,
                "download-stack",
                209,
                "192.168.1.76",
            ),
            (
                Regex::new(r"192\.168\.1\.64.*210")?,
                "streaming-stack",
                210,
                "192.168.1.64",
            ),
        ],
    })
});

impl NativeGate for Udr6Gateway {
    fn name(&self) -> &'static str {
        "udr6_gateway"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let p = PATTERNS.as_ref().map_err(|e| e.to_string())?;
        let mut out = Vec::new();

        // 1 and 4: DEVICE_IDENTITY_SSOT.md, read in the spine (never a stub
        // target: the script does not resolve this one).
        match spine_doc(cx, DEVICE_IDENTITY) {
            None => out.push(not_found(cx, DEVICE_IDENTITY, "the shop subnet")),
            Some(di) => {
                if !lines(&di).any(|(_, l)| p.shop_subnet.is_match(l)) {
                    out.push(
                        cx.finding_at(
                            line_text_location(&di, first_line(&di)),
                            "DEVICE_IDENTITY_SSOT.md does not name the shop subnet: no line pairs 192.168.1.0/24 with `Shop`",
                        )
                        .with_subject(file_subject(&di)),
                    );
                }
                for (n, l) in lines(&di) {
                    if p.old_shop_subnet.is_match(l) {
                        out.push(
                            cx.finding_at(
                                line_text_location(&di, n),
                                "DEVICE_IDENTITY_SSOT.md still names 192.168.12.0/24 as the shop subnet; the UDR6 cutover moved the shop to 192.168.1.0/24",
                            )
                            .with_subject(file_subject(&di)),
                        );
                    }
                }
                for (n, l) in lines(&di) {
                    for (re, host, vmid, ip) in &p.tailscale {
                        if re.is_match(l) {
                            out.push(
                                cx.finding_at(
                                    line_text_location(&di, n),
                                    format!(
                                        "{host} (VM {vmid}) is listed with the Tailscale-derived IP {ip}; its LAN IP is 192.168.1.{vmid}"
                                    ),
                                )
                                .with_subject(file_subject(&di)),
                            );
                        }
                    }
                }
            }
        }

        // 2 and 3: documents that may be pointer stubs.
        for (path, needle, what) in [
            (SHOP_SERVER, "192.168.1.1", "the shop gateway 192.168.1.1 (UDR6)"),
            (
                NETWORK_POLICIES,
                "192.168.1.0/24",
                "the shop subnet 192.168.1.0/24",
            ),
        ] {
            let Some(stub) = spine_doc(cx, path) else {
                out.push(not_found(cx, path, what));
                continue;
            };
            let (doc, note) = resolve(cx, &stub);
            if !doc.text.contains(needle) {
                let name = path.rsplit('/').next().unwrap_or(path);
                // A stub judged itself: at its authority_path line.
                let line = if Arc::ptr_eq(&doc, &stub) {
                    key_line(&doc, "authority_path").unwrap_or_else(|| first_line(&doc))
                } else {
                    first_line(&doc)
                };
                out.push(
                    cx.finding_at(
                        line_text_location(&doc, line),
                        format!("{name} does not mention {what}{note}"),
                    )
                    .with_subject(format!("file:{path}")),
                );
            }
        }
        Ok(out)
    }
}

fn file_subject(doc: &Document) -> String {
    format!("file:{}", doc.path)
}

fn not_found(cx: &GateContext<'_>, path: &str, what: &str) -> Finding {
    missing_file(cx, path, &format!("it must name {what}"))
}

/// The first non-blank line (a document-level finding points at it).
fn first_line(doc: &Document) -> usize {
    lines(doc)
        .find(|(_, l)| !l.trim().is_empty())
        .map_or(1, |(n, _)| n)
}

/// The line of the first `key:` line.
fn key_line(doc: &Document, key: &str) -> Option<usize> {
    lines(doc)
        .find(|(_, l)| l.strip_prefix(key).is_some_and(|r| r.starts_with(':')))
        .map(|(n, _)| n)
}

/// 1-based line numbers and lines of a document, split on `\n` as grep does.
fn lines(doc: &Document) -> impl Iterator<Item = (usize, &str)> {
    doc.text.split('\n').enumerate().map(|(i, l)| (i + 1, l))
}

/// The first value of a `key:` line, trimmed and unquoted (the script's
/// `grep '^key:' | head -1 | cut -d: -f2- | xargs`).
fn stub_field<'a>(doc: &'a Document, key: &str) -> Option<&'a str> {
    let line = doc.text.split('\n').find(|l| {
        l.strip_prefix(key)
            .is_some_and(|rest| rest.starts_with(':'))
    })?;
    let v = line[key.len() + 1..].trim();
    let v = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(v);
    Some(v)
}

/// Follows a pointer stub into the workbench when its target is there; else
/// the stub itself, with a note saying why the target was not read.
fn resolve(cx: &GateContext<'_>, stub: &Arc<Document>) -> (Arc<Document>, String) {
    if !stub.text.split('\n').any(|l| l == "spine_pointer_stub: true") {
        return (stub.clone(), String::new());
    }
    let repo = stub_field(stub, "authority_repo").unwrap_or_default();
    let rel = stub_field(stub, "authority_path").unwrap_or_default();
    let target = format!("{repo}/{rel}");
    let fallback = |why: &str| {
        (
            stub.clone(),
            format!(" (checked the pointer stub itself: its target {target} {why})"),
        )
    };
    let last = repo.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    if last != "workbench" {
        return fallback("is not in the workbench checkout");
    }
    let safe = rel.starts_with("docs/")
        && rel.ends_with(".md")
        && !rel.split('/').any(|c| c == ".." || c.is_empty());
    if !safe {
        return fallback("is outside the workbench's docs/**/*.md this gate reads");
    }
    if !cx.inputs.has_repo(RepoId::Workbench) {
        return fallback("cannot be read without a workbench checkout");
    }
    match cx.doc(RepoId::Workbench, rel) {
        Some(d) => (
            d,
            format!(" (the target of the pointer stub {})", stub.path),
        ),
        None => fallback("does not exist in the workbench checkout"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const DI: &str = "# Device identity\n\n| 192.168.1.0/24 | Shop | 192.168.1.1 (UDR6) |\n| infra-core | 192.168.1.204 | 204 |\n";
    const SS: &str = "# Shop server\n\nGateway: 192.168.1.1 (UDR6)\n";
    const NP: &str = "# Network policies\n\nShop LAN 192.168.1.0/24.\n";
    const STUB: &str = "---\nstatus: authoritative\nspine_pointer_stub: true\nauthority_repo: \"/Users/someone/code/workbench\"\nauthority_path: \"docs/infrastructure/domains/shop/SHOP_SERVER_SSOT.md\"\n---\n\n# SHOP_SERVER_SSOT.md (Pointer)\n";
    const WB_SS: &str = "docs/infrastructure/domains/shop/SHOP_SERVER_SSOT.md";

    fn run(files: &[(&str, &str)], wb: Option<&[(&str, &str)]>) -> Vec<(String, usize, String)> {
        findings(run_gate("D52", files, wb, None))
            .iter()
            .map(|f| {
                (
                    format!("{}:{}", f.location.repo.as_str(), f.location.path),
                    f.location.line(),
                    f.message.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn current_documents_pass() {
        let f = run(
            &[(DEVICE_IDENTITY, DI), (SHOP_SERVER, SS), (NETWORK_POLICIES, NP)],
            None,
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn old_subnet_tailscale_ips_and_missing_documents_are_found() {
        let di = "| 192.168.12.0/24 | Shop |\n| infra-core | 192.168.1.128 | 204 |\n| streaming | 192.168.1.64 | 210 |\n";
        let f = run(&[(DEVICE_IDENTITY, di)], None);
        let got: Vec<(&str, usize, bool)> = f
            .iter()
            .map(|(p, l, m)| (p.as_str(), *l, m.contains("not found")))
            .collect();
        assert_eq!(
            got,
            vec![
                ("spine:docs/governance/DEVICE_IDENTITY_SSOT.md", 1, false),
                ("spine:docs/governance/DEVICE_IDENTITY_SSOT.md", 1, false),
                ("spine:docs/governance/DEVICE_IDENTITY_SSOT.md", 2, false),
                ("spine:docs/governance/DEVICE_IDENTITY_SSOT.md", 3, false),
                ("spine:docs/governance/SHOP_SERVER_SSOT.md", 1, true),
                ("spine:docs/governance/NETWORK_POLICIES.md", 1, true),
            ],
            "{f:#?}"
        );
        assert!(f[2].2.contains("infra-core (VM 204)"), "{}", f[2].2);
        assert!(f[3].2.contains("streaming-stack (VM 210)"), "{}", f[3].2);
    }

    #[test]
    fn a_pointer_stub_is_followed_into_the_workbench() {
        let files = [
            (DEVICE_IDENTITY, DI),
            (SHOP_SERVER, STUB),
            (NETWORK_POLICIES, NP),
        ];
        // The target names the gateway: clean.
        assert!(run(&files, Some(&[(WB_SS, SS)])).is_empty());
        // The target lost it: the finding points into the workbench.
        let f = run(&files, Some(&[(WB_SS, "# Shop server\n\nGateway: UDR6\n")]));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, format!("workbench:{WB_SS}"));
        assert!(f[0].2.contains("target of the pointer stub"), "{}", f[0].2);
    }

    #[test]
    fn an_unreachable_stub_target_judges_the_stub_like_the_script() {
        let files = [
            (DEVICE_IDENTITY, DI),
            (SHOP_SERVER, STUB),
            (NETWORK_POLICIES, NP),
        ];
        for wb in [None, Some(&[("README.md", "x\n")][..])] {
            let f = run(&files, wb);
            assert_eq!(f.len(), 1, "{f:?}");
            assert_eq!(f[0].0, format!("spine:{SHOP_SERVER}"));
            assert!(
                f[0].2.contains("checked the pointer stub itself"),
                "{}",
                f[0].2
            );
        }
        // A stub that names the gateway itself passes without its target.
        let stub = format!("{STUB}\nGateway 192.168.1.1\n");
        assert!(run(
            &[
                (DEVICE_IDENTITY, DI),
                (SHOP_SERVER, &stub),
                (NETWORK_POLICIES, NP)
            ],
            None
        )
        .is_empty());
    }
}
