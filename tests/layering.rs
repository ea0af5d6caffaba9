//! Layering of the crate: no import cycle between the library's top-level
//! modules, and a library that knows nothing of the command line (no clap,
//! no terminal, no printing, no process exit). The CLI lives in `src/cli/`,
//! modules of the binary only.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Library files as (top-level module, text): everything under src/ but the
/// binary (`main.rs`, `cli/`).
fn library_files() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .filter_map(|p| {
            let rel = p.strip_prefix(&src).expect("under src");
            let first = rel.components().next()?.as_os_str().to_string_lossy();
            let module = first.trim_end_matches(".rs").to_string();
            if module == "main" || module == "cli" || module == "lib" {
                return None;
            }
            let text = std::fs::read_to_string(&p).expect("read source");
            Some((module, text))
        })
        .collect()
}

/// The code of a file without comment lines.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !l.trim_start().starts_with("//"))
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Top-level modules named by `crate::x` and `crate::{x, y::z}` in `text`.
fn crate_refs(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in code_lines(text) {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            // `driftgate::crate` cannot occur; `$crate::` is a macro path.
            let before = rest[..i].chars().next_back();
            rest = &rest[i + "crate::".len()..];
            if before.is_some_and(|c| is_ident(c) || c == '$') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                // Top-level names of the group (depth 0 only).
                let mut depth = 0;
                let mut item = String::new();
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            push_first_segment(&item, &mut out);
                            item.clear();
                            continue;
                        }
                        _ => {}
                    }
                    if depth == 0 {
                        item.push(c);
                    }
                }
                push_first_segment(&item, &mut out);
            } else {
                push_first_segment(rest, &mut out);
            }
        }
    }
    out
}

fn push_first_segment(path: &str, out: &mut BTreeSet<String>) {
    let name: String = path.trim().chars().take_while(|c| is_ident(*c)).collect();
    if !name.is_empty() && name != "self" {
        out.insert(name);
    }
}

/// One cycle per back edge found by a depth-first walk, as `a → b → a`.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    fn walk(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut Vec<String>,
    ) {
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(pos) = stack.iter().position(|s| s == next) {
                let mut cycle = stack[pos..].to_vec();
                cycle.push(next.clone());
                found.push(cycle.join(" → "));
            } else if !done.contains(next) {
                walk(next, graph, stack, done, found);
            }
        }
        stack.pop();
        done.insert(node.to_string());
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if !done.contains(node) {
            walk(node, graph, &mut Vec::new(), &mut done, &mut found);
        }
    }
    found
}

fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in library_files() {
        let refs = crate_refs(&text);
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(refs.into_iter().filter(|r| *r != module));
    }
    graph
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let graph = module_graph();
    // The scan sees the pipeline's real edges (a scan that finds nothing
    // would pass vacuously).
    for (from, to) in [("check", "gates"), ("parity", "check"), ("gates", "clock")] {
        assert!(
            graph.get(from).is_some_and(|t| t.contains(to)),
            "expected {from} → {to} in {graph:#?}"
        );
    }
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "import cycles between top-level modules:\n  {}\n(graph: {graph:#?})",
        found.join("\n  ")
    );
}

#[test]
fn cycle_finder_names_the_cycle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let edge = |g: &mut BTreeMap<String, BTreeSet<String>>, a: &str, b: &str| {
        g.entry(a.into()).or_default().insert(b.into());
    };
    edge(&mut g, "check", "gates");
    edge(&mut g, "gates", "explain");
    edge(&mut g, "report", "findings");
    assert!(cycles(&g).is_empty());
    edge(&mut g, "explain", "check");
    assert_eq!(cycles(&g), ["check → gates → explain → check"]);
    assert_eq!(
        crate_refs("use crate::{check::{self, Run}, gates};\n// crate::cli\nlet x = crate::clock::today();"),
        ["check", "clock", "gates"].map(String::from).into()
    );
}

#[test]
fn library_knows_nothing_of_the_command_line() {
    let forbidden = [
        "clap::",
        "indicatif",
        "IsTerminal",
        "is_terminal",
        "println!",
        "eprintln!",
        "print!(",
        "eprint!(",
        "process::exit",
        "io::stdout",
        "io::stderr",
        "DRIFTGATE_TIMINGS",
    ];
    let mut hits = Vec::new();
    for (module, text) in library_files() {
        for (n, line) in code_lines(&text).enumerate() {
            for f in forbidden {
                if line.contains(f) {
                    hits.push(format!(
                        "{module}: `{f}` in line ~{}: {}",
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(hits.is_empty(), "{}", hits.join("\n"));
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
        .expect("lib.rs");
    assert!(
        !code_lines(&lib).any(|l| l.contains("mod cli")),
        "lib.rs must not declare the CLI"
    );
}
