//! The one model of the spine: VMs, sites, SSH targets, backup targets and
//! services
//! read from their parsed bindings, with the semantics the spine's own
//! scripts use (`id // vmid`, `proxmox_host // defaults.proxmox_host`,
//! `ssh.defaults.user`, `enabled` unless `false`). Native gates and the
//! parity job both read the spine through it, so they cannot disagree about
//! what a VM or a target is; OpenSSH `Host` matching lives with the ssh
//! config parser (`documents::sshconfig`) and gate ids are normalised by
//! `ids`.
//!
//! The views borrow the parsed documents (each file is parsed once per run
//! and shared): building one is a walk over an already parsed value, and a
//! view points back at its entry (`ptr`) so findings land on the right line.

pub mod backup;
pub mod coverage;
pub mod ids;
pub mod paths;
pub mod registry;
pub mod services;
pub mod site;
pub mod ssh;
pub mod values;
pub mod vm;
