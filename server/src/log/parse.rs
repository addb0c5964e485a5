//! Parsing the log: tags in prose only, with their fields and sections.
//!
//! The log is CommonMark. Its own examples (fenced or indented code blocks,
//! inline code, HTML comments) are not claims, so a tag counts only where
//! the Markdown parser sees prose. Tags and their indented continuation
//! lines are found by the same scanner that reads code comments, over the
//! raw lines of the log, and then filtered by what the parser saw: that
//! way `  Lines affected: 8, 102-115` under a tag is a field in the log
//! exactly as it is in a comment.

use pulldown_cmark::{Event, Tag as MdTag, TagEnd};

use crate::tags::scan::{ContentLine, ContinuationLine, scan_lines};
use crate::tags::{Family, Registry, Tag};
use crate::text::TextRange;

/// A parsed log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogDoc {
    pub entries: Vec<Entry>,
    pub sections: Vec<Section>,
}

/// A heading and the text it governs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// The heading's text, without `#` marks: `Files Created`.
    pub title: String,
    pub level: u8,
    /// The heading line.
    pub heading: TextRange,
    /// Where the section's content ends: the next heading of the same or a
    /// higher level, or the end of the text.
    pub end: usize,
}

/// A tag in the log's prose with its continuation fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub tag: Tag,
    /// The tag's family in the registry the log was parsed with; `None`
    /// for a name the registry does not know.
    pub family: Option<Family>,
    /// Index into [`LogDoc::sections`] of the innermost section holding it.
    pub section: Option<usize>,
}

impl Entry {
    /// The continuation line whose key is `key` (case-insensitive, without
    /// the colon), such as `Lines affected`. `Lines` and `Lines affected`
    /// name the same field, since the method's logs write both.
    pub fn field(&self, key: &str) -> Option<&ContinuationLine> {
        self.fields(key).next()
    }

    /// Every continuation line whose key is `key`, in order: an entry may
    /// carry several `Verification:` lines.
    pub fn fields<'a>(&'a self, key: &str) -> impl Iterator<Item = &'a ContinuationLine> + 'a {
        let want = canonical_key(key);
        self.tag
            .continuation
            .iter()
            .filter(move |line| line_key(line).is_some_and(|k| canonical_key(k) == want))
    }
}

/// The key of a continuation line without its colon: `Lines affected`.
pub fn line_key(line: &ContinuationLine) -> Option<&str> {
    let key = line.key?;
    line.text
        .get(..key.len())
        .map(|k| k.trim_end_matches(':').trim())
}

/// The text of a continuation line after its key, trimmed: `8, 102-115`.
pub fn field_value(line: &ContinuationLine) -> &str {
    let key_len = line.key.map_or(0, TextRange::len);
    line.text.get(key_len..).unwrap_or("").trim()
}

/// The byte offset in the log where [`field_value`] starts.
pub fn field_value_offset(line: &ContinuationLine) -> usize {
    let key_len = line.key.map_or(0, TextRange::len);
    let rest = line.text.get(key_len..).unwrap_or("");
    line.range.start + key_len + (rest.len() - rest.trim_start().len())
}

/// A key folded for comparison, with `Lines` as an alias of `Lines affected`.
fn canonical_key(key: &str) -> String {
    let folded = key
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    if folded == "lines" {
        "lines affected".to_owned()
    } else {
        folded
    }
}

/// Parses a log.
pub fn parse(text: &str, registry: &Registry) -> LogDoc {
    let md = markdown_spans(text);
    let (plain, heads) = without_markup(text);
    let lines = raw_lines(&plain);
    let mut entries = Vec::new();
    for mut tag in scan_lines(&lines, registry) {
        if !contains(&md.text, tag.name_range.start) {
            continue;
        }
        // The tag's name as written: `#FILE_MODIFIED**:` or, in a table,
        // `#FILE_CREATED`.
        if let Ok(i) = heads.binary_search_by_key(&tag.name_range.start, |h| h.0) {
            tag.name_range.end = heads[i].1;
        }
        // A continuation line that starts in a code block or an HTML comment
        // is an example, not a field of the tag.
        // A list item (`- Line 12: ...`) starts with its marker, which is
        // not text: its text starts after it.
        tag.continuation.retain(|line| {
            let item = line
                .text
                .strip_prefix(['-', '*', '+'])
                .filter(|rest| rest.starts_with(' '))
                .map_or(0, |rest| line.text.len() - rest.trim_start().len());
            let at = line.range.start + item;
            contains(&md.text, at) || contains(&md.code, line.range.start)
        });
        let section = innermost_section(&md.sections, tag.name_range.start);
        let family = registry.get(&tag.name).map(|d| d.family);
        entries.push(Entry {
            tag,
            family,
            section,
        });
    }
    LogDoc {
        entries,
        sections: md.sections,
    }
}

/// The log with the Markdown around its tags blanked out, so that a claim
/// in bold or in a table reads as the plain form: `**#FILE_CREATED:**
/// src/a.ts`, `- **#FILE_MODIFIED**: src/b.ts` and the table row
/// `| #FILE_CREATED | src/a.ts | 12 lines |` read as `#FILE_CREATED:
/// src/a.ts (12 lines)` does. Only ASCII marks are replaced, by spaces or
/// the colon moved next to the name, so every offset stays that of the
/// log. With it, where each changed tag's name ends in the log, by the
/// offset of its `#`, in order.
fn without_markup(text: &str) -> (std::borrow::Cow<'_, str>, Vec<(usize, usize)>) {
    let bytes = text.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    let mut heads = Vec::new();
    let is_mark = |b: u8| b == b'*' || b == b'_';
    // Letters of both cases: a registered name may be in mixed case
    // (`**#Potential_Issue:**`); the scanner decides what is a tag.
    let is_name = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let lb = line.as_bytes();
        let table = line.trim_start().starts_with('|');
        for hash in memchr::memchr_iter(b'#', lb) {
            // `**#NAME` or `| #NAME`: marks, then a boundary.
            let mut lead = hash;
            while lead > 0 && is_mark(lb[lead - 1]) {
                lead -= 1;
            }
            let before = lb[..lead].last().copied();
            let in_cell = table && lb[..lead].trim_ascii_end().last() == Some(&b'|');
            let boundary = before.is_none_or(|b| b.is_ascii_whitespace() || b"|->([".contains(&b));
            if !(lead < hash || in_cell) || !boundary {
                continue;
            }
            let name_len = lb[hash + 1..].iter().take_while(|b| is_name(b)).count();
            let name_end = hash + 1 + name_len;
            if name_len < 2 || !lb[hash + 1].is_ascii_uppercase() {
                continue;
            }
            // The name may end in `_`, and so may an `__` mark: the marks
            // that close are the ones that opened.
            let marks = hash - lead;
            let (name_end, closing) = {
                let mut end = name_end;
                let mut k = 0;
                while k < marks && end > hash + 2 && lb[end - 1] == b'_' && lb[lead] == b'_' {
                    end -= 1;
                    k += 1;
                }
                (end, k)
            };
            let mut at = name_end + closing;
            while at < lb.len() && is_mark(lb[at]) && at < name_end + marks.max(closing) {
                at += 1;
            }
            if at == name_end && lead == hash && !in_cell {
                // The plain form: nothing to change.
                continue;
            }
            let buf = out.get_or_insert_with(|| bytes.to_vec());
            let base = line_start;
            let blank = |buf: &mut Vec<u8>, from: usize, to: usize| {
                for b in &mut buf[base + from..base + to] {
                    *b = b' ';
                }
            };
            let written_end = if lb.get(at) == Some(&b':') {
                // `**#NAME**:` or `**#NAME:**`: the colon next to the name,
                // then any marks after it blanked.
                let mut end = at + 1;
                while end < lb.len() && is_mark(lb[end]) && end < at + 1 + marks {
                    end += 1;
                }
                if in_cell {
                    end += lb[end..].iter().take_while(|b| **b == b' ').count();
                    end += usize::from(lb.get(end) == Some(&b'|'));
                }
                blank(buf, lead, hash);
                blank(buf, name_end, end);
                at + 1
            } else if in_cell {
                // `| #NAME |`: the cell's end becomes the colon.
                let gap = lb[at..]
                    .iter()
                    .take_while(|b| **b == b' ' || **b == b'\t')
                    .count();
                if lb.get(at + gap) != Some(&b'|') {
                    continue;
                }
                blank(buf, lead, hash);
                blank(buf, name_end, at + gap + 1);
                name_end
            } else {
                continue;
            };
            buf[base + name_end] = b':';
            // The cells after the tag's are its payload.
            if in_cell {
                for i in name_end..lb.len() {
                    if lb[i] == b'|' && lb[i - 1] != b'\\' {
                        buf[base + i] = b' ';
                    }
                }
            }
            heads.push((base + hash, base + written_end));
        }
        line_start += line.len();
    }
    match out {
        // Only ASCII bytes were replaced by ASCII bytes.
        Some(buf) => (
            std::borrow::Cow::Owned(String::from_utf8(buf).unwrap_or_else(|_| text.to_owned())),
            heads,
        ),
        None => (std::borrow::Cow::Borrowed(text), heads),
    }
}

/// What the Markdown parser saw, as sorted byte ranges.
struct Spans {
    /// Text events outside code blocks: prose.
    text: Vec<TextRange>,
    /// Inline code spans, which may hold a field's value (`` `ls x` ``) but
    /// never a tag.
    code: Vec<TextRange>,
    sections: Vec<Section>,
}

fn markdown_spans(text: &str) -> Spans {
    let mut spans = Spans {
        text: Vec::new(),
        code: Vec::new(),
        sections: Vec::new(),
    };
    // Code blocks do not nest, but a counter is as cheap as a flag and
    // cannot be confused by an unbalanced event stream.
    let mut in_code_block = 0usize;
    // The heading being read: its level, range and title so far.
    let mut heading: Option<(u8, TextRange, String)> = None;
    for (event, range) in crate::syntax::markdown::events(text) {
        match event {
            Event::Start(MdTag::CodeBlock(_)) => in_code_block += 1,
            Event::End(TagEnd::CodeBlock) => in_code_block = in_code_block.saturating_sub(1),
            Event::Start(MdTag::Heading { level, .. }) => {
                heading = Some((
                    level as u8,
                    trim_line_end(text, range.into()),
                    String::new(),
                ));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, range, title)) = heading.take() {
                    spans.sections.push(Section {
                        title: title.trim().to_owned(),
                        level,
                        heading: range,
                        end: text.len(),
                    });
                }
            }
            Event::Text(t) if in_code_block == 0 => {
                spans.text.push(range.into());
                if let Some((_, _, title)) = &mut heading {
                    title.push_str(&t);
                }
            }
            Event::Code(t) => {
                spans.code.push(range.into());
                if let Some((_, _, title)) = &mut heading {
                    title.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some((_, _, title)) = &mut heading {
                    title.push(' ');
                }
            }
            _ => {}
        }
    }
    // A section ends where the next heading of the same or a higher level
    // starts.
    let starts: Vec<(u8, usize)> = spans
        .sections
        .iter()
        .map(|s| (s.level, s.heading.start))
        .collect();
    for (i, section) in spans.sections.iter_mut().enumerate() {
        if let Some((_, start)) = starts[i + 1..]
            .iter()
            .find(|(level, _)| *level <= section.level)
        {
            section.end = *start;
        }
    }
    spans.text.sort_unstable();
    spans.code.sort_unstable();
    spans
}

/// `range` without the line break the parser includes in a heading's range.
fn trim_line_end(text: &str, range: TextRange) -> TextRange {
    let slice = text.get(range.start..range.end).unwrap_or("");
    let trimmed = slice.trim_end_matches(['\r', '\n']);
    TextRange::new(range.start, range.start + trimmed.len())
}

/// Whether `offset` lies in one of the sorted, disjoint `ranges`.
fn contains(ranges: &[TextRange], offset: usize) -> bool {
    let i = ranges.partition_point(|r| r.start <= offset);
    i > 0 && offset < ranges[i - 1].end
}

/// The innermost section whose content holds `offset`: sections nest in
/// document order, so it is the last one that started before `offset` and
/// has not ended.
fn innermost_section(sections: &[Section], offset: usize) -> Option<usize> {
    sections
        .iter()
        .enumerate()
        .rev()
        .find(|(_, s)| s.heading.start <= offset && offset < s.end)
        .map(|(i, _)| i)
}

/// The log's lines with their byte offsets. Lines break at `\n`, `\r\n` and
/// a lone `\r`, as CommonMark breaks them; a byte-order mark is not text.
fn raw_lines(text: &str) -> Vec<ContentLine<'_>> {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = bom;
    let mut i = bom;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' | b'\r' => {
                out.push(ContentLine {
                    text: &text[start..i],
                    offset: start,
                });
                if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < bytes.len() {
        out.push(ContentLine {
            text: &text[start..],
            offset: start,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> LogDoc {
        parse(text, &Registry::builtin())
    }

    fn names(log: &LogDoc) -> Vec<(&str, &str)> {
        log.entries
            .iter()
            .map(|e| (e.tag.name.as_str(), e.tag.payload.as_str()))
            .collect()
    }

    #[test]
    fn examples_in_code_and_html_are_not_tags() {
        let text = "\
# Log

#FILE_CREATED: src/real.ts (3 lines)

```markdown
#FILE_CREATED: src/fenced.ts (3 lines)
```

    #FILE_CREATED: src/indented.ts

Write claims like `#FILE_CREATED: src/inline.ts` in prose.

<!-- #FILE_CREATED: src/comment.ts -->

Text <!-- #VERIFIED: inline html --> after.

~~~
#SCREENSHOT_CLAIMED: tilde.png
~~~
";
        assert_eq!(
            names(&doc(text)),
            [("FILE_CREATED", "src/real.ts (3 lines)")]
        );
    }

    #[test]
    fn claims_in_bold_or_in_a_table_read_as_the_plain_form() {
        let text = "\
# Log

**#FILE_CREATED:** src/a.ts (12 lines)
- **#FILE_MODIFIED**: `src/b.ts`
  Lines affected: 3-4
__#FILE_CREATED__: src/c.ts

| Tag | File | Lines |
|-----|------|-------|
| #FILE_CREATED | src/d.ts | 12 lines |
| **#FILE_MODIFIED:** | `src/e.ts` | |

Plain prose with **bold** and #FILE_CREATED: src/f.ts (1 lines)
";
        let log = doc(text);
        assert_eq!(
            names(&log),
            [
                ("FILE_CREATED", "src/a.ts (12 lines)"),
                ("FILE_MODIFIED", "`src/b.ts`"),
                ("FILE_CREATED", "src/c.ts"),
                ("FILE_CREATED", "src/d.ts   12 lines"),
                ("FILE_MODIFIED", "`src/e.ts`"),
                ("FILE_CREATED", "src/f.ts (1 lines)"),
            ]
        );
        let written: Vec<&str> = log
            .entries
            .iter()
            .map(|e| &text[e.tag.name_range.start..e.tag.name_range.end])
            .collect();
        assert_eq!(
            written,
            [
                "#FILE_CREATED:",
                "#FILE_MODIFIED**:",
                "#FILE_CREATED__:",
                "#FILE_CREATED",
                "#FILE_MODIFIED:",
                "#FILE_CREATED:"
            ]
        );
        // Payloads and fields keep their places in the log.
        let e = &log.entries[0];
        let r = e.tag.payload_range;
        assert_eq!(&text[r.start..r.end], "src/a.ts (12 lines)");
        let lines = log.entries[1].field("Lines affected").unwrap();
        assert_eq!(
            &text[lines.range.start..lines.range.end],
            "Lines affected: 3-4"
        );
        // Emphasis that is not around a tag, and a tag in inline code, stay.
        let log = doc("**Note**: `**#FILE_CREATED:** x` is an example\n");
        assert!(log.entries.is_empty());
    }

    #[test]
    fn a_tag_in_a_list_item_counts() {
        let log = doc(
            "## Files\n\n- #FILE_CREATED: x (1 line)\n  Description: a file\n* #FILE_MODIFIED: y\n",
        );
        assert_eq!(
            names(&log),
            [("FILE_CREATED", "x (1 line)"), ("FILE_MODIFIED", "y")]
        );
        assert_eq!(
            log.entries[0].field("description").map(field_value),
            Some("a file")
        );
        assert_eq!(log.entries[1].section, Some(0));
    }

    #[test]
    fn sections_nest_and_end() {
        let text = "\
# Implementation log
intro
## Files Created
#FILE_CREATED: a.ts
### Details
#FILE_CREATED: b.ts

Evidence Captured
-----------------
#SCREENSHOT_CLAIMED: shot.png
";
        let log = doc(text);
        let titles: Vec<_> = log
            .sections
            .iter()
            .map(|s| (s.title.as_str(), s.level))
            .collect();
        assert_eq!(
            titles,
            [
                ("Implementation log", 1),
                ("Files Created", 2),
                ("Details", 3),
                ("Evidence Captured", 2)
            ]
        );
        let setext = &log.sections[3];
        assert_eq!(
            &text[setext.heading.start..setext.heading.end],
            "Evidence Captured\n-----------------"
        );
        assert_eq!(
            &text[log.sections[1].heading.start..log.sections[1].heading.end],
            "## Files Created"
        );
        assert_eq!(log.sections[0].end, text.len());
        assert_eq!(log.sections[1].end, setext.heading.start);
        assert_eq!(log.sections[2].end, setext.heading.start);
        assert_eq!(setext.end, text.len());
        let sections: Vec<_> = log.entries.iter().map(|e| e.section).collect();
        assert_eq!(sections, [Some(1), Some(2), Some(3)]);
        // Before any heading, an entry has no section.
        assert_eq!(doc("#FILE_CREATED: a\n# H\n").entries[0].section, None);
    }

    #[test]
    fn fields_by_key_with_the_lines_alias() {
        let text = "\
#FILE_MODIFIED: src/x.ts
  Description: Added login
  Lines: 8, 102-115
  Verification: ls src/x.ts
  Verification: `grep -n \"login\" src/x.ts`
";
        let log = doc(text);
        let e = &log.entries[0];
        let lines = e.field("Lines affected").map(field_value);
        assert_eq!(lines, Some("8, 102-115"));
        assert_eq!(e.field("LINES").map(field_value), Some("8, 102-115"));
        let v: Vec<_> = e.fields("verification").map(field_value).collect();
        assert_eq!(v, ["ls src/x.ts", "`grep -n \"login\" src/x.ts`"]);
        let line = e.field("lines affected").map(field_value_offset);
        assert_eq!(line.map(|o| &text[o..o + 10]), Some("8, 102-115"));
        assert!(e.field("Missing").is_none());
    }

    #[test]
    fn continuation_lines_in_code_are_dropped() {
        let text = "\
- #FILE_CREATED: a.ts
  Description: real
  ```
  Verification: rm -rf /
  ```
";
        let log = doc(text);
        let cont: Vec<_> = log.entries[0]
            .tag
            .continuation
            .iter()
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(cont, ["Description: real"]);
    }

    #[test]
    fn crlf_logs() {
        let text = "## Files Created\r\n#FILE_CREATED: src/a.ts (2 lines)\r\n  Lines affected: 1-2\r\n\r\n```\r\n#FILE_CREATED: no.ts\r\n```\r\n";
        let log = doc(text);
        assert_eq!(names(&log), [("FILE_CREATED", "src/a.ts (2 lines)")]);
        let e = &log.entries[0];
        let r = e.tag.payload_range;
        assert_eq!(&text[r.start..r.end], "src/a.ts (2 lines)");
        let field = e.field("Lines").map(|l| l.range);
        assert_eq!(
            field.map(|r| &text[r.start..r.end]),
            Some("Lines affected: 1-2")
        );
        assert_eq!(log.sections[0].title, "Files Created");
        let h = log.sections[0].heading;
        assert_eq!(&text[h.start..h.end], "## Files Created");
    }

    #[test]
    fn multibyte_text_before_tags_keeps_offsets() {
        let text = "日本語 🎉 𝄞\n\n#FILE_CREATED: `src/ü.ts` (1 line)\n";
        let log = doc(text);
        let r = log.entries[0].tag.payload_range;
        assert_eq!(&text[r.start..r.end], "`src/ü.ts` (1 line)");
    }
}
