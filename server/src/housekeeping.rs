//! The method's housekeeping: which tags leave the code once the gate has
//! PASSED, and the text to remove when a tag leaves it.

use crate::analysis::Analysis;
use crate::tags::{Family, Registry, Tag};
use crate::text::TextRange;

/// Whether the method removes a tag of this family from the code once the
/// gate has PASSED: every tag but decisions (`#PATH_DECISION`,
/// `#PATH_RATIONALE`, kept as documentation) and suggestions (follow-ups).
pub fn is_removed_after_passing(family: Family) -> bool {
    !matches!(family, Family::Decision | Family::Suggestion)
}

/// The tags of a document that the method removes once the gate has
/// PASSED ([`is_removed_after_passing`]), in document order.
pub fn cleanup_tags<'a>(a: &'a Analysis, registry: &Registry) -> Vec<&'a Tag> {
    a.tags
        .iter()
        .filter(|t| {
            registry
                .get(&t.name)
                .is_some_and(|d| is_removed_after_passing(d.family))
        })
        .collect()
}

/// The text to delete to take `tag` (with its continuation lines) out of
/// `text`: whole lines when they hold nothing but the comment, from the
/// comment marker to the end of the line when code comes first. `None` when
/// the tag shares its lines with other text in a way that a deletion would
/// damage (inside a block comment with code after it, say).
pub fn removal(text: &str, tag: &Tag) -> Option<TextRange> {
    let full = tag.full_range();
    let line_start = text[..full.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[full.end..]
        .find('\n')
        .map_or(text.len(), |i| full.end + i + 1);
    let lines = &text[line_start..line_end];
    let comment_only = lines.lines().all(|l| {
        let t = l.trim_start();
        (t.starts_with("//") || t.starts_with('#') || (t.starts_with('*') && !t.starts_with("*/")))
            && !t.contains("*/")
    });
    if comment_only {
        return Some(TextRange::new(line_start, line_end));
    }
    // `code(); // #TAG: x` on one line: drop the comment and the space before it.
    if tag.continuation.is_empty() {
        let head_line = &text[line_start..line_end];
        let hash_at = tag.name_range.start - line_start;
        let marker = head_line[..hash_at]
            .rfind("//")
            .or_else(|| head_line[..hash_at].rfind('#'))?;
        let between = &head_line[marker..hash_at];
        let only_marker = between.trim_start_matches(['/', '#']).trim().is_empty();
        if !only_marker {
            return None;
        }
        let start = line_start + head_line[..marker].trim_end().len();
        let end = line_start + head_line.trim_end_matches(['\n', '\r']).len();
        return Some(TextRange::new(start, end));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Document;
    use crate::syntax::Language;

    fn tags(lang: Language, text: &str) -> Vec<Tag> {
        let reg = Registry::builtin();
        Document::new(lang, text, &mut lang.parser(), &reg)
            .tags()
            .cloned()
            .collect()
    }

    #[test]
    fn whole_comment_lines_go_and_code_stays() {
        let text = "a();\n// #COMPLETION_DRIVE: x\n//   Description: y\nb(); // #VERIFIED: z\n/* #CARGO_CULT: w */ c();\n";
        let t = tags(Language::TypeScript, text);
        let r = removal(text, &t[0]).unwrap();
        assert_eq!(
            &text[r.start..r.end],
            "// #COMPLETION_DRIVE: x\n//   Description: y\n"
        );
        let r = removal(text, &t[1]).unwrap();
        assert_eq!(&text[r.start..r.end], " // #VERIFIED: z");
        assert_eq!(removal(text, &t[2]), None);
        let py = "x = 1\n# #CONTEXT_DEGRADED: from memory\n";
        let t = tags(Language::Python, py);
        let r = removal(py, &t[0]).unwrap();
        assert_eq!(&py[r.start..r.end], "# #CONTEXT_DEGRADED: from memory\n");
    }
}
