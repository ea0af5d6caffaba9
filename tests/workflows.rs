//! The shipped workflow and hook-framework files parse and do what the README says.

use driftgate::documents::Document;
use driftgate::findings::RepoId;
use serde_json::Value;
use std::path::Path;

fn load(rel: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let bytes = std::fs::read(&path).expect("file exists");
    let doc = Document::parse(RepoId::Spine, rel, &bytes);
    assert!(doc.problems.is_empty(), "{rel}: {:?}", doc.problems);
    assert_eq!(doc.docs.len(), 1);
    doc.value().cloned().expect("a document")
}

fn steps(wf: &Value) -> Vec<Value> {
    wf["jobs"]
        .as_object()
        .expect("jobs")
        .values()
        .flat_map(|j| j["steps"].as_array().cloned().unwrap_or_default())
        .collect()
}

#[test]
fn push_workflow_runs_check_with_reports_and_uploads_them_always() {
    let wf = load(".gitea/workflows/drift-gate.yml");
    assert!(wf["on"].get("push").is_some());
    assert!(wf["on"].get("pull_request").is_some());
    let steps = steps(&wf);
    for s in &steps {
        assert!(s.get("uses").is_some() || s.get("run").is_some(), "{s}");
    }
    let check = steps
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("driftgate check"))
        })
        .expect("a driftgate check step");
    let run = check["run"].as_str().unwrap_or_default();
    for flag in [
        "--format short",
        "--junit",
        "--sarif",
        r#"${GITHUB_STEP_SUMMARY:+--summary "$GITHUB_STEP_SUMMARY"}"#,
        "--new-since",
    ] {
        assert!(run.contains(flag), "missing {flag} in {run}");
    }
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact"))
        })
        .expect("upload step");
    assert_eq!(upload["if"], "always()");
    assert_eq!(
        upload["continue-on-error"], true,
        "an upload never fails a run"
    );
    assert_eq!(upload["uses"], "actions/upload-artifact@v3");
    assert!(upload["with"]["path"]
        .as_str()
        .unwrap_or("")
        .contains("driftgate-junit.xml"));
}

#[test]
fn pre_commit_framework_hooks_declare_their_minimum_version_and_scope() {
    let hooks = load(".pre-commit-hooks.yaml");
    let hooks = hooks.as_array().expect("a list of hooks");
    let by_id = |id: &str| {
        hooks
            .iter()
            .find(|h| h["id"] == id)
            .unwrap_or_else(|| panic!("hook {id}"))
    };
    for h in hooks {
        // `stages: [pre-commit]` (and pre-push/manual) need pre-commit 3.2.
        assert_eq!(h["minimum_pre_commit_version"], "3.2.0", "{h}");
        assert_eq!(h["pass_filenames"], false, "{h}");
        assert!(
            h["entry"]
                .as_str()
                .unwrap_or("")
                .starts_with("driftgate check"),
            "{h}"
        );
    }
    assert_eq!(by_id("driftgate")["language"], "rust");
    assert_eq!(by_id("driftgate-system")["language"], "system");
    // The staged hooks run exactly what `driftgate hook install` writes:
    // the commit judged against HEAD (one policy for the hook and CI).
    for id in ["driftgate", "driftgate-system"] {
        assert_eq!(
            by_id(id)["entry"].as_str().unwrap_or(""),
            format!("driftgate {}", driftgate::hook::CHECK),
            "{id}"
        );
    }
    let spine = by_id("driftgate-spine");
    assert!(
        !spine["entry"].as_str().unwrap_or("").contains("--staged"),
        "whole spine"
    );
    assert_eq!(spine["stages"], serde_json::json!(["pre-push", "manual"]));
}

#[test]
fn the_whole_spine_hook_finds_old_drift_that_the_staged_hook_does_not_judge() {
    // What `pre-commit run --all-files` runs: the index equals HEAD, so the
    // staged hook has nothing to judge; the spine hook judges everything.
    let hooks = load(".pre-commit-hooks.yaml");
    let entry = |id: &str| -> Vec<String> {
        hooks
            .as_array()
            .and_then(|a| a.iter().find(|h| h["id"] == id))
            .and_then(|h| h["entry"].as_str())
            .expect("entry")
            .split_whitespace()
            .skip(1) // `driftgate`: the binary under test instead
            .map(str::to_string)
            .collect()
    };
    let ws = tempfile::tempdir().expect("tempdir");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/demo");
    let status = std::process::Command::new("cp")
        .arg("-R")
        .arg(demo.join("spine"))
        .arg(ws.path())
        .status()
        .expect("cp");
    assert!(status.success());
    let spine = ws.path().join("spine");
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &["commit", "-qm", "old drift"],
    ] {
        let ok = std::process::Command::new("git")
            .current_dir(&spine)
            .args(args)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .status()
            .expect("git");
        assert!(ok.success());
    }
    let run = |args: Vec<String>| {
        assert_cmd::Command::cargo_bin("driftgate")
            .expect("binary")
            .current_dir(&spine)
            .args(args)
            .args(["--no-exec", "--now", "2026-11-20"])
            .env("NO_COLOR", "1")
            .env_remove("DRIFTGATE_SPINE")
            .output()
            .expect("runs")
            .status
            .code()
    };
    assert_eq!(
        run(entry("driftgate-system")),
        Some(0),
        "nothing staged to judge"
    );
    assert_eq!(
        run(entry("driftgate-spine")),
        Some(1),
        "the old drift is found"
    );
}

/// Every workflow file under .gitea/workflows.
fn workflows() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(".gitea/workflows");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect(".gitea/workflows")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let rel = format!(".gitea/workflows/{n}");
            let wf = load(&rel);
            (rel, wf)
        })
        .collect()
}

fn run_of(s: &Value) -> &str {
    s["run"].as_str().unwrap_or("")
}

fn uses_of(s: &Value) -> &str {
    s["uses"].as_str().unwrap_or("")
}

#[test]
fn every_workflow_parses_and_uses_no_artifact_action_gitea_rejects() {
    let all = workflows();
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    for want in ["drift-gate.yml", "nightly-parity.yml", "release.yml"] {
        assert!(
            names.iter().any(|n| n.ends_with(want)),
            "{want} missing: {names:?}"
        );
    }
    for (rel, wf) in &all {
        assert!(wf["name"].is_string(), "{rel}: a name");
        assert!(wf["on"].is_object(), "{rel}: `on` is a mapping");
        let jobs = wf["jobs"].as_object().expect("jobs");
        assert!(!jobs.is_empty(), "{rel}");
        for (id, job) in jobs {
            assert!(job["runs-on"].is_string(), "{rel}: job {id} runs-on");
            let steps = job["steps"].as_array().expect("steps");
            assert!(!steps.is_empty(), "{rel}: job {id}");
            for s in steps {
                assert!(
                    s.get("uses").is_some() != s.get("run").is_some(),
                    "{rel}: a step has exactly one of uses/run: {s}"
                );
                let uses = uses_of(s);
                // GHESNotSupportedError on Gitea (go-gitea/gitea#31256).
                for action in ["actions/upload-artifact@", "actions/download-artifact@"] {
                    if let Some(v) = uses.strip_prefix(action) {
                        assert_eq!(v, "v3", "{rel}: {uses} (v4 fails on Gitea)");
                    }
                }
                if !uses.is_empty() {
                    assert!(uses.contains('@'), "{rel}: {uses} is pinned to a version");
                }
                // Artifact uploads run on failure too, and never fail a run.
                if uses.starts_with("actions/upload-artifact@") && s.get("if").is_some() {
                    assert_eq!(s["if"], "always()", "{rel}: {s}");
                    assert_eq!(s["continue-on-error"], true, "{rel}: {s}");
                }
            }
        }
    }
}

#[test]
fn ci_workflows_download_a_pinned_release_and_verify_it_before_running_it() {
    for rel in [
        ".gitea/workflows/drift-gate.yml",
        ".gitea/workflows/nightly-parity.yml",
    ] {
        let wf = load(rel);
        let steps = steps(&wf);
        // No toolchain: nothing is built.
        for s in &steps {
            assert!(!run_of(s).contains("cargo "), "{rel}: builds: {s}");
            assert!(!uses_of(s).starts_with("actions/cache"), "{rel}: {s}");
        }
        let dl = steps
            .iter()
            .position(|s| run_of(s).contains("/releases/download/"))
            .unwrap_or_else(|| panic!("{rel}: a download step"));
        let env = &steps[dl]["env"];
        assert_eq!(env["VERSION"], "${{ vars.DRIFTGATE_VERSION }}", "{rel}");
        assert!(
            env["REPO"]
                .as_str()
                .unwrap_or("")
                .contains("vars.DRIFTGATE_REPO"),
            "{rel}"
        );
        assert_eq!(env["SERVER"], "${{ github.server_url }}", "{rel}");
        assert_eq!(env["TOKEN"], "${{ secrets.DRIFTGATE_TOKEN }}", "{rel}");
        let script = run_of(&steps[dl]);
        assert!(
            script.contains(r#"url="$SERVER/$REPO/releases/download/v$VERSION""#),
            "{rel}: {script}"
        );
        let at = |needle: &str| {
            script
                .find(needle)
                .unwrap_or_else(|| panic!("{rel}: no `{needle}` in {script}"))
        };
        assert!(script.starts_with("set -euo pipefail"), "{rel}");
        // The checksum is checked before the archive is unpacked or run.
        assert!(at("SHA256SUMS") < at("sha256sum -c"), "{rel}");
        assert!(at("sha256sum -c") < at("tar -x"), "{rel}");
        assert!(at("tar -x") < at("./driftgate"), "{rel}");
        // No step runs driftgate before the download.
        for (i, s) in steps.iter().enumerate() {
            if run_of(s).contains(".driftgate-bin/driftgate") {
                assert!(i > dl, "{rel}: {s}");
            }
        }
        // The summary flag only with a summary file.
        let main = steps
            .iter()
            .find(|s| {
                run_of(s).contains(".driftgate-bin/driftgate check")
                    || run_of(s).contains(".driftgate-bin/driftgate parity")
            })
            .unwrap_or_else(|| panic!("{rel}: a driftgate step"));
        assert!(
            run_of(main).contains(r#"${GITHUB_STEP_SUMMARY:+--summary "$GITHUB_STEP_SUMMARY"}"#),
            "{rel}: {}",
            run_of(main)
        );
    }
}

/// Runs the download step of drift-gate.yml as the runner would (bash), with
/// the "server" a directory (curl reads file:// URLs): a good release is
/// unpacked and runs; a tampered archive stops before anything is unpacked.
#[test]
fn the_download_step_runs_a_verified_binary_and_refuses_a_tampered_one() {
    if std::process::Command::new("sh")
        .args([
            "-c",
            "command -v curl && command -v sha256sum && command -v bash",
        ])
        .output()
        .map_or(true, |o| !o.status.success())
    {
        eprintln!("skipped: needs curl, sha256sum and bash");
        return;
    }
    let wf = load(".gitea/workflows/drift-gate.yml");
    let step = steps(&wf)
        .into_iter()
        .find(|s| run_of(s).contains("/releases/download/"))
        .expect("download step");
    let script = run_of(&step).to_string();
    let target = match std::env::consts::ARCH {
        "x86_64" => "x86_64-unknown-linux-musl",
        "aarch64" => "aarch64-unknown-linux-musl",
        other => {
            eprintln!("skipped: no release target for {other}");
            return;
        }
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = tmp.path().join("server");
    let rel = server.join("ops/driftgate/releases/download/v9.9.9");
    let name = format!("driftgate-9.9.9-{target}");
    let stage = tmp.path().join("stage").join(&name);
    std::fs::create_dir_all(&stage).expect("mkdir");
    std::fs::create_dir_all(&rel).expect("mkdir");
    // A stand-in binary: the step only runs `./driftgate --version`.
    std::fs::write(
        stage.join("driftgate"),
        "#!/bin/sh\necho 'driftgate 9.9.9 (abc1234 2026-12-06)'\n",
    )
    .expect("write");
    let sh = |dir: &Path, cmd: &str| {
        let ok = std::process::Command::new("bash")
            .current_dir(dir)
            .args(["-c", cmd])
            .status()
            .expect("bash");
        assert!(ok.success(), "{cmd}");
    };
    sh(
        tmp.path(),
        &format!(
            "chmod +x stage/{name}/driftgate && tar -C stage -czf {rel}/{name}.tar.gz {name} \
             && cd {rel} && sha256sum {name}.tar.gz > SHA256SUMS \
             && echo '0000  driftgate-9.9.9-other.tar.gz' >> SHA256SUMS",
            rel = rel.display()
        ),
    );
    let run = |workspace: &Path| {
        std::fs::create_dir_all(workspace).expect("mkdir");
        std::process::Command::new("bash")
            .current_dir(workspace)
            .args(["-e", "-c", &script])
            .env("VERSION", "v9.9.9")
            .env("REPO", "ops/driftgate")
            .env("SERVER", format!("file://{}", server.display()))
            .env("TOKEN", "")
            .output()
            .expect("bash")
    };
    let ws = tmp.path().join("ws1");
    let out = run(&ws);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(": OK"), "sha256sum checked it: {stdout}");
    assert!(stdout.contains("driftgate 9.9.9 (abc1234"), "{stdout}");
    assert!(ws.join(".driftgate-bin/driftgate").is_file());

    // Tampered: one byte appended to the archive after the sums were made.
    sh(
        tmp.path(),
        &format!("printf x >> {}/{name}.tar.gz", rel.display()),
    );
    let ws = tmp.path().join("ws2");
    let out = run(&ws);
    assert!(!out.status.success(), "a bad checksum must stop the step");
    assert!(
        !ws.join(".driftgate-bin/driftgate").exists(),
        "nothing unpacked from an unverified archive"
    );

    // No version pinned: a clear error, not a download of something.
    let out = std::process::Command::new("bash")
        .current_dir(tmp.path())
        .args(["-e", "-c", &script])
        .env("VERSION", "")
        .env("REPO", "ops/driftgate")
        .env("SERVER", format!("file://{}", server.display()))
        .env("TOKEN", "")
        .output()
        .expect("bash");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DRIFTGATE_VERSION"));
}

#[test]
fn release_workflow_builds_both_static_targets_sums_them_and_publishes() {
    let wf = load(".gitea/workflows/release.yml");
    assert_eq!(wf["on"]["push"]["tags"], serde_json::json!(["v*"]));
    let targets = wf["env"]["TARGETS"].as_str().unwrap_or("");
    for t in ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"] {
        assert!(targets.split_whitespace().any(|x| x == t), "{targets}");
    }
    let job_steps = |job: &str| -> Vec<Value> {
        wf["jobs"][job]["steps"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("job {job}"))
    };
    let build = job_steps("build");
    let all_runs: String = build.iter().map(run_of).collect::<Vec<_>>().join("\n");
    for needle in [
        "rustup target add \"$t\"",
        "cargo zigbuild --release --locked --target \"$t\"",
        "--strip-all",
        "driftgate-$VERSION-$t",
        ".tar.gz",
        "sha256sum driftgate-*.tar.gz > SHA256SUMS",
        "for t in $TARGETS",
    ] {
        assert!(all_runs.contains(needle), "build job lacks `{needle}`");
    }
    // The tag must be the crate version.
    assert!(all_runs.contains("Cargo.toml") && all_runs.contains("$TAG"));
    // The release job attaches archives and sums through Gitea's API.
    let release = job_steps("release");
    let attach: String = release.iter().map(run_of).collect::<Vec<_>>().join("\n");
    for needle in [
        "sha256sum -c",
        "/releases/tags/$TAG",
        "$API/releases/$id/assets?name=$name",
        "dist/*.tar.gz dist/SHA256SUMS",
    ] {
        assert!(attach.contains(needle), "release job lacks `{needle}`");
    }
    // The image: the release binaries (verified) on release/Containerfile.
    let image = job_steps("image");
    let push = image
        .iter()
        .find(|s| uses_of(s).starts_with("docker/build-push-action@"))
        .expect("build-push step");
    assert_eq!(push["with"]["file"], "release/Containerfile");
    assert_eq!(push["with"]["platforms"], "linux/amd64,linux/arm64");
    assert!(image.iter().any(|s| run_of(s).contains("sha256sum -c")));
    let containerfile = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("release/Containerfile"),
    )
    .expect("release/Containerfile");
    for needle in [
        "apk add --no-cache git",
        "COPY ${TARGETARCH}/driftgate /usr/local/bin/driftgate",
        "ENTRYPOINT [\"/usr/local/bin/driftgate\"]",
    ] {
        assert!(
            containerfile.contains(needle),
            "Containerfile lacks {needle}"
        );
    }
}

#[test]
fn release_profile_ships_no_debug_info_and_profiling_keeps_line_tables() {
    let toml = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .expect("Cargo.toml");
    let section = |name: &str| -> Vec<String> {
        let head = format!("[{name}]");
        toml.lines()
            .skip_while(|l| l.trim() != head)
            .skip(1)
            .take_while(|l| !l.trim_start().starts_with('['))
            .map(|l| l.split('#').next().unwrap_or("").replace(' ', ""))
            .filter(|l| !l.is_empty())
            .collect()
    };
    let release = section("profile.release");
    assert!(release.contains(&"debug=false".to_string()), "{release:?}");
    assert!(
        release.contains(&"strip=\"debuginfo\"".to_string()),
        "{release:?}"
    );
    let profiling = section("profile.profiling");
    assert!(
        profiling.contains(&"inherits=\"release\"".to_string()),
        "{profiling:?}"
    );
    assert!(
        profiling.contains(&"debug=\"line-tables-only\"".to_string()),
        "{profiling:?}"
    );
}
