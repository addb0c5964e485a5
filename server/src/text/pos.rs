//! Conversion between byte offsets and line/column positions.
//!
//! Columns are counted in the unit the client negotiated: UTF-8 bytes,
//! UTF-16 code units or Unicode scalar values. Lines break at `\n`, `\r\n`
//! and a lone `\r`, as LSP defines them (ropey's `cr_lines` feature, without
//! its Unicode line breaks). Positions from clients are clamped, never
//! trusted: a line past the end maps to the end of the text, a column past
//! the end of its line to the end of that line, and a column inside a
//! character (a UTF-16 surrogate pair, a multi-byte UTF-8 sequence) to the
//! start of that character.

use ropey::Rope;
use serde::{Deserialize, Serialize};

/// The unit in which a client counts columns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Encoding {
    Utf8,
    #[default]
    Utf16,
    Utf32,
}

/// A zero-based line and a column in some [`Encoding`].
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// The line/column of a byte offset. Offsets past the end are clamped to the
/// end; offsets inside a character round down to its start.
pub fn offset_to_line_col(rope: &Rope, offset: usize, enc: Encoding) -> LineCol {
    Converter::new(rope, enc).line_col(offset)
}

/// The line/columns of both ends of `start..end`, as [`offset_to_line_col`]
/// gives them.
pub fn range_to_line_cols(
    rope: &Rope,
    start: usize,
    end: usize,
    enc: Encoding,
) -> (LineCol, LineCol) {
    Converter::new(rope, enc).range(start, end)
}

/// Converts many offsets of one text, as [`offset_to_line_col`] does, but
/// remembers the line of the last one: an offset further on the same line
/// is counted on from there, so a span's end, and the next span on the
/// line, cost no lookup in the rope. Offsets in ascending order (tags,
/// findings, semantic tokens) are the fast case; any order gives the same
/// answers.
#[derive(Clone, Debug)]
pub struct Converter<'a> {
    enc: Encoding,
    columns: Columns<'a, usize>,
}

impl<'a> Converter<'a> {
    pub fn new(rope: &'a Rope, enc: Encoding) -> Converter<'a> {
        Converter {
            enc,
            columns: Columns::new(rope),
        }
    }

    /// The line/column of a byte offset, clamped and rounded down as
    /// [`offset_to_line_col`] says.
    pub fn line_col(&mut self, offset: usize) -> LineCol {
        let enc = self.enc;
        let (line, col) = self.columns.at(offset, |col, part| {
            *col += match enc {
                Encoding::Utf8 => part.len(),
                Encoding::Utf16 => part
                    .iter()
                    .map(|&b| usize::from(!is_continuation(b)) + usize::from(b >= 0xF0))
                    .sum(),
                Encoding::Utf32 => part.iter().filter(|&&b| !is_continuation(b)).count(),
            }
        });
        LineCol {
            line,
            col: to_u32(col),
        }
    }

    /// Both ends of `start..end`.
    pub fn range(&mut self, start: usize, end: usize) -> (LineCol, LineCol) {
        (self.line_col(start), self.line_col(end))
    }
}

/// A [`Converter`] for UTF-8, UTF-16 and UTF-32 at once: one line lookup
/// and one pass over the bytes serve all three.
#[derive(Clone, Debug)]
pub struct Converters<'a>(Columns<'a, [usize; 3]>);

impl<'a> Converters<'a> {
    pub fn new(rope: &'a Rope) -> Converters<'a> {
        Converters(Columns::new(rope))
    }

    /// What [`Converter::line_col`] gives in UTF-8, UTF-16 and UTF-32.
    pub fn line_cols(&mut self, offset: usize) -> [LineCol; 3] {
        let (line, cols) = self.0.at(offset, |cols, part| {
            let chars = part.iter().filter(|&&b| !is_continuation(b)).count();
            let astral = part.iter().filter(|&&b| b >= 0xF0).count();
            cols[0] += part.len();
            cols[1] += chars + astral;
            cols[2] += chars;
        });
        cols.map(|col| LineCol {
            line,
            col: to_u32(col),
        })
    }

    /// Both ends of `start..end`, in UTF-8, UTF-16 and UTF-32.
    pub fn ranges(&mut self, start: usize, end: usize) -> [(LineCol, LineCol); 3] {
        let (a, b) = (self.line_cols(start), self.line_cols(end));
        [0, 1, 2].map(|i| (a[i], b[i]))
    }
}

/// What both converters keep: the line of the last offset, that offset,
/// and its columns `C`, counted on from there when the next offset is
/// further on the same line.
#[derive(Clone, Debug)]
struct Columns<'a, C> {
    lines: LineCursor<'a>,
    at: usize,
    cols: C,
}

impl<'a, C: Copy + Default> Columns<'a, C> {
    fn new(rope: &'a Rope) -> Columns<'a, C> {
        Columns {
            lines: LineCursor::new(rope),
            at: 0,
            cols: C::default(),
        }
    }

    /// The line of `offset` (clamped to the text) and its columns, with
    /// `add` counting the bytes of the line up to it into them.
    fn at(&mut self, offset: usize, mut add: impl FnMut(&mut C, &[u8])) -> (u32, C) {
        let offset = offset.min(self.lines.rope.len_bytes());
        if self.lines.seek(offset) || offset < self.at {
            (self.at, self.cols) = (self.lines.start, C::default());
        }
        let cols = &mut self.cols;
        self.at = self.lines.count(self.at, offset, |part| add(cols, part));
        (to_u32(self.lines.line), self.cols)
    }
}

/// The line of the last offset a converter looked at, and the rope chunk
/// it was found in: the next offsets of a document-order walk mostly fall
/// in that chunk, and are then found in its bytes without a descent of the
/// rope.
#[derive(Clone, Debug)]
struct LineCursor<'a> {
    rope: &'a Rope,
    line: usize,
    start: usize,
    /// Where the next line starts; `usize::MAX` on the last line.
    next: usize,
    chunk: &'a str,
    chunk_start: usize,
    /// The line `chunk` starts on.
    chunk_line: usize,
}

impl<'a> LineCursor<'a> {
    fn new(rope: &'a Rope) -> LineCursor<'a> {
        // Empty: the first offset looks its line and chunk up.
        LineCursor {
            rope,
            line: 0,
            start: 0,
            next: 0,
            chunk: "",
            chunk_start: 0,
            chunk_line: 0,
        }
    }

    /// Moves to the line of `offset` (at most the text's length); whether
    /// that is another line.
    fn seek(&mut self, offset: usize) -> bool {
        if (self.start..self.next).contains(&offset) {
            return false;
        }
        if !(self.chunk_start..self.chunk_start + self.chunk.len()).contains(&offset) {
            let (chunk, start, _, line) = self.rope.chunk_at_byte(offset);
            (self.chunk, self.chunk_start, self.chunk_line) = (chunk, start, line);
        }
        let bytes = self.chunk.as_bytes();
        let at = offset - self.chunk_start;
        // Ropey never splits a `\r\n` between chunks, so the breaks of a
        // chunk are found in it alone.
        let line = self.chunk_line + str_indices::lines_crlf::from_byte_idx(self.chunk, at);
        let mut before = at;
        let line_start = loop {
            match memchr::memrchr2(b'\n', b'\r', &bytes[..before]) {
                Some(i) => match break_end(bytes, i) {
                    Some(end) => break Some(end),
                    // `offset` is between a `\r` and its `\n`.
                    None => before = i,
                },
                None => break None,
            }
        };
        let next =
            memchr::memchr2_iter(b'\n', b'\r', &bytes[at..]).find_map(|i| break_end(bytes, at + i));
        self.line = line;
        self.start = match line_start {
            Some(end) => self.chunk_start + end,
            // The line started in an earlier chunk.
            None => self.rope.line_to_byte(line),
        };
        self.next = match next {
            Some(end) => self.chunk_start + end,
            None if line + 1 < self.rope.len_lines() => self.rope.line_to_byte(line + 1),
            None => usize::MAX,
        };
        true
    }

    /// [`count`], in the cursor's chunk when it holds the bytes.
    fn count(&self, from: usize, to: usize, mut units: impl FnMut(&[u8])) -> usize {
        let chunk_end = self.chunk_start + self.chunk.len();
        if to <= from || from < self.chunk_start || to > chunk_end {
            return count(self.rope, from, to, units);
        }
        let bytes = self.chunk.as_bytes();
        let (lo, hi) = part_of(bytes, self.chunk_start, from, to);
        units(&bytes[lo..hi]);
        self.chunk_start + hi
    }
}

/// Where the line break at `bytes[i]` (a `\n` or a `\r`) ends, or `None`
/// for the `\r` of a `\r\n`, whose break ends after the `\n`.
fn break_end(bytes: &[u8], i: usize) -> Option<usize> {
    if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
        None
    } else {
        Some(i + 1)
    }
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// Hands `units` the bytes from `from` (a character boundary) to `to`
/// (rounded down to one) on one line, chunk by chunk, to count columns in;
/// where counting stopped.
fn count(rope: &Rope, from: usize, to: usize, mut units: impl FnMut(&[u8])) -> usize {
    if to <= from {
        return from;
    }
    let (chunks, mut chunk_start, _, _) = rope.chunks_at_byte(from);
    for chunk in chunks {
        let bytes = chunk.as_bytes();
        let (lo, hi) = part_of(bytes, chunk_start, from, to);
        units(&bytes[lo..hi]);
        if chunk_start + bytes.len() >= to {
            return chunk_start + hi;
        }
        chunk_start += bytes.len();
    }
    chunk_start
}

/// Where `from..to` lies in a chunk that starts at `chunk_start`, as
/// indexes into its `bytes`, the end rounded down to a character. Characters
/// never straddle chunks: one that `to` falls inside starts in this chunk.
fn part_of(bytes: &[u8], chunk_start: usize, from: usize, to: usize) -> (usize, usize) {
    let lo = from.saturating_sub(chunk_start);
    let mut hi = (to - chunk_start).min(bytes.len());
    while hi > lo && hi < bytes.len() && is_continuation(bytes[hi]) {
        hi -= 1;
    }
    (lo, hi)
}

/// The byte offset of a line/column, clamped into the text.
pub fn line_col_to_offset(rope: &Rope, pos: LineCol, enc: Encoding) -> usize {
    let line = pos.line as usize;
    if line >= rope.len_lines() {
        return rope.len_bytes();
    }
    let line_start = rope.line_to_byte(line);
    let line_end = line_start + line_content_len(rope, line);
    let col = pos.col as usize;
    match enc {
        Encoding::Utf8 => {
            let target = (line_start + col).min(line_end);
            rope.char_to_byte(rope.byte_to_char(target))
        }
        Encoding::Utf16 => {
            let start_cu = rope.char_to_utf16_cu(rope.byte_to_char(line_start));
            let end_cu = rope.char_to_utf16_cu(rope.byte_to_char(line_end));
            let target = (start_cu + col).min(end_cu);
            rope.char_to_byte(rope.utf16_cu_to_char(target))
        }
        Encoding::Utf32 => {
            let start_ch = rope.byte_to_char(line_start);
            let end_ch = rope.byte_to_char(line_end);
            rope.char_to_byte((start_ch + col).min(end_ch))
        }
    }
}

/// The length in bytes of a line without its line break.
fn line_content_len(rope: &Rope, line: usize) -> usize {
    let Some(slice) = rope.get_line(line) else {
        return 0;
    };
    let mut len = slice.len_bytes();
    // A line ends in at most one break: `\n`, `\r\n` or `\r`.
    if len > 0 && slice.byte(len - 1) == b'\n' {
        len -= 1;
    }
    if len > 0 && slice.byte(len - 1) == b'\r' {
        len -= 1;
    }
    len
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "日本語 😀 𝄞 #TAG: x\r\nsecond\rthird\nlast";

    fn roundtrip(enc: Encoding, offset: usize) {
        let rope = Rope::from_str(TEXT);
        let lc = offset_to_line_col(&rope, offset, enc);
        assert_eq!(line_col_to_offset(&rope, lc, enc), offset, "{enc:?} {lc:?}");
    }

    #[test]
    fn columns_in_each_encoding() {
        let rope = Rope::from_str(TEXT);
        let hash = TEXT.find('#').unwrap();
        assert_eq!(
            offset_to_line_col(&rope, hash, Encoding::Utf8),
            LineCol { line: 0, col: 20 }
        );
        // 日本語 (3) + space + 😀 (2 units) + space + 𝄞 (2 units) + space
        assert_eq!(
            offset_to_line_col(&rope, hash, Encoding::Utf16),
            LineCol { line: 0, col: 10 }
        );
        assert_eq!(
            offset_to_line_col(&rope, hash, Encoding::Utf32),
            LineCol { line: 0, col: 8 }
        );
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            for (i, _) in TEXT.char_indices() {
                // Between `\r` and `\n` is no position in LSP.
                if !TEXT[..i].ends_with('\r') || !TEXT[i..].starts_with('\n') {
                    roundtrip(enc, i);
                }
            }
            roundtrip(enc, TEXT.len());
        }
    }

    /// The conversion as ropey's own index conversions give it.
    fn reference(rope: &Rope, offset: usize, enc: Encoding) -> LineCol {
        let offset = offset.min(rope.len_bytes());
        let line = rope.byte_to_line(offset);
        let line_start = rope.line_to_byte(line);
        let ch = rope.byte_to_char(offset);
        let col = match enc {
            Encoding::Utf8 => rope.char_to_byte(ch) - line_start,
            Encoding::Utf16 => {
                rope.char_to_utf16_cu(ch) - rope.char_to_utf16_cu(rope.byte_to_char(line_start))
            }
            Encoding::Utf32 => ch - rope.byte_to_char(line_start),
        };
        LineCol {
            line: to_u32(line),
            col: to_u32(col),
        }
    }

    #[test]
    fn a_converter_answers_in_any_order_as_the_rope_does() {
        // Chunks of a rope this long end inside lines and next to
        // multi-byte characters.
        let unit = format!("{TEXT}\n\r\n😀x\r");
        let text = unit.repeat(200);
        let rope = Rope::from_str(&text);
        assert!(rope.chunks().count() > 4);
        let offsets: Vec<usize> = (0..=text.len() + 2).collect();
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            let expected: Vec<LineCol> =
                offsets.iter().map(|&o| reference(&rope, o, enc)).collect();
            let mut up = Converter::new(&rope, enc);
            let mut down = Converter::new(&rope, enc);
            for (i, &o) in offsets.iter().enumerate() {
                assert_eq!(up.line_col(o), expected[i], "{enc:?} ascending {o}");
                assert_eq!(
                    offset_to_line_col(&rope, o, enc),
                    expected[i],
                    "{enc:?} {o}"
                );
            }
            for (i, &o) in offsets.iter().enumerate().rev() {
                assert_eq!(down.line_col(o), expected[i], "{enc:?} descending {o}");
            }
            let i = enc as usize;
            let mut all = Converters::new(&rope);
            for (j, &o) in offsets.iter().enumerate() {
                let back = o.saturating_sub(5 + j % 11).min(o);
                assert_eq!(all.line_cols(o)[i], expected[j], "{enc:?} all {o}");
                assert_eq!(all.line_cols(back)[i], expected[back], "{enc:?} all {back}");
            }
            // Back and forth, as overlapping spans ask.
            let mut mixed = Converter::new(&rope, enc);
            for (i, &o) in offsets.iter().enumerate() {
                let back = o.saturating_sub(7 + i % 13).min(o);
                assert_eq!(mixed.line_col(o), expected[i], "{enc:?} mixed {o}");
                assert_eq!(
                    mixed.line_col(back),
                    expected[back],
                    "{enc:?} mixed back {back}"
                );
            }
        }
    }

    #[test]
    fn ranges_convert_as_their_two_ends_do() {
        let text = format!("{TEXT}\n\r\n😀x\r");
        let rope = Rope::from_str(&text);
        let offsets: Vec<usize> = (0..=text.len() + 2).collect();
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            for &a in &offsets {
                for &b in &offsets {
                    assert_eq!(
                        range_to_line_cols(&rope, a, b, enc),
                        (
                            offset_to_line_col(&rope, a, enc),
                            offset_to_line_col(&rope, b, enc)
                        ),
                        "{enc:?} {a}..{b}"
                    );
                }
            }
        }
    }

    #[test]
    fn lsp_line_breaks() {
        let rope = Rope::from_str(TEXT);
        let third = TEXT.find("third").unwrap();
        let last = TEXT.find("last").unwrap();
        assert_eq!(
            offset_to_line_col(&rope, third, Encoding::Utf16),
            LineCol { line: 2, col: 0 }
        );
        assert_eq!(
            offset_to_line_col(&rope, last, Encoding::Utf16),
            LineCol { line: 3, col: 0 }
        );
        // A form feed or U+2028 is not a line break in LSP.
        let rope = Rope::from_str("a\u{c}b\u{2028}c\nd");
        assert_eq!(rope.len_lines(), 2);
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let rope = Rope::from_str(TEXT);
        let first_end = TEXT.find('\r').unwrap();
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            assert_eq!(
                line_col_to_offset(&rope, LineCol { line: 0, col: 999 }, enc),
                first_end
            );
            assert_eq!(
                line_col_to_offset(&rope, LineCol { line: 99, col: 0 }, enc),
                TEXT.len()
            );
            assert_eq!(offset_to_line_col(&rope, 10_000, enc).line, 3);
            // An empty text is one empty line.
            let empty_text = Rope::new();
            let mut empty = Converter::new(&empty_text, enc);
            assert_eq!(empty.range(0, 7), (LineCol::default(), LineCol::default()));
        }
        // Column 3 in UTF-16 lands inside 😀's surrogate pair (columns 4-5 are
        // the pair; 3 is the space), column 5 is its second half.
        let emoji = TEXT.find('😀').unwrap();
        assert_eq!(
            line_col_to_offset(&rope, LineCol { line: 0, col: 5 }, Encoding::Utf16),
            emoji
        );
        // A UTF-8 column inside 本 rounds down to its start.
        assert_eq!(
            line_col_to_offset(&rope, LineCol { line: 0, col: 4 }, Encoding::Utf8),
            3
        );
    }
}
