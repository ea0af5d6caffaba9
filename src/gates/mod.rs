//! Stage 4: drift gates as plugins.
//!
//! One catalogue (`gates/*.yaml`, embedded; plus a spine directory named in
//! driftgate.yaml; plus the spine's own gate.registry.yaml), three kinds of
//! implementation: `rule` (declarative, jq via jaq, in-process), `native`
//! (Rust, `src/gates/native/`), `exec` (external script, bounded parallel,
//! timeouts). This file holds the shared contract; the engine lives in the
//! submodules.

pub mod native;

use crate::config::LoadedConfig;
use crate::documents::Document;
use crate::findings::{CheckRecord, Finding, Location, Severity};
use crate::workspace::Workspace;
use serde_json::Value;

/// Everything a gate run needs besides the workspace.
#[derive(Debug, Clone, Default)]
pub struct GateOptions {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub ring: Option<String>,
    /// Today, for freshness and waiver expiry (`--now`).
    pub now: Option<chrono::NaiveDate>,
    /// Run external script gates.
    pub exec: bool,
    pub jobs: usize,
    /// Import the spine's gate.registry.yaml (None: when present).
    pub registry: Option<bool>,
    /// Only gates whose inputs intersect these paths (`repo:path`), when set.
    pub affected: Option<Vec<String>>,
    pub affected_only: bool,
}

/// How a gate is implemented.
#[derive(Debug, Clone, PartialEq)]
pub enum Implementation {
    /// Declarative rule (the `rule:` mapping of the gate file).
    Rule(Value),
    /// Name of a native gate registered in `native::registry()`.
    Native(String),
    /// External command.
    Exec(ExecSpec),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExecSpec {
    /// argv; argv[0] relative to the spine root unless absolute.
    pub command: Vec<String>,
    pub timeout_sec: Option<u64>,
}

/// One gate of the catalogue (metadata mirrors gate.registry.yaml).
#[derive(Debug, Clone, PartialEq)]
pub struct GateMeta {
    /// `D69` (normalised: no leading zeros).
    pub id: String,
    /// kebab-case name.
    pub name: String,
    pub category: String,
    /// invariant | freshness | advisory | observational | parity
    pub gate_class: String,
    /// critical | high | medium | low | none (registry vocabulary)
    pub severity: String,
    /// instant | standard | deep
    pub ring: String,
    pub description: String,
    /// Why the gate exists (for `explain`).
    pub why: Option<String>,
    pub fix_hint: Option<String>,
    /// Repo-qualified globs the gate reads: `spine:ops/bindings/vm.lifecycle.yaml`.
    pub inputs: Vec<String>,
    /// A failing example (for `explain`).
    pub example: Option<String>,
    pub implementation: Implementation,
    /// `warn_only` in the registry: findings never fail the run.
    pub warn_only: bool,
    /// Where the definition came from (`gates/D069-....yaml`, a spine path, or
    /// `spine:ops/bindings/gate.registry.yaml`).
    pub origin: String,
}

impl GateMeta {
    /// Finding severity for this gate.
    pub fn finding_severity(&self) -> Severity {
        if self.warn_only {
            return Severity::Warning
                .min(Severity::parse(&self.severity).unwrap_or(Severity::Warning));
        }
        Severity::parse(&self.severity).unwrap_or(Severity::Error)
    }
}

/// What a native gate sees.
pub struct GateContext<'a> {
    pub ws: &'a Workspace,
    pub meta: &'a GateMeta,
    pub now: chrono::NaiveDate,
    /// `gate_options.<ID>` from driftgate.yaml, if any.
    pub options: Option<&'a Value>,
}

impl GateContext<'_> {
    /// A finding of this gate at `pointer` in `doc` (key span for members),
    /// with the gate's severity and fix hint.
    pub fn finding(&self, doc: &Document, pointer: &str, message: impl Into<String>) -> Finding {
        self.finding_at(doc.location(pointer), message)
    }

    /// A finding of this gate at an explicit location.
    pub fn finding_at(&self, location: Location, message: impl Into<String>) -> Finding {
        let mut f = Finding::new(
            self.meta.id.clone(),
            self.meta.finding_severity(),
            location,
            message,
        );
        f.help = self.meta.fix_hint.clone();
        f
    }
}

/// A gate implemented in Rust. One file per gate or family under
/// `src/gates/native/`; registered by name in `native::registry()`.
pub trait NativeGate: Send + Sync {
    /// The name used in gate files (`native: vm_creation_lock`).
    fn name(&self) -> &'static str;
    /// Runs the gate. `Err` is the gate's own failure (bad input it cannot
    /// judge), reported as an errored check, not as drift.
    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String>;
}

/// Runs every selected gate. Returns findings and one record per gate.
pub fn run(
    _ws: &Workspace,
    _config: &LoadedConfig,
    _opts: &GateOptions,
) -> (Vec<Finding>, Vec<CheckRecord>) {
    (Vec::new(), Vec::new())
}

/// Applies driftgate.yaml waivers: matching findings become waived; expired
/// and unused waivers become findings of their own.
pub fn apply_waivers(_findings: &mut [Finding], _config: &LoadedConfig, _now: chrono::NaiveDate) {}

/// `driftgate gates`
pub fn cmd_gates(_a: &crate::cli::GatesArgs) -> i32 {
    0
}

/// `driftgate explain CODE`
pub fn cmd_explain(_a: &crate::cli::ExplainArgs) -> i32 {
    0
}
