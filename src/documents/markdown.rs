//! Markdown pipe tables with the line of every row, via pulldown-cmark's
//! offset iterator. Cells are plain text (backticks and emphasis removed).

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// One pipe table: its header cells, rows of cells, and the 1-based line of
/// the header and of each row. `heading` is the text of the nearest heading
/// above the table, `heading_level` its level (1–6).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub heading: Option<String>,
    pub heading_level: usize,
    pub header: Vec<String>,
    pub header_line: usize,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    pub cells: Vec<String>,
    pub line: usize,
    /// Byte offset of the row start (for spans).
    pub offset: usize,
}

impl Table {
    /// Index of the header cell equal (case-insensitively, trimmed) to `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name.trim()))
    }

    /// Does the header contain all of these names?
    pub fn has_columns(&self, names: &[&str]) -> bool {
        names.iter().all(|n| self.column(n).is_some())
    }

    /// Cell of `row` under header `name`.
    pub fn cell<'a>(&self, row: &'a Row, name: &str) -> Option<&'a str> {
        self.column(name)
            .and_then(|i| row.cells.get(i))
            .map(String::as_str)
    }
}

fn level_num(l: HeadingLevel) -> usize {
    match l {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

pub fn tables(text: &str) -> Vec<Table> {
    // One line index for the whole text: each row's line in O(log n).
    let index = super::lines::LineIndex::new(text);
    let line_of = |off: usize| index.line_col(off).0;
    let mut out = Vec::new();
    let mut heading: Option<String> = None;
    let mut heading_level = 0;
    let mut in_heading: Option<(String, usize)> = None;
    let mut table: Option<Table> = None;
    let mut row: Option<Row> = None;
    let mut cell: Option<String> = None;
    let mut in_head = false;
    for (ev, range) in Parser::new_ext(text, Options::ENABLE_TABLES).into_offset_iter() {
        match ev {
            Event::Start(Tag::Heading { level, .. }) => {
                in_heading = Some((String::new(), level_num(level)));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((h, l)) = in_heading.take() {
                    heading = Some(h.trim().to_string());
                    heading_level = l;
                }
            }
            Event::Start(Tag::Table(_)) => {
                table = Some(Table {
                    heading: heading.clone(),
                    heading_level,
                    header_line: line_of(range.start),
                    ..Table::default()
                });
            }
            Event::End(TagEnd::Table) => {
                if let Some(t) = table.take() {
                    out.push(t);
                }
            }
            Event::Start(Tag::TableHead) => {
                in_head = true;
                row = Some(Row {
                    line: line_of(range.start),
                    offset: range.start,
                    ..Row::default()
                });
            }
            Event::End(TagEnd::TableHead) => {
                in_head = false;
                if let (Some(t), Some(r)) = (table.as_mut(), row.take()) {
                    t.header = r.cells;
                    t.header_line = r.line;
                }
            }
            Event::Start(Tag::TableRow) => {
                row = Some(Row {
                    line: line_of(range.start),
                    offset: range.start,
                    ..Row::default()
                });
            }
            Event::End(TagEnd::TableRow) => {
                if let (Some(t), Some(r)) = (table.as_mut(), row.take()) {
                    if !in_head {
                        t.rows.push(r);
                    }
                }
            }
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => {
                if let (Some(r), Some(c)) = (row.as_mut(), cell.take()) {
                    r.cells.push(c.trim().to_string());
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(c) = cell.as_mut() {
                    c.push_str(&t);
                } else if let Some((h, _)) = in_heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(c) = cell.as_mut() {
                    c.push(' ');
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# Shop\n\n## Virtual Machines\n\n| VMID | Hostname | LAN IP |\n|---|---|---|\n| 204 | `infra-core` | 192.168.1.204 |\n| 205 | **observability** | 192.168.1.205 |\n\n## Cameras\n\n| Camera | Location | IP |\n|---|---|---|\n| cam1 | door | 192.168.1.50 |\n";

    #[test]
    fn rows_keep_lines_and_plain_text() {
        let t = tables(DOC);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].heading.as_deref(), Some("Virtual Machines"));
        assert_eq!(t[0].header, vec!["VMID", "Hostname", "LAN IP"]);
        assert_eq!(t[0].header_line, 5);
        assert_eq!(
            t[0].rows[0].cells,
            vec!["204", "infra-core", "192.168.1.204"]
        );
        assert_eq!(t[0].rows[0].line, 7);
        assert_eq!(t[0].rows[1].cells[1], "observability");
        assert_eq!(t[0].rows[1].line, 8);
        assert!(t[1].has_columns(&["camera", "IP"]));
        assert_eq!(t[1].heading.as_deref(), Some("Cameras"));
        assert_eq!(t[0].cell(&t[0].rows[0], "lan ip"), Some("192.168.1.204"));
    }
}
