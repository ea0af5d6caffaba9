//! The texts of `driftgate shadow`: a table for the terminal, JSON
//! (`schemas/shadow-report.schema.json`) and markdown for a PR or a job
//! summary.

use super::{GateShadow, ShadowRun};
use std::fmt::Write as _;

fn script_summary(g: &GateShadow) -> String {
    let s = &g.script_side;
    match (&s.reason, s.exit_code) {
        (Some(r), _) => format!("error: {r}"),
        (None, Some(0)) => "pass".into(),
        (None, Some(c)) => format!("fail (exit {c})"),
        (None, None) => "?".into(),
    }
}

fn native_summary(g: &GateShadow) -> String {
    let n = &g.native;
    if n.status != "ran" {
        return n.status.clone();
    }
    let mut s = match n.findings.len() {
        0 => "clean".to_string(),
        1 => "1 finding".to_string(),
        k => format!("{k} findings"),
    };
    if n.infos > 0 {
        let _ = write!(s, " (+{} info)", n.infos);
    }
    s
}

fn header(run: &ShadowRun) -> String {
    let commit = run
        .commit
        .as_deref()
        .map(|c| &c[..c.len().min(12)])
        .unwrap_or("no commit");
    let mut notes = Vec::new();
    if !run.sandboxed {
        notes.push("scripts ran WITH network (--unsandboxed)");
    }
    if !run.clock_pinned {
        notes.push("scripts read the real clock (faketime not found)");
    }
    let missing = format!(
        "NOT TRUSTWORTHY: the scripts need {} and this machine lacks it",
        run.missing_tools.join(", ")
    );
    if !run.missing_tools.is_empty() {
        notes.push(&missing);
    }
    let mut s = format!(
        "shadow of {} ({}, {commit}) at {}",
        run.spine, run.snapshot, run.now
    );
    if !notes.is_empty() {
        let _ = write!(s, " — {}", notes.join("; "));
    }
    s
}

fn tally(run: &ShadowRun) -> String {
    let agree = run.gates.iter().filter(|g| g.verdict.agrees()).count();
    let declared = run
        .gates
        .iter()
        .filter(|g| !g.verdict.agrees() && !g.undeclared())
        .count();
    let differ = run.gates.iter().filter(|g| g.undeclared()).count();
    format!(
        "{} gates compared: {agree} agree, {differ} disagree, {declared} differ as declared; {} not comparable · {} ms",
        run.gates.len(),
        run.not_compared.len(),
        run.elapsed_ms
    )
}

/// The terminal table, then the details of every gate that does not agree.
pub fn table(run: &ShadowRun) -> String {
    let mut s = header(run);
    s.push_str("\n\n");
    let rows: Vec<[String; 4]> = run
        .gates
        .iter()
        .map(|g| {
            let mut v = g.verdict.label().to_string();
            if !g.verdict.agrees() && !g.undeclared() {
                v.push_str(" (declared)");
            }
            [g.id.clone(), v, native_summary(g), script_summary(g)]
        })
        .collect();
    let head = ["gate", "verdict", "driftgate", "script"];
    let mut w = head.map(str::len);
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: [&str; 4]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = w[i].saturating_sub(c.chars().count());
            let _ = write!(l, "{c}{}  ", " ".repeat(pad));
        }
        l.trim_end().to_string()
    };
    s.push_str(&line(head));
    s.push('\n');
    for r in &rows {
        s.push_str(&line([&r[0], &r[1], &r[2], &r[3]]));
        s.push('\n');
    }
    for g in run.gates.iter().filter(|g| !g.verdict.agrees()) {
        let _ = write!(
            s,
            "\n{} {} — {} ({})\n",
            g.id,
            g.name,
            g.verdict.label(),
            g.script
        );
        for d in &g.declared_differences {
            let _ = writeln!(s, "  declared: {d}");
        }
        for f in &g.native.findings {
            let mark = if f.in_script_output {
                "also in script output"
            } else {
                "not in script output"
            };
            let _ = writeln!(s, "  driftgate: {} {} [{mark}]", f.location, f.message);
        }
        if let Some(r) = &g.script_side.reason {
            let _ = writeln!(s, "  script: {r}");
        }
        for l in &g.script_side.output {
            let _ = writeln!(s, "  script> {l}");
        }
    }
    if !run.not_compared.is_empty() {
        s.push_str("\nnot comparable:\n");
        for n in &run.not_compared {
            let _ = writeln!(s, "  {} — {}", n.id, n.why);
        }
    }
    if !run.script_writes.is_empty() {
        let _ = writeln!(
            s,
            "\nscripts wrote files of the copy (the checkout is untouched): {}",
            run.script_writes.join(", ")
        );
    }
    let _ = writeln!(s, "\n{}", tally(run));
    s
}

pub fn json(run: &ShadowRun) -> String {
    let mut v = serde_json::to_value(run).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("version".into(), serde_json::json!(1));
        o.insert("exit_code".into(), serde_json::json!(run.exit_code()));
    }
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

fn cell(t: &str) -> String {
    t.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(run: &ShadowRun) -> String {
    let mut s = format!("# driftgate shadow\n\n{}\n\n", cell(&header(run)));
    s.push_str("| gate | verdict | driftgate | script |\n|---|---|---|---|\n");
    for g in &run.gates {
        let mut v = g.verdict.label().to_string();
        if !g.verdict.agrees() && !g.undeclared() {
            v.push_str(" (declared)");
        }
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            g.id,
            cell(&v),
            cell(&native_summary(g)),
            cell(&script_summary(g))
        );
    }
    for g in run.gates.iter().filter(|g| !g.verdict.agrees()) {
        let _ = write!(s, "\n## {} {} — {}\n\n", g.id, g.name, g.verdict.label());
        for d in &g.declared_differences {
            let _ = writeln!(s, "- declared: {}", cell(d));
        }
        for f in &g.native.findings {
            let _ = writeln!(s, "- driftgate: `{}` {}", f.location, cell(&f.message));
        }
        if !g.script_side.output.is_empty() {
            s.push_str("\n```text\n");
            for l in &g.script_side.output {
                let _ = writeln!(s, "{}", l.replace("```", "'''"));
            }
            s.push_str("```\n");
        }
    }
    let _ = write!(s, "\n{}\n", tally(run));
    s
}
