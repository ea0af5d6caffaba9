//! A small jq (jaq) wrapper for the structured extractors: compile a filter
//! once, run it over `serde_json` values, and ask for the *paths* a filter
//! selects so every extracted record and field keeps its line.
//!
//! Why jaq and not plain JSON-pointer walking: sources need more than a
//! fixed path (`.vms[] | select(.enabled != false)`, `.id // .vmid`), and
//! jq's `path(f)` gives us the JSON pointer of whatever a filter selects, so
//! we do not lose line numbers by using it.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{data, unwrap_valr, Compiler, Ctx, Vars};
use jaq_json::Val;
use serde_json::Value;

type D = data::JustLut<Val>;

pub struct Jq {
    filter: jaq_core::Filter<D>,
}

impl std::fmt::Debug for Jq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Jq")
    }
}

impl Jq {
    /// Compiles `code`; the error is a one-line description.
    pub fn compile(code: &str) -> Result<Jq, String> {
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
        let loader = Loader::new(defs);
        let arena = Arena::default();
        let modules = loader
            .load(&arena, File { code, path: () })
            .map_err(|errs| {
                format!(
                    "cannot parse jq filter `{code}`: {}",
                    errs.iter()
                        .map(|(_, e)| format!("{e:?}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })?;
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errs| {
                format!(
                    "cannot compile jq filter `{code}`: {}",
                    errs.iter()
                        .flat_map(|(_, es)| es.iter().map(|(name, _)| format!("unknown `{name}`")))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })?;
        Ok(Jq { filter })
    }

    /// Runs the filter on `input`; every output converted back to JSON.
    pub fn run(&self, input: &Value) -> Result<Vec<Value>, String> {
        let val: Val = serde_json::from_value(input.clone()).map_err(|e| e.to_string())?;
        let ctx = Ctx::<D>::new(&self.filter.lut, Vars::new([]));
        let mut out = Vec::new();
        for r in self.filter.id.run((ctx, val)).map(unwrap_valr) {
            match r {
                Ok(v) => out.push(to_json(&v)),
                Err(e) => return Err(format!("jq error: {e}")),
            }
        }
        Ok(out)
    }
}

fn to_json(v: &Val) -> Value {
    serde_json::from_str(&v.to_string()).unwrap_or(Value::Null)
}

/// `path(F)` compiled for a user filter `F`: yields JSON pointers.
#[derive(Debug)]
pub struct PathFilter {
    /// `path(F)`, when F is a path expression.
    paths: Option<Jq>,
    /// F itself (for values of non-path filters such as `.a + .b`).
    values: Jq,
}

/// One thing a filter selected: its pointer (relative to the input) when
/// known, and its value.
#[derive(Debug, Clone)]
pub struct Selected {
    pub pointer: Option<String>,
    pub value: Value,
}

impl PathFilter {
    pub fn compile(code: &str) -> Result<PathFilter, String> {
        let values = Jq::compile(code)?;
        let paths = Jq::compile(&format!("path({code})")).ok();
        Ok(PathFilter { paths, values })
    }

    /// Everything the filter selects in `input`, with pointers when the
    /// filter is a path expression (then values are read at those paths).
    pub fn select(&self, input: &Value) -> Result<Vec<Selected>, String> {
        if let Some(p) = &self.paths {
            if let Ok(paths) = p.run(input) {
                let mut out = Vec::new();
                for path in paths {
                    let Some(ptr) = pointer_of(&path) else {
                        continue;
                    };
                    // A path to nothing (`.missing`) selects null: absent.
                    let value = input.pointer(&ptr).cloned().unwrap_or(Value::Null);
                    out.push(Selected {
                        pointer: Some(ptr),
                        value,
                    });
                }
                return Ok(out);
            }
        }
        Ok(self
            .values
            .run(input)?
            .into_iter()
            .map(|value| Selected {
                pointer: None,
                value,
            })
            .collect())
    }
}

/// `["vms", 3, "id"]` → `/vms/3/id`.
fn pointer_of(path: &Value) -> Option<String> {
    let mut s = String::new();
    for tok in path.as_array()? {
        s.push('/');
        match tok {
            Value::String(k) => s.push_str(&crate::documents::pointer_escape(k)),
            Value::Number(n) => s.push_str(&n.as_u64()?.to_string()),
            _ => return None,
        }
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_and_values() {
        let v = json!({"vms": [{"vmid": 1, "enabled": true}, {"vmid": 2, "enabled": false}]});
        let f = PathFilter::compile(".vms[] | select(.enabled != false)").unwrap();
        let got = f.select(&v).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].pointer.as_deref(), Some("/vms/0"));
        assert_eq!(got[0].value["vmid"], json!(1));
        let alt = PathFilter::compile(".id // .vmid").unwrap();
        let got = alt.select(&json!({"vmid": 7})).unwrap();
        assert_eq!(got[0].pointer.as_deref(), Some("/vmid"));
        assert_eq!(got[0].value, json!(7));
        let sum = PathFilter::compile(".a + 1").unwrap();
        let got = sum.select(&json!({"a": 1})).unwrap();
        assert_eq!(
            (got[0].pointer.clone(), got[0].value.clone()),
            (None, json!(2))
        );
    }

    #[test]
    fn bad_filters_are_errors_not_panics() {
        assert!(Jq::compile(".vms[").is_err());
        assert!(Jq::compile("nosuchfn").is_err());
        let b = Jq::compile("(true)").unwrap();
        assert_eq!(b.run(&json!(null)).unwrap(), vec![json!(true)]);
    }
}
