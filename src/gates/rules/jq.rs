//! The jq engine (jaq) behind declarative rules.
//!
//! Each filter is compiled once per process (a global cache keyed by the
//! code and its variable names) and the compiled filter is shared across
//! rayon threads: with jaq-json's `sync` feature both the compiled filter
//! (plain data plus function pointers) and the values (`Arc`-based) are
//! `Send + Sync`, which `_assert_sync` checks at compile time.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars};
use jaq_json::{Num, Val};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

type Data = jaq_core::data::JustLut<Val>;
type Filter = jaq_core::Filter<Data>;

/// Variables every rule filter may use, in this order, before the rule's
/// own `with:` names:
/// - `$path`: the path (array) of the current item in its document,
/// - `$key`: the last component of `$path` (a map key or an index),
/// - `$now`: today (`--now`) as `YYYY-MM-DD`,
/// - `$catalogue`: `{ "D69": true, ... }` for every gate driftgate runs.
pub const STD_VARS: [&str; 4] = ["$path", "$key", "$now", "$catalogue"];

/// Upper bound on the outputs of one filter run (guards `repeat` & co).
const MAX_OUTPUTS: usize = 1_000_000;

/// A compiled jq filter.
pub struct Jq {
    filter: Filter,
    nvars: usize,
}

fn _assert_sync() {
    fn is<T: Send + Sync>() {}
    is::<Jq>();
    is::<Val>();
}

type CacheKey = (String, Vec<String>);
type Cache = Mutex<HashMap<CacheKey, Result<Arc<Jq>, String>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Compiles `code` with the standard variables plus `extra` (names without
/// `$`). Cached: the same code is compiled once per process.
pub fn compile(code: &str, extra: &[String]) -> Result<Arc<Jq>, String> {
    let key = (code.to_string(), extra.to_vec());
    if let Ok(c) = cache().lock() {
        if let Some(hit) = c.get(&key) {
            return hit.clone();
        }
    }
    let result = compile_uncached(code, extra).map(Arc::new);
    if let Ok(mut c) = cache().lock() {
        c.insert(key, result.clone());
    }
    result
}

fn compile_uncached(code: &str, extra: &[String]) -> Result<Jq, String> {
    let names: Vec<String> = STD_VARS
        .iter()
        .map(|s| s.to_string())
        .chain(extra.iter().map(|n| format!("${n}")))
        .collect();
    let prelude = Prelude::get();
    // The definitions the program can reach; should that ever fail to
    // compile (it cannot: only unreachable definitions are left out), the
    // whole prelude decides, with its error messages.
    let filter = match compile_with(code, &names, prelude.reachable_from(code)) {
        Ok(f) => f,
        Err(_) => compile_with(code, &names, prelude.defs.clone())?,
    };
    Ok(Jq {
        filter,
        nvars: names.len(),
    })
}

/// jaq's standard definitions (jaq-core, jaq-std, jaq-json), parsed once
/// per process, with the names each one refers to.
///
/// Compiling a filter compiles every definition of its prelude: with all
/// 129 that is ~0.8 ms per filter, and a catalogue has a few hundred
/// filters. A filter compiled with only the definitions it can reach (its
/// identifiers, then theirs, transitively) is the same filter; that is
/// ~0.09 ms.
struct Prelude {
    defs: Vec<jaq_core::load::parse::Def<&'static str>>,
    /// `by_name[name]`: indices of the definitions of that name (all arities).
    by_name: HashMap<&'static str, Vec<usize>>,
    /// `refs[i]`: the identifiers definition `i`'s body mentions. Read off
    /// its `Debug` form, which names every call, format and variable: an
    /// over-approximation (constructor names, strings) that only keeps
    /// definitions the filter does not need, never drops one it needs.
    refs: Vec<Vec<String>>,
}

impl Prelude {
    fn get() -> &'static Prelude {
        static PRELUDE: OnceLock<Prelude> = OnceLock::new();
        PRELUDE.get_or_init(|| {
            let defs: Vec<_> = jaq_core::defs()
                .chain(jaq_std::defs())
                .chain(jaq_json::defs())
                .collect();
            let mut by_name: HashMap<&'static str, Vec<usize>> = HashMap::new();
            for (i, d) in defs.iter().enumerate() {
                by_name.entry(d.name).or_default().push(i);
            }
            let refs = defs
                .iter()
                .map(|d| {
                    let text = format!("{:?}", d.body);
                    identifiers(&text).map(str::to_string).collect()
                })
                .collect();
            Prelude {
                defs,
                by_name,
                refs,
            }
        })
    }

    fn reachable_from(&self, code: &str) -> Vec<jaq_core::load::parse::Def<&'static str>> {
        let mut keep = vec![false; self.defs.len()];
        let mut todo: Vec<&str> = identifiers(code).collect();
        while let Some(name) = todo.pop() {
            for &i in self.by_name.get(name).into_iter().flatten() {
                if !keep[i] {
                    keep[i] = true;
                    todo.extend(self.refs[i].iter().map(String::as_str));
                }
            }
        }
        self.defs
            .iter()
            .zip(keep)
            .filter(|(_, k)| *k)
            .map(|(d, _)| d.clone())
            .collect()
    }
}

/// Words that may name a jq definition: identifiers, and formats (`@sh`).
fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '@'))
        .flat_map(|w| {
            // `x@sh` cannot occur in jq, but a Debug string may glue words.
            let (head, fmt) = match w.find('@') {
                Some(at) => (&w[..at], Some(&w[at..])),
                None => (w, None),
            };
            [Some(head), fmt].into_iter().flatten()
        })
        .filter(|w| !w.is_empty())
}

fn compile_with(
    code: &str,
    names: &[String],
    prelude: Vec<jaq_core::load::parse::Def<&'static str>>,
) -> Result<Filter, String> {
    let funs = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs());
    let loader = Loader::new(prelude);
    let arena = Arena::default();
    let program = File { code, path: () };
    let modules = loader
        .load(&arena, program)
        .map_err(|errs| load_errors(code, errs))?;
    Compiler::default()
        .with_funs(funs)
        .with_global_vars(names.iter().map(String::as_str))
        .compile(modules)
        .map_err(|errs| {
            let mut msgs = Vec::new();
            for (_file, es) in errs {
                for (name, undefined) in es {
                    msgs.push(format!("undefined {} `{name}`", undefined.as_str()));
                }
            }
            msgs.join("; ")
        })
}

fn load_errors(code: &str, errs: jaq_core::load::Errors<&str, ()>) -> String {
    use jaq_core::load::Error;
    let at = |part: &str| {
        let off = jaq_core::load::span(code, part).start;
        let before = &code[..off.min(code.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("{line}:{col}")
    };
    let mut msgs = Vec::new();
    for (_file, e) in errs {
        match e {
            Error::Io(v) => msgs.extend(v.into_iter().map(|(p, m)| format!("{p}: {m}"))),
            Error::Lex(v) => msgs.extend(
                v.into_iter()
                    .map(|(exp, part)| format!("expected {} at {}", exp.as_str(), at(part))),
            ),
            Error::Parse(v) => msgs.extend(
                v.into_iter()
                    .map(|(exp, part)| format!("expected {} at {}", exp.as_str(), at(part))),
            ),
        }
    }
    if msgs.is_empty() {
        "syntax error".into()
    } else {
        msgs.join("; ")
    }
}

impl Jq {
    /// Runs the filter; `vars` are the values of STD_VARS followed by the
    /// extra names given at compile time (missing ones are null).
    pub fn run(&self, input: Val, vars: &[Val]) -> Result<Vec<Val>, String> {
        let mut vals: Vec<Val> = vars.iter().take(self.nvars).cloned().collect();
        vals.resize(self.nvars, Val::Null);
        let ctx = Ctx::<Data>::new(&self.filter.lut, Vars::new(vals));
        let mut out = Vec::new();
        for r in self.filter.id.run((ctx, input)).map(jaq_core::unwrap_valr) {
            match r {
                Ok(v) => out.push(v),
                Err(e) => return Err(e.to_string()),
            }
            if out.len() > MAX_OUTPUTS {
                return Err(format!("more than {MAX_OUTPUTS} outputs"));
            }
        }
        Ok(out)
    }

    /// The first output (None when the filter yields nothing).
    pub fn first(&self, input: Val, vars: &[Val]) -> Result<Option<Val>, String> {
        let mut vals: Vec<Val> = vars.iter().take(self.nvars).cloned().collect();
        vals.resize(self.nvars, Val::Null);
        let ctx = Ctx::<Data>::new(&self.filter.lut, Vars::new(vals));
        let mut it = self.filter.id.run((ctx, input)).map(jaq_core::unwrap_valr);
        match it.next() {
            None => Ok(None),
            Some(Ok(v)) => Ok(Some(v)),
            Some(Err(e)) => Err(e.to_string()),
        }
    }
}

/// serde_json → jaq value.
pub fn from_json(v: &Value) -> Val {
    Val::deserialize(v).unwrap_or(Val::Null)
}

/// jaq value → serde_json.
pub fn to_json(v: &Val) -> Value {
    match v {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Num(n) => num_json(n),
        Val::TStr(b) | Val::BStr(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
        Val::Arr(a) => Value::Array(a.iter().map(to_json).collect()),
        Val::Obj(m) => Value::Object(m.iter().map(|(k, v)| (key_text(k), to_json(v))).collect()),
    }
}

fn num_json(n: &Num) -> Value {
    match n {
        Num::Int(i) => Value::from(*i as i64),
        Num::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                Value::from(*f as i64)
            } else {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
        }
        other => serde_json::from_str(&other.to_string()).unwrap_or(Value::Null),
    }
}

fn key_text(k: &Val) -> String {
    match k {
        Val::TStr(b) | Val::BStr(b) => String::from_utf8_lossy(b).into_owned(),
        other => scalar_text(other).unwrap_or_default(),
    }
}

/// A string view of a jaq string.
pub fn as_str(v: &Val) -> Option<std::borrow::Cow<'_, str>> {
    match v {
        Val::TStr(b) | Val::BStr(b) => Some(String::from_utf8_lossy(b)),
        _ => None,
    }
}

/// Text of a scalar for joins and templates: strings as is, numbers in
/// shortest form (`204`, never `204.0`), booleans; None for null; compact
/// JSON for arrays and objects.
pub fn scalar_text(v: &Val) -> Option<String> {
    match v {
        Val::Null => None,
        Val::Bool(b) => Some(b.to_string()),
        Val::Num(n) => Some(match num_json(n) {
            Value::Number(x) => x.to_string(),
            _ => n.to_string(),
        }),
        Val::TStr(b) | Val::BStr(b) => Some(String::from_utf8_lossy(b).into_owned()),
        other => Some(to_json(other).to_string()),
    }
}

pub fn str_val(s: &str) -> Val {
    Val::utf8_str(s.to_owned())
}

/// Follows a path (array of keys/indices) into a value.
pub fn get_path<'v>(root: &'v Val, path: &Val) -> Option<&'v Val> {
    let Val::Arr(parts) = path else {
        return None;
    };
    let mut node = root;
    for part in parts.iter() {
        node = match (node, part) {
            (Val::Arr(a), Val::Num(n)) => {
                let i = n.as_isize()?;
                let i = if i < 0 { a.len() as isize + i } else { i };
                a.get(usize::try_from(i).ok()?)?
            }
            (Val::Obj(m), k) => m.get(k)?,
            _ => return None,
        };
    }
    Some(node)
}

/// JSON pointer of a path (array of keys/indices); None for slice paths.
pub fn pointer_of(path: &Val) -> Option<String> {
    let Val::Arr(parts) = path else {
        return None;
    };
    let mut out = String::new();
    for part in parts.iter() {
        out.push('/');
        match part {
            Val::Num(n) => out.push_str(&n.as_isize()?.to_string()),
            Val::TStr(b) | Val::BStr(b) => out.push_str(&crate::documents::pointer_escape(
                &String::from_utf8_lossy(b),
            )),
            _ => return None,
        }
    }
    Some(out)
}

/// Concatenates two paths.
pub fn join_paths(a: &Val, b: &Val) -> Val {
    match (a, b) {
        (Val::Arr(x), Val::Arr(y)) => x.iter().chain(y.iter()).cloned().collect(),
        _ => a.clone(),
    }
}

#[cfg(test)]
mod tests {

    /// Every standard definition, called alone, compiles with only the
    /// definitions reachable from it: the pruned prelude never lacks one.
    #[test]
    fn every_std_definition_compiles_with_its_reachable_prelude() {
        let p = Prelude::get();
        let names: Vec<String> = STD_VARS.iter().map(|s| s.to_string()).collect();
        assert!(p.defs.len() > 100, "{}", p.defs.len());
        for d in &p.defs {
            let args = vec!["."; d.args.len()].join("; ");
            let code = if args.is_empty() {
                d.name.to_string()
            } else {
                format!("{}({args})", d.name)
            };
            let pruned = p.reachable_from(&code);
            assert!(pruned.len() < p.defs.len(), "{code}: nothing pruned");
            if let Err(e) = compile_with(&code, &names, pruned) {
                panic!("{code}: {e}");
            }
        }
    }

    /// A filter compiled with the pruned prelude gives what jq gives.
    #[test]
    fn pruned_filters_run_as_before() {
        let jq = compile(
            r#"[.[] | to_entries[] | select(.key | test("^a")) | .value | tostring | @base64 | @base64d | ascii_downcase] | unique | join(",")"#,
            &[],
        )
        .expect("compiles");
        let input = from_json(&serde_json::json!([{"a1": "X", "b": 1}, {"a2": 2}]));
        let out = jq.run(input, &[]).expect("runs");
        assert_eq!(
            out.iter().map(to_json).collect::<Vec<_>>(),
            vec![serde_json::json!("2,x")]
        );
        // An undefined name is still an error, with jq's message.
        let e = compile("no_such_filter(1)", &[]).err().expect("error");
        assert!(e.contains("undefined filter `no_such_filter`"), "{e}");
    }

    use super::*;
    use serde_json::json;

    #[test]
    fn compiles_once_and_runs_with_vars() {
        let f = compile("[.[] | select(. > $min)]", &["min".into()]).unwrap();
        let g = compile("[.[] | select(. > $min)]", &["min".into()]).unwrap();
        assert!(Arc::ptr_eq(&f, &g));
        let mut vars = vec![Val::Null; 4];
        vars.push(from_json(&json!(2)));
        let out = f.run(from_json(&json!([1, 2, 3, 4])), &vars).unwrap();
        assert_eq!(to_json(&out[0]), json!([3, 4]));
    }

    #[test]
    fn std_vars_are_bound_in_order() {
        let f = compile("[$path, $key, $now, $catalogue]", &[]).unwrap();
        let vars = [
            from_json(&json!(["vms", 3])),
            from_json(&json!(3)),
            str_val("2026-11-20"),
            from_json(&json!({"D69": true})),
        ];
        let out = f.first(Val::Null, &vars).unwrap().unwrap();
        assert_eq!(
            to_json(&out),
            json!([["vms", 3], 3, "2026-11-20", {"D69": true}])
        );
    }

    #[test]
    fn syntax_and_undefined_errors_are_reported() {
        let e = compile(".vms[] | select(.status == ", &[]).err().unwrap();
        assert!(e.contains("expected"), "{e}");
        let e = compile("$nope", &[]).err().unwrap();
        assert!(e.contains("undefined"), "{e}");
        let e = compile("nofun(1)", &[]).err().unwrap();
        assert!(e.contains("nofun"), "{e}");
    }

    #[test]
    fn runtime_error_is_an_err() {
        let f = compile(".a | ascii_downcase", &[]).unwrap();
        assert!(f.run(from_json(&json!({"a": 1})), &[]).is_err());
    }

    #[test]
    fn paths_become_pointers_and_resolve() {
        let doc = from_json(&json!({"vms": [{"id": 1}, {"id": 2, "a/b": 3}]}));
        let f = compile("path(.vms[] | select(.id == 2))", &[]).unwrap();
        let p = f.first(doc.clone(), &[]).unwrap().unwrap();
        assert_eq!(pointer_of(&p).unwrap(), "/vms/1");
        assert_eq!(to_json(get_path(&doc, &p).unwrap())["id"], json!(2));
        let q = from_json(&json!(["vms", 1, "a/b"]));
        assert_eq!(pointer_of(&q).unwrap(), "/vms/1/a~1b");
    }

    #[test]
    fn numbers_print_as_keys() {
        assert_eq!(scalar_text(&from_json(&json!(204))).unwrap(), "204");
        assert_eq!(scalar_text(&from_json(&json!(204.0))).unwrap(), "204");
        assert_eq!(scalar_text(&from_json(&json!("204"))).unwrap(), "204");
        assert_eq!(scalar_text(&Val::Null), None);
    }
}
