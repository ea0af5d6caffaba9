//! driftgate: guards a GitOps infrastructure spine against drift.
//!
//! Stages, one module each: `workspace` (load) → `documents` (parse) →
//! `model` (the spine's entities) → `schema` (validate) → `gates` → `report`. `check` wires them together;
//! `cli` is the command line.

pub mod check;
pub mod cli;
pub mod config;
pub mod corpus;
pub mod documents;
pub mod findings;
pub mod gates;
pub mod hook;
pub mod model;
pub mod parity;
pub mod report;
pub mod schema;
pub mod secrets;
pub mod threads;
pub mod workspace;
