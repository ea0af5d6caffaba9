//! Reading scalar fields of spine bindings. Everything is total over user
//! data (no panics on odd shapes): a field of the wrong type reads as absent.

use crate::documents::pointer_escape;
use serde_json::Value;

/// What `yq -r` prints for a value, as the registry's scripts read it:
/// strings raw, an absent or null value as `null`, anything else as JSON.
pub fn yq_raw(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "null".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// `yq -r '.x // ""'`: an absent, null or false value prints as empty
/// (yq's `//` treats `false` as missing), anything else as [`yq_raw`].
pub fn yq_or_empty(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => String::new(),
        other => yq_raw(other),
    }
}

/// A scalar as text: trimmed non-empty strings, numbers, booleans.
pub fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An integer from a number or a numeric string.
pub fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `enabled` flag: absent or null means true; only `false` (or "false") disables.
pub fn enabled(item: &Value) -> bool {
    match item.get("enabled") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => !s.trim().eq_ignore_ascii_case("false"),
        _ => true,
    }
}

/// Items of the array at `key` of `v` (empty when absent or not an array).
pub fn items<'a>(v: Option<&'a Value>, key: &str) -> &'a [Value] {
    v.and_then(|v| v.get(key))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A list of strings (scalars) at `key`.
pub fn strings(v: Option<&Value>, key: &str) -> Vec<String> {
    items(v, key).iter().filter_map(|x| text(Some(x))).collect()
}

/// JSON pointer built from tokens.
pub fn ptr(tokens: &[&str]) -> String {
    tokens
        .iter()
        .map(|t| format!("/{}", pointer_escape(t)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yq_text_as_the_scripts_read_it() {
        assert_eq!(yq_raw(None), "null");
        assert_eq!(yq_raw(Some(&json!("x"))), "x");
        assert_eq!(yq_raw(Some(&json!(false))), "false");
        assert_eq!(yq_raw(Some(&json!([1]))), "[1]");
        assert_eq!(yq_or_empty(Some(&json!(false))), "");
        assert_eq!(yq_or_empty(Some(&json!(null))), "");
        assert_eq!(yq_or_empty(Some(&json!(0))), "0");
    }
}
