//! D335 communications-mail-archiver-stabilization-lock: a port of the
//! registry's `d335-communications-mail-archiver-stabilization-lock.sh`.
//! Every check is independent and every missing file is a finding, as in
//! the script:
//! 1. the loop's continuation packet exists with a `loop_id`, at least one
//!    `preconditions` entry and at least one `wave_plan` entry;
//! 2. the overlap-plan and import-eml-remote scripts exist;
//! 3. the alias boundary contract exists with `version` 1 or more;
//! 4. backup.schedule.yaml has the job `mail-archiver-db-pgdump-daily` with
//!    `enabled: true`;
//! 5. backup.inventory.yaml has the targets `vm-214-communications-stack-primary`
//!    and `app-mail-archiver`;
//! 6. the account linkage contract exists and its first five lines contain
//!    `authoritative` exactly once and never `draft` (the script compares
//!    `head -5 | grep -o 'authoritative\|draft'` with `authoritative`).

use super::common::*;
use crate::documents::Document;
use crate::findings::{Finding, Location, RepoId};
use crate::gates::{GateContext, NativeGate};
use serde_json::Value;

pub struct MailArchiverStabilization;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: MailArchiverStabilization = MailArchiverStabilization;

const PACKET: &str =
    "mailroom/state/orchestration/LOOP-MAIL-ARCHIVER-POST-SYNC-STABILIZATION-20260302/packet.yaml";
const OVERLAP_PLAN: &str =
    "ops/plugins/communications/bin/communications-mail-archiver-overlap-plan";
const IMPORT_REMOTE: &str =
    "ops/plugins/communications/bin/communications-mail-archiver-import-eml-remote";
const ALIAS: &str = "ops/bindings/mail.archiver.alias.boundary.contract.yaml";
const SCHEDULE: &str = "ops/bindings/backup.schedule.yaml";
const INVENTORY: &str = "ops/bindings/backup.inventory.yaml";
const LINKAGE: &str = "ops/bindings/mail.archiver.account.linkage.contract.yaml";
const PGDUMP_JOB: &str = "mail-archiver-db-pgdump-daily";
const TARGETS: &[&str] = &["vm-214-communications-stack-primary", "app-mail-archiver"];

/// yq's `length` as the script's `-lt 1` reads it: arrays and maps count
/// members, strings characters; anything else counts as 0.
fn length(v: Option<&Value>) -> usize {
    match v {
        Some(Value::Array(a)) => a.len(),
        Some(Value::Object(o)) => o.len(),
        Some(Value::String(s)) => s.chars().count(),
        _ => 0,
    }
}

/// yq's text of a scalar (`e`, not `-r`: strings as they are).
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `[[ "$(yq '.version // 0')" -lt 1 ]]`: numbers and numeric text compare;
/// other text is 0 to bash (a variable name); a fraction makes the test
/// error, which the script reads as "not less".
fn version_below_one(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => true,
        Some(Value::Number(n)) => n.as_i64().is_some_and(|i| i < 1),
        Some(Value::String(s)) => match s.trim().parse::<i64>() {
            Ok(i) => i < 1,
            Err(_) => !s.contains('.'),
        },
        Some(_) => false,
    }
}

fn missing(cx: &GateContext<'_>, path: &str, what: &str) -> Finding {
    cx.finding_at(
        Location::file(RepoId::Spine, path),
        format!("{what} is missing ({path})"),
    )
    .with_subject(format!("file:{path}"))
}

fn at(cx: &GateContext<'_>, doc: &Document, pointer: &str, msg: String) -> Finding {
    cx.finding(doc, pointer, msg)
        .with_subject(format!("file:{}", doc.path))
}

impl NativeGate for MailArchiverStabilization {
    fn name(&self) -> &'static str {
        "mail_archiver_stabilization"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let mut out = Vec::new();
        // 1. The continuation packet.
        match spine_doc(cx, PACKET) {
            None => out.push(missing(cx, PACKET, "the continuation packet")),
            Some(doc) => {
                let v = doc.value();
                let loop_id = v.and_then(|v| v.get("loop_id"));
                let empty = match loop_id {
                    None | Some(Value::Null) | Some(Value::Bool(false)) => true,
                    Some(x) => {
                        let t = text(x);
                        t.is_empty() || t == "null"
                    }
                };
                if empty {
                    out.push(at(cx, &doc, "", "the continuation packet has no loop_id".into()));
                }
                for key in ["preconditions", "wave_plan"] {
                    if length(v.and_then(|v| v.get(key))) < 1 {
                        let p = if v.and_then(|v| v.get(key)).is_some() {
                            ptr(&[key])
                        } else {
                            String::new()
                        };
                        out.push(at(cx, &doc, &p, format!("the continuation packet has no {key}")));
                    }
                }
            }
        }
        // 2. The overlap cleanup scripts.
        for (path, what) in [
            (OVERLAP_PLAN, "the overlap plan script"),
            (IMPORT_REMOTE, "the import-eml-remote script"),
        ] {
            if !cx.inputs.has(RepoId::Spine, path) {
                out.push(missing(cx, path, what));
            }
        }
        // 3. The alias boundary contract.
        match spine_doc(cx, ALIAS) {
            None => out.push(missing(cx, ALIAS, "the alias boundary contract")),
            Some(doc) => {
                let v = doc.value().and_then(|v| v.get("version"));
                if version_below_one(v) {
                    let p = if v.is_some() { ptr(&["version"]) } else { String::new() };
                    out.push(at(
                        cx,
                        &doc,
                        &p,
                        "the alias boundary contract has no version of 1 or more".into(),
                    ));
                }
            }
        }
        // 4. The pg_dump job.
        match spine_doc(cx, SCHEDULE) {
            None => out.push(missing(cx, SCHEDULE, "the backup schedule")),
            Some(doc) => {
                let jobs = doc
                    .value()
                    .and_then(|v| v.get("jobs"))
                    .and_then(Value::as_array);
                let matches: Vec<(usize, &Value)> = jobs
                    .map(|a| {
                        a.iter()
                            .enumerate()
                            .filter(|(_, j)| j.get("id").and_then(Value::as_str) == Some(PGDUMP_JOB))
                            .collect()
                    })
                    .unwrap_or_default();
                let enabled: Vec<String> = matches
                    .iter()
                    .map(|(_, j)| j.get("enabled").map(text).unwrap_or_else(|| "null".into()))
                    .collect();
                if enabled != ["true"] {
                    let p = match matches.first() {
                        Some((i, _)) => ptr(&["jobs", &i.to_string()]),
                        None => String::new(),
                    };
                    out.push(at(
                        cx,
                        &doc,
                        &p,
                        format!("the backup schedule has no enabled job {PGDUMP_JOB}"),
                    ));
                }
            }
        }
        // 5. The backup targets.
        match spine_doc(cx, INVENTORY) {
            None => out.push(missing(cx, INVENTORY, "the backup inventory")),
            Some(doc) => {
                let names: Vec<&str> = doc
                    .value()
                    .and_then(|v| v.get("targets"))
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|t| t.get("name").and_then(Value::as_str))
                            .collect()
                    })
                    .unwrap_or_default();
                for t in TARGETS {
                    if !names.contains(t) {
                        out.push(at(
                            cx,
                            &doc,
                            "",
                            format!("the backup inventory has no target {t}"),
                        ));
                    }
                }
            }
        }
        // 6. The linkage contract is authoritative.
        match spine_doc(cx, LINKAGE) {
            None => out.push(missing(cx, LINKAGE, "the account linkage contract")),
            Some(doc) => {
                let head: Vec<&str> = doc.text.lines().take(5).collect();
                let mut words = Vec::new();
                for l in &head {
                    let mut rest = *l;
                    loop {
                        let a = rest.find("authoritative");
                        let d = rest.find("draft");
                        let (pos, word) = match (a, d) {
                            (Some(a), Some(d)) if d < a => (d, "draft"),
                            (Some(a), _) => (a, "authoritative"),
                            (None, Some(d)) => (d, "draft"),
                            (None, None) => break,
                        };
                        words.push(word);
                        rest = &rest[pos + word.len()..];
                    }
                }
                if words != ["authoritative"] {
                    let status = if words.is_empty() {
                        "unknown".to_string()
                    } else {
                        words.join(" ")
                    };
                    out.push(
                        cx.finding_at(
                            Location::file(RepoId::Spine, LINKAGE),
                            format!("the account linkage contract's status (first five lines) is `{status}`, not authoritative"),
                        )
                        .with_subject(format!("file:{LINKAGE}")),
                    );
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    fn good() -> Vec<(&'static str, &'static str)> {
        vec![
            (PACKET, "loop_id: L1\npreconditions: [a]\nwave_plan: [w1]\n"),
            (OVERLAP_PLAN, "#!/bin/sh\n"),
            (IMPORT_REMOTE, "#!/bin/sh\n"),
            (ALIAS, "version: 2\n"),
            (SCHEDULE, "jobs:\n  - id: mail-archiver-db-pgdump-daily\n    enabled: true\n"),
            (INVENTORY, "targets:\n  - name: vm-214-communications-stack-primary\n  - name: app-mail-archiver\n"),
            (LINKAGE, "# Status: authoritative\nversion: 1\n"),
        ]
    }

    #[test]
    fn all_in_place_passes() {
        let f = findings(run_gate("D335", &good(), None, None));
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn each_break_is_one_finding() {
        let mut files = good();
        files.retain(|(p, _)| *p != IMPORT_REMOTE);
        for (p, t) in files.iter_mut() {
            if *p == SCHEDULE {
                *t = "jobs:\n  - id: mail-archiver-db-pgdump-daily\n    enabled: false\n";
            }
            if *p == LINKAGE {
                *t = "# Status: draft (was authoritative)\n";
            }
            if *p == ALIAS {
                *t = "version: 0\n";
            }
        }
        let f = findings(run_gate("D335", &files, None, None));
        let msgs: Vec<_> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        assert!(msgs[0].contains("import-eml-remote"));
        assert!(msgs[1].contains("version"));
        assert!(msgs[2].contains("pgdump") || msgs[2].contains("mail-archiver-db-pgdump-daily"));
        assert!(msgs[3].contains("`draft authoritative`"));
    }
}
