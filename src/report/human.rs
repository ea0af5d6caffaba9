//! Human output (miette with source snippets). To be written.

use super::Report;

pub fn render(r: &Report) -> String {
    render_colored(r, false)
}

pub fn render_colored(r: &Report, _color: bool) -> String {
    super::short::render(r)
}
