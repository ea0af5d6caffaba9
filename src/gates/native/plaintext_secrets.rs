//! D407 no-plaintext-secrets: no declared input file (bindings, governance
//! docs) holds a secret, as the one secret model ([`crate::secrets`])
//! defines it — the same model every output masks with, so what D407
//! flags is never printed in clear.
//!
//! One finding per secret, at the key or the token, naming its kind and
//! showing the evidence masked (`pass: ****`, `tskey-****`). In staged mode
//! only the changed files are swept.

use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use rayon::prelude::*;

pub struct PlaintextSecrets;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: PlaintextSecrets = PlaintextSecrets;

/// `key: ****` / `tskey-****`: the text before the secret (its first
/// line, shortened) and the mask.
fn evidence(before: &str) -> String {
    let first = before.lines().next().unwrap_or_default().trim_start();
    let mut shown: String = first.chars().take(EVIDENCE_CHARS).collect();
    if shown.len() < first.len() {
        shown.push('…');
    }
    if before.contains('\n') {
        shown.push_str(" …");
    }
    shown.push_str(crate::secrets::MASK);
    shown
}

/// Evidence shown in a message: the first line of the masked match, at
/// most this many characters.
const EVIDENCE_CHARS: usize = 60;

impl NativeGate for PlaintextSecrets {
    fn name(&self) -> &'static str {
        "plaintext_secrets"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let repos = [RepoId::Spine, RepoId::Workbench, RepoId::Legacy];
        let files: Vec<(RepoId, &str)> = repos
            .iter()
            .flat_map(|&r| cx.inputs.paths(r).into_iter().map(move |p| (r, p)))
            .filter(|(r, p)| cx.sweeps(*r, p))
            .collect();
        let found: Vec<Vec<Finding>> = files
            .par_iter()
            .map(|&(repo, path)| {
                let Some(doc) = cx.doc(repo, path) else {
                    return Vec::new();
                };
                crate::secrets::scan(&doc.text)
                    .into_iter()
                    .map(|s| {
                        let shown = evidence(&doc.text[s.start..s.range.start]);
                        let span = doc.span(s.start, s.range.end);
                        let mut f = cx.finding_at(
                            Location::at(repo, path, span),
                            format!("{} in plain text (`{shown}`)", s.kind),
                        );
                        f.subject = Some(format!("file:{path}"));
                        f
                    })
                    .collect()
            })
            .collect();
        Ok(found.into_iter().flatten().collect())
    }
}
