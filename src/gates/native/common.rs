//! Helpers shared by native gates: reading declared inputs, gate options,
//! locations. The spine's entities themselves (VMs, sites, SSH targets,
//! backup targets) are the one model of `crate::model`, re-exported here.

pub use crate::model::backup::*;
pub use crate::model::paths::*;
pub use crate::model::site::*;
pub use crate::model::ssh::*;
pub use crate::model::values::*;
pub use crate::model::vm::*;

use crate::documents::{pointer_tokens, Document};
use crate::findings::{Finding, Location, RepoId};
use crate::gates::GateContext;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Arc;

/// Location of the member at `pointer` in YAML document `index` of a
/// multi-document file (key span for object members).
pub fn location_in(doc: &Document, index: usize, pointer: &str) -> Location {
    if index == 0 {
        return doc.location(pointer);
    }
    let Some(d) = doc.docs.get(index) else {
        return Location::file(doc.repo, &doc.path);
    };
    let mut toks = pointer_tokens(pointer);
    loop {
        match d.walk(&toks) {
            (Some(_), Some((a, b))) => return Location::at(doc.repo, &doc.path, doc.span(a, b)),
            (Some((a, b)), None) => return Location::at(doc.repo, &doc.path, doc.span(a, b)),
            _ => {}
        }
        if toks.pop().is_none() {
            return Location::at(doc.repo, &doc.path, doc.span(d.start, d.start));
        }
    }
}

/// Location of a 1-based line without its indentation and trailing blanks
/// (so the column points at the keyword of an ssh_config line).
pub fn line_text_location(doc: &Document, line: usize) -> Location {
    let whole = doc.lines().line_span(line);
    let text = doc.text.get(whole.start..whole.end).unwrap_or_default();
    let lead = text.len() - text.trim_start().len();
    let end = whole.start + text.trim_end().len();
    Location::at(
        doc.repo,
        &doc.path,
        doc.span(whole.start + lead, end.max(whole.start + lead)),
    )
}

/// Sorted, deduplicated message order is the engine's job; gates still emit
/// in file order so tests read naturally.
pub fn spine_doc(cx: &GateContext<'_>, path: &str) -> Option<Arc<Document>> {
    cx.doc(RepoId::Spine, path)
}

/// A finding about a whole spine file (no line), its subject the file.
pub fn file_finding(cx: &GateContext<'_>, path: &str, message: impl Into<String>) -> Finding {
    cx.finding_at(Location::file(RepoId::Spine, path), message)
        .with_subject(format!("file:{path}"))
}

/// A finding for a binding the gate needs but the spine does not have.
pub fn missing_file(cx: &GateContext<'_>, path: &str, why: &str) -> Finding {
    file_finding(cx, path, format!("{path} not found: {why}"))
}

/// Marks a native gate's `Err` as a skip: its data names evidence the run
/// lacks (a surface in a checkout that was not given), so it could not look.
pub const SKIP_PREFIX: &str = "\u{0}skip: ";

/// `Err(skip(why))`: the engine reports the gate skipped with `why`, not
/// errored. Only for inputs found through the data; declared inputs are
/// the engine's to skip.
pub fn skip(why: impl Into<String>) -> String {
    format!("{SKIP_PREFIX}{}", why.into())
}

// ───────────────────────────── options ─────────────────────────────

/// `gate_options.<ID>.<key>` as a list of strings (a scalar counts as a
/// one-item list).
pub fn opt_list(cx: &GateContext<'_>, key: &str) -> Option<Vec<String>> {
    let v = cx.options?.get(key)?;
    match v {
        Value::Array(a) => Some(a.iter().filter_map(|x| text(Some(x))).collect()),
        other => text(Some(other)).map(|s| vec![s]),
    }
}

pub fn opt_str(cx: &GateContext<'_>, key: &str) -> Option<String> {
    text(cx.options?.get(key))
}

/// The clusters (proxmox aliases) of the sites a gate is scoped to:
/// `gate_options.<ID>.clusters` verbatim, else `gate_options.<ID>.sites`
/// (default `default_sites`) mapped through topology.sites.yaml.
pub fn scoped_clusters(
    cx: &GateContext<'_>,
    default_sites: &[String],
) -> Result<(Vec<String>, HashSet<String>), String> {
    if let Some(c) = opt_list(cx, "clusters") {
        return Ok((
            opt_list(cx, "sites").unwrap_or_default(),
            c.into_iter().collect(),
        ));
    }
    let wanted = opt_list(cx, "sites").unwrap_or_else(|| default_sites.to_vec());
    let Some(topo) = spine_doc(cx, TOPOLOGY) else {
        // Older spines have no topology.sites.yaml: their sites are the
        // clusters the registry's scripts name.
        let mut clusters = HashSet::new();
        for s in &wanted {
            let c = legacy_cluster(s).ok_or_else(|| {
                format!(
                    "{TOPOLOGY} not found: cannot tell which cluster belongs to site `{s}`; set gate_options.{}.clusters",
                    cx.meta.id
                )
            })?;
            clusters.insert(c.to_string());
        }
        return Ok((wanted, clusters));
    };
    let all = sites(&topo);
    let clusters = all
        .iter()
        .filter(|s| wanted.contains(&s.id))
        .filter_map(|s| s.proxmox_alias.clone())
        .collect();
    Ok((wanted, clusters))
}

#[cfg(test)]
pub mod testing {
    //! Temp-dir workspaces for native gate unit tests.
    use crate::config::LoadedConfig;
    use crate::findings::{CheckStatus, Finding, RepoId};
    use crate::gates::GateOptions;
    use crate::workspace::{Limits, Repo, Snapshot, Workspace};
    use std::path::Path;

    pub struct TestWs {
        pub dir: tempfile::TempDir,
    }

    impl TestWs {
        /// A spine holding `files` (path, text); `workbench` files likewise
        /// (None: no workbench checkout).
        pub fn new(files: &[(&str, &str)], workbench: Option<&[(&str, &str)]>) -> TestWs {
            let dir = tempfile::tempdir().expect("tempdir");
            write_all(&dir.path().join("spine"), files);
            if let Some(wb) = workbench {
                write_all(&dir.path().join("workbench"), wb);
            }
            TestWs { dir }
        }

        pub fn workspace(&self) -> Workspace {
            let limits = Limits::default();
            let (spine, notes) = Repo::open(
                RepoId::Spine,
                &self.dir.path().join("spine"),
                &Snapshot::WorkTree,
                &limits,
            )
            .expect("spine opens");
            let wb = self.dir.path().join("workbench");
            Workspace::assemble(spine, notes, wb.exists().then_some(wb), None, &limits)
        }
    }

    fn write_all(root: &Path, files: &[(&str, &str)]) {
        std::fs::create_dir_all(root).expect("mkdir");
        for (p, t) in files {
            let path = root.join(p);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(path, t).expect("write");
        }
    }

    /// Runs gate `id` over the files through the engine (selection, input
    /// resolution, panic safety, undeclared-read checks), with
    /// `gate_options.<id>` set to `options` and `--now 2026-11-20`.
    fn engine_run(
        id: &str,
        files: &[(&str, &str)],
        workbench: Option<&[(&str, &str)]>,
        options: Option<serde_json::Value>,
        touched: Option<&[&str]>,
    ) -> (CheckStatus, Vec<Finding>) {
        let t = TestWs::new(files, workbench);
        let ws = t.workspace();
        let mut config = LoadedConfig::default();
        if let Some(o) = options {
            config.config.gate_options.insert(id.to_string(), o);
        }
        let opts = GateOptions {
            select: vec![id.to_string()],
            now: chrono::NaiveDate::from_ymd_opt(2026, 11, 20),
            exec: false,
            registry: Some(false),
            touched: touched.map(|t| t.iter().map(|p| p.to_string()).collect()),
            ..GateOptions::default()
        };
        let (findings, records) = crate::gates::run(&ws, &config, &opts, None);
        let status = records
            .into_iter()
            .find(|r| r.code == id)
            .map(|r| r.status)
            .unwrap_or_else(|| CheckStatus::Errored(format!("{id} is not in the catalogue")));
        (status, findings)
    }

    /// Runs gate `id` over the files: its findings, or `Err` with the
    /// reason when the engine reports it errored or skipped.
    pub fn run_gate(
        id: &str,
        files: &[(&str, &str)],
        workbench: Option<&[(&str, &str)]>,
        options: Option<serde_json::Value>,
    ) -> Result<Vec<Finding>, String> {
        match engine_run(id, files, workbench, options, None) {
            (CheckStatus::Ran, f) => Ok(f.into_iter().filter(|f| f.code == id).collect()),
            (CheckStatus::Skipped(why), _) => Err(format!("skipped: {why}")),
            (CheckStatus::Errored(why), _) => Err(why),
        }
    }

    /// Like `run_gate`, with the change touching `touched` (touch-and-fix
    /// gates judge those files; `--staged` and `--new-since` set this).
    pub fn run_gate_touched(
        id: &str,
        files: &[(&str, &str)],
        touched: &[&str],
    ) -> Result<Vec<Finding>, String> {
        match engine_run(id, files, None, None, Some(touched)) {
            (CheckStatus::Ran, f) => Ok(f.into_iter().filter(|f| f.code == id).collect()),
            (CheckStatus::Skipped(why), _) => Err(format!("skipped: {why}")),
            (CheckStatus::Errored(why), _) => Err(why),
        }
    }

    /// Why gate `id` is skipped over the files (None: it runs).
    pub fn skip_reason(id: &str, files: &[(&str, &str)]) -> Option<String> {
        match engine_run(id, files, None, None, None).0 {
            CheckStatus::Skipped(why) => Some(why),
            _ => None,
        }
    }

    /// Unwraps a gate run, panicking with the error.
    pub fn findings(r: Result<Vec<Finding>, String>) -> Vec<Finding> {
        r.unwrap_or_else(|e| panic!("gate errored: {e}"))
    }

    /// (line, subject, message) of each finding, for readable asserts.
    pub fn summary(f: &[Finding]) -> Vec<(String, usize, String, String)> {
        f.iter()
            .map(|f| {
                (
                    f.location.path.clone(),
                    f.location.line(),
                    f.subject.clone().unwrap_or_default(),
                    f.message.clone(),
                )
            })
            .collect()
    }
}
