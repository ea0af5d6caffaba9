//! Native gates: logic that is code. One file per gate or family.

use super::NativeGate;

/// Every native gate, by the name gate files use (`native: NAME`).
pub fn registry() -> Vec<Box<dyn NativeGate>> {
    Vec::new()
}
