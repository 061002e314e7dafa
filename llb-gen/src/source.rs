//! The spec file as text: its name, and byte offsets turned into lines and columns for
//! diagnostics and source maps. Reading one from bytes (size limit, UTF-8) is in `diag`.

use std::sync::OnceLock;

/// The text of a spec file and the name it is reported under.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// File name as the user knows it, e.g. `Stagefile.toml`.
    pub name: String,
    /// The whole file. Not to be changed once [`SourceFile::line_col`] has been called: the
    /// line index is computed from it once.
    pub text: String,
    /// Where lines start and how many characters precede points of the text, computed on
    /// first use: every op's source location asks for a line and a column, and counting from
    /// the start (or from the start of a long line) each time made compiling quadratic.
    index: OnceLock<Box<Index>>,
}

/// Positions in a [`SourceFile`]'s text.
#[derive(Debug, Clone)]
struct Index {
    /// Byte offsets at which lines start.
    line_starts: Vec<usize>,
    /// `(byte offset, characters before it)` at the character boundary at or before each
    /// multiple of [`CHECKPOINT`] bytes; empty for an ASCII text, whose characters are bytes.
    checkpoints: Vec<(usize, usize)>,
}

/// Bytes between character-count checkpoints: a column costs at most this much counting.
const CHECKPOINT: usize = 1024;

impl Index {
    fn of(text: &str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        if text.is_ascii() {
            return Self {
                line_starts,
                checkpoints: Vec::new(),
            };
        }
        let mut checkpoints = Vec::with_capacity(text.len() / CHECKPOINT + 1);
        let mut chars = 0;
        let mut at = 0;
        for k in 0..=text.len() / CHECKPOINT {
            let next = floor_char_boundary(text, k * CHECKPOINT);
            chars += text[at..next].chars().count();
            at = next;
            checkpoints.push((at, chars));
        }
        Self {
            line_starts,
            checkpoints,
        }
    }

    /// Characters before byte `offset` (a character boundary).
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        if self.checkpoints.is_empty() {
            return offset;
        }
        let (at, chars) = self
            .checkpoints
            .get(offset / CHECKPOINT)
            .copied()
            .unwrap_or((0, 0));
        chars + text.get(at..offset).map_or(0, |rest| rest.chars().count())
    }
}

impl PartialEq for SourceFile {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.text == other.text
    }
}

impl Eq for SourceFile {}

impl SourceFile {
    /// A source file from a name and its text.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
            index: OnceLock::new(),
        }
    }

    /// 1-based (line, column) of a byte offset, counting columns in characters.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let index = self.index.get_or_init(|| Box::new(Index::of(&self.text)));
        // Lines starting at or before the offset; the first line starts at 0, so at least 1.
        let line = index.line_starts.partition_point(|&start| start <= offset);
        let line_start = index
            .line_starts
            .get(line.wrapping_sub(1))
            .copied()
            .unwrap_or(0);
        let column =
            index.chars_before(&self.text, offset) - index.chars_before(&self.text, line_start);
        (line, column + 1)
    }
}

pub(crate) fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let file = SourceFile::new("S.toml", "a = 1\nbb = 2\n");
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(6), (2, 1));
        assert_eq!(file.line_col(8), (2, 3));
    }

    #[test]
    fn line_col_agrees_with_counting_newlines() {
        let short = "[stage.a]\npython = \"3.11\" # é\n\n  run = [\"ü\"]\nlast".to_owned();
        // Long lines of multi-byte characters cross the character-count checkpoints.
        let long = format!(
            "{}\nab{}\n{}",
            "é".repeat(700),
            "ü€".repeat(900),
            "x".repeat(3000)
        );
        // An ASCII text takes the short way (columns are byte offsets).
        let ascii = "[stage.a]\nrun = [\"make\"]\n\n".repeat(200);
        for text in [short, long, ascii] {
            let file = SourceFile::new("S.toml", text.as_str());
            for offset in (0..=text.len() + 2).step_by(3) {
                let at = floor_char_boundary(&text, offset.min(text.len()));
                let before = &text[..at];
                let line = before.matches('\n').count() + 1;
                let start = before.rfind('\n').map_or(0, |i| i + 1);
                let expected = (line, text[start..at].chars().count() + 1);
                assert_eq!(file.line_col(offset), expected, "offset {offset}");
            }
            // Equality ignores whether the index was computed.
            assert_eq!(file, SourceFile::new("S.toml", text.as_str()));
        }
    }
}
