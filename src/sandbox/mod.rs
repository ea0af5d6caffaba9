//! The no-network sandbox shared by `shadow` and exec gates: a new user and
//! network namespace (`unshare -rn`), whose only interface is a down
//! loopback. Detected once per process by running `unshare -rn true`.
//! `copy` is the other half: the private copy of the snapshot the scripts
//! run in, so nothing they write reaches the user's checkout.

pub mod copy;

use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Why the sandbox is not available (shown to the user).
pub const UNAVAILABLE: &str = "cannot sandbox the scripts: `unshare -rn true` failed (util-linux unshare and unprivileged user namespaces are needed)";

/// Runs `argv` with output discarded; true when it exits 0.
pub fn works(argv: &[&str]) -> bool {
    let Some((p, rest)) = argv.split_first() else {
        return false;
    };
    Command::new(p)
        .args(rest)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// The argv prefix that runs a command without network, or None where
/// user namespaces (or `unshare`) are not available.
pub fn prefix() -> Option<Vec<String>> {
    static DETECTED: OnceLock<bool> = OnceLock::new();
    DETECTED
        .get_or_init(|| works(&["unshare", "-rn", "true"]))
        .then(|| vec!["unshare".to_string(), "-rn".to_string()])
}
