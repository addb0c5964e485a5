//! An open document: its text, its syntax tree and the tags in its comments,
//! kept current edit by edit.
//!
//! Each edit updates the rope, tells the tree about it (`Tree::edit`) and
//! shifts the comment blocks after it. One reparse per batch of edits reuses
//! the old tree, and only the comment blocks in the ranges tree-sitter reports
//! as changed (plus the edited text itself) are scanned again.

use ropey::Rope;
use tree_sitter::{InputEdit, Parser, Point, Tree};

use crate::syntax::embed::{self, Region};
use crate::syntax::env::{EnvUse, env_uses_in};
use crate::syntax::{self, Language};
use crate::tags::scan::{content_lines, scan_lines};
use crate::tags::{Registry, Tag};
use crate::text::{Encoding, LineCol, TextRange, pos};

/// Adjacent comments, with the tags found in them. Comments are adjacent when
/// only whitespace and at most one line break separate them, so a run of `//`
/// lines is one block and a tag's continuation lines can follow it there.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Block {
    comments: Vec<TextRange>,
    tags: Vec<Tag>,
    /// `tagls: ignore-next-line` / `tagls: ignore-file` in the block, at
    /// their offsets.
    suppressions: Vec<(Suppression, usize)>,
}

/// An inline suppression comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suppression {
    /// `tagls: ignore-next-line`: nothing is reported on the next line.
    NextLine,
    /// `tagls: ignore-file`: nothing is reported in the file.
    File,
}

impl Block {
    fn range(&self) -> TextRange {
        // A block always holds at least one comment.
        let first = self.comments.first().copied().unwrap_or_default();
        let last = self.comments.last().copied().unwrap_or_default();
        first.cover(last)
    }

    fn shift(&mut self, delta: isize) {
        for c in &mut self.comments {
            c.start = c.start.saturating_add_signed(delta);
            c.end = c.end.saturating_add_signed(delta);
        }
        for t in &mut self.tags {
            t.shift(delta);
        }
        for (_, at) in &mut self.suppressions {
            *at = at.saturating_add_signed(delta);
        }
    }
}

/// What [`Document::syntax_parts`] keeps of a parse.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyntaxParts {
    /// In document order.
    pub comments: Vec<TextRange>,
    pub env_uses: Vec<EnvUse>,
}

/// Code embedded in a markup document (a `<script>` or a `<style>`), with
/// its own tree: its nodes carry the document's byte offsets.
#[derive(Clone)]
struct Embedded {
    region: Region,
    tree: Tree,
}

impl Embedded {
    /// Where its tree says it is, after the edits since its parse.
    fn extent(&self) -> Option<TextRange> {
        let r = self.tree.included_ranges().into_iter().next()?;
        Some(TextRange::new(r.start_byte, r.end_byte))
    }
}

/// A parsed document.
#[derive(Clone)]
pub struct Document {
    lang: Language,
    rope: Rope,
    tree: Option<Tree>,
    /// The embedded code of markup (`syntax::embed`), in document order.
    embedded: Vec<Embedded>,
    blocks: Vec<Block>,
    /// Environment variables the code reads, in document order.
    env_uses: Vec<EnvUse>,
    /// The text edited since the last reparse, in current coordinates.
    dirty: Option<TextRange>,
    /// Whether the next reparse must start from scratch.
    full: bool,
}

impl Document {
    /// Parses `text` and finds its tags.
    pub fn new(lang: Language, text: &str, parser: &mut Parser, registry: &Registry) -> Document {
        let mut doc = Document {
            lang,
            rope: Rope::from_str(text),
            tree: None,
            embedded: Vec::new(),
            blocks: Vec::new(),
            env_uses: Vec::new(),
            dirty: None,
            full: true,
        };
        doc.reparse(parser, registry);
        doc
    }

    /// What the parse of this text found that a tag scan needs again: the
    /// comments of every block that can hold a tag or a suppression (some
    /// comment in it has `#` before a capital letter, a tag written without
    /// `#`, or `tagls:`), and the
    /// env reads. It depends on the language and the text alone, so it can
    /// be kept for an unchanged file ([`Document::from_parts`]).
    pub fn syntax_parts(&self) -> SyntaxParts {
        let bytes = |r: TextRange| crate::text::aligned_slice(&self.rope, r.start..r.end);
        let can_hold_tag = |r: TextRange| {
            let text = bytes(r);
            let mut prev_hash = false;
            text.bytes().any(|b| {
                let tag = prev_hash && b.is_ascii_uppercase();
                prev_hash = b == b'#';
                tag
            }) || {
                let text = text.to_string();
                text.contains("tagls:")
                    || crate::tags::scan::BARE
                        .iter()
                        .any(|name| text.contains(&format!("{name}:")))
            }
        };
        SyntaxParts {
            comments: self
                .blocks
                .iter()
                .filter(|b| b.comments.iter().any(|c| can_hold_tag(*c)))
                .flat_map(|b| b.comments.iter().copied())
                .collect(),
            env_uses: self.env_uses.clone(),
        }
    }

    /// A document with the tags of `text` found from `parts` that an earlier
    /// parse of the same text gave, without parsing. It has no tree: the next
    /// [`Document::reparse`] starts from scratch. `None` if `parts` cannot
    /// belong to `text` (a range off a character boundary, out of order, or a
    /// name that is not the text at its range).
    pub fn from_parts(
        lang: Language,
        text: &str,
        parts: SyntaxParts,
        registry: &Registry,
    ) -> Option<Document> {
        let fits = |r: TextRange| {
            r.start <= r.end && text.is_char_boundary(r.start) && text.is_char_boundary(r.end)
        };
        let ordered = parts.comments.windows(2).all(|w| w[0].end <= w[1].start);
        if !ordered
            || !parts.comments.iter().all(|c| fits(*c) && c.start < c.end)
            || !parts.env_uses.iter().all(|u| {
                fits(u.name_range)
                    && fits(u.match_range)
                    && text.get(u.name_range.start..u.name_range.end) == Some(u.name.as_str())
            })
        {
            return None;
        }
        let mut doc = Document {
            lang,
            rope: Rope::from_str(text),
            tree: None,
            embedded: Vec::new(),
            blocks: Vec::new(),
            env_uses: parts.env_uses,
            dirty: None,
            full: true,
        };
        doc.blocks = doc.group(parts.comments, registry);
        Some(doc)
    }

    pub fn language(&self) -> Language {
        self.lang
    }

    pub fn rope(&self) -> &Rope {
        &self.rope
    }

    pub fn tree(&self) -> Option<&Tree> {
        self.tree.as_ref()
    }

    /// The tags in document order.
    pub fn tags(&self) -> impl Iterator<Item = &Tag> {
        self.blocks.iter().flat_map(|b| b.tags.iter())
    }

    /// Whether `offset` lies in a comment (its end included, so that a
    /// cursor at the end of a line comment counts).
    pub fn in_comment(&self, offset: usize) -> bool {
        let at = self.blocks.partition_point(|b| b.range().end < offset);
        self.blocks[at..]
            .iter()
            .take_while(|b| b.range().start <= offset)
            .any(|b| {
                b.comments
                    .iter()
                    .any(|c| c.start < offset && offset <= c.end)
            })
    }

    /// The inline suppressions, in document order.
    pub fn suppressions(&self) -> impl Iterator<Item = (Suppression, usize)> + '_ {
        self.blocks
            .iter()
            .flat_map(|b| b.suppressions.iter().copied())
    }

    /// The environment variables the code reads, in document order.
    pub fn env_uses(&self) -> impl Iterator<Item = &EnvUse> {
        self.env_uses.iter()
    }

    /// Applies one content change: `range` in the client's encoding, or
    /// `None` to replace the whole text. Call [`Document::reparse`] after the
    /// last change of a batch.
    pub fn apply_change(&mut self, range: Option<(LineCol, LineCol)>, text: &str, enc: Encoding) {
        let Some((from, to)) = range else {
            self.rope = Rope::from_str(text);
            self.full = true;
            self.dirty = None;
            return;
        };
        let mut start = pos::line_col_to_offset(&self.rope, from, enc);
        let mut old_end = pos::line_col_to_offset(&self.rope, to, enc);
        if old_end < start {
            std::mem::swap(&mut start, &mut old_end);
        }
        self.edit_bytes(start, old_end, text);
    }

    /// Replaces the bytes `start..old_end` with `text`. Both ends must lie on
    /// character boundaries.
    pub fn edit_bytes(&mut self, start: usize, old_end: usize, text: &str) {
        let start_char = self.rope.byte_to_char(start);
        let old_end_char = self.rope.byte_to_char(old_end);
        let start_point = self.point(start);
        let old_end_point = self.point(old_end);
        self.rope.remove(start_char..old_end_char);
        self.rope.insert(start_char, text);
        let new_end = start + text.len();
        if self.full {
            return;
        }
        let new_end_point = self.point(new_end);
        let input = InputEdit {
            start_byte: start,
            old_end_byte: old_end,
            new_end_byte: new_end,
            start_position: start_point,
            old_end_position: old_end_point,
            new_end_position: new_end_point,
        };
        if let Some(tree) = &mut self.tree {
            tree.edit(&input);
        }
        // An embedded tree is edited as the document's is, its included
        // range with it, so that the next parse of its region reuses it.
        for e in &mut self.embedded {
            e.tree.edit(&input);
        }
        let delta = new_end as isize - old_end as isize;
        let map_start = |p: usize| {
            if p <= start {
                p
            } else if p >= old_end {
                p.saturating_add_signed(delta)
            } else {
                start
            }
        };
        let map_end = |p: usize| {
            if p <= start {
                p
            } else if p >= old_end {
                p.saturating_add_signed(delta)
            } else {
                new_end
            }
        };
        let mut dirty = TextRange::new(start, new_end);
        if let Some(d) = self.dirty {
            dirty = dirty.cover(TextRange::new(map_start(d.start), map_end(d.end)));
        }
        // Blocks that touch the edit are scanned again after the reparse;
        // the ones after it move.
        let mut kept = Vec::with_capacity(self.blocks.len());
        for mut block in std::mem::take(&mut self.blocks) {
            let r = block.range();
            if r.end < start {
                kept.push(block);
            } else if r.start > old_end {
                block.shift(delta);
                kept.push(block);
            } else {
                dirty = dirty.cover(TextRange::new(map_start(r.start), map_end(r.end)));
            }
        }
        self.blocks = kept;
        let mut uses = Vec::with_capacity(self.env_uses.len());
        for mut u in std::mem::take(&mut self.env_uses) {
            let r = u.match_range;
            if r.end < start {
                uses.push(u);
            } else if r.start > old_end {
                for range in [&mut u.name_range, &mut u.match_range] {
                    range.start = range.start.saturating_add_signed(delta);
                    range.end = range.end.saturating_add_signed(delta);
                }
                uses.push(u);
            } else {
                dirty = dirty.cover(TextRange::new(map_start(r.start), map_end(r.end)));
            }
        }
        self.env_uses = uses;
        self.dirty = Some(dirty);
    }

    /// Reparses after a batch of changes and rescans the comments that may
    /// have changed. A document of at most [`FRESH_IF_BROKEN`] bytes whose
    /// text has a syntax error is parsed afresh.
    pub fn reparse(&mut self, parser: &mut Parser, registry: &Registry) {
        self.reparse_until(parser, registry, &mut || false);
    }

    /// As [`Document::reparse`], but gives up as soon as `stop` says so
    /// (tree-sitter asks it every so often while it parses). It then
    /// returns false and changes nothing: the tags stay those of the last
    /// parse, moved along by the edits since. `parser` keeps the parse it
    /// gave up: the next call resumes it if the text is the same, and the
    /// caller must `Parser::reset` it before parsing anything else.
    pub fn reparse_until(
        &mut self,
        parser: &mut Parser,
        registry: &Registry,
        stop: &mut dyn FnMut() -> bool,
    ) -> bool {
        let old = if self.full { None } else { self.tree.take() };
        let stopped = std::cell::Cell::new(false);
        let mut progress = |_: &tree_sitter::ParseState| {
            if stop() {
                stopped.set(true);
                std::ops::ControlFlow::Break(())
            } else {
                std::ops::ControlFlow::Continue(())
            }
        };
        let new = parse_rope(parser, &self.rope, old.as_ref(), &mut progress);
        if new.is_none() && stopped.get() {
            self.tree = old;
            return false;
        }
        let Some(mut new) = new else {
            // Parsing was cancelled or failed: keep no tree and no tags rather
            // than stale ones.
            self.tree = None;
            self.blocks.clear();
            self.full = true;
            return true;
        };
        // tree-sitter's error recovery can leave an incremental parse of a
        // broken text different from a fresh parse of it (an unclosed
        // Python `'''` string before a comment, for one). A small document
        // with an error is parsed afresh: that costs well under a
        // millisecond, and `tagls check`, which always parses afresh, then
        // agrees with the editor.
        let mut old = old;
        if old.is_some() && new.root_node().has_error() && self.rope.len_bytes() <= FRESH_IF_BROKEN
        {
            parser.reset();
            if let Some(fresh) = parse_rope(parser, &self.rope, None, &mut progress) {
                new = fresh;
                old = None;
            } else {
                // Cut short: the incremental tree stands.
                parser.reset();
            }
        }
        let olds = std::mem::take(&mut self.embedded);
        let (embedded, moved) = self.parse_embedded(&new, old.is_some().then_some(olds));
        self.embedded = embedded;
        match old {
            None => {
                self.blocks = self.scan(&new, None, registry);
                self.env_uses = self.env_uses_in(&new, None);
            }
            Some(old) => {
                let mut window = self.dirty;
                let host = old
                    .changed_ranges(&new)
                    .map(|r| TextRange::new(r.start_byte, r.end_byte));
                for r in host.chain(moved) {
                    window = Some(window.map_or(r, |w| w.cover(r)));
                }
                if let Some(w) = window {
                    self.rescan(&new, w, registry);
                }
            }
        }
        self.tree = Some(new);
        self.dirty = None;
        self.full = false;
        true
    }

    /// Scans again the comments in and around `window`.
    fn rescan(&mut self, tree: &Tree, window: TextRange, registry: &Registry) {
        let len = self.rope.len_bytes();
        // Whole lines, and one more on each side: a deleted line can make the
        // blocks around it adjacent.
        let first = self
            .rope
            .byte_to_line(window.start.min(len))
            .saturating_sub(1);
        let last = (self.rope.byte_to_line(window.end.min(len)) + 2).min(self.rope.len_lines());
        let end = self.rope.line_to_byte(last);
        let end = syntax::docstring_reach(self.lang, tree, end).max(end);
        let mut w = TextRange::new(self.rope.line_to_byte(first), end);
        loop {
            let before = self.blocks.len();
            let mut grown = w;
            self.blocks.retain(|b| {
                let r = b.range();
                let touches = r.touches(w);
                if touches {
                    grown = grown.cover(r);
                }
                !touches
            });
            w = grown;
            if self.blocks.len() == before {
                break;
            }
        }
        let mut comments = self.comments_in(tree, Some(w));
        // The kept neighbours join when the new comments run up against them.
        let at = self.blocks.partition_point(|b| b.range().end < w.start);
        let mut remove = at..at;
        if let Some(next) = self.blocks.get(at) {
            let last_new = comments.last().copied();
            if last_new.is_some_and(|c| self.adjacent(c, next.comments[0])) {
                comments.extend_from_slice(&next.comments);
                remove.end = at + 1;
            }
        }
        if at > 0 {
            let prev = &self.blocks[at - 1];
            let first_new = comments.first().copied();
            if let (Some(c), Some(&p)) = (first_new, prev.comments.last())
                && self.adjacent(p, c)
            {
                let mut joined = prev.comments.clone();
                joined.extend_from_slice(&comments);
                comments = joined;
                remove.start = at - 1;
            }
        }
        let new_blocks = self.group(comments, registry);
        self.blocks.splice(remove, new_blocks);

        // Env uses in the window are found again; the query returns every use
        // whose expression touches it, and exactly those were dropped.
        self.env_uses.retain(|u| !u.match_range.touches(w));
        let found = self.env_uses_in(tree, Some(w));
        self.env_uses.extend(found);
        // Document order, as a fresh scan gives them.
        self.env_uses.sort_unstable_by(|a, b| {
            (a.name_range, a.match_range, &a.name).cmp(&(b.name_range, b.match_range, &b.name))
        });
        self.env_uses.dedup();
    }

    /// All comment blocks of `tree`, or those intersecting `within`.
    fn scan(&self, tree: &Tree, within: Option<TextRange>, registry: &Registry) -> Vec<Block> {
        let comments = self.comments_in(tree, within);
        self.group(comments, registry)
    }

    /// The comments of `tree` and of the embedded code that intersect
    /// `within`, in document order.
    fn comments_in(&self, tree: &Tree, within: Option<TextRange>) -> Vec<TextRange> {
        let mut out = syntax::comments_in(self.lang, tree, within);
        let mut more = false;
        for e in self.embedded_within(within) {
            out.extend(syntax::comments_in(e.region.lang, &e.tree, within));
            more = true;
        }
        if more {
            out.sort_by_key(|r| r.start);
        }
        out
    }

    /// The env reads of `tree` and of the embedded code whose expression
    /// touches `within`, in document order.
    fn env_uses_in(&self, tree: &Tree, within: Option<TextRange>) -> Vec<EnvUse> {
        let mut out = env_uses_in(self.lang, tree, within, RopeText(&self.rope));
        let mut more = false;
        for e in self.embedded_within(within) {
            out.extend(env_uses_in(
                e.region.lang,
                &e.tree,
                within,
                RopeText(&self.rope),
            ));
            more = true;
        }
        if more {
            out.sort_unstable_by(|a, b| {
                (a.name_range, a.match_range, &a.name).cmp(&(b.name_range, b.match_range, &b.name))
            });
        }
        out
    }

    fn embedded_within(&self, within: Option<TextRange>) -> impl Iterator<Item = &Embedded> {
        self.embedded
            .iter()
            .filter(move |e| within.is_none_or(|w| e.region.bytes().touches(w)))
    }

    /// Parses the embedded code of the markup tree `host`, reusing the
    /// trees of `olds` (edited along with the document) where a region of
    /// the same language sits where one of them was. Returns the new trees
    /// and the ranges where their comments may differ from the old ones:
    /// what tree-sitter reports as changed, the ends of a region that
    /// moved, and the whole of a region that is new or gone.
    fn parse_embedded(
        &self,
        host: &Tree,
        olds: Option<Vec<Embedded>>,
    ) -> (Vec<Embedded>, Vec<TextRange>) {
        if !embed::is_host(self.lang) {
            return (Vec::new(), Vec::new());
        }
        let text = |r: TextRange| self.slice(r);
        let regions = embed::regions(self.lang, host, &text);
        let rope = &self.rope;
        let mut read = |byte: usize| -> &[u8] {
            if byte >= rope.len_bytes() {
                return &[];
            }
            let (chunk, chunk_start, _, _) = rope.chunk_at_byte(byte);
            &chunk.as_bytes()[byte - chunk_start..]
        };
        let mut olds = olds.unwrap_or_default();
        let mut out = Vec::with_capacity(regions.len());
        let mut changed = Vec::new();
        for region in regions {
            let here = region.bytes();
            let old = olds
                .iter()
                .position(|e| {
                    e.region.lang == region.lang && e.extent().is_some_and(|x| x.touches(here))
                })
                .map(|i| olds.remove(i));
            let mut tree = embed::parse(&region, old.as_ref().map(|e| &e.tree), &mut read);
            let mut old = old;
            // As for the document's own tree: a small broken text is parsed
            // afresh, so that the editor agrees with `tagls check`.
            if old.is_some()
                && tree.as_ref().is_some_and(|t| t.root_node().has_error())
                && self.rope.len_bytes() <= FRESH_IF_BROKEN
            {
                tree = embed::parse(&region, None, &mut read);
                old = None;
            }
            let Some(tree) = tree else {
                changed.push(here);
                continue;
            };
            match old.as_ref().and_then(|o| Some((o, o.extent()?))) {
                Some((o, was)) => {
                    changed.extend(
                        o.tree
                            .changed_ranges(&tree)
                            .map(|r| TextRange::new(r.start_byte, r.end_byte)),
                    );
                    if was.start != here.start {
                        changed.push(TextRange::new(
                            was.start.min(here.start),
                            was.start.max(here.start),
                        ));
                    }
                    if was.end != here.end {
                        changed.push(TextRange::new(was.end.min(here.end), was.end.max(here.end)));
                    }
                }
                None => changed.push(here),
            }
            out.push(Embedded { region, tree });
        }
        changed.extend(olds.iter().filter_map(Embedded::extent));
        (out, changed)
    }

    /// Groups sorted comments into blocks and scans each block for tags.
    fn group(&self, comments: Vec<TextRange>, registry: &Registry) -> Vec<Block> {
        let mut blocks: Vec<Block> = Vec::new();
        for c in comments {
            match blocks.last_mut() {
                Some(b) if b.comments.last().is_some_and(|&p| self.adjacent(p, c)) => {
                    b.comments.push(c)
                }
                _ => blocks.push(Block {
                    comments: vec![c],
                    tags: Vec::new(),
                    suppressions: Vec::new(),
                }),
            }
        }
        for b in &mut blocks {
            let texts: Vec<(usize, String)> = b
                .comments
                .iter()
                .map(|c| (c.start, self.slice(*c)))
                .collect();
            let lines: Vec<_> = texts
                .iter()
                .flat_map(|(off, text)| {
                    content_lines(embed::comment_style(self.lang, text), text, *off)
                })
                .collect();
            b.tags = scan_lines(&lines, registry);
            b.suppressions = lines
                .iter()
                .filter_map(|l| {
                    let t = l.text.trim();
                    let kind = match t.strip_prefix("tagls:").map(str::trim) {
                        Some("ignore-next-line") => Suppression::NextLine,
                        Some("ignore-file") => Suppression::File,
                        _ => return None,
                    };
                    Some((kind, l.offset + (l.text.len() - l.text.trim_start().len())))
                })
                .collect();
        }
        blocks
    }

    /// Whether only whitespace with at most one line break lies between two
    /// comments.
    fn adjacent(&self, a: TextRange, b: TextRange) -> bool {
        if b.start < a.end {
            return false;
        }
        // A Python docstring is a block of its own: a comment beside it is
        // not one of its lines.
        let is_docstring = |r: TextRange| self.rope.get_byte(r.start).is_some_and(|c| c != b'#');
        if self.lang == Language::Python && (is_docstring(a) || is_docstring(b)) {
            return false;
        }
        let mut breaks = 0;
        let mut prev_cr = false;
        for ch in crate::text::aligned_slice(&self.rope, a.end..b.start).chars() {
            match ch {
                '\n' if prev_cr => {}
                '\n' | '\r' => breaks += 1,
                ' ' | '\t' | '\u{c}' => {}
                _ => return false,
            }
            prev_cr = ch == '\r';
            if breaks > 1 {
                return false;
            }
        }
        true
    }

    /// The text of a range, which must lie inside the document.
    pub fn slice(&self, r: TextRange) -> String {
        crate::text::aligned_slice(&self.rope, r.start..r.end).to_string()
    }

    /// A tree-sitter point: rows count `\n` only, as tree-sitter does, and
    /// columns are bytes. tagls never sends these to a client; they only keep
    /// the tree's own bookkeeping consistent.
    fn point(&self, offset: usize) -> Point {
        let line = self.rope.byte_to_line(offset);
        let line_start = self.rope.line_to_byte(line);
        Point::new(line, offset - line_start)
    }
}

/// Parses a rope without copying it into one string.
fn parse_rope<F: FnMut(&tree_sitter::ParseState) -> std::ops::ControlFlow<()>>(
    parser: &mut Parser,
    rope: &Rope,
    old: Option<&Tree>,
    progress: &mut F,
) -> Option<Tree> {
    let mut callback = |byte: usize, _: Point| -> &[u8] {
        if byte >= rope.len_bytes() {
            return &[];
        }
        let (chunk, chunk_start, _, _) = rope.chunk_at_byte(byte);
        &chunk.as_bytes()[byte - chunk_start..]
    };
    let options = tree_sitter::ParseOptions::new().progress_callback(progress);
    parser.parse_with_options(&mut callback, old, Some(options))
}

/// The size up to which a document with a syntax error is parsed afresh
/// instead of incrementally (16 KB, about 400 lines, parse in about
/// 0.5 ms).
pub const FRESH_IF_BROKEN: usize = 16 * 1024;

/// Lets tree-sitter queries read node text out of a rope.
struct RopeText<'a>(&'a Rope);

impl<'a> tree_sitter::TextProvider<ChunkBytes<'a>> for RopeText<'a> {
    type I = std::iter::Map<ropey::iter::Chunks<'a>, fn(&'a str) -> ChunkBytes<'a>>;

    fn text(&mut self, node: tree_sitter::Node<'_>) -> Self::I {
        crate::text::aligned_slice(self.0, node.byte_range())
            .chunks()
            .map(ChunkBytes)
    }
}

/// One chunk of a rope as bytes.
pub struct ChunkBytes<'a>(&'a str);

impl AsRef<[u8]> for ChunkBytes<'_> {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(lang: Language, text: &str) -> (Document, Parser) {
        let mut parser = lang.parser();
        let d = Document::new(lang, text, &mut parser, &Registry::builtin());
        (d, parser)
    }

    fn names(d: &Document) -> Vec<String> {
        d.tags()
            .map(|t| format!("{}={}", t.name, t.payload))
            .collect()
    }

    /// A document rebuilt from its syntax parts has the same tags,
    /// suppressions and env reads, and parts that do not fit are refused.
    #[test]
    fn syntax_parts_rebuild_the_same_document() {
        let sources = [
            (
                Language::TypeScript,
                "// plain comment\nconst c = '#FFFFFF';\n// #COMPLETION_DRIVE: a\n//   Description: b\n\n\
                 /** JSDoc\n * #CARGO_CULT: c */\nconst k = process.env.K; // tagls: ignore-next-line\n\
                 // Grüße ☕ #PATTERN_CONFLICT: d\n",
            ),
            (
                Language::Go,
                "package m\n// one\n\n// #SUGGEST_ERROR_HANDLING: e\nvar v = os.Getenv(\"V\")\n",
            ),
            (
                Language::Python,
                "# comment\n# #COMPLETION_DRIVE: f\n#   Verification: ls\nx = os.environ[\"P\"]\n# tagls: ignore-file\n",
            ),
        ];
        for (lang, text) in sources {
            let (d, _) = doc(lang, text);
            let parts = d.syntax_parts();
            // Only blocks that can hold a tag or a suppression are kept.
            assert!(
                parts
                    .comments
                    .iter()
                    .all(|c| !d.slice(*c).contains("plain")
                        && !d.slice(*c).trim_end().ends_with("one")),
                "{:?}",
                parts.comments
            );
            let again =
                Document::from_parts(lang, text, parts.clone(), &Registry::builtin()).unwrap();
            assert_eq!(names(&again), names(&d), "{text}");
            assert_eq!(
                again.tags().collect::<Vec<_>>(),
                d.tags().collect::<Vec<_>>()
            );
            assert_eq!(
                again.suppressions().collect::<Vec<_>>(),
                d.suppressions().collect::<Vec<_>>()
            );
            assert_eq!(
                again.env_uses().collect::<Vec<_>>(),
                d.env_uses().collect::<Vec<_>>()
            );
            assert!(!names(&d).is_empty());

            let mut off_boundary = parts.clone();
            off_boundary
                .comments
                .push(TextRange::new(text.len(), text.len() + 5));
            assert!(Document::from_parts(lang, text, off_boundary, &Registry::builtin()).is_none());
            let mut wrong_name = parts.clone();
            if let Some(u) = wrong_name.env_uses.first_mut() {
                u.name.push('X');
                assert!(
                    Document::from_parts(lang, text, wrong_name, &Registry::builtin()).is_none()
                );
            }
        }
        let emoji = "// ☕ #COMPLETION_DRIVE: x\n";
        let split = SyntaxParts {
            comments: vec![TextRange::new(0, 4)],
            env_uses: Vec::new(),
        };
        assert!(
            Document::from_parts(Language::TypeScript, emoji, split, &Registry::builtin())
                .is_none()
        );
    }

    #[test]
    fn tags_in_comments_only() {
        let text = "const s = \"#COMPLETION_DRIVE: in a string\";\n// #COMPLETION_DRIVE: real\nlet x = 1;\n";
        let (d, _) = doc(Language::TypeScript, text);
        assert_eq!(names(&d), ["COMPLETION_DRIVE=real"]);
    }

    #[test]
    fn line_comment_runs_carry_continuations() {
        let text =
            "x();\n// #COMPLETION_DRIVE: a\n//   Description: b\n//   Verification: ls c\ny();\n";
        let (d, _) = doc(Language::TypeScript, text);
        let t = d.tags().next().unwrap();
        assert_eq!(t.continuation.len(), 2);
    }

    #[test]
    fn typing_into_a_comment_updates_tags() {
        let text = "let a = 1;\n// #COMPLETION_DRIVE: x\nlet b = 2;\n";
        let (mut d, mut p) = doc(Language::TypeScript, text);
        let reg = Registry::builtin();
        let at = text.find(": x").unwrap() + 3;
        d.edit_bytes(at, at, "yz");
        d.reparse(&mut p, &reg);
        assert_eq!(names(&d), ["COMPLETION_DRIVE=xyz"]);
        // Turning the code below into a comment adds a continuation line.
        let at = d.rope().to_string().find("let b").unwrap();
        d.edit_bytes(at, at, "//   Note: ");
        d.reparse(&mut p, &reg);
        assert_eq!(d.tags().next().unwrap().continuation.len(), 1);
    }

    /// After any sequence of edits the document equals a fresh parse of its
    /// text.
    #[test]
    fn incremental_equals_fresh() {
        let base = "// #COMPLETION_DRIVE: a\n//   Description: b\nconst s = '#VERIFIED: no' + process.env.API_KEY;\nconst { DB_URL, PORT: p } = process.env;\n/* #PATH_DECISION: c\n * Why: d */\nfunction f() {\n  // #CARGO_CULT: e\n}\n// 日本語 😀 #SUGGEST_VERIFY: f\n";
        for lang in [Language::TypeScript, Language::JavaScript] {
            edits_keep_it_fresh(lang, base, &[]);
        }
    }

    /// The same for markup with embedded scripts and style sheets: an
    /// edit inside a `<script>`, across its tags or into its `lang`
    /// changes what its own tree holds.
    #[test]
    fn incremental_equals_fresh_in_markup() {
        let base = "<!-- #PATH_DECISION: top -->\n<template>\n  <p title=\"#CARGO_CULT: no\">{{ a }}</p>\n</template>\n<script setup lang=\"ts\">\n// #COMPLETION_DRIVE: a\n//   Description: b\nconst s = '#VERIFIED: no' + process.env.API_KEY;\n/* #PATH_DECISION: c */\n</script>\n<style lang=\"scss\">\n// 日本語 😀 #SUGGEST_VERIFY: f\np { color: #333; }\n</style>\n<script>\n/** #CARGO_CULT: e */ const k = import.meta.env.K;\n</script>\n";
        let markup = [
            "<script>",
            "</script>",
            "<style>",
            "</style>",
            "<!-- ",
            " -->",
            " lang=\"ts\"",
            "`",
        ];
        for lang in [Language::Vue, Language::Html, Language::Svelte] {
            let (d, _) = doc(lang, base);
            assert_eq!(
                names(&d),
                [
                    "PATH_DECISION=top",
                    "COMPLETION_DRIVE=a",
                    "PATH_DECISION=c",
                    "SUGGEST_VERIFY=f",
                    "CARGO_CULT=e"
                ],
                "{}",
                lang.name()
            );
            let env: Vec<&str> = d.env_uses().map(|u| u.name.as_str()).collect();
            assert_eq!(env, ["API_KEY", "K"], "{}", lang.name());
            edits_keep_it_fresh(lang, base, &markup);
        }
    }

    /// Random edits to `base` with pieces of code (and `extra`), reparsed
    /// now and then: each time, the comment blocks and env reads equal a
    /// fresh parse's.
    fn edits_keep_it_fresh(lang: Language, base: &str, extra: &[&str]) {
        let reg = Registry::builtin();
        let mut pieces = vec![
            "// ",
            "#VERIFIED: z",
            "\n",
            "/*",
            "*/",
            "'",
            "x",
            "  ",
            "日",
            "😀",
            "// #COMPLETION_DIRVE: q\n",
        ];
        pieces.extend_from_slice(extra);
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        {
            let (mut d, mut p) = doc(lang, base);
            for step in 0..400 {
                let text = d.rope().to_string();
                let boundaries: Vec<usize> = text
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain([text.len()])
                    .collect();
                let a = boundaries[next(boundaries.len())];
                let b = boundaries[next(boundaries.len())];
                let (start, end) = (a.min(b), a.max(b).min(a.min(b) + 8));
                let end = boundaries
                    .iter()
                    .copied()
                    .find(|&x| x >= end)
                    .unwrap_or(text.len());
                let insert = if next(3) == 0 {
                    ""
                } else {
                    pieces[next(pieces.len())]
                };
                d.edit_bytes(start, end, insert);
                if next(3) == 0 {
                    continue; // batch several edits into one reparse
                }
                d.reparse(&mut p, &reg);
                let (fresh, _) = doc(lang, &d.rope().to_string());
                assert_eq!(
                    d.blocks,
                    fresh.blocks,
                    "{} step {step}: {:?}",
                    lang.name(),
                    d.rope().to_string()
                );
                assert_eq!(
                    d.env_uses,
                    fresh.env_uses,
                    "{} step {step}: {:?}",
                    lang.name(),
                    d.rope().to_string()
                );
            }
        }
    }
}
