//! Files that are read whole for their tags rather than parsed as source
//! code: Markdown plans (prose is a tag place there, `plans`), ordinary
//! Markdown (its HTML comments are), and Jupyter notebooks (the comments of
//! their code cells and the HTML comments of their Markdown cells, at the
//! places in the `.ipynb` file they were written). [`reader`] says which a
//! file is; the server and `tagls check` both ask it, and both find the tags
//! with [`Reader::read`].

use std::path::Path;
use std::sync::Arc;

use crate::analysis::Analysis;
use crate::config::Settings;
use crate::document::Document;
use crate::findings::{Code, Finding};
use crate::resolve;
use crate::syntax::markdown::html_comments;
use crate::syntax::notebook::{self, CellKind, Source};
use crate::syntax::{CommentStyle, Language};
use crate::tags::scan::{content_lines, scan_lines};
use crate::tags::{Registry, Severity, Tag};
use crate::text::TextRange;
use crate::workspace::model::Workspace;

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
    /// At their places in the file.
    pub tags: Arc<[Tag]>,
    /// A notebook that cannot be read: the finding that says so.
    pub malformed: Option<Finding>,
    /// A notebook's cells, each read as a document of its own.
    cells: Vec<CellRead>,
}

/// A notebook's cell as read: a code cell parsed as a document of its
/// language, or a Markdown cell's tags, in the cell's own text; and where
/// that text was written in the file.
#[derive(Clone)]
struct CellRead {
    doc: Option<Document>,
    tags: Arc<[Tag]>,
    source: Source,
}

impl std::fmt::Debug for CellRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CellRead")
            .field("tags", &self.tags)
            .finish_non_exhaustive()
    }
}

impl Read {
    /// The analysis of the file at `path` (or of a document with no file,
    /// whose references are not resolved): its tags and what they name, at
    /// their places in the file. A notebook's cells are analysed each as a
    /// document of its own (the code cell as a file of its language, with
    /// its suppressions and env reads; the Markdown cell as Markdown), as
    /// the server analyses the cells of a notebook the editor opened, and
    /// then moved to the file.
    pub fn analyze(
        &self,
        path: Option<&Path>,
        ws: &mut Workspace,
        cache: &mut resolve::Cache,
        settings: &Settings,
    ) -> Analysis {
        if self.cells.is_empty() {
            let mut a = match path {
                Some(path) => {
                    crate::plans::analyze(Arc::clone(&self.tags), path, ws, cache, settings)
                }
                None => Analysis {
                    tags: Arc::clone(&self.tags),
                    ..Analysis::default()
                },
            };
            a.skipped = self.malformed.clone();
            return a;
        }
        let (mut tags, mut tag_refs, mut env_uses, mut suppressed) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for cell in &self.cells {
            let a = match (&cell.doc, path) {
                (Some(doc), _) => crate::analysis::analyze_cached(doc, path, ws, cache, settings),
                (None, Some(path)) => {
                    crate::plans::analyze(Arc::clone(&cell.tags), path, ws, cache, settings)
                }
                (None, None) => Analysis {
                    tags: Arc::clone(&cell.tags),
                    ..Analysis::default()
                },
            };
            let src = &cell.source;
            tags.extend(a.tags.iter().map(|t| in_file(t.clone(), src)));
            for (from, to) in [(&a.tag_refs, &mut tag_refs), (&a.env_uses, &mut env_uses)] {
                to.extend(from.iter().map(|r| {
                    let mut r = r.clone();
                    r.reference.range = src.range_in_file(r.reference.range);
                    r
                }));
            }
            suppressed.extend(a.suppressed.iter().map(|r| src.range_in_file(*r)));
        }
        Analysis {
            tags: tags.into(),
            tag_refs: tag_refs.into(),
            env_uses: env_uses.into(),
            suppressed: suppressed.into(),
            skipped: self.malformed.clone(),
            ..Analysis::default()
        }
    }
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
    // A notebook's Markdown cell has the notebook's name and says
    // `markdown`.
    if language_id == "markdown" {
        return Some(Reader::Markdown);
    }
    if notebook::is_notebook(path) {
        return Some(Reader::Notebook);
    }
    let md = path
        .rsplit_once('.')
        .is_some_and(|(_, e)| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"));
    md.then_some(Reader::Markdown)
}

impl Reader {
    /// The tags of `text`, in order, at their places in it.
    pub fn read(self, text: &str, registry: &Registry) -> Read {
        if self != Reader::Plan && !crate::tags::scan::may_hold_tag(text.as_bytes()) {
            return Read::default();
        }
        match self {
            Reader::Plan => Read {
                tags: crate::plans::tags(text, registry).into(),
                ..Read::default()
            },
            Reader::Markdown => Read {
                tags: markdown_tags(text, registry).into(),
                ..Read::default()
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
                malformed: Some(Finding {
                    range: bad.range,
                    severity: Severity::Warning,
                    code: Code::BadNotebook,
                    tag: Default::default(),
                    message: bad.message,
                    fix: None,
                }),
                ..Read::default()
            };
        }
    };
    let mut parsers: Vec<(Language, tree_sitter::Parser)> = Vec::new();
    let mut tags = Vec::new();
    let mut cells = Vec::new();
    for cell in nb.cells {
        let (doc, found): (Option<Document>, Arc<[Tag]>) = match cell.kind {
            CellKind::Markdown => (None, markdown_tags(&cell.source.text, registry).into()),
            CellKind::Code(lang) => {
                let i = match parsers.iter().position(|(l, _)| *l == lang) {
                    Some(i) => i,
                    None => {
                        parsers.push((lang, lang.parser()));
                        parsers.len() - 1
                    }
                };
                let doc = Document::new(lang, &cell.source.text, &mut parsers[i].1, registry);
                let found = doc.tags().cloned().collect();
                (Some(doc), found)
            }
        };
        tags.extend(found.iter().map(|t| in_file(t.clone(), &cell.source)));
        cells.push(CellRead {
            doc,
            tags: found,
            source: cell.source,
        });
    }
    Read {
        tags: tags.into(),
        malformed: None,
        cells,
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

/// The cells of a notebook, to say where a finding is.
pub struct NotebookCells(Option<notebook::Notebook>);

impl NotebookCells {
    /// The cells of the notebook `text` (none when it cannot be read).
    pub fn of(text: &str) -> NotebookCells {
        NotebookCells(notebook::parse(text).ok())
    }

    /// The cell a byte of the file is in (its index, from 0) and the line
    /// there within the cell (from 1); `None` outside every cell's source.
    pub fn at(&self, offset: usize) -> Option<(usize, usize)> {
        notebook::cell_at(self.0.as_ref()?, offset)
    }
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
        assert_eq!(
            &text[t.name_range.start..t.name_range.end],
            "#COMPLETION_DRIVE:"
        );
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
        assert_eq!(NotebookCells::of(text).at(start), Some((0, 3)));
        assert_eq!(
            NotebookCells::of(text).at(read.tags[1].name_range.start),
            Some((1, 2))
        );
        let bad = notebook_tags("{\"cells\": [", &Registry::builtin());
        assert_eq!(bad.malformed.map(|f| f.code), Some(Code::BadNotebook));
    }
}
