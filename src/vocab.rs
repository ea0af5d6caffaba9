//! Typed words of the gate vocabulary: gate severity, ring, gate class and
//! the fail-on threshold. Parsed once where they enter (gate files, the gate
//! registry, driftgate.yaml, the command line); shown with the word they
//! were written with.

use crate::findings::Severity;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// `Display` and `Serialize` (as a plain string) through `as_str`.
macro_rules! as_word {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

/// `Deserialize` from a string through `FromStr`.
macro_rules! from_word {
    ($t:ty) => {
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let w = String::deserialize(d)?;
                w.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

fn norm(s: &str) -> String {
    s.trim().to_ascii_lowercase()
}

/// A gate's time budget. Rings are cumulative: `instant` ⊂ `standard` ⊂
/// `deep` (the derived order says so).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Ring {
    Instant,
    #[default]
    Standard,
    Deep,
}

impl Ring {
    pub const ALL: [Ring; 3] = [Ring::Instant, Ring::Standard, Ring::Deep];
    pub const NAMES: [&'static str; 3] = ["instant", "standard", "deep"];

    pub fn as_str(self) -> &'static str {
        match self {
            Ring::Instant => "instant",
            Ring::Standard => "standard",
            Ring::Deep => "deep",
        }
    }

    /// Case-insensitive; None for an unknown word.
    pub fn parse(s: &str) -> Option<Ring> {
        let w = norm(s);
        Ring::ALL.into_iter().find(|r| r.as_str() == w)
    }

    /// A gate definition's `ring`: absent or unknown is `standard`.
    pub fn or_default(word: Option<&str>) -> Ring {
        word.and_then(Ring::parse).unwrap_or_default()
    }
}

impl FromStr for Ring {
    type Err = String;
    fn from_str(s: &str) -> Result<Ring, String> {
        Ring::parse(s).ok_or_else(|| format!("ring `{s}` is not one of instant, standard, deep"))
    }
}

as_word!(Ring);
from_word!(Ring);

/// The lowest finding severity that fails a run (`--fail-on`, `fail_on:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FailOn {
    #[default]
    Error,
    Warning,
    Info,
    /// Findings never fail the run (internal errors still do).
    Never,
}

impl FailOn {
    pub const NAMES: [&'static str; 4] = ["error", "warning", "info", "never"];

    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Error => "error",
            FailOn::Warning => "warning",
            FailOn::Info => "info",
            FailOn::Never => "never",
        }
    }

    /// `never`, or a severity word (the registry's words are accepted as
    /// they always were: `high` means `error`, `medium` means `warning`).
    pub fn parse(s: &str) -> Option<FailOn> {
        if norm(s) == "never" {
            return Some(FailOn::Never);
        }
        Severity::parse(s).map(|sev| match sev {
            Severity::Error => FailOn::Error,
            Severity::Warning => FailOn::Warning,
            Severity::Info => FailOn::Info,
        })
    }

    /// Every accepted word besides `NAMES` (hidden aliases on the CLI).
    pub const ALIASES: [&'static str; 7] =
        ["critical", "high", "warn", "medium", "note", "low", "none"];

    /// The lowest failing severity; None for `never`.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

impl FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<FailOn, String> {
        FailOn::parse(s).ok_or_else(|| format!("`{s}` is not one of error, warning, info, never"))
    }
}

as_word!(FailOn);
from_word!(FailOn);

/// A gate's severity as gate files and gate.registry.yaml write it: the
/// registry's words (critical|high|medium|low|none) or driftgate's own
/// (error|warning|info).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GateSeverity {
    Critical,
    #[default]
    High,
    Medium,
    Low,
    None,
    Error,
    Warning,
    Info,
}

impl GateSeverity {
    const ALL: [GateSeverity; 8] = [
        GateSeverity::Critical,
        GateSeverity::High,
        GateSeverity::Medium,
        GateSeverity::Low,
        GateSeverity::None,
        GateSeverity::Error,
        GateSeverity::Warning,
        GateSeverity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GateSeverity::Critical => "critical",
            GateSeverity::High => "high",
            GateSeverity::Medium => "medium",
            GateSeverity::Low => "low",
            GateSeverity::None => "none",
            GateSeverity::Error => "error",
            GateSeverity::Warning => "warning",
            GateSeverity::Info => "info",
        }
    }

    /// Case-insensitive; None for an unknown word.
    pub fn parse(s: &str) -> Option<GateSeverity> {
        let w = norm(s);
        GateSeverity::ALL.into_iter().find(|g| g.as_str() == w)
    }

    /// A gate definition's `severity`: absent or unknown is `high`.
    pub fn or_default(word: Option<&str>) -> GateSeverity {
        word.and_then(GateSeverity::parse).unwrap_or_default()
    }

    /// critical/high → error, medium → warning, low/none → info.
    pub fn finding_severity(self) -> Severity {
        match self {
            GateSeverity::Critical | GateSeverity::High | GateSeverity::Error => Severity::Error,
            GateSeverity::Medium | GateSeverity::Warning => Severity::Warning,
            GateSeverity::Low | GateSeverity::None | GateSeverity::Info => Severity::Info,
        }
    }
}

as_word!(GateSeverity);

/// What kind of promise a gate keeps. Gate files are held to the five known
/// classes by gates/gate.schema.json; a spine's gate.registry.yaml may use
/// a class this driftgate does not know: it is kept as `Other` (shown as
/// written) rather than failing the import.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum GateClass {
    #[default]
    Invariant,
    Freshness,
    Advisory,
    Observational,
    Parity,
    Other(String),
}

impl GateClass {
    pub fn as_str(&self) -> &str {
        match self {
            GateClass::Invariant => "invariant",
            GateClass::Freshness => "freshness",
            GateClass::Advisory => "advisory",
            GateClass::Observational => "observational",
            GateClass::Parity => "parity",
            GateClass::Other(w) => w,
        }
    }

    /// Never fails: an unknown word is `Other`.
    pub fn parse(s: &str) -> GateClass {
        match norm(s).as_str() {
            "invariant" => GateClass::Invariant,
            "freshness" => GateClass::Freshness,
            "advisory" => GateClass::Advisory,
            "observational" => GateClass::Observational,
            "parity" => GateClass::Parity,
            _ => GateClass::Other(s.to_string()),
        }
    }

    /// A gate definition's `gate_class`: absent is `invariant`.
    pub fn or_default(word: Option<&str>) -> GateClass {
        word.map(GateClass::parse).unwrap_or_default()
    }
}

as_word!(GateClass);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rings_are_ordered_and_parse_case_insensitively() {
        assert!(Ring::Instant < Ring::Standard && Ring::Standard < Ring::Deep);
        assert_eq!(Ring::parse(" DEEP "), Some(Ring::Deep));
        assert_eq!(Ring::parse("fast"), None);
        let e = "fast".parse::<Ring>().unwrap_err();
        assert!(e.contains("instant, standard, deep"), "{e}");
        for (r, n) in Ring::ALL.iter().zip(Ring::NAMES) {
            assert_eq!(r.as_str(), n);
        }
    }

    #[test]
    fn fail_on_words_and_thresholds() {
        assert_eq!(FailOn::parse("never"), Some(FailOn::Never));
        assert_eq!(FailOn::parse("Warning"), Some(FailOn::Warning));
        assert_eq!(FailOn::parse("high"), Some(FailOn::Error));
        assert_eq!(FailOn::parse("bogus"), None);
        assert_eq!(FailOn::Never.threshold(), None);
        assert_eq!(FailOn::Info.threshold(), Some(Severity::Info));
        for w in FailOn::NAMES.iter().chain(FailOn::ALIASES.iter()) {
            assert!(FailOn::parse(w).is_some(), "{w}");
        }
    }

    #[test]
    fn gate_severities_map_onto_finding_severities() {
        assert_eq!(
            GateSeverity::parse("critical").map(GateSeverity::finding_severity),
            Some(Severity::Error)
        );
        assert_eq!(GateSeverity::Medium.finding_severity(), Severity::Warning);
        assert_eq!(GateSeverity::None.finding_severity(), Severity::Info);
        assert_eq!(GateSeverity::parse("HIGH"), Some(GateSeverity::High));
        assert_eq!(GateSeverity::parse("blocking"), None);
        assert_eq!(
            GateSeverity::or_default(Some("blocking")),
            GateSeverity::High
        );
        assert_eq!(GateSeverity::or_default(None), GateSeverity::High);
        assert_eq!(Ring::or_default(Some("slow")), Ring::Standard);
        assert_eq!(GateClass::or_default(None), GateClass::Invariant);
    }

    #[test]
    fn unknown_gate_class_is_kept_as_written() {
        assert_eq!(GateClass::parse("parity"), GateClass::Parity);
        let c = GateClass::parse("Compliance");
        assert_eq!(c, GateClass::Other("Compliance".into()));
        assert_eq!(c.to_string(), "Compliance");
        // Table columns pad these words.
        assert_eq!(format!("[{:<8}]", Ring::Deep), "[deep    ]");
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            serde_json::json!("Compliance")
        );
    }
}
