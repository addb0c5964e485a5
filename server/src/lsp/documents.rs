//! The documents the editor has open: their text, their parse, and what
//! kind of document each is. The actor owns one [`Documents`] and decides
//! when to parse and publish; this module only keeps documents up to date.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ls_types::{TextDocumentContentChangeEvent, Uri};
use ropey::Rope;
use tree_sitter::Parser;

use crate::analysis::{self, Analysis};
use crate::config::Settings;
use crate::document::Document;
use crate::log::{self, LogDoc};
use crate::markup::Reader;
use crate::syntax::Language;
use crate::text::Encoding;

use super::proto;

/// An open document.
pub struct Entry {
    pub version: i32,
    /// The file behind the document, for `file:` URIs.
    pub path: Option<PathBuf>,
    /// The language the editor named, to classify the document again when
    /// the configuration changes.
    pub language_id: String,
    pub content: Content,
    /// When the first and the last unpublished change arrived.
    pub pending: Option<(std::time::Instant, std::time::Instant)>,
    /// The analysis and the state it was made in (see
    /// `Actor::analysis_stamp`).
    pub analysis: Option<(u64, Analysis)>,
    /// Changed since it was last parsed.
    pub stale: bool,
    /// Changed in the editor since it was opened or last saved.
    pub unsaved: bool,
    /// Semantic tokens were answered from an older parse.
    pub tokens_behind: bool,
    /// The pending publish has already let a waiting message go first.
    pub deferred: bool,
    /// Diagnostics worked out during the quiet time, and the state of the
    /// actor they hold for: sent as they are if nothing came in since.
    pub prepared: Option<(u64, Vec<ls_types::Diagnostic>)>,
    /// The state of the actor in which they were last worked out or tried.
    pub prepare_tried: Option<u64>,
}

pub enum Content {
    Parsed(Document),
    /// The implementation log of its root: Markdown, parsed whole on each
    /// change.
    Log {
        rope: Rope,
        log: LogDoc,
    },
    /// A file read whole for its tags on each change: a Markdown plan or
    /// report of its root (`plans`, tags in its prose), other Markdown
    /// (tags in HTML comments), a Jupyter notebook (tags in its cells).
    Plan {
        rope: Rope,
        reader: Reader,
        read: crate::markup::Read,
    },
    /// Too large or binary: kept as text so later edits still apply, but not
    /// parsed.
    Skipped {
        rope: Rope,
        lang: Language,
    },
    /// A document tagls has nothing to say about (Markdown that is not the
    /// log), kept as text in case the configuration makes it the log.
    Plain {
        rope: Rope,
    },
    /// The phase state of its root (JSON), read whole on each analysis.
    Phase {
        rope: Rope,
    },
}

impl Content {
    pub fn rope(&self) -> &Rope {
        match self {
            Content::Parsed(doc) => doc.rope(),
            Content::Log { rope, .. }
            | Content::Plan { rope, .. }
            | Content::Skipped { rope, .. }
            | Content::Plain { rope }
            | Content::Phase { rope } => rope,
        }
    }
}

/// What a document is to tagls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The implementation log of the root that holds it.
    Log,
    /// The phase state of the root that holds it.
    Phase,
    /// A Markdown plan or report of the root that holds it.
    Plan,
    /// Other Markdown, or a Jupyter notebook.
    Markup(Reader),
    Source(Language),
    Plain,
}

/// What kind of document a file is, under the settings of its root.
pub fn kind(
    path: Option<&Path>,
    root: Option<&Path>,
    language_id: &str,
    uri: &Uri,
    settings: &Settings,
) -> Kind {
    // A notebook's cell (`vscode-notebook-cell:`) has the notebook's path
    // and its own language.
    if !uri.as_str().starts_with("file:")
        && crate::syntax::notebook::is_notebook(uri.path().as_str())
    {
        if let Some(lang) = Language::from_language_id(language_id) {
            return Kind::Source(lang);
        }
        if language_id == "markdown" {
            return Kind::Markup(Reader::Markdown);
        }
    }
    if let (Some(path), Some(root)) = (path, root)
        && settings.is_log(root, path)
    {
        return Kind::Log;
    }
    if let (Some(path), Some(root)) = (path, root)
        && settings.is_phase_state(root, path)
    {
        return Kind::Phase;
    }
    if let (Some(path), Some(root)) = (path, root)
        && settings.is_plan(root, path)
    {
        return Kind::Plan;
    }
    if let (Some(path), Some(root)) = (path, root)
        && let Some(reader) = crate::markup::reader(settings, root, path)
    {
        return Kind::Markup(reader);
    }
    match Language::detect(Some(language_id), uri.path().as_str()) {
        Some(lang) => Kind::Source(lang),
        None => match crate::markup::reader_by_id(language_id, uri.path().as_str()) {
            // Without a root, the log is not known: Markdown is read as
            // Markdown.
            Some(reader) if path.is_none() || root.is_none() => Kind::Markup(reader),
            _ => Kind::Plain,
        },
    }
}

/// A document as the editor opens it.
pub struct Opened<'a> {
    pub uri: Uri,
    pub path: Option<PathBuf>,
    pub language_id: String,
    pub version: i32,
    pub text: &'a str,
}

/// The open documents, with a parser per language.
#[derive(Default)]
pub struct Documents {
    docs: HashMap<Uri, Entry>,
    parsers: HashMap<Language, Parser>,
    /// The document and version whose parse a language's parser gave up
    /// and holds, to resume.
    suspended: HashMap<Language, (Uri, i32)>,
}

impl Documents {
    pub fn get(&self, uri: &Uri) -> Option<&Entry> {
        self.docs.get(uri)
    }

    pub fn get_mut(&mut self, uri: &Uri) -> Option<&mut Entry> {
        self.docs.get_mut(uri)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Uri, &Entry)> {
        self.docs.iter()
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Entry> {
        self.docs.values_mut()
    }

    pub fn remove(&mut self, uri: &Uri) -> Option<Entry> {
        self.suspended.retain(|_, (held, _)| held != uri);
        self.docs.remove(uri)
    }

    /// The documents whose entry satisfies `pred`.
    pub fn uris_where(&self, pred: impl Fn(&Entry) -> bool) -> Vec<Uri> {
        self.docs
            .iter()
            .filter(|(_, e)| pred(e))
            .map(|(u, _)| u.clone())
            .collect()
    }

    /// The open document of a file.
    pub fn by_path(&self, path: &Path) -> Option<(&Uri, &Entry)> {
        self.docs
            .iter()
            .find(|(_, e)| e.path.as_deref() == Some(path))
    }

    /// Opens (or reopens) a document of a given kind. Returns why it is
    /// not parsed, when it is not.
    pub fn open(&mut self, doc: Opened<'_>, kind: Kind, settings: &Settings) -> Option<String> {
        let Opened {
            uri,
            path,
            language_id,
            version,
            text,
        } = doc;
        self.suspended.retain(|_, (held, _)| *held != uri);
        let (content, why) = self.content(kind, Rope::from_str(text), text, settings);
        self.docs.insert(
            uri,
            Entry {
                version,
                path,
                language_id,
                content,
                pending: None,
                analysis: None,
                stale: false,
                unsaved: false,
                tokens_behind: false,
                deferred: false,
                prepared: None,
                prepare_tried: None,
            },
        );
        why
    }

    /// A document's content for its kind, from its text.
    fn content(
        &mut self,
        kind: Kind,
        rope: Rope,
        text: &str,
        settings: &Settings,
    ) -> (Content, Option<String>) {
        match kind {
            Kind::Log => (
                Content::Log {
                    log: log::parse(text, &settings.registry),
                    rope,
                },
                None,
            ),
            Kind::Plan | Kind::Markup(_) => {
                let reader = match kind {
                    Kind::Markup(reader) => reader,
                    _ => Reader::Plan,
                };
                (
                    Content::Plan {
                        read: reader.read(text, &settings.registry),
                        reader,
                        rope,
                    },
                    None,
                )
            }
            Kind::Plain => (Content::Plain { rope }, None),
            Kind::Phase => (Content::Phase { rope }, None),
            Kind::Source(lang) => {
                if let Some(why) = unparseable(&rope, settings.max_file_size) {
                    return (Content::Skipped { rope, lang }, Some(why));
                }
                let parser = self.parsers.entry(lang).or_insert_with(|| lang.parser());
                (
                    Content::Parsed(Document::new(lang, text, parser, &settings.registry)),
                    None,
                )
            }
        }
    }

    /// Makes a document again from its text, as `kind` under `settings`
    /// (after the configuration changed). Returns why it is not parsed.
    pub fn remake(&mut self, uri: &Uri, kind: Kind, settings: &Settings) -> Option<String> {
        let text = self.docs.get(uri)?.content.rope().to_string();
        self.suspended.retain(|_, (held, _)| held != uri);
        let (content, why) = self.content(kind, Rope::from_str(&text), &text, settings);
        let entry = self.docs.get_mut(uri)?;
        entry.content = content;
        entry.analysis = None;
        entry.stale = false;
        why
    }

    /// Applies an editor's changes, in order. Returns why the document is
    /// no longer parsed, when an edit made it too large or binary.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: &[TextDocumentContentChangeEvent],
        enc: Encoding,
        settings: &Settings,
    ) -> Option<String> {
        let Some(entry) = self.docs.get_mut(uri) else {
            tracing::debug!("change for a document that is not open: {}", uri.as_str());
            return None;
        };
        entry.version = version;
        entry.analysis = None;
        entry.unsaved = true;
        let now = std::time::Instant::now();
        entry.pending = Some((entry.pending.map_or(now, |(first, _)| first), now));
        match &mut entry.content {
            Content::Parsed(doc) => {
                for c in changes {
                    doc.apply_change(
                        c.range
                            .map(|r| (proto::line_col(r.start), proto::line_col(r.end))),
                        &c.text,
                        enc,
                    );
                }
                if let Some(why) = unparseable(doc.rope(), settings.max_file_size) {
                    let rope = doc.rope().clone();
                    let lang = doc.language();
                    entry.content = Content::Skipped { rope, lang };
                    return Some(why);
                }
                // Reparsed when next needed (a request, or the debounced
                // publish): a burst of keystrokes costs one reparse, and a
                // slow one (tree-sitter recovering from a syntax error) is
                // not paid per keystroke.
                entry.stale = true;
            }
            Content::Log { rope, .. } | Content::Plan { rope, .. } => {
                for c in changes {
                    apply_to_rope(rope, c, enc);
                }
                entry.stale = true;
            }
            Content::Plain { rope } => {
                for c in changes {
                    apply_to_rope(rope, c, enc);
                }
            }
            Content::Phase { rope } => {
                for c in changes {
                    apply_to_rope(rope, c, enc);
                }
                entry.stale = true;
            }
            Content::Skipped { rope, lang } => {
                for c in changes {
                    apply_to_rope(rope, c, enc);
                }
                if unparseable(rope, settings.max_file_size).is_none() {
                    let lang = *lang;
                    return self.remake(uri, Kind::Source(lang), settings);
                }
            }
        }
        None
    }

    /// Parses a changed document again; false, with the document as it
    /// was, when `stop` cut the parse short.
    pub fn reparse(
        &mut self,
        uri: &Uri,
        settings: &Settings,
        stop: &mut dyn FnMut() -> bool,
    ) -> bool {
        let Some(entry) = self.docs.get_mut(uri) else {
            return true;
        };
        if !entry.stale {
            return true;
        }
        match &mut entry.content {
            Content::Parsed(doc) => {
                let lang = doc.language();
                let parser = self.parsers.entry(lang).or_insert_with(|| lang.parser());
                // A parse given up earlier is resumed only for the same text.
                let this = (uri.clone(), entry.version);
                if self.suspended.get(&lang).is_some_and(|held| *held != this) {
                    parser.reset();
                }
                if !doc.reparse_until(parser, &settings.registry, stop) {
                    self.suspended.insert(lang, this);
                    return false;
                }
                self.suspended.remove(&lang);
            }
            Content::Log { rope, log } => *log = log::parse(&rope.to_string(), &settings.registry),
            Content::Plan { rope, reader, read } => {
                *read = reader.read(&rope.to_string(), &settings.registry);
            }
            Content::Skipped { .. } | Content::Plain { .. } | Content::Phase { .. } => {}
        }
        entry.stale = false;
        true
    }
}

/// Why a text is not parsed, if it is not: the core's rule
/// ([`analysis::Skip`]), as `tagls check` applies it to files.
fn unparseable(rope: &Rope, limit: u64) -> Option<String> {
    skip_of(rope, limit).map(|s| s.why())
}

/// Why a text is not parsed, if it is not.
pub fn skip_of(rope: &Rope, limit: u64) -> Option<analysis::Skip> {
    analysis::Skip::of(
        rope.len_bytes() as u64,
        &crate::text::head_bytes(rope, analysis::BINARY_HEAD),
        limit,
    )
}

fn apply_to_rope(rope: &mut Rope, c: &TextDocumentContentChangeEvent, enc: Encoding) {
    match c.range {
        None => *rope = Rope::from_str(&c.text),
        Some(r) => {
            let a = proto::offset(rope, r.start, enc);
            let b = proto::offset(rope, r.end, enc);
            let (a, b) = (a.min(b), a.max(b));
            let (ca, cb) = (rope.byte_to_char(a), rope.byte_to_char(b));
            rope.remove(ca..cb);
            rope.insert(ca, &c.text);
        }
    }
}
