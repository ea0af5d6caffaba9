//! driftgate: guards a GitOps infrastructure spine against drift.
//!
//! Stages, one module each: `workspace` (load) → `documents` (parse) →
//! `schema` (validate) → `gates` → `report`. `check` wires them together;
//! `cli` is the command line.

pub mod check;
pub mod cli;
pub mod config;
pub mod documents;
pub mod findings;
pub mod gates;
pub mod hook;
pub mod parity;
pub mod report;
pub mod schema;
pub mod workspace;
