//! Finding tags in the text of comments.
//!
//! A comment is first reduced to its content lines (the text without `//`,
//! `#`, `/*`, `*/` or a JSDoc `*` gutter), each with its byte offset in the
//! document. A tag is `#NAME:` at a word boundary in a content line, where
//! `NAME` is upper-case letters, digits and underscores. Lines after it that
//! are indented deeper belong to it (`Description:`, `Verification:` ...).

use smol_str::SmolStr;

use crate::syntax::CommentStyle;
use crate::tags::Registry;
use crate::tags::due::{self, Due};
use crate::text::TextRange;

/// A tag found in a comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    /// The name without `#` and `:`. The strings of a tag are cheap to
    /// clone: a publish and a highlight copy every tag of the document.
    pub name: SmolStr,
    /// Whether the registry knows the name. Unknown names are reported with
    /// the closest known name, when there is one.
    pub known: bool,
    pub suggestion: Option<SmolStr>,
    /// `#NAME:`, colon included; with a due date, `#NAME[2026-03-01]:`.
    pub name_range: TextRange,
    /// The text after the colon on the tag's line, trimmed.
    pub payload: SmolStr,
    pub payload_range: TextRange,
    /// The lines indented under the tag.
    pub continuation: Vec<ContinuationLine>,
    /// The due date between brackets after the name
    /// (`#COMPLETION_DRIVE[2026-03-01]:`), read or not.
    pub due: Option<Due>,
}

impl Tag {
    /// From `#` to the end of the payload on the tag's own line.
    pub fn head_range(&self) -> TextRange {
        self.name_range.cover(self.payload_range)
    }

    /// The tag with all its continuation lines.
    pub fn full_range(&self) -> TextRange {
        self.continuation
            .iter()
            .fold(self.head_range(), |r, l| r.cover(l.range))
    }

    /// Moves every range by `delta` bytes.
    pub fn shift(&mut self, delta: isize) {
        let mv = |r: &mut TextRange| {
            r.start = r.start.saturating_add_signed(delta);
            r.end = r.end.saturating_add_signed(delta);
        };
        mv(&mut self.name_range);
        mv(&mut self.payload_range);
        if let Some(due) = &mut self.due {
            mv(&mut due.range);
        }
        for line in &mut self.continuation {
            mv(&mut line.range);
            if let Some(k) = &mut line.key {
                mv(k);
            }
        }
    }
}

/// A line that belongs to the tag above it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContinuationLine {
    /// The trimmed text of the line.
    pub text: SmolStr,
    pub range: TextRange,
    /// The `Key:` at the start of the line, such as `Description:`, colon
    /// included.
    pub key: Option<TextRange>,
}

/// One line of a comment's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentLine<'a> {
    pub text: &'a str,
    /// The byte offset of `text` in the document.
    pub offset: usize,
}

/// Splits a comment into content lines. `offset` is the comment's position in
/// the document.
pub fn content_lines(style: CommentStyle, comment: &str, offset: usize) -> Vec<ContentLine<'_>> {
    let mut out = Vec::new();
    match style {
        CommentStyle::Hash => hash_lines(&mut out, comment, offset),
        CommentStyle::CFamily => c_lines(&mut out, comment, offset),
        CommentStyle::CFamilyOrHash if comment.starts_with('#') => {
            hash_lines(&mut out, comment, offset)
        }
        CommentStyle::CFamilyOrHash => c_lines(&mut out, comment, offset),
        CommentStyle::Lua => lua_lines(&mut out, comment, offset),
        CommentStyle::Markup => {
            let (open, body) = match comment.strip_prefix("<!--") {
                Some(rest) => (4, rest.strip_suffix("-->").unwrap_or(rest)),
                None => (0, comment),
            };
            push_lines(&mut out, body, offset + open, false);
        }
    }
    out
}

/// Where `inner`, a slice of `outer`, starts in it.
fn start_in(outer: &str, inner: &str) -> usize {
    inner.as_ptr() as usize - outer.as_ptr() as usize
}

/// `// line`, `/// doc`, `//! inner doc`, `/* block */`, `/** doc */` and
/// `/*! inner doc */`.
fn c_lines<'a>(out: &mut Vec<ContentLine<'a>>, comment: &'a str, offset: usize) {
    if let Some(rest) = comment.strip_prefix("//") {
        // Rust's line comments hold their line break.
        let rest = rest.trim_start_matches('/').trim_end_matches(['\n', '\r']);
        let body = rest.strip_prefix('!').unwrap_or(rest);
        push_lines(out, body, offset + start_in(comment, body), false);
    } else if let Some(rest) = comment.strip_prefix("/*") {
        let rest = rest.strip_suffix("*/").unwrap_or(rest);
        let stars = rest.trim_start_matches('*');
        let body = stars.strip_prefix('!').unwrap_or(stars);
        push_lines(out, body, offset + 2 + (rest.len() - body.len()), true);
    } else {
        push_lines(out, comment, offset, false);
    }
}

/// `# line`, Ruby's `=begin` ... `=end` block, else a Python docstring.
fn hash_lines<'a>(out: &mut Vec<ContentLine<'a>>, comment: &'a str, offset: usize) {
    if let Some(body) = comment.strip_prefix('#') {
        push_lines(out, body, offset + 1, false);
    } else if let Some(rest) = comment.strip_prefix("=begin") {
        // `=end` starts the block's last line; what follows it on that line
        // is a comment too, but holds no content lines.
        let body = match rest.rfind("\n=end") {
            Some(end) => &rest[..end],
            None => rest,
        };
        push_lines(out, body, offset + "=begin".len(), false);
    } else {
        docstring_lines(out, comment, offset);
    }
}

/// Lua's `-- line` (and LuaDoc's `---`) and `--[[ block ]]`, `--[==[ block
/// ]==]` with any number of `=`.
fn lua_lines<'a>(out: &mut Vec<ContentLine<'a>>, comment: &'a str, offset: usize) {
    let Some(rest) = comment.strip_prefix("--") else {
        push_lines(out, comment, offset, false);
        return;
    };
    let level = rest
        .strip_prefix('[')
        .map(|r| r.bytes().take_while(|&b| b == b'=').count());
    if let Some(level) = level
        && rest.as_bytes().get(1 + level) == Some(&b'[')
    {
        let open = 2 + level + 2;
        let inner = &comment[open..];
        let close = format!("]{}]", "=".repeat(level));
        let body = inner.strip_suffix(close.as_str()).unwrap_or(inner);
        push_lines(out, body, offset + open, false);
    } else {
        let body = rest.trim_start_matches('-');
        push_lines(out, body, offset + start_in(comment, body), false);
    }
}

/// The lines of a Python docstring (`"""..."""`, `'''...'''`, `r"..."`):
/// the text between its quotes, each line after the first without the
/// indentation they all share (the closing quotes' line included), much as
/// Python's `inspect.cleandoc` reads it. A bytes or f-string is no
/// docstring and has no lines.
fn docstring_lines<'a>(out: &mut Vec<ContentLine<'a>>, string: &'a str, offset: usize) {
    let quoted = string.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let prefix = &string[..string.len() - quoted.len()];
    if !prefix.chars().all(|c| matches!(c, 'r' | 'R' | 'u' | 'U')) {
        return;
    }
    let quote = ["\"\"\"", "'''", "\"", "'"]
        .into_iter()
        .find(|q| quoted.starts_with(q));
    let Some(quote) = quote else {
        return;
    };
    let inner = &quoted[quote.len()..];
    // An unterminated string (while typing) still has its text read.
    let body = inner.strip_suffix(quote).unwrap_or(inner);
    let first = out.len();
    push_lines(out, body, offset + prefix.len() + quote.len(), false);
    // The closing quotes on a line of their own stand at the code's
    // indentation: lines indented deeper than that under a tag on the first
    // line are its continuation.
    let rest = out.get(first + 1..).unwrap_or_default();
    let closing = rest.last().filter(|l| l.text.trim().is_empty());
    let common = rest
        .iter()
        .filter(|l| !l.text.trim().is_empty())
        .chain(closing)
        .map(|l| blanks(l.text))
        .min()
        .unwrap_or(0);
    for line in out.iter_mut().skip(first + 1) {
        let cut = blanks(line.text).min(common);
        line.text = &line.text[cut..];
        line.offset += cut;
    }
}

/// The number of spaces and tabs a line starts with.
fn blanks(text: &str) -> usize {
    text.bytes()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count()
}

/// Pushes the lines of `body`, stripping a JSDoc `*` gutter from every line
/// but the first when `gutter` is set.
fn push_lines<'a>(out: &mut Vec<ContentLine<'a>>, body: &'a str, offset: usize, gutter: bool) {
    let mut start = 0;
    let bytes = body.as_bytes();
    let mut first = true;
    let mut i = 0;
    loop {
        let at_end = i >= bytes.len();
        if at_end || bytes[i] == b'\n' || bytes[i] == b'\r' {
            let mut text = &body[start..i];
            let mut line_off = offset + start;
            if gutter && !first {
                let trimmed = text.trim_start();
                if let Some(after) = trimmed.strip_prefix('*') {
                    line_off += text.len() - after.len();
                    text = after;
                }
            }
            out.push(ContentLine {
                text,
                offset: line_off,
            });
            if at_end {
                break;
            }
            if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            start = i + 1;
            first = false;
        }
        i += 1;
    }
}

/// A `#NAME:` found in a content line, before its payload is known.
struct Head {
    /// Offset of `#` within the line (of the name, for a tag written
    /// without `#`).
    hash: usize,
    /// Offset just after `:` within the line.
    after_colon: usize,
    name_start: usize,
    name_end: usize,
    /// The text between the brackets of a due date, within the line.
    due: Option<(usize, usize)>,
}

/// Tags the original kit also writes without `#`, at the start of a
/// comment: `// COMPLETION_DRIVE_SUGGESTION: ...`.
pub const BARE: &[&str] = &["COMPLETION_DRIVE_SUGGESTION"];

/// Finds tag heads in one content line.
///
/// A name of upper-case letters, digits and underscores is tag-shaped: it
/// is a tag whether the registry knows it or not (an unknown one is
/// reported). A name with lower-case letters is a tag only when the
/// registry holds it exactly as written (`#Potential_Issue:`), so that
/// `#include`, `#region`, `#Section:` and other ordinary text stay text.
fn heads(line: &str, registry: &Registry) -> Vec<Head> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let lead = line.len() - line.trim_start().len();
    if let Some(name) = BARE.iter().find(|n| {
        line[lead..]
            .strip_prefix(**n)
            .is_some_and(|rest| rest.starts_with(':') && !rest.starts_with("::"))
    }) && registry.get(name).is_some()
    {
        out.push(Head {
            hash: lead,
            after_colon: lead + name.len() + 1,
            name_start: lead,
            name_end: lead + name.len(),
            due: None,
        });
    }
    for hash in memchr::memchr_iter(b'#', bytes) {
        if !at_boundary(line, hash) {
            continue;
        }
        let name_start = hash + 1;
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        let name_end = name_start + name_len;
        if name_len < 2 || !bytes[name_start].is_ascii_alphabetic() {
            continue;
        }
        let name = &line[name_start..name_end];
        let registered = registry.get(name).is_some();
        // `#NAME[2026-03-01]:`: a due date. An unregistered name takes one
        // only when it is written as a date (`#COMPLETION_DIRVE[2026-...]:`
        // is a misspelt tag), so that `#ARRAY[i]:` stays text.
        let due = due_brackets(bytes, name_end)
            .filter(|(open, close)| registered || date_shaped(&bytes[*open..*close]));
        let colon = due.map_or(name_end, |(_, close)| close + 1);
        if bytes.get(colon) != Some(&b':') || bytes.get(colon + 1) == Some(&b':') {
            continue;
        }
        if !registered && (name.bytes().any(|b| b.is_ascii_lowercase()) || looks_like_colour(name))
        {
            continue;
        }
        out.push(Head {
            hash,
            after_colon: colon + 1,
            name_start,
            name_end,
            due,
        });
    }
    out
}

/// The text between `[` at `at` and the next `]` on the line, as
/// `(start, end)` offsets, when it is short enough to be a due date and
/// holds no other bracket.
pub(crate) fn due_brackets(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    if bytes.get(at) != Some(&b'[') {
        return None;
    }
    let open = at + 1;
    let len = bytes
        .get(open..)?
        .iter()
        .take(due::MAX_TEXT + 1)
        .position(|b| *b == b']')?;
    let inner = &bytes[open..open + len];
    (!inner.contains(&b'[')).then_some((open, open + len))
}

/// Four digits and a dash: the start of a date, however the rest is
/// written.
fn date_shaped(text: &[u8]) -> bool {
    text.len() > 4 && text[..4].iter().all(u8::is_ascii_digit) && text[4] == b'-'
}

/// A tag starts at the beginning of a line's content or after whitespace or
/// an opening bracket, never inside a word (`a#B:`), after another `#`, or
/// inside an inline code span (`` `#TAG:` ``).
fn at_boundary(line: &str, hash: usize) -> bool {
    match line[..hash].chars().next_back() {
        None => true,
        Some(c) => c.is_whitespace() || matches!(c, '(' | '[' | '{' | '*' | '-' | '>'),
    }
}

/// `#FFF`, `#FFFFFF` and friends are colours, even when a colon follows.
fn looks_like_colour(name: &str) -> bool {
    matches!(name.len(), 3 | 4 | 6 | 8) && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The width of a line's leading whitespace.
fn indent(text: &str) -> usize {
    text.len() - text.trim_start().len()
}

/// Finds the tags in a block of adjacent comments, given as content lines in
/// document order.
pub fn scan_lines(lines: &[ContentLine<'_>], registry: &Registry) -> Vec<Tag> {
    let mut tags: Vec<Tag> = Vec::new();
    // The indentation of the tag that may still take continuation lines.
    let mut open: Option<usize> = None;
    for line in lines {
        let found = heads(line.text, registry);
        if found.is_empty() {
            if let (Some(tag_indent), Some(tag)) = (open, tags.last_mut()) {
                let trimmed = line.text.trim();
                if !trimmed.is_empty() && indent(line.text) > tag_indent {
                    let start = line.offset + indent(line.text);
                    tag.continuation.push(ContinuationLine {
                        text: trimmed.into(),
                        range: TextRange::new(start, start + trimmed.len()),
                        key: field_key(trimmed).map(|len| TextRange::new(start, start + len)),
                    });
                    continue;
                }
            }
            open = None;
            continue;
        }
        for (i, head) in found.iter().enumerate() {
            let end = found.get(i + 1).map_or(line.text.len(), |next| next.hash);
            let raw = &line.text[head.after_colon..end];
            let payload = raw.trim();
            let payload_start = head.after_colon + (raw.len() - raw.trim_start().len());
            let name = &line.text[head.name_start..head.name_end];
            let known = registry.get(name).is_some();
            tags.push(Tag {
                name: name.into(),
                known,
                suggestion: if known {
                    None
                } else {
                    registry.closest(name).map(|d| d.name.as_str().into())
                },
                name_range: TextRange::new(line.offset + head.hash, line.offset + head.after_colon),
                payload: payload.into(),
                payload_range: TextRange::new(
                    line.offset + payload_start,
                    line.offset + payload_start + payload.len(),
                ),
                continuation: Vec::new(),
                due: head.due.map(|(open, close)| {
                    Due::read(
                        &line.text[open..close],
                        TextRange::new(line.offset + open, line.offset + close),
                    )
                }),
            });
        }
        open = Some(indent(line.text));
    }
    tags
}

/// The length of a `Key:` prefix such as `Description:` or `Lines affected:`.
fn field_key(line: &str) -> Option<usize> {
    let colon = line.find(':')?;
    let key = &line[..colon];
    let mut chars = key.chars();
    let first = chars.next()?;
    (first.is_ascii_uppercase()
        && key.len() <= 32
        && chars.all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '_' || c == '-'))
    .then_some(colon + 1)
}

/// Whether `bytes` may hold a tag, before any parse: `#NAME:` as
/// [`scan_lines`] finds it (a capital letter, then letters, digits or
/// underscores, a due date in brackets or none, and one colon; a registered
/// name may be written in mixed case), or a tag written without `#`
/// ([`BARE`]), whatever comment markers surround it and whatever the
/// registry holds (the answer is kept with the file's bytes in the scan
/// cache). `false` is certain; `true` only means that the file is to be
/// parsed.
pub fn may_hold_tag(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'#', bytes).any(|hash| {
        let start = hash + 1;
        let len = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        let end = start + len;
        // After a due date (`#NAME[2026-03-01]:`), the colon follows `]`.
        let colon = due_brackets(bytes, end).map_or(end, |(_, close)| close + 1);
        len >= 2
            && bytes[start].is_ascii_uppercase()
            && bytes.get(colon) == Some(&b':')
            && bytes.get(colon + 1) != Some(&b':')
    }) || BARE.iter().any(|name| {
        memchr::memmem::find_iter(bytes, name.as_bytes())
            .any(|at| bytes.get(at + name.len()) == Some(&b':'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(style: CommentStyle, comment: &str) -> Vec<Tag> {
        scan_lines(&content_lines(style, comment, 0), &Registry::builtin())
    }

    /// The tags of one comment as (name, payload, the text at the name's
    /// start), so that a position off by a marker shows.
    fn found(style: CommentStyle, comment: &str) -> Vec<(String, String, String)> {
        scan(style, comment)
            .into_iter()
            .map(|t| {
                let at = &comment[t.name_range.start..t.name_range.end];
                (t.name.to_string(), t.payload.to_string(), at.to_owned())
            })
            .collect()
    }

    #[test]
    fn every_comment_marker_is_stripped() {
        let cases: &[(CommentStyle, &str)] = &[
            (CommentStyle::CFamily, "/// #PATH_DECISION: p"),
            (CommentStyle::CFamily, "//! #PATH_DECISION: p\n"),
            (CommentStyle::CFamily, "//!#PATH_DECISION: p\n"),
            (CommentStyle::CFamily, "/*! #PATH_DECISION: p */"),
            (CommentStyle::CFamily, "/**\n * #PATH_DECISION: p\n */"),
            (
                CommentStyle::CFamily,
                "/// <summary>#PATH_DECISION: p</summary>",
            ),
            (CommentStyle::Hash, "# #PATH_DECISION: p"),
            (CommentStyle::Hash, "=begin\n#PATH_DECISION: p\n=end"),
            (CommentStyle::CFamilyOrHash, "# #PATH_DECISION: p"),
            (CommentStyle::CFamilyOrHash, "// #PATH_DECISION: p"),
            (CommentStyle::Lua, "-- #PATH_DECISION: p"),
            (CommentStyle::Lua, "--- #PATH_DECISION: p"),
            (CommentStyle::Lua, "--#PATH_DECISION: p"),
            (CommentStyle::Lua, "--[[\n#PATH_DECISION: p\n]]"),
            (CommentStyle::Lua, "--[==[ #PATH_DECISION: p ]==]"),
            (CommentStyle::Markup, "<!-- #PATH_DECISION: p -->"),
            (CommentStyle::Markup, "<!--#PATH_DECISION: p-->"),
        ];
        for (style, comment) in cases {
            let tags = found(*style, comment);
            assert_eq!(tags.len(), 1, "{comment:?}");
            let (name, payload, at) = &tags[0];
            assert_eq!(name, "PATH_DECISION", "{comment:?}");
            assert!(payload.starts_with('p'), "{comment:?}: {payload:?}");
            assert_eq!(at, "#PATH_DECISION:", "{comment:?}");
        }
        // The closing markers are not payload.
        assert_eq!(
            found(CommentStyle::Markup, "<!-- #PATH_DECISION: p -->")[0].1,
            "p"
        );
        assert_eq!(
            found(CommentStyle::Lua, "--[==[ #PATH_DECISION: p ]==]")[0].1,
            "p"
        );
        assert_eq!(
            found(CommentStyle::CFamily, "//! #PATH_DECISION: p\n")[0].1,
            "p"
        );
    }

    #[test]
    fn rust_doc_lines_keep_their_continuation() {
        // Each of Rust's line comments holds its line break.
        let first = "/// #COMPLETION_DRIVE: Assuming x\n";
        let second = "///   Description: why\n";
        let mut lines = content_lines(CommentStyle::CFamily, first, 0);
        lines.extend(content_lines(CommentStyle::CFamily, second, first.len()));
        let tags = scan_lines(&lines, &Registry::builtin());
        assert_eq!(tags.len(), 1);
        assert_eq!(tags[0].continuation.len(), 1);
        assert_eq!(tags[0].continuation[0].text, "Description: why");
    }

    #[test]
    fn hash_marked_non_tags_stay_text() {
        for comment in [
            "/* color: #333; background: #FFFFFF; */",
            "// #include <stdio.h>",
            "# #region Helpers",
            "<!-- #ABCDEF: a colour, not a tag -->",
        ] {
            let style = if comment.starts_with('#') {
                CommentStyle::Hash
            } else if comment.starts_with('<') {
                CommentStyle::Markup
            } else {
                CommentStyle::CFamily
            };
            assert!(scan(style, comment).is_empty(), "{comment:?}");
        }
    }

    #[test]
    fn line_comment_tag_with_payload() {
        let tags = scan(
            CommentStyle::CFamily,
            "// #COMPLETION_DRIVE: Assuming X exists ",
        );
        assert_eq!(tags.len(), 1);
        let t = &tags[0];
        assert_eq!(t.name, "COMPLETION_DRIVE");
        assert!(t.known);
        assert_eq!(t.payload, "Assuming X exists");
        assert_eq!(t.name_range, TextRange::new(3, 21));
        assert_eq!(t.payload_range, TextRange::new(22, 39));
    }

    #[test]
    fn jsdoc_block_with_continuation() {
        let c = "/**\n * #COMPLETION_DRIVE: Assuming X\n *   Description: why\n *   Verification: ls x\n * unrelated\n */";
        let tags = scan(CommentStyle::CFamily, c);
        assert_eq!(tags.len(), 1);
        let cont: Vec<_> = tags[0]
            .continuation
            .iter()
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(cont, ["Description: why", "Verification: ls x"]);
        let key = tags[0].continuation[0].key.unwrap();
        assert_eq!(&c[key.start..key.end], "Description:");
        let r = tags[0].continuation[1].range;
        assert_eq!(&c[r.start..r.end], "Verification: ls x");
    }

    #[test]
    fn python_hash_comment() {
        let tags = scan(
            CommentStyle::Hash,
            "# #PATH_DECISION: use sqlite #PATH_RATIONALE: small",
        );
        let names: Vec<_> = tags
            .iter()
            .map(|t| (t.name.as_str(), t.payload.as_str()))
            .collect();
        assert_eq!(
            names,
            [("PATH_DECISION", "use sqlite"), ("PATH_RATIONALE", "small")]
        );
    }

    #[test]
    fn non_tags() {
        for c in [
            "// color: #FFFFFF",
            "// #FFFFFF: white",
            "// #include <stdio.h>",
            "// see #123: fixed",
            "// #[derive(Debug)]",
            "// #!/bin/sh",
            "// a#COMPLETION_DRIVE: glued",
            "// `#COMPLETION_DRIVE:` in code",
            "// #COMPLETION_DRIVE without colon",
            "// #completion_drive: lower case",
            "// std#VERIFIED::x",
        ] {
            assert!(scan(CommentStyle::CFamily, c).is_empty(), "{c}");
        }
        // In Python the comment marker itself is not a tag.
        assert!(scan(CommentStyle::Hash, "#TODO: later").is_empty());
    }

    #[test]
    fn registered_mixed_case_names_are_tags_as_written() {
        let c = "// #Potential_Issue: rounding drifts";
        let tags = scan(CommentStyle::CFamily, c);
        assert_eq!(tags.len(), 1);
        assert_eq!(tags[0].name, "Potential_Issue");
        assert!(tags[0].known);
        assert_eq!(tags[0].payload, "rounding drifts");
        let r = tags[0].name_range;
        assert_eq!(&c[r.start..r.end], "#Potential_Issue:");
        assert!(may_hold_tag(c.as_bytes()));
        // Mixed-case words the registry does not hold, and a registered name
        // in the wrong case, are ordinary text, not even unknown tags.
        for c in [
            "// #potential_issue: wrong case",
            "// #Potential_issue: not the registered spelling",
            "// #Completion_Drive: not the registered spelling",
            "// #Region: folding",
            "// see https://x.dev/a#Section: for more",
            "// #include <stdio.h>",
            "// #region Setup",
            "// #pragma once",
            "// #define LIMIT 10",
            "// #fff: and #333: are colours",
        ] {
            assert!(scan(CommentStyle::CFamily, c).is_empty(), "{c}");
        }
        assert!(scan(CommentStyle::Hash, "# #pragma: no cover").is_empty());
    }

    #[test]
    fn the_suggestion_may_be_written_without_hash_at_the_start() {
        for (style, c) in [
            (
                CommentStyle::CFamily,
                "// COMPLETION_DRIVE_SUGGESTION: expire sessions",
            ),
            (
                CommentStyle::Hash,
                "# COMPLETION_DRIVE_SUGGESTION: expire sessions",
            ),
            (
                CommentStyle::CFamily,
                "/*\n * COMPLETION_DRIVE_SUGGESTION: expire sessions\n */",
            ),
        ] {
            let tags = scan(style, c);
            assert_eq!(tags.len(), 1, "{c}");
            assert_eq!(tags[0].name, "COMPLETION_DRIVE_SUGGESTION");
            assert_eq!(tags[0].payload, "expire sessions");
            let r = tags[0].name_range;
            assert_eq!(&c[r.start..r.end], "COMPLETION_DRIVE_SUGGESTION:");
            assert!(may_hold_tag(c.as_bytes()), "{c}");
        }
        // Only at the start of a line's text, and only that name.
        for c in [
            "// see COMPLETION_DRIVE_SUGGESTION: in the middle",
            "// COMPLETION_DRIVE: without its hash",
            "// COMPLETION_DRIVE_SUGGESTION without a colon",
        ] {
            assert!(scan(CommentStyle::CFamily, c).is_empty(), "{c}");
        }
    }

    #[test]
    fn unknown_tag_shapes_get_a_suggestion() {
        let tags = scan(CommentStyle::CFamily, "// #COMPLETION_DIRVE: typo");
        assert_eq!(tags.len(), 1);
        assert!(!tags[0].known);
        assert_eq!(tags[0].suggestion.as_deref(), Some("COMPLETION_DRIVE"));
        let tags = scan(CommentStyle::CFamily, "// #QUESTION_SUPPRESSION: custom");
        assert_eq!(tags[0].suggestion, None);
    }

    #[test]
    fn python_docstrings_are_read_between_their_quotes() {
        let tags = scan(
            CommentStyle::Hash,
            "\"\"\"#COMPLETION_DRIVE: Assuming X\"\"\"",
        );
        assert_eq!(tags[0].payload, "Assuming X");
        assert_eq!(tags[0].name_range, TextRange::new(3, 21));
        // Raw and single-quoted; the tag on an indented line, and the lines
        // under it that are indented deeper than the docstring's own text.
        let doc = "r'''Summary.\n\n    #PATH_DECISION: sqlite\n        Why: one writer\n    Not its line.\n    '''";
        let tags = scan(CommentStyle::Hash, doc);
        assert_eq!(tags.len(), 1);
        let r = tags[0].name_range;
        assert_eq!(&doc[r.start..r.end], "#PATH_DECISION:");
        let cont: Vec<_> = tags[0]
            .continuation
            .iter()
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(cont, ["Why: one writer"]);
        let r = tags[0].continuation[0].range;
        assert_eq!(&doc[r.start..r.end], "Why: one writer");
        assert_eq!(
            scan(CommentStyle::Hash, "'#VERIFIED: yes'")[0].payload,
            "yes"
        );
        // A bytes or f-string is no docstring.
        assert!(scan(CommentStyle::Hash, "b'#VERIFIED: yes'").is_empty());
        assert!(scan(CommentStyle::Hash, "f\"#VERIFIED: {x}\"").is_empty());
    }

    #[test]
    fn only_tag_shaped_text_may_hold_a_tag() {
        for text in [
            "x = 1  # #COMPLETION_DRIVE: a tag",
            "#TODO: at the comment marker",
            "//#CARGO_CULT: glued to the marker",
            "s = \"#COMPLETION_DRIVE: in a string\"",
            "# #AB:",
            "// #FFF: a colour, or a tag a registry may hold",
        ] {
            assert!(may_hold_tag(text.as_bytes()), "{text}");
        }
        for text in [
            "# Returns the value",
            "color: #FFFFFF;",
            "#include <stdio.h>",
            "see #123: fixed",
            "std#VERIFIED::x",
            "#A: one letter",
            "#todo: lower case",
            "COMPLETION_DRIVE_SUGGESTION without colon",
            "#COMPLETION_DRIVE without colon",
            "ends with #TAG",
        ] {
            assert!(!may_hold_tag(text.as_bytes()), "{text}");
        }
        // Every text the scanner finds a tag in may hold one.
        for c in [
            "// #COMPLETION_DRIVE: Assuming X exists ",
            "# #PATH_DECISION: use sqlite #PATH_RATIONALE: small",
            "/*\r\n #VERIFIED: yes\r\n   Note: a\r\n*/",
            "// #COMPLETION_DIRVE: typo",
        ] {
            let style = if c.starts_with('#') {
                CommentStyle::Hash
            } else {
                CommentStyle::CFamily
            };
            assert!(!scan(style, c).is_empty(), "{c}");
            assert!(may_hold_tag(c.as_bytes()), "{c}");
        }
    }

    /// The due date of the one tag in `comment`: the text under its range,
    /// and the date or why it is none.
    fn due_of(comment: &str) -> (String, Result<jiff::civil::Date, due::BadDate>) {
        let tags = scan(CommentStyle::CFamily, comment);
        assert_eq!(tags.len(), 1, "{comment}");
        let d = tags[0].due.clone().expect(comment);
        (comment[d.range.start..d.range.end].to_owned(), d.date)
    }

    #[test]
    fn a_due_date_stands_in_brackets_after_the_name() {
        let c = "// 日本語 #COMPLETION_DRIVE[2026-03-01]: Assuming the v1 API stays up";
        let tags = scan(CommentStyle::CFamily, c);
        assert_eq!(tags.len(), 1);
        let t = &tags[0];
        assert_eq!(t.name, "COMPLETION_DRIVE");
        assert!(t.known);
        assert_eq!(t.payload, "Assuming the v1 API stays up");
        let r = t.name_range;
        assert_eq!(&c[r.start..r.end], "#COMPLETION_DRIVE[2026-03-01]:");
        assert_eq!(
            due_of(c),
            ("2026-03-01".to_owned(), Ok(jiff::civil::date(2026, 3, 1)))
        );
        assert!(may_hold_tag(c.as_bytes()));
        assert!(crate::analysis::holds_tag_shape(c.as_bytes()));
        // Every registered tag takes one, in every family, mixed case and
        // the `#`-less form aside (it has no `#` to anchor a date).
        for name in [
            "PATH_DECISION",
            "FILE_CREATED",
            "CARGO_CULT",
            "Potential_Issue",
        ] {
            let c = format!("// #{name}[2030-12-31]: x");
            let tags = scan(CommentStyle::CFamily, &c);
            assert_eq!(tags.len(), 1, "{c}");
            assert_eq!(tags[0].name, name);
            assert!(tags[0].due.as_ref().unwrap().date.is_ok(), "{c}");
        }
        // Without brackets, no date.
        let tags = scan(
            CommentStyle::CFamily,
            "// #COMPLETION_DRIVE: [2026-03-01] later",
        );
        assert_eq!(tags[0].due, None);
        assert_eq!(tags[0].payload, "[2026-03-01] later");
        // Two tags on a line, each with its own date.
        let c = "# #PATH_DECISION[2030-01-01]: sqlite #PATH_RATIONALE[2031-01-01]: small";
        let tags = scan(CommentStyle::Hash, c);
        let dates: Vec<_> = tags
            .iter()
            .map(|t| t.due.as_ref().unwrap().date.clone().unwrap().year())
            .collect();
        assert_eq!(dates, [2030, 2031]);
        assert_eq!(tags[0].payload, "sqlite");
    }

    #[test]
    fn a_malformed_date_is_kept_with_its_place() {
        for (c, text, bad) in [
            (
                "// #COMPLETION_DRIVE[2026-13-45]: x",
                "2026-13-45",
                due::BadDate::NoSuchDay,
            ),
            (
                "// #COMPLETION_DRIVE[tomorrow]: x",
                "tomorrow",
                due::BadDate::NotADate,
            ),
            (
                "// #COMPLETION_DRIVE[2026-3-1]: x",
                "2026-3-1",
                due::BadDate::NotPadded {
                    padded: "2026-03-01".into(),
                },
            ),
            ("// #COMPLETION_DRIVE[]: x", "", due::BadDate::Empty),
        ] {
            assert_eq!(due_of(c), (text.to_owned(), Err(bad)), "{c}");
            assert!(may_hold_tag(c.as_bytes()), "{c}");
        }
        // A misspelt name with a date is an unknown tag, with its date.
        let tags = scan(CommentStyle::CFamily, "// #COMPLETION_DIRVE[2026-03-01]: x");
        assert!(!tags[0].known);
        assert!(tags[0].due.as_ref().unwrap().date.is_ok());
    }

    #[test]
    fn bracketed_text_that_is_no_due_date_stays_text() {
        for c in [
            "// #include <x>",
            "// arr[0]: the first",
            "// see [the docs](https://x.dev/#COMPLETION_DRIVE): here",
            "// [#COMPLETION_DRIVE](#x): a link",
            "// #ARRAY[i]: an index, not a date",
            "// #X[2026-03-01]: one letter",
            "// #COMPLETION_DRIVE[2026-03-01] no colon",
            "// #COMPLETION_DRIVE[2026-03-01]:: a path",
            "// #COMPLETION_DRIVE[2026-03-01: unclosed",
            "// #COMPLETION_DRIVE [2026-03-01]: a blank before it",
            "// #COMPLETION_DRIVE[[2026-03-01]]: nested",
            "// #FFFFFF[2026-03-01]: a colour",
            "// #completion_drive[2026-03-01]: lower case",
            "// #COMPLETION_DRIVE[a text far longer than any date could ever be]: x",
        ] {
            assert!(scan(CommentStyle::CFamily, c).is_empty(), "{c}");
        }
        assert!(!may_hold_tag(b"arr[0]: the first"));
        assert!(!may_hold_tag(b"#X[2026-03-01]: one letter"));
    }

    #[test]
    fn a_due_date_moves_with_its_tag() {
        let mut tags = scan(CommentStyle::CFamily, "// #VERIFIED[2026-03-01]: yes");
        let before = tags[0].due.as_ref().unwrap().range;
        tags[0].shift(5);
        let after = tags[0].due.as_ref().unwrap().range;
        assert_eq!((after.start, after.end), (before.start + 5, before.end + 5));
    }

    #[test]
    fn crlf_block_comment_lines() {
        let c = "/*\r\n #VERIFIED: yes\r\n   Note: a\r\n*/";
        let tags = scan(CommentStyle::CFamily, c);
        assert_eq!(tags[0].payload, "yes");
        let r = tags[0].continuation[0].range;
        assert_eq!(&c[r.start..r.end], "Note: a");
    }
}
