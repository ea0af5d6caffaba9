//! Every gate folder (`gates/DNNN-name/`) through the whole engine, by
//! running the `driftgate` binary as a user would (selection, input
//! resolution, panic safety, waivers and every report path included):
//!
//! - `pass/` (a minimal spine/workbench/legacy tree): the gate runs and
//!   finds nothing;
//! - `fail/`: the gate runs and finds drift; its findings and status are
//!   the snapshot `fail.snap` beside them;
//! - the gate file's `example:` (files introduced by `# path` comment lines),
//!   laid over `pass/`: the gate finds drift, so the example `explain` shows
//!   is a real one;
//! - every required input of every gate removed, broken (syntax error, not
//!   UTF-8) or replaced by a symlink: the gate is reported *skipped* with the
//!   reason, in the JSON report and the JUnit report alike, never `ran`.

mod common;

use common::copy_tree;
use driftgate::documents::Format;
use driftgate::gates::catalogue::{builtin, BUILTIN_PREFIX};
use driftgate::gates::inputs::{is_glob, InputDecl};
use driftgate::gates::GateMeta;
use serde_json::Value;
use std::path::{Path, PathBuf};

const NOW: &str = "2026-11-20";

struct GateDir {
    meta: GateMeta,
    dir: PathBuf,
}

fn gate_dirs() -> Vec<GateDir> {
    let cat = builtin();
    assert!(cat.problems.is_empty(), "{:?}", cat.problems);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("gates");
    let mut out = Vec::new();
    for g in cat.gates {
        let folder = g
            .meta
            .origin
            .trim_start_matches(BUILTIN_PREFIX)
            .trim_end_matches("/gate.yaml")
            .to_string();
        out.push(GateDir {
            dir: root.join(folder),
            meta: g.meta,
        });
    }
    // Every folder under gates/ is a gate of the catalogue.
    let folders = std::fs::read_dir(&root)
        .expect("gates/")
        .flatten()
        .filter(|e| e.path().is_dir())
        .count();
    assert_eq!(
        folders,
        out.len(),
        "a gates/ folder without a valid gate.yaml"
    );
    out
}

/// One `check` run of gate `id` on the workspace `dir`: the JSON report and
/// the JUnit report, both parsed.
struct Outcome {
    json: Value,
    junit: String,
    code: i32,
}

fn run(dir: &Path, id: &str) -> Outcome {
    let junit_dir = tempfile::tempdir().expect("tmp");
    let junit_path = junit_dir.path().join("junit.xml");
    let out = assert_cmd::Command::cargo_bin("driftgate")
        .expect("binary")
        .arg("check")
        .arg(dir)
        .args(["--select", id, "--no-exec", "--no-registry", "--no-cache"])
        .args(["--now", NOW, "--format", "json", "--junit"])
        .arg(&junit_path)
        .env_remove("DRIFTGATE_SPINE")
        .env_remove("DRIFTGATE_WORKBENCH")
        .env_remove("DRIFTGATE_LEGACY")
        .output()
        .expect("driftgate runs");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{id}: JSON report does not parse ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let junit = std::fs::read_to_string(&junit_path).expect("junit written");
    Outcome {
        json,
        junit,
        code: out.status.code().unwrap_or(-1),
    }
}

impl Outcome {
    /// The gate's check record: (status, reason).
    fn status(&self, id: &str) -> (String, String) {
        let c = self.json["checks"]
            .as_array()
            .and_then(|a| a.iter().find(|c| c["code"] == id))
            .unwrap_or_else(|| panic!("{id} has no check record: {}", self.json["checks"]));
        (
            c["status"].as_str().unwrap_or_default().to_string(),
            c["reason"].as_str().unwrap_or_default().to_string(),
        )
    }

    fn findings(&self, id: &str) -> Vec<&Value> {
        self.json["findings"]
            .as_array()
            .map(|a| a.iter().filter(|f| f["code"] == id).collect())
            .unwrap_or_default()
    }

    /// The `<testcase>` of the gate in the JUnit report: its `<skipped
    /// message=…>` if any.
    fn junit_skipped(&self, id: &str) -> Option<String> {
        let doc = roxmltree::Document::parse(&self.junit).expect("JUnit parses");
        let case = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .find(|n| n.attribute("classname") == Some(id))
            .unwrap_or_else(|| panic!("{id}: no testcase in JUnit:\n{}", self.junit));
        case.children()
            .find(|c| c.has_tag_name("skipped"))
            .map(|s| s.attribute("message").unwrap_or_default().to_string())
    }
}

fn line_of(f: &Value) -> String {
    format!(
        "{}:{}:{}:{}: {} {}",
        f["repo"].as_str().unwrap_or_default(),
        f["path"].as_str().unwrap_or_default(),
        f["line"],
        f["column"],
        f["code"].as_str().unwrap_or_default(),
        f["message"].as_str().unwrap_or_default()
    )
}

#[test]
fn every_gate_passes_its_pass_fixture_and_fails_its_fail_fixture() {
    let mut problems = Vec::new();
    for g in gate_dirs() {
        let id = g.meta.id.as_str();
        let pass = g.dir.join("pass");
        let fail = g.dir.join("fail");
        assert!(
            pass.join("spine").is_dir() && fail.join("spine").is_dir(),
            "{}: needs pass/spine and fail/spine",
            g.dir.display()
        );

        let p = run(&pass, id);
        if p.status(id) != ("ran".into(), String::new()) {
            problems.push(format!("{id}: pass/ did not run: {:?}", p.status(id)));
        }
        let found: Vec<String> = p.findings(id).into_iter().map(line_of).collect();
        if !found.is_empty() {
            problems.push(format!("{id}: pass/ has findings:\n{}", found.join("\n")));
        }

        let f = run(&fail, id);
        assert_eq!(f.status(id), ("ran".into(), String::new()), "{id} fail/");
        let found: Vec<String> = f.findings(id).into_iter().map(line_of).collect();
        assert!(!found.is_empty(), "{id}: fail/ has no finding");
        assert!(f.code == 0 || f.code == 1, "{id}: exit {} on fail/", f.code);
        let snap = format!("{}\n\n{id}: ran\n", found.join("\n"));
        insta::with_settings!({
            snapshot_path => g.dir.clone(),
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("driftgate check {}/fail --select {id}", g.dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default()),
        }, {
            insta::assert_snapshot!("fail", snap);
        });
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `# spine: ops/x.yaml`, `# workbench: dotfiles/…`, `# ops/bindings/x.yaml`
/// lines (a remark may follow the path) open a file of the example; the
/// lines up to the next such line are its text. Paths without a `.` need
/// the repo prefix (`# spine: ops/plugins/x/bin/y`).
fn example_files(example: &str) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = Vec::new();
    for line in example.lines() {
        let header = line.strip_prefix("# ").map(str::trim).and_then(|h| {
            let (repo, rest, explicit) = match h.split_once(": ") {
                Some((r, p)) if ["spine", "workbench", "legacy"].contains(&r) => {
                    (r, p.trim(), true)
                }
                _ => ("spine", h, false),
            };
            // The path is the first word; a remark may follow it. A path
            // without an extension (a script, a git hook) needs its repo
            // named: `# spine: ops/plugins/x/bin/y`.
            let path = rest.split_whitespace().next()?.trim_end_matches(',');
            (path.contains('/') && (explicit || path.contains('.')) && !path.ends_with(':'))
                .then(|| (repo.to_string(), path.to_string()))
        });
        match (header, out.last_mut()) {
            (Some((repo, path)), _) => out.push((repo, path, String::new())),
            (None, Some(last)) => {
                last.2.push_str(line);
                last.2.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

#[test]
fn every_gate_example_is_real_drift() {
    let mut problems = Vec::new();
    for g in gate_dirs() {
        let id = g.meta.id.as_str();
        let example = g
            .meta
            .example
            .as_deref()
            .unwrap_or_else(|| panic!("{id} has no example"));
        let files = example_files(example);
        if files.is_empty() {
            problems.push(format!("{id}: example names no file (`# path` lines)"));
            continue;
        }
        let ws = tempfile::tempdir().expect("tmp");
        copy_tree(&g.dir.join("pass"), ws.path());
        for (repo, path, text) in &files {
            let target = ws.path().join(repo).join(path);
            std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            std::fs::write(&target, text).expect("write example file");
        }
        let o = run(ws.path(), id);
        if o.status(id).0 != "ran" {
            problems.push(format!("{id} example: {:?}", o.status(id)));
        } else if o.findings(id).is_empty() {
            problems.push(format!("{id}: its example over pass/ finds nothing"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Ways to make a required file unusable, and what the skip reason says.
fn break_file(path: &Path, how: &str) {
    match how {
        "missing" => std::fs::remove_file(path).expect("rm"),
        "syntax" => std::fs::write(path, "a: [unclosed\nb: 1\n").expect("write"),
        "encoding" => std::fs::write(path, b"a: \xff\xfe\n").expect("write"),
        "binary" => std::fs::write(path, b"a: 1\n\0\0\0").expect("write"),
        "symlink" => {
            let outside = path.with_extension("outside");
            std::fs::rename(path, &outside).expect("mv");
            std::os::unix::fs::symlink(&outside, path).expect("symlink");
        }
        other => panic!("unknown breakage {other}"),
    }
}

fn expected_reason(decl: &InputDecl, how: &str) -> String {
    let q = decl.qualified();
    match how {
        "missing" => format!("{q} not found"),
        "syntax" => format!("{q} does not parse (parse/syntax at "),
        "encoding" => format!("{q} is refused (parse/encoding at "),
        "binary" => format!("{q} is refused (parse/binary at "),
        "symlink" => format!("{q} is a symlink, which driftgate does not follow"),
        "no-match" => format!("no file matches {q}"),
        other => panic!("unknown breakage {other}"),
    }
}

/// Removes every file under `repo_root` that `pattern` (a path or glob)
/// matches.
fn remove_matching(repo_root: &Path, pattern: &str) {
    let set = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .expect("glob")
        .compile_matcher();
    for f in walk(repo_root) {
        let rel = f.strip_prefix(repo_root).expect("inside");
        if set.is_match(rel.to_string_lossy().as_ref()) {
            std::fs::remove_file(&f).expect("rm");
        }
    }
}

/// Gates whose inputs are all optional globs over documents that may
/// legitimately not exist, and whose registry script passes without them
/// (D183: no intake envelopes is a clean intake queue, as its script says).
const CLEAN_WITHOUT_INPUTS: &[&str] = &["D183"];

#[test]
fn every_required_input_missing_or_broken_skips_its_gate_in_json_and_junit() {
    let mut cases = 0;
    for g in gate_dirs() {
        let id = g.meta.id.as_str();
        let required: Vec<&InputDecl> = g.meta.inputs.iter().filter(|i| i.required).collect();
        if required.is_empty() {
            // A gate whose inputs are all optional judges their absence
            // itself (D52: a missing document is a finding, as in its
            // script). Removing any one of them must not leave it green.
            for decl in &g.meta.inputs {
                let ws = tempfile::tempdir().expect("tmp");
                copy_tree(&g.dir.join("pass"), ws.path());
                let repo_root = ws.path().join(decl.repo.as_str());
                remove_matching(&repo_root, &decl.pattern);
                let o = run(ws.path(), id);
                assert_eq!(o.status(id).0, "ran", "{id} without {}", decl.qualified());
                if CLEAN_WITHOUT_INPUTS.contains(&id) {
                    // Judged and clean: nothing of that kind exists.
                    assert!(
                        o.findings(id).is_empty(),
                        "{id} without {}",
                        decl.qualified()
                    );
                    cases += 1;
                    continue;
                }
                assert!(
                    !o.findings(id).is_empty(),
                    "{id} is green without its input {}",
                    decl.qualified()
                );
                cases += 1;
            }
            continue;
        }
        for decl in required {
            let hows: &[&str] = if is_glob(&decl.pattern) {
                &["no-match"]
            } else if !matches!(Format::of_path(&decl.pattern), Format::Yaml | Format::Json) {
                // Markdown, scripts and other text (plists, Caddyfiles; a gate reading a plist reports its own errors) have
                // no syntax errors driftgate judges: absent, refused, linked.
                &["missing", "encoding", "binary", "symlink"]
            } else {
                &["missing", "syntax", "encoding", "binary", "symlink"]
            };
            for how in hows {
                let ws = tempfile::tempdir().expect("tmp");
                copy_tree(&g.dir.join("pass"), ws.path());
                let repo_root = ws.path().join(decl.repo.as_str());
                if *how == "no-match" {
                    remove_matching(&repo_root, &decl.pattern);
                } else {
                    let file = repo_root.join(&decl.pattern);
                    assert!(file.is_file(), "{id}: pass/ lacks {}", decl.qualified());
                    break_file(&file, how);
                }
                let o = run(ws.path(), id);
                let (status, reason) = o.status(id);
                let want = expected_reason(decl, how);
                assert_eq!(
                    status,
                    "skipped",
                    "{id} with {} {how}: {reason}",
                    decl.qualified()
                );
                // Emptying a glob may also remove an exact input declared
                // before it (D404's gate.registry.yaml): that one is named.
                let earlier = *how == "no-match"
                    && g.meta.inputs.iter().any(|i| {
                        i.required
                            && i.repo == decl.repo
                            && reason == format!("{} not found", i.qualified())
                    });
                assert!(
                    reason.starts_with(&want) || earlier,
                    "{id} with {} {how}: reason `{reason}`, expected `{want}…`",
                    decl.qualified()
                );
                let junit = o.junit_skipped(id);
                assert!(
                    junit.as_deref().is_some_and(|m| m.contains(&reason)),
                    "{id} with {} {how}: JUnit <skipped> is {junit:?}",
                    decl.qualified()
                );
                assert!(
                    o.findings(id).is_empty(),
                    "{id}: a skipped gate reports nothing"
                );
                cases += 1;
            }
        }
    }
    assert!(cases >= 50, "only {cases} cases");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
