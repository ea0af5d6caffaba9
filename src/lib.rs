//! driftgate: guards a GitOps infrastructure spine against drift.
//!
//! Stages, one module each: `workspace` (load) → `documents` (parse) →
//! `model` (the spine's entities) → `schema` (validate) → `gates` → `report`.
//! `check` wires them together
//! into a `Run`; `parity` is the cross-repo audit. Small shared modules:
//! `vocab` (typed severity, ring, gate class, fail-on), `clock` (today),
//! `timing` (phase timings as data).
//!
//! The library returns data (runs, report texts, the catalogue listing). It
//! has no command line, prints nothing and never exits the process: the
//! `driftgate` binary's own `cli` modules parse arguments, print, draw
//! progress, choose colour and map results to exit codes. Built without
//! default features (`--no-default-features`), the package does not depend
//! on clap or indicatif at all.

pub mod check;
pub mod clock;
pub mod config;
pub mod documents;
pub mod findings;
pub mod gates;
pub mod hook;
pub mod model;
pub mod parity;
pub mod report;
pub mod sandbox;
pub mod schema;
pub mod secrets;
pub mod shadow;
pub mod threads;
pub mod timing;
pub mod vocab;
pub mod workspace;
