//! D129 spine-schema-conventions-lock: bindings without a dedicated schema
//! follow ops/bindings/spine.schema.conventions.yaml.
//!
//! Files: spine paths matching `policy.include_globs` (default
//! `ops/bindings/**/*.yaml`, `**/*.yml`) that have no built-in JSON Schema,
//! plus `policy.always_validate_files`. In every YAML document of such a
//! file, at any depth:
//! - `status_rules.canonical_field` (`status`) string values are in
//!   `allowed_values`; `lifecycle_field` values in `lifecycle_values`;
//! - date fields (`date_rules.canonical_fields` + `accepted_legacy_fields`)
//!   match `iso_8601_regex`;
//! - `field_rules.disallowed_alias_keys` are absent, except the
//!   `allowed_keys` of the file's `legacy_alias_rules.legacy_exceptions`.
//!
//! The conventions file is a required input: without it (spines before the
//! registry had D129) the gate is skipped with the reason, never judged by
//! rules the spine never wrote. Touch-and-fix (`enforcement_mode`) as the
//! registry's script: a change's touched files are enforced, the rest of a
//! full run is backlog (info).

use super::common::*;
use crate::documents::{push_pointer_token, Document, Format};
use crate::findings::{Finding, RepoId};
use crate::gates::{GateContext, NativeGate};
use crate::schema::{context_of, SchemaStore};
use globset::{Glob, GlobSet, GlobSetBuilder};
use rayon::prelude::*;
use regex::Regex;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

pub struct SchemaConventions;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: SchemaConventions = SchemaConventions;

struct Rules {
    include: GlobSet,
    always: HashSet<String>,
    status_field: String,
    statuses: HashSet<String>,
    lifecycle_field: Option<String>,
    lifecycles: HashSet<String>,
    date_fields: HashSet<String>,
    date_re: Regex,
    disallowed: HashSet<String>,
    /// alias key → canonical replacement
    replacement: HashMap<String, String>,
    /// file → keys allowed there
    allowed: HashMap<String, HashSet<String>>,
    /// `legacy_alias_rules.touch_to_fix_required` (default true), and the
    /// per-file overrides of the exceptions.
    touch_to_fix: bool,
    touch_to_fix_file: HashMap<String, bool>,
    /// `policy.enforcement_mode: touch_and_fix` (the spine's): judge the
    /// files a change touches; without a base the rest is backlog (info).
    touch_and_fix: bool,
    source: String,
}

impl Rules {
    fn touch_to_fix_for(&self, file: &str) -> bool {
        self.touch_to_fix_file
            .get(file)
            .copied()
            .unwrap_or(self.touch_to_fix)
    }
}

fn flag(v: Option<&Value>) -> Option<bool> {
    match v {
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) if s == "true" => Some(true),
        Some(Value::String(s)) if s == "false" => Some(false),
        _ => None,
    }
}

fn rules(v: &Value, source: &str) -> Result<Rules, String> {
    let sec = |k: &str| v.get(k);
    let mut globs = strings(sec("policy"), "include_globs");
    if globs.is_empty() {
        globs = vec![
            "ops/bindings/**/*.yaml".into(),
            "ops/bindings/**/*.yml".into(),
        ];
    }
    let mut b = GlobSetBuilder::new();
    for g in &globs {
        b.add(Glob::new(g).map_err(|e| format!("{source}: include glob `{g}` is invalid: {e}"))?);
    }
    let include = b
        .build()
        .map_err(|e| format!("{source}: include globs are invalid: {e}"))?;
    let status = sec("status_rules");
    let dates = sec("date_rules");
    let fields = sec("field_rules");
    let regex = text(dates.and_then(|d| d.get("iso_8601_regex")))
        .unwrap_or_else(|| r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T][0-9]{2}:[0-9]{2}:[0-9]{2}Z)?$".into());
    let date_re = Regex::new(&regex)
        .map_err(|e| format!("{source}: date_rules.iso_8601_regex does not compile: {e}"))?;
    let mut replacement = HashMap::new();
    if let Some(id) = text(fields.and_then(|f| f.get("canonical_id_field"))) {
        replacement.insert("vmid".to_string(), id);
    }
    if let Some(d) = text(fields.and_then(|f| f.get("canonical_description_field"))) {
        replacement.insert("notes".to_string(), d);
    }
    replacement.insert("discovered_at".into(), "created_at".into());
    replacement.insert("opened".into(), "created_at".into());
    let mut allowed: HashMap<String, HashSet<String>> = HashMap::new();
    let mut touch_to_fix_file = HashMap::new();
    for e in items(sec("legacy_alias_rules"), "legacy_exceptions") {
        if let Some(file) = text(e.get("file")) {
            if let Some(t) = flag(e.get("touch_to_fix_required")) {
                touch_to_fix_file.insert(file.clone(), t);
            }
            allowed
                .entry(file)
                .or_default()
                .extend(strings(Some(e), "allowed_keys"));
        }
    }
    let touch_to_fix = flag(sec("legacy_alias_rules").and_then(|l| l.get("touch_to_fix_required")))
        .unwrap_or(true);
    let touch_and_fix = text(sec("policy").and_then(|p| p.get("enforcement_mode")))
        .is_some_and(|m| m == "touch_and_fix");
    let mut date_fields: HashSet<String> = strings(dates, "canonical_fields").into_iter().collect();
    date_fields.extend(strings(dates, "accepted_legacy_fields"));
    Ok(Rules {
        include,
        always: strings(sec("policy"), "always_validate_files")
            .into_iter()
            .collect(),
        status_field: text(status.and_then(|s| s.get("canonical_field")))
            .unwrap_or_else(|| "status".into()),
        statuses: strings(status, "allowed_values").into_iter().collect(),
        lifecycle_field: text(status.and_then(|s| s.get("lifecycle_field"))),
        lifecycles: strings(status, "lifecycle_values").into_iter().collect(),
        date_fields,
        date_re,
        disallowed: strings(fields, "disallowed_alias_keys")
            .into_iter()
            .collect(),
        replacement,
        allowed,
        touch_to_fix,
        touch_to_fix_file,
        touch_and_fix,
        source: source.to_string(),
    })
}

impl NativeGate for SchemaConventions {
    fn name(&self) -> &'static str {
        "schema_conventions"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let conv_path = opt_str(cx, "conventions").unwrap_or_else(|| CONVENTIONS.to_string());
        // A required input: the engine skips the gate without it (older
        // spines had neither the conventions file nor the registry's D129).
        let Some(conv) = spine_doc(cx, &conv_path) else {
            return Err(format!("{conv_path} not found"));
        };
        let rules = match conv.value() {
            Some(v) => rules(v, &conv_path)?,
            None => {
                return Err(format!(
                    "{conv_path} has no YAML document to read conventions from"
                ))
            }
        };
        // The run's mapping (driftgate.yaml overrides included): a file a
        // schema covers is not judged by conventions; `schema: null` hands
        // a file back to them.
        let own;
        let store = match cx.schemas {
            Some(s) => s,
            None => {
                own = SchemaStore::load(&[], None);
                &own
            }
        };
        // Touch-and-fix (the spine's policy): with a base (`--staged`,
        // `--new-since`) judge `always_validate_files` and the touched files;
        // without one, the always-validated files as errors and every other
        // file as backlog (info). Other policies judge every file.
        let touched = |path: &str| {
            cx.touched
                .is_some_and(|t| t.contains(&(RepoId::Spine, path.to_string())))
        };
        let wanted: Vec<(&str, Judge)> = cx
            .inputs
            .paths(RepoId::Spine)
            .into_iter()
            .filter(|path| Format::of_path(path) == Format::Yaml)
            .filter_map(|path| {
                let always = rules.always.contains(path);
                let judged_here = rules.include.is_match(path)
                    && store.schema_for(RepoId::Spine, path).is_none();
                if !(always || judged_here) {
                    return None;
                }
                let judge = if !rules.touch_and_fix {
                    cx.sweeps(RepoId::Spine, path).then_some(Judge::Enforce)?
                } else if always || touched(path) {
                    Judge::Enforce
                } else if cx.touched.is_some() || cx.changed.is_some() {
                    return None;
                } else {
                    Judge::Backlog
                };
                Some((path, judge))
            })
            .collect();
        // Files are independent: walk them in parallel, keep file order.
        let out = wanted
            .par_iter()
            .flat_map_iter(|(path, judge)| {
                let mut out = Vec::new();
                if let Some(doc) = cx.doc(RepoId::Spine, path) {
                    let allowed = rules.allowed.get(*path);
                    // A legacy exception lasts until the file is touched
                    // (touch_to_fix_required), unless the exception says so.
                    let exception_expired = rules.touch_and_fix
                        && touched(path)
                        && rules.touch_to_fix_for(path);
                    for (i, d) in doc.docs.iter().enumerate() {
                        let mut walker = Walker {
                            cx,
                            rules: &rules,
                            doc: &doc,
                            index: i,
                            root: &d.value,
                            allowed,
                            exception_expired,
                            judge: *judge,
                            out: &mut out,
                        };
                        walker.walk(&d.value, &mut String::new());
                    }
                }
                out
            })
            .collect();
        Ok(out)
    }
}

/// How a file's violations are reported.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Judge {
    /// Errors (the gate's severity): a touched or always-validated file.
    Enforce,
    /// Info: an untouched file in a full run (touch-and-fix backlog).
    Backlog,
}

struct Walker<'a, 'b> {
    cx: &'a GateContext<'b>,
    rules: &'a Rules,
    doc: &'a Document,
    index: usize,
    root: &'a Value,
    allowed: Option<&'a HashSet<String>>,
    /// The file is touched and its legacy exceptions require touch-and-fix.
    exception_expired: bool,
    judge: Judge,
    out: &'a mut Vec<Finding>,
}

impl Walker<'_, '_> {
    /// Walks `v`; `at` is its pointer, one buffer for the whole walk.
    fn walk(&mut self, v: &Value, at: &mut String) {
        let len = at.len();
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    at.push('/');
                    push_pointer_token(at, k);
                    self.check_key(k, x, at);
                    self.walk(x, at);
                    at.truncate(len);
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    use std::fmt::Write;
                    let _ = write!(at, "/{i}");
                    self.walk(x, at);
                    at.truncate(len);
                }
            }
            _ => {}
        }
    }

    fn report(&mut self, pointer: &str, msg: String) {
        let (_, subj) = context_of(self.root, pointer);
        let doc_tag = if self.doc.docs.len() > 1 {
            format!(" (document {})", self.index + 1)
        } else {
            String::new()
        };
        let at = format!(" (at `{subj}`{doc_tag})");
        let backlog = if self.judge == Judge::Backlog {
            " — backlog: touch-and-fix judges this file when a change touches it"
        } else {
            ""
        };
        let mut f = self
            .cx
            .finding_at(
                location_in(self.doc, self.index, pointer),
                format!("{msg}{at}{backlog}"),
            )
            .with_subject(format!("file:{}", self.doc.path));
        if self.judge == Judge::Backlog {
            f.severity = crate::findings::Severity::Info;
        }
        self.out.push(f);
    }

    fn check_key(&mut self, k: &str, v: &Value, p: &str) {
        let r = self.rules;
        if k == r.status_field && !r.statuses.is_empty() {
            if let Value::String(s) = v {
                if !r.statuses.contains(s.trim()) {
                    self.report(
                        p,
                        format!(
                            "status `{s}` is not in the status vocabulary of {}",
                            r.source
                        ),
                    );
                }
            }
        }
        if r.lifecycle_field.as_deref() == Some(k) && !r.lifecycles.is_empty() {
            if let Value::String(s) = v {
                if !r.lifecycles.contains(s.trim()) {
                    self.report(
                        p,
                        format!(
                            "{k} `{s}` is not one of the lifecycle values of {}",
                            r.source
                        ),
                    );
                }
            }
        }
        if r.date_fields.contains(k) {
            // As the spine's audit: only date-like values (a YYYY-MM-DD
            // inside) are held to the ISO regex; `true`, `n/a` or a number
            // are not dates to judge.
            static DATE_LIKE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
            let date_like = DATE_LIKE.get_or_init(|| {
                // A constant pattern: compiling it cannot fail at run time.
                Regex::new(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").expect("valid regex")
            });
            let bad = match v {
                Value::String(s) => (date_like.is_match(s) && !r.date_re.is_match(s.trim()))
                    .then(|| format!("`{s}`")),
                _ => None,
            };
            if let Some(bad) = bad {
                self.report(
                    p,
                    format!(
                        "date field `{k}` has {bad}, which is not an ISO-8601 date (YYYY-MM-DD)"
                    ),
                );
            }
        }
        let excepted = self.allowed.is_some_and(|a| a.contains(k));
        if r.disallowed.contains(k) && excepted && self.exception_expired {
            self.report(
                p,
                format!(
                    "key `{k}` is a legacy exception of this file in {}, and the change touches the file: touch-and-fix requires migrating it now",
                    r.source
                ),
            );
        } else if r.disallowed.contains(k) && !excepted {
            let instead = r
                .replacement
                .get(k)
                .map(|c| format!("; use `{c}`"))
                .unwrap_or_default();
            self.report(
                p,
                format!("key `{k}` is a disallowed alias in {}{instead}", r.source),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const CONV: &str = "status_rules:\n  canonical_field: status\n  allowed_values: [active, done]\ndate_rules:\n  canonical_fields: [created_at]\n  accepted_legacy_fields: [last_verified]\n  iso_8601_regex: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'\nfield_rules:\n  canonical_description_field: description\n  disallowed_alias_keys: [notes, vmid]\nlegacy_alias_rules:\n  legacy_exceptions:\n    - file: ops/bindings/legacy.yaml\n      allowed_keys: [notes]\n";

    #[test]
    fn clean_bindings_pass_and_schema_bound_files_are_skipped() {
        let f = findings(run_gate(
            "D129",
            &[
                (CONVENTIONS, CONV),
                ("ops/bindings/a.yaml", "status: active\nlast_verified: 2026-11-16\nitems:\n  - id: x\n    status: done\n"),
                ("ops/bindings/legacy.yaml", "notes: ok here\n"),
                // has a built-in schema: conventions do not apply
                (VM_LIFECYCLE, "vms:\n  - vmid: 1\n    notes: x\n"),
                ("docs/other.yaml", "status: weird\n"),
            ],
            None,
            None,
        ));
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn vocabulary_dates_and_aliases_are_reported_with_lines() {
        let f = findings(run_gate(
            "D129",
            &[
                (CONVENTIONS, CONV),
                (
                    "ops/bindings/b.yaml",
                    "status: wip\ncreated_at: 2026-01-02 10:00\ntiers:\n  - id: tank\n    notes: mount by LAN IP\n",
                ),
                (
                    "ops/bindings/multi.yaml",
                    "---\nid: one\nstatus: active\n---\nid: two\nstatus: zombie\n",
                ),
            ],
            None,
            None,
        ));
        let got: Vec<(&str, usize, &str)> = f
            .iter()
            .map(|f| {
                (
                    f.location.path.as_str(),
                    f.location.line(),
                    f.subject.as_deref().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("ops/bindings/b.yaml", 1, "file:ops/bindings/b.yaml"),
                ("ops/bindings/b.yaml", 2, "file:ops/bindings/b.yaml"),
                ("ops/bindings/b.yaml", 5, "file:ops/bindings/b.yaml"),
                ("ops/bindings/multi.yaml", 6, "file:ops/bindings/multi.yaml"),
            ]
        );
        assert_eq!(f[0].code, "D129");
        assert!(f[0]
            .message
            .starts_with("status `wip` is not in the status vocabulary"));
        assert!(f[1]
            .message
            .contains("`2026-01-02 10:00`, which is not an ISO-8601 date"));
        assert_eq!(
            f[2].message,
            "key `notes` is a disallowed alias in ops/bindings/spine.schema.conventions.yaml; use `description` (at `tiers[id=tank].notes`)"
        );
        assert!(
            f[3].message.ends_with("(at `status` (document 2))"),
            "{}",
            f[3].message
        );
    }

    const TOUCH: &str = "policy:\n  enforcement_mode: touch_and_fix\n  always_validate_files: [ops/bindings/spine.schema.conventions.yaml]\nstatus_rules:\n  canonical_field: status\n  allowed_values: [active]\ndate_rules:\n  canonical_fields: [updated_at]\nfield_rules:\n  disallowed_alias_keys: [notes]\nlegacy_alias_rules:\n  touch_to_fix_required: true\n  legacy_exceptions:\n    - file: ops/bindings/old.yaml\n      allowed_keys: [notes]\n    - file: ops/bindings/big.yaml\n      allowed_keys: [notes]\n      touch_to_fix_required: false\nstatus: wip\n";

    fn touch_files() -> Vec<(&'static str, &'static str)> {
        vec![
            (CONVENTIONS, TOUCH),
            ("ops/bindings/a.yaml", "status: zombie\nupdated_at: 2026/01/02\n"),
            ("ops/bindings/old.yaml", "notes: legacy\nstatus: active\n"),
            ("ops/bindings/big.yaml", "notes: legacy\n"),
        ]
    }

    #[test]
    fn touch_and_fix_without_a_base_reports_the_backlog_as_info() {
        let f = findings(run_gate("D129", &touch_files(), None, None));
        let got: Vec<(&str, crate::findings::Severity)> = f
            .iter()
            .map(|f| (f.location.path.as_str(), f.severity))
            .collect();
        use crate::findings::Severity::*;
        assert_eq!(
            got,
            vec![
                // the rest is backlog; `2026/01/02` is not date-like (the
                // audit's own heuristic) and excepted keys stay allowed
                ("ops/bindings/a.yaml", Info),
                // always_validate_files are enforced in every run
                (CONVENTIONS, Error),
            ],
            "{:?}",
            summary(&f)
        );
        assert!(f[0].message.ends_with("judges this file when a change touches it"));
        assert!(!f[1].message.contains("backlog"));
    }

    #[test]
    fn touched_files_are_enforced_and_their_legacy_exceptions_expire() {
        let f = findings(run_gate_touched(
            "D129",
            &touch_files(),
            &["ops/bindings/a.yaml", "ops/bindings/old.yaml", "ops/bindings/big.yaml"],
        ));
        let got: Vec<(&str, usize, crate::findings::Severity)> = f
            .iter()
            .map(|f| (f.location.path.as_str(), f.location.line(), f.severity))
            .collect();
        use crate::findings::Severity::*;
        assert_eq!(
            got,
            vec![
                ("ops/bindings/a.yaml", 1, Error),
                // touched, and its exception requires touch-and-fix
                ("ops/bindings/old.yaml", 1, Error),
                // big.yaml: touch_to_fix_required: false keeps the exception
                (CONVENTIONS, 19, Error),
            ],
            "{:?}",
            summary(&f)
        );
        assert!(f[1].message.contains("touch-and-fix requires migrating it now"));
        // An untouched file is not judged at all when there is a base.
        let f = findings(run_gate_touched("D129", &touch_files(), &["ops/bindings/big.yaml"]));
        assert_eq!(f.len(), 1, "only the always-validated file: {:?}", summary(&f));
    }

}
