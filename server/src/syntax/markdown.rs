//! Markdown: the one CommonMark parse tagls reads Markdown with (the log,
//! plans, and ordinary Markdown files), and where the comments of ordinary
//! Markdown are: its HTML comments (`<!-- #COMPLETION_DRIVE: ... -->`).
//! Prose, headings, code spans, fenced and indented code, and link
//! fragments (`#section`) are text, never comments.

use pulldown_cmark::{Event, Options, Parser, Tag as MdTag, TagEnd};

use crate::text::TextRange;

/// The events of `text` with their byte ranges, as tagls parses Markdown
/// everywhere: CommonMark with tables, strikethrough and task lists.
pub fn events(text: &str) -> pulldown_cmark::OffsetIter<'_> {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    Parser::new_ext(text, options).into_offset_iter()
}

/// The byte ranges of the HTML comments of `text`, `<!--` to `-->`
/// included, in document order: in HTML blocks (a comment may run over
/// several lines) and inline. An unclosed comment runs to the end of its
/// HTML.
pub fn html_comments(text: &str) -> Vec<TextRange> {
    // The HTML the parser saw: a block's lines are joined into one range.
    let mut html: Vec<TextRange> = Vec::new();
    let mut block: Option<TextRange> = None;
    for (event, range) in events(text) {
        let range = TextRange::new(range.start, range.end);
        match event {
            Event::Start(MdTag::HtmlBlock) => block = Some(range),
            Event::End(TagEnd::HtmlBlock) => html.extend(block.take()),
            Event::Html(_) => {
                block = Some(block.map_or(range, |b| b.cover(range)));
            }
            Event::InlineHtml(_) => html.push(range),
            _ => {}
        }
    }
    html.extend(block);
    let mut out = Vec::new();
    for r in html {
        let Some(part) = text.get(r.start..r.end) else {
            continue;
        };
        let mut at = 0;
        while let Some(open) = part[at..].find("<!--") {
            let start = at + open;
            let end = part[start + 4..]
                .find("-->")
                .map_or(part.len(), |close| start + 4 + close + 3);
            out.push(TextRange::new(r.start + start, r.start + end));
            at = end;
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comments(text: &str) -> Vec<&str> {
        html_comments(text)
            .into_iter()
            .map(|r| &text[r.start..r.end])
            .collect()
    }

    #[test]
    fn only_html_comments_are_comments() {
        let text = "# <b>heading</b> #COMPLETION_DRIVE: no\n\n\
                    日本語 prose, see [x](#PATH_DECISION)\n\n\
                    <!-- block -->\n\n\
                    Text <!-- inline --> more `<!-- code span -->`\n\n\
                    ```html\n<!-- fenced -->\n```\n\n\
                    <!--\n  multi\n  line\n-->\n\n\
                    \u{20}\u{20}\u{20}\u{20}<!-- indented code -->\n\n\
                    <div>\n<!-- one --><!-- two -->\n</div>\n";
        assert_eq!(
            comments(text),
            [
                "<!-- block -->",
                "<!-- inline -->",
                "<!--\n  multi\n  line\n-->",
                "<!-- one -->",
                "<!-- two -->"
            ]
        );
    }
}
