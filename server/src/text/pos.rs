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

/// The unit in which a client counts columns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Encoding {
    Utf8,
    #[default]
    Utf16,
    Utf32,
}

/// A zero-based line and a column in some [`Encoding`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// The line/column of a byte offset. Offsets past the end are clamped to the
/// end; offsets inside a character round down to its start.
pub fn offset_to_line_col(rope: &Rope, offset: usize, enc: Encoding) -> LineCol {
    let offset = offset.min(rope.len_bytes());
    let line = rope.byte_to_line(offset);
    let line_start = rope.line_to_byte(line);
    let col = match enc {
        Encoding::Utf8 => {
            // Round down to a character boundary.
            let ch = rope.byte_to_char(offset);
            rope.char_to_byte(ch) - line_start
        }
        Encoding::Utf16 => {
            let ch = rope.byte_to_char(offset);
            let start_ch = rope.byte_to_char(line_start);
            rope.char_to_utf16_cu(ch) - rope.char_to_utf16_cu(start_ch)
        }
        Encoding::Utf32 => rope.byte_to_char(offset) - rope.byte_to_char(line_start),
    };
    LineCol {
        line: to_u32(line),
        col: to_u32(col),
    }
}

/// The line/columns of both ends of `start..end`: the same as two calls of
/// [`offset_to_line_col`], but an end on the start's line is counted on from
/// the start through the text between, without looking the line up again.
/// Spans of tags and findings are short and on one line, so this is most of
/// them.
pub fn range_to_line_cols(
    rope: &Rope,
    start: usize,
    end: usize,
    enc: Encoding,
) -> (LineCol, LineCol) {
    let from = offset_to_line_col(rope, start, enc);
    let (start, end) = (start.min(rope.len_bytes()), end.min(rope.len_bytes()));
    let Some(between) = (start <= end)
        .then(|| rope.get_byte_slice(start..end))
        .flatten()
    else {
        return (from, offset_to_line_col(rope, end, enc));
    };
    let mut units = 0;
    for c in between.chars() {
        if c == '\n' || c == '\r' {
            return (from, offset_to_line_col(rope, end, enc));
        }
        units += match enc {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
            Encoding::Utf32 => 1,
        };
    }
    let to = LineCol {
        line: from.line,
        col: from.col.saturating_add(to_u32(units)),
    };
    (from, to)
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
