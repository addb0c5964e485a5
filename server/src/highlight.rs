//! Semantic highlighting of tags: which spans are what, in document order.
//! Spans never cross a line, so clients without multi-line token support
//! show them too.

use crate::tags::{Family, Registry, Tag};
use crate::text::TextRange;

/// What a highlighted span is. The order is the order of the LSP legend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpanKind {
    Tag(Family),
    UnknownTag,
    /// A `Key:` at the start of a continuation line, and a due date's
    /// `[2026-03-01]` in a tag's head: the parts of a tag that are data.
    Field,
}

impl SpanKind {
    /// Every kind, in legend order.
    pub const ALL: [SpanKind; 8] = [
        SpanKind::Tag(Family::Assumption),
        SpanKind::Tag(Family::Pattern),
        SpanKind::Tag(Family::Suggestion),
        SpanKind::Tag(Family::Decision),
        SpanKind::Tag(Family::Claim),
        SpanKind::Tag(Family::Verdict),
        SpanKind::UnknownTag,
        SpanKind::Field,
    ];

    /// The semantic token type name.
    pub fn name(self) -> &'static str {
        match self {
            SpanKind::Tag(Family::Assumption) => "tagAssumption",
            SpanKind::Tag(Family::Pattern) => "tagPattern",
            SpanKind::Tag(Family::Suggestion) => "tagSuggestion",
            SpanKind::Tag(Family::Decision) => "tagDecision",
            SpanKind::Tag(Family::Claim) => "tagClaim",
            SpanKind::Tag(Family::Verdict) => "tagVerdict",
            SpanKind::UnknownTag => "tagUnknown",
            SpanKind::Field => "tagField",
        }
    }

    pub fn index(self) -> u32 {
        SpanKind::ALL.iter().position(|k| *k == self).unwrap_or(0) as u32
    }
}

/// The highlighted spans of some tags, in document order.
pub fn spans<'a>(
    tags: impl IntoIterator<Item = &'a Tag>,
    registry: &Registry,
) -> Vec<(TextRange, SpanKind)> {
    let mut out = Vec::new();
    for tag in tags {
        let kind = registry
            .get(&tag.name)
            .map_or(SpanKind::UnknownTag, |d| SpanKind::Tag(d.family));
        match &tag.due {
            // `#NAME` and `:` as the tag, `[2026-03-01]` as data.
            Some(due) => {
                let (open, close) = (due.range.start - 1, due.range.end + 1);
                out.push((TextRange::new(tag.name_range.start, open), kind));
                out.push((TextRange::new(open, close), SpanKind::Field));
                out.push((TextRange::new(close, tag.name_range.end), kind));
            }
            None => out.push((tag.name_range, kind)),
        }
        for line in &tag.continuation {
            if let Some(key) = line.key {
                out.push((key, SpanKind::Field));
            }
        }
    }
    out.sort_by_key(|(r, _)| r.start);
    out
}
