//! `github` output (to be written).

use super::Report;

pub fn render(r: &Report) -> String {
    super::short::render(r)
}
