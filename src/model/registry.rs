//! Gates of the spine's own registry, `ops/bindings/gate.registry.yaml`.

use super::ids::normalize_id;
use crate::documents::Document;
use serde_json::Value;

pub const REGISTRY: &str = "ops/bindings/gate.registry.yaml";

/// One registry entry (its operational metadata as the registry says it).
pub struct RegistryGate<'a> {
    pub index: usize,
    pub value: &'a Value,
    /// Normalised (`D069` → `D69`).
    pub id: String,
    pub name: Option<String>,
    pub check_script: Option<String>,
    pub retired: bool,
    pub inline: bool,
    pub warn_only: bool,
}

impl RegistryGate<'_> {
    pub fn ptr(&self) -> String {
        format!("/gates/{}", self.index)
    }

    /// A string field as written (numbers and booleans as their text).
    pub fn field(&self, key: &str) -> Option<String> {
        self.value.get(key).and_then(|x| match x {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        })
    }
}

/// A registry flag (`retired`, `inline`, `warn_only`): `true` or the
/// string `"true"`.
pub fn flag(v: &Value, k: &str) -> bool {
    match v.get(k) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

/// Every entry with a gate id, in file order (entries without a valid id
/// are the registry schema's to report).
pub fn registry_gates(doc: &Document) -> Vec<RegistryGate<'_>> {
    let Some(Value::Array(gates)) = doc.value().and_then(|v| v.get("gates")) else {
        return Vec::new();
    };
    gates
        .iter()
        .enumerate()
        .filter_map(|(index, g)| {
            let raw = g.get("id")?;
            let id = normalize_id(
                raw.as_str()
                    .map_or_else(|| raw.to_string(), str::to_string)
                    .as_str(),
            )?;
            let text = |k: &str| {
                g.get(k)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            Some(RegistryGate {
                index,
                value: g,
                id,
                name: text("name"),
                check_script: text("check_script"),
                retired: flag(g, "retired"),
                inline: flag(g, "inline"),
                warn_only: flag(g, "warn_only"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::RepoId;

    #[test]
    fn entries_with_ids_flags_and_scripts() {
        let d = Document::parse(
            RepoId::Spine,
            REGISTRY,
            b"gates:\n  - id: D069\n    name: x\n    check_script: surfaces/verify/d69.sh\n  - id: 7\n  - id: D2\n    retired: true\n    inline: \"true\"\n    check_script: ''\n",
        );
        let g = registry_gates(&d);
        assert_eq!(g.len(), 2, "an id that is not a D-number is skipped");
        assert_eq!(g[0].id, "D69");
        assert_eq!(g[0].check_script.as_deref(), Some("surfaces/verify/d69.sh"));
        assert!(!g[0].retired && !g[0].inline);
        assert_eq!(
            (g[1].id.as_str(), g[1].retired, g[1].inline),
            ("D2", true, true)
        );
        assert_eq!(g[1].check_script, None, "an empty script is none");
        assert_eq!(g[1].ptr(), "/gates/2");
    }
}
