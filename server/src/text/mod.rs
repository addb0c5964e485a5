//! Text primitives: byte ranges and the one place where positions are converted.
//!
//! Everything inside tagls works in byte offsets. Line/column positions in an
//! editor's encoding exist only at the edges, and [`pos`] is the only module
//! that converts between the two.

pub mod pos;

pub use pos::{Encoding, LineCol};
use serde::{Deserialize, Serialize};

/// A half-open byte range `[start, end)` into a document.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct TextRange {
    pub start: usize,
    pub end: usize,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end, "inverted range {start}..{end}");
        TextRange { start, end }
    }

    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// Whether `offset` lies inside the range, counting its end as inside so
    /// that a cursor right after the last character still hits it.
    pub fn contains_inclusive(self, offset: usize) -> bool {
        self.start <= offset && offset <= self.end
    }

    /// Whether the two ranges overlap or touch.
    pub fn touches(self, other: TextRange) -> bool {
        self.start <= other.end && other.start <= self.end
    }

    pub fn cover(self, other: TextRange) -> TextRange {
        TextRange::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl From<std::ops::Range<usize>> for TextRange {
    fn from(r: std::ops::Range<usize>) -> Self {
        TextRange::new(r.start, r.end)
    }
}

/// A zero-based start and end in each position encoding, UTF-8, UTF-16 and
/// UTF-32, so that the protocol layer can answer any client.
pub type Spans = [(LineCol, LineCol); 3];

/// The bytes `range` of a rope, clamped to its length and moved back to
/// character boundaries at both ends: a byte offset that falls inside a
/// multi-byte character never panics, it takes the whole characters before
/// it.
pub fn aligned_slice(rope: &ropey::Rope, range: std::ops::Range<usize>) -> ropey::RopeSlice<'_> {
    let len = rope.len_bytes();
    let align = |b: usize| rope.char_to_byte(rope.byte_to_char(b.min(len)));
    let end = align(range.end);
    rope.byte_slice(align(range.start).min(end)..end)
}

/// The first `n` bytes of a rope, or all of them: bytes, so a cut inside a
/// multi-byte character is harmless.
pub fn head_bytes(rope: &ropey::Rope, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n.min(rope.len_bytes()));
    for chunk in rope.chunks() {
        let want = n - out.len();
        if want == 0 {
            break;
        }
        let b = chunk.as_bytes();
        out.extend_from_slice(b.get(..want).unwrap_or(b));
    }
    out
}

/// JSON as the standard has it (no comments, trailing commas or other
/// extensions): what nbformat and the phase state write, read with spans.
pub fn strict_json() -> jsonc_parser::ParseOptions {
    jsonc_parser::ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// Where a JSON value sits in its text.
pub fn json_range(v: &jsonc_parser::ast::Value<'_>) -> TextRange {
    use jsonc_parser::common::Ranged as _;
    let r = v.range();
    TextRange::new(r.start, r.end)
}
