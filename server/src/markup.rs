//! Files that are read whole for their tags rather than parsed as source
//! code: Markdown plans (prose is a tag place there, `plans`), ordinary
//! Markdown (its HTML comments are), and Jupyter notebooks (the comments of
//! their code cells and the HTML comments of their Markdown cells, at the
//! places in the `.ipynb` file they were written). [`reader`] says which a
//! file is; the server and `tagls check` both ask it, and both find the tags
//! with [`Reader::read`].

use std::path::Path;

use crate::config::Settings;
use crate::document::Document;
use crate::findings::{Code, Finding};
use crate::syntax::markdown::html_comments;
use crate::syntax::notebook::{self, CellKind, Source};
use crate::syntax::{CommentStyle, Language};
use crate::tags::scan::{content_lines, scan_lines};
use crate::tags::{Registry, Severity, Tag};
use crate::text::TextRange;

/// How a file is read for tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// A Markdown plan or report of its root: tags in the prose.
    Plan,
    /// Other Markdown: tags in HTML comments.
    Markdown,
    /// A Jupyter notebook.
    Notebook,
}

/// What reading a file found.
#[derive(Clone, Debug, Default)]
pub struct Read {
    pub tags: Vec<Tag>,
    /// A notebook that cannot be read: the finding that says so.
    pub malformed: Option<Finding>,
}

/// How the file at `path` in `root` is read, if it is one of these. The
/// implementation log and the phase state have their own readers, and the
/// verification report that tagls writes is not read.
pub fn reader(settings: &Settings, root: &Path, path: &Path) -> Option<Reader> {
    if settings.is_plan(root, path) {
        return Some(Reader::Plan);
    }
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "ipynb" => Some(Reader::Notebook),
        "md" | "markdown"
            if !settings.is_log(root, path)
                && path.strip_prefix(root).ok()
                    != Some(Path::new(crate::dialect::VERIFICATION_REPORT)) =>
        {
            Some(Reader::Markdown)
        }
        _ => None,
    }
}

/// How a document the editor opened without a file under a root is read:
/// by its language id (`markdown`), else by its name.
pub fn reader_by_id(language_id: &str, path: &str) -> Option<Reader> {
    if notebook::is_notebook(path) {
        return Some(Reader::Notebook);
    }
    let md = path.rsplit_once('.').is_some_and(|(_, e)| {
        e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown")
    });
    (language_id == "markdown" || md).then_some(Reader::Markdown)
}

impl Reader {
    /// The tags of `text`, in order, at their places in it.
    pub fn read(self, text: &str, registry: &Registry) -> Read {
        if self != Reader::Plan && !crate::tags::scan::may_hold_tag(text.as_bytes()) {
            return Read::default();
        }
        match self {
            Reader::Plan => Read {
                tags: crate::plans::tags(text, registry),
                malformed: None,
            },
            Reader::Markdown => Read {
                tags: markdown_tags(text, registry),
                malformed: None,
            },
            Reader::Notebook => notebook_tags(text, registry),
        }
    }
}

/// The tags of ordinary Markdown: those in its HTML comments.
pub fn markdown_tags(text: &str, registry: &Registry) -> Vec<Tag> {
    html_comments(text)
        .into_iter()
        .flat_map(|r| {
            let lines = content_lines(CommentStyle::Markup, &text[r.start..r.end], r.start);
            scan_lines(&lines, registry)
        })
        .collect()
}

/// The tags of a notebook's cells, at the places in the `.ipynb` file where
/// they were written. A code cell is read as a source file of its language
/// is (the same parse, the same comments); a Markdown cell as Markdown.
pub fn notebook_tags(text: &str, registry: &Registry) -> Read {
    let nb = match notebook::parse(text) {
        Ok(nb) => nb,
        Err(bad) => {
            return Read {
                tags: Vec::new(),
                malformed: Some(Finding {
                    range: bad.range,
                    severity: Severity::Warning,
                    code: Code::BadNotebook,
                    tag: Default::default(),
                    message: bad.message,
                    fix: None,
                }),
            };
        }
    };
    let mut parsers: Vec<(Language, tree_sitter::Parser)> = Vec::new();
    let mut tags = Vec::new();
    for cell in &nb.cells {
        let found = match cell.kind {
            CellKind::Markdown => markdown_tags(&cell.source.text, registry),
            CellKind::Code(lang) => {
                let i = match parsers.iter().position(|(l, _)| *l == lang) {
                    Some(i) => i,
                    None => {
                        parsers.push((lang, lang.parser()));
                        parsers.len() - 1
                    }
                };
                let doc = Document::new(lang, &cell.source.text, &mut parsers[i].1, registry);
                doc.tags().cloned().collect()
            }
        };
        tags.extend(found.into_iter().map(|t| in_file(t, &cell.source)));
    }
    Read {
        tags,
        malformed: None,
    }
}

/// A tag found in a cell's text, moved to its place in the file.
fn in_file(mut tag: Tag, source: &Source) -> Tag {
    let map = |r: TextRange| source.range_in_file(r);
    tag.name_range = map(tag.name_range);
    tag.payload_range = map(tag.payload_range);
    for line in &mut tag.continuation {
        line.range = map(line.range);
        if let Some(k) = &mut line.key {
            *k = map(*k);
        }
    }
    tag
}

/// The cell of a notebook a byte of it is in (its index, from 0) and the
/// line there within the cell (from 1); `None` outside every cell's source
/// or for a notebook that cannot be read.
pub fn notebook_cell(text: &str, offset: usize) -> Option<(usize, usize)> {
    notebook::cell_at(&notebook::parse(text).ok()?, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_tags_live_in_html_comments() {
        let text = "# #COMPLETION_DRIVE: heading\n\n#PATH_DECISION: prose\n\n<!-- #COMPLETION_DRIVE: Assuming src/a.ts exists\n     Verification: ls src/a.ts -->\n\n`<!-- #CARGO_CULT: code -->`\n";
        let tags = markdown_tags(text, &Registry::builtin());
        assert_eq!(tags.len(), 1);
        let t = &tags[0];
        assert_eq!(&text[t.name_range.start..t.name_range.end], "#COMPLETION_DRIVE:");
        assert_eq!(
            &text[t.payload_range.start..t.payload_range.end],
            "Assuming src/a.ts exists"
        );
        assert_eq!(t.continuation.len(), 1);
    }

    #[test]
    fn notebook_tags_sit_where_they_were_written() {
        let text = r##"{"cells": [
 {"cell_type": "code", "outputs": [{"text": "# #CARGO_CULT: output"}],
  "source": ["s = \"# #CARGO_CULT: string\"\n", "# caf\u00e9\n", "# #COMPLETION_DRIVE: Assuming \"x\" exists\n", "y = 2"]},
 {"cell_type": "markdown", "source": "#PATH_DECISION: prose\n<!-- #PATH_DECISION: use sqlite -->"}
], "metadata": {}}"##;
        let read = notebook_tags(text, &Registry::builtin());
        assert!(read.malformed.is_none());
        let at: Vec<(&str, &str)> = read
            .tags
            .iter()
            .map(|t| {
                (
                    &text[t.name_range.start..t.name_range.end],
                    &text[t.payload_range.start..t.payload_range.end],
                )
            })
            .collect();
        assert_eq!(
            at,
            [
                ("#COMPLETION_DRIVE:", "Assuming \\\"x\\\" exists"),
                ("#PATH_DECISION:", "use sqlite"),
            ]
        );
        assert_eq!(read.tags[0].payload, "Assuming \"x\" exists");
        let start = read.tags[0].name_range.start;
        assert_eq!(notebook_cell(text, start), Some((0, 3)));
        assert_eq!(
            notebook_cell(text, read.tags[1].name_range.start),
            Some((1, 2))
        );
        let bad = notebook_tags("{\"cells\": [", &Registry::builtin());
        assert_eq!(bad.malformed.map(|f| f.code), Some(Code::BadNotebook));
    }
}
