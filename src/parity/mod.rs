//! Cross-repo parity (spine vs workbench vs legacy). Filled by the parity work.

/// `driftgate parity`
pub fn cmd_parity(_a: &crate::cli::ParityArgs) -> i32 {
    0
}
