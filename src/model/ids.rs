//! Gate ids, normalised one way everywhere (catalogue, registry import,
//! selection, waivers, explain).

/// `D069`, `d69`, ` D69 ` → `D69`; None when not a D-number.
pub fn normalize_id(s: &str) -> Option<String> {
    let t = s.trim();
    let digits = t.strip_prefix(['D', 'd'])?;
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n = digits.trim_start_matches('0');
    Some(format!("D{}", if n.is_empty() { "0" } else { n }))
}

/// The number of a gate id (`D69` → 69), for sorting; ids that are not
/// D-numbers sort last.
pub fn id_number(s: &str) -> u64 {
    normalize_id(s)
        .and_then(|n| n[1..].parse().ok())
        .unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_normalise() {
        assert_eq!(normalize_id("D069").as_deref(), Some("D69"));
        assert_eq!(normalize_id(" d7 ").as_deref(), Some("D7"));
        assert_eq!(normalize_id("D000").as_deref(), Some("D0"));
        assert_eq!(normalize_id("D").as_deref(), None);
        assert_eq!(normalize_id("schema/x").as_deref(), None);
        assert_eq!(id_number("D069"), 69);
        assert_eq!(id_number("x"), u64::MAX);
    }
}
