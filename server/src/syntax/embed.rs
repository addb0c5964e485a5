//! Code embedded in markup: the `<script>` and `<style>` elements of HTML,
//! Vue and Svelte files, parsed with their own grammars at their own place.
//!
//! The markup grammar leaves an element's content unparsed (`raw_text`).
//! Each such range whose language tagls knows is parsed on its own with
//! tree-sitter's mechanism for embedded languages
//! (`Parser::set_included_ranges`): the embedded tree's nodes carry byte
//! offsets of the whole file, so its comments and env reads need no
//! re-counting of positions. A `<script>` whose type is not code
//! (`application/json`, `text/template`) or a style sheet in a language
//! without a grammar here (`lang="sass"`, `lang="stylus"`) is left alone.

use std::cell::RefCell;

use tree_sitter::{Node, Parser, Tree};

use super::{CommentStyle, Language, Visit, preorder};
use crate::text::TextRange;

/// Whether `lang` is markup whose `<script>` and `<style>` elements hold code
/// of other languages.
pub fn is_host(lang: Language) -> bool {
    matches!(lang, Language::Html | Language::Vue | Language::Svelte)
}

/// The language whose env reads a host's scripts hold: the accessor words
/// of `process.env` and `import.meta.env` decide whether a host file is
/// parsed for them.
pub fn script_language(lang: Language) -> Option<Language> {
    is_host(lang).then_some(Language::JavaScript)
}

/// How a comment of `lang` whose text starts with `text` is written: in a
/// host, a comment that is not `<!-- -->` belongs to an embedded script or
/// style sheet, and all of those are written C-style. It depends on the
/// text alone, so a document rebuilt from cached comment ranges reads each
/// comment as the parse did.
pub fn comment_style(lang: Language, text: &str) -> CommentStyle {
    if is_host(lang) && !text.starts_with("<!--") {
        CommentStyle::CFamily
    } else {
        lang.comment_style()
    }
}

/// A `<script>` or `<style>` element's content in a language tagls parses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub lang: Language,
    pub range: tree_sitter::Range,
}

impl Region {
    pub fn bytes(&self) -> TextRange {
        TextRange::new(self.range.start_byte, self.range.end_byte)
    }
}

/// The embedded regions of a host's `tree`, in document order. `text`
/// returns the text of a byte range of the document (attribute values are
/// short).
pub fn regions(lang: Language, tree: &Tree, text: &dyn Fn(TextRange) -> String) -> Vec<Region> {
    if !is_host(lang) {
        return Vec::new();
    }
    let mut out = Vec::new();
    preorder(tree, |node| match node.kind() {
        kind @ ("script_element" | "style_element") => {
            let script = kind == "script_element";
            let content = children(node).find(|c| c.kind() == "raw_text");
            if let Some(content) = content
                && content.start_byte() < content.end_byte()
                && let Some(lang) = element_language(node, script, text)
            {
                out.push(Region {
                    lang,
                    range: content.range(),
                });
            }
            Visit::Skip
        }
        // Text and comments hold no element.
        "raw_text" | "text" | "comment" | "svelte_raw_text" => Visit::Skip,
        _ => Visit::Descend,
    });
    out
}

fn children<'t>(node: Node<'t>) -> impl Iterator<Item = Node<'t>> {
    (0..node.named_child_count()).filter_map(move |i| node.named_child(i as u32))
}

/// The language of a `<script>` (`script`) or `<style>` element, from its
/// `lang` and `type` attributes; `None` when its content is not code tagls
/// parses.
fn element_language(
    element: Node<'_>,
    script: bool,
    text: &dyn Fn(TextRange) -> String,
) -> Option<Language> {
    let mut lang_attr = None;
    let mut type_attr = None;
    if let Some(start) = children(element).find(|c| c.kind() == "start_tag") {
        for attr in children(start).filter(|c| c.kind() == "attribute") {
            let Some(name) = children(attr).find(|c| c.kind() == "attribute_name") else {
                continue;
            };
            let value = children(attr).find_map(|c| match c.kind() {
                "attribute_value" => Some(c),
                "quoted_attribute_value" => children(c).find(|v| v.kind() == "attribute_value"),
                _ => None,
            });
            let value = value
                .map(|v| text(TextRange::from(v.byte_range())))
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            match text(TextRange::from(name.byte_range()))
                .to_ascii_lowercase()
                .as_str()
            {
                "lang" => lang_attr = Some(value),
                "type" => type_attr = Some(value),
                _ => {}
            }
        }
    }
    // A `type` may carry parameters: `text/javascript; charset=utf-8`.
    let type_attr = type_attr.map(|t| t.split(';').next().unwrap_or("").trim().to_owned());
    if script {
        let by_type = match type_attr.as_deref() {
            None
            | Some(
                ""
                | "module"
                | "text/javascript"
                | "application/javascript"
                | "text/ecmascript"
                | "application/ecmascript"
                | "text/jsx"
                | "text/babel",
            ) => Some(Language::JavaScript),
            Some("text/typescript" | "application/typescript" | "ts" | "text/ts") => {
                Some(Language::TypeScript)
            }
            // JSON, import maps, templates, speculation rules: not code.
            Some(_) => None,
        };
        match lang_attr.as_deref() {
            None | Some("") => by_type,
            Some("js" | "javascript" | "jsx") => Some(Language::JavaScript),
            Some("ts" | "typescript") => Some(Language::TypeScript),
            Some("tsx") => Some(Language::Tsx),
            Some(_) => None,
        }
    } else {
        let by_type = match type_attr.as_deref() {
            None | Some("" | "text/css") => Some(Language::Css),
            Some(_) => None,
        };
        match lang_attr.as_deref() {
            None | Some("") => by_type,
            // The CSS grammar reads Less as it does in a `.less` file.
            Some("css" | "postcss" | "less") => Some(Language::Css),
            Some("scss") => Some(Language::Scss),
            // Indented Sass and Stylus have no grammar here.
            Some(_) => None,
        }
    }
}

thread_local! {
    /// One parser per embedded language and thread, made at first use.
    static PARSERS: RefCell<Vec<Option<Parser>>> =
        RefCell::new((0..Language::ALL.len()).map(|_| None).collect());
}

/// Parses `region` of a document, whose bytes `read` gives as
/// `Parser::parse_with_options` asks for them, reusing `old` (an earlier
/// tree of the same region, edited as the document was). `None` if the
/// parse failed.
pub fn parse<'a>(
    region: &Region,
    old: Option<&Tree>,
    read: &mut dyn FnMut(usize) -> &'a [u8],
) -> Option<Tree> {
    PARSERS.with(|parsers| {
        let mut parsers = parsers.borrow_mut();
        let parser = parsers
            .get_mut(region.lang as usize)?
            .get_or_insert_with(|| region.lang.parser());
        // The range comes from a tree of the same text: it is in order and
        // within it, which is all `set_included_ranges` checks.
        parser.set_included_ranges(&[region.range]).ok()?;
        let mut input = |byte: usize, _: tree_sitter::Point| read(byte);
        let tree = parser.parse_with_options(&mut input, old, None);
        parser.reset();
        tree
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(lang: Language, src: &str) -> Vec<(Language, &str)> {
        let tree = lang.parser().parse(src, None).unwrap();
        let text = |r: TextRange| src[r.start..r.end].to_owned();
        regions(lang, &tree, &text)
            .into_iter()
            .map(|r| (r.lang, &src[r.range.start_byte..r.range.end_byte]))
            .collect()
    }

    #[test]
    fn scripts_and_styles_by_their_type_and_lang() {
        let src = "<script>a</script>\n<script type=\"module\">b</script>\n\
                   <script type=\"text/typescript\">c</script>\n<script lang=\"ts\">d</script>\n\
                   <script type=\"application/json\">{}</script>\n<script type=text/template>e</script>\n\
                   <script type=\"importmap\">{}</script>\n<style>f</style>\n<style lang=\"scss\">g</style>\n\
                   <style lang=\"sass\">h</style>\n<script type=\"text/javascript; charset=utf-8\">i</script>\n\
                   <script src=\"x.js\"></script>\n";
        assert_eq!(
            found(Language::Html, src),
            [
                (Language::JavaScript, "a"),
                (Language::JavaScript, "b"),
                (Language::TypeScript, "c"),
                (Language::TypeScript, "d"),
                (Language::Css, "f"),
                (Language::Scss, "g"),
                (Language::JavaScript, "i"),
            ]
        );
    }

    #[test]
    fn vue_and_svelte_components() {
        let vue = "<template>\n  <p>{{ a }}</p>\n</template>\n<script setup lang=\"ts\">\nconst a = 1\n</script>\n<style scoped lang=\"scss\">\np { color: red }\n</style>\n";
        assert_eq!(
            found(Language::Vue, vue),
            [
                (Language::TypeScript, "\nconst a = 1\n"),
                (Language::Scss, "\np { color: red }\n"),
            ]
        );
        let svelte = "<script context=\"module\" lang=\"ts\">\nexport const x = 1\n</script>\n{#if a < b}\n<p>{a}</p>\n{/if}\n<style>\np { color: red }\n</style>\n";
        // The Svelte grammar reads its blocks; to the HTML grammar the
        // `<` of `{#if a < b}` would be an error.
        let tree = Language::Svelte.parser().parse(svelte, None).unwrap();
        assert!(!tree.root_node().has_error(), "{}", tree.root_node());
        assert_eq!(
            found(Language::Svelte, svelte),
            [
                (Language::TypeScript, "\nexport const x = 1\n"),
                (Language::Css, "\np { color: red }\n"),
            ]
        );
    }

    #[test]
    fn markup_is_parsed_never_lexed() {
        for lang in [Language::Html, Language::Vue, Language::Svelte] {
            assert!(is_host(lang));
            let src = "<!-- #A: x -->\n<script>// #B: y</script>\n";
            assert!(super::super::lex::comments(lang, src).is_none());
        }
        assert!(!is_host(Language::JavaScript));
    }

    #[test]
    fn an_embedded_tree_keeps_the_positions_of_the_file() {
        let src = "<p>日本語</p>\n<script>\n  // one\n  let s = '// not';\n</script>\n";
        let tree = Language::Html.parser().parse(src, None).unwrap();
        let text = |r: TextRange| src[r.start..r.end].to_owned();
        let region = regions(Language::Html, &tree, &text)[0];
        let bytes = src.as_bytes();
        let mut read = |at: usize| bytes.get(at..).unwrap_or(&[]);
        let js = parse(&region, None, &mut read).unwrap();
        let comments: Vec<&str> = super::super::comments_in(Language::JavaScript, &js, None)
            .iter()
            .map(|r| &src[r.start..r.end])
            .collect();
        assert_eq!(comments, ["// one"]);
    }
}
