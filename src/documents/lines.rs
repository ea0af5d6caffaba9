//! Byte offset ↔ line/column conversion. Lines are split on `\n` (so CRLF
//! files work); columns count characters, 1-based, as editors show them.

use crate::findings::Span;

#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset of the first byte of each line.
    starts: Vec<usize>,
    len: usize,
    ascii: bool,
    text: std::sync::Arc<str>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        Self::shared(text.into())
    }

    /// Index over text the caller already holds in an `Arc` (no copy: a
    /// document and its line index share one buffer).
    pub fn shared(text: std::sync::Arc<str>) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex {
            starts,
            len: text.len(),
            ascii: text.is_ascii(),
            text,
        }
    }

    /// Byte offset of `line` (1-based) and `col` (0-based, in characters),
    /// clamped into the file and onto a character boundary.
    pub fn byte_of_line_col(&self, line: usize, col: usize) -> usize {
        let li = line.saturating_sub(1).min(self.starts.len() - 1);
        let start = self.starts[li];
        let line_end = self.starts.get(li + 1).copied().unwrap_or(self.len);
        if self.ascii {
            return (start + col).min(line_end);
        }
        let line_text = &self.text[start..line_end];
        match line_text.char_indices().nth(col) {
            Some((i, _)) => start + i,
            None => line_end,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, byte: usize) -> (usize, usize) {
        let byte = self.clamp(byte);
        let li = match self.starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[li];
        let col = if self.ascii {
            byte - start
        } else {
            self.text[start..byte].chars().count()
        };
        (li + 1, col + 1)
    }

    /// Clamp into the text and back onto a character boundary.
    pub fn clamp(&self, mut byte: usize) -> usize {
        byte = byte.min(self.len);
        while byte > 0 && !self.text.is_char_boundary(byte) {
            byte -= 1;
        }
        byte
    }

    pub fn span(&self, start: usize, end: usize) -> Span {
        let start = self.clamp(start);
        let end = self.clamp(end.max(start));
        let (line, col) = self.line_col(start);
        Span {
            start,
            end,
            line,
            col,
        }
    }

    /// Span of a whole line (1-based), without its line break.
    pub fn line_span(&self, line: usize) -> Span {
        let li = line.saturating_sub(1).min(self.starts.len() - 1);
        let start = self.starts[li];
        let mut end = self.starts.get(li + 1).map_or(self.len, |n| n - 1);
        if end > start && self.text.as_bytes().get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        self.span(start, end.max(start))
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multibyte_columns_count_characters() {
        let li = LineIndex::new("a: é\nb: ü x\n");
        let b = li.byte_of_line_col(2, 5);
        assert_eq!(&"a: é\nb: ü x\n"[b..b + 1], "x");
        assert_eq!(li.line_col(b), (2, 6));
    }

    #[test]
    fn clamps_out_of_range() {
        let li = LineIndex::new("ab");
        assert_eq!(li.byte_of_line_col(9, 9), 2);
        assert_eq!(li.line_col(99), (1, 3));
    }
}
