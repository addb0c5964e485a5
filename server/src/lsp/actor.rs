//! The document actor: the single owner of open documents.
//!
//! Notifications reach it through a channel in wire order (handlers send
//! before their first `.await`), so edits are applied strictly in sequence.
//! It runs on its own thread, so parsing never blocks the serve task, and
//! it answers requests with cheap snapshots (a rope clone is O(1)).
//! Diagnostics are debounced: published once the document has been quiet for
//! [`QUIET`], and at most [`MAX_DELAY`] after the first unpublished change.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use ls_types::{Diagnostic, MessageType, TextDocumentContentChangeEvent, Uri};
use ropey::Rope;
use tokio::sync::{mpsc as tmpsc, oneshot};
use tree_sitter::Parser;

use crate::analysis::{self, Analysis};
use crate::config::{self, ConfigFile, Settings};
use crate::document::Document;
use crate::log::{self, DEFAULT_LOG_PATH, LogDoc};
use crate::syntax::Language;
use crate::text::Encoding;
use crate::workspace::fs::RealFs;
use crate::workspace::index::FileIndex;
use crate::workspace::model::{Change, Listed, Lookup, Workspace};
use crate::workspace::walk::Excludes;

use super::proto;

/// How long a document must be quiet before its diagnostics are published.
pub const QUIET: Duration = Duration::from_millis(50);
/// How long an answer of `git status` is reused.
const GIT_STATUS_AGE: Duration = Duration::from_secs(5);
/// The longest a change waits for its diagnostics while typing goes on.
pub const MAX_DELAY: Duration = Duration::from_millis(150);
/// How long a document must be quiet before its diagnostics are worked
/// out, ahead of [`QUIET`]: a request that follows an edit at once (for
/// highlighting) goes first, and when [`QUIET`] comes the diagnostics are
/// only sent.
pub const PREPARE_AFTER: Duration = Duration::from_millis(15);
/// How soon after a semantic-tokens request arrives the reparse it waits
/// for is given up, and the request answered from the last parse (the tags
/// moved along by the edits since). An ordinary edit of a 20,000-line file
/// reparses in under 2 ms; this cuts short tree-sitter's rare slow
/// recoveries, and the parse of a request that waited behind other work
/// (docs/BENCHMARKS.md).
pub const TOKENS_WITHIN: Duration = Duration::from_millis(3);

pub enum Msg {
    Configure {
        encoding: Encoding,
    },
    /// The workspace roots the client named; empty when it named none.
    Roots(Vec<PathBuf>),
    IndexBuilt {
        root: PathBuf,
        index: FileIndex,
        /// The rules of the walk that made it.
        rules: Arc<Excludes>,
    },
    FsChanges(Vec<Change>),
    /// The editor's settings (`initializationOptions` or
    /// `workspace/configuration`), the top configuration layer.
    EditorSettings(serde_json::Value),
    Open {
        uri: Uri,
        language_id: String,
        version: i32,
        text: String,
    },
    Change {
        uri: Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    },
    Close {
        uri: Uri,
    },
    Snapshot {
        uri: Uri,
        /// Only the tags are needed, by this time (semantic tokens): nothing
        /// is resolved, and the reparse is given up at that time.
        tags_by: Option<Instant>,
        reply: oneshot::Sender<Option<Snapshot>>,
    },
    /// Completion at a position.
    Complete {
        uri: Uri,
        position: ls_types::Position,
        reply: oneshot::Sender<Vec<ls_types::CompletionItem>>,
    },
    /// What the server knows of a path: used before writing to it.
    Inspect {
        path: PathBuf,
        reply: oneshot::Sender<Inspected>,
    },
}

/// A path as the workspace sees it.
pub struct Inspected {
    /// The root that holds it; None when it is outside every root.
    pub root: Option<PathBuf>,
    pub lookup: Lookup,
    /// The document, when the editor has it open: its URI, version and text.
    pub open: Option<(Uri, i32, Rope)>,
    pub encoding: Encoding,
    /// The implementation log's path relative to a root, as configured.
    pub log: String,
}

/// What the actor sends out to the client.
pub enum Outbound {
    Publish {
        uri: Uri,
        version: Option<i32>,
        diagnostics: Vec<Diagnostic>,
    },
    Log {
        typ: MessageType,
        message: String,
    },
    /// A message the user should see (`window/showMessage`).
    Show {
        typ: MessageType,
        message: String,
    },
    /// A root was added: build its index, and watch it when the server
    /// watches.
    RootAdded(PathBuf),
    /// Semantic tokens answered from an older parse are now out of date.
    RefreshTokens,
}

/// A document as it was when a request arrived.
#[derive(Clone)]
pub struct Snapshot {
    pub uri: Uri,
    /// The file behind the document, for `file:` URIs.
    pub path: Option<PathBuf>,
    /// The workspace root that holds it.
    pub root: Option<PathBuf>,
    /// Whether this document is the implementation log.
    pub is_log: bool,
    pub version: i32,
    pub rope: Rope,
    pub analysis: Analysis,
    pub settings: Arc<Settings>,
    pub encoding: Encoding,
}

/// The sending side of the actor's mailbox. Sending never blocks and never
/// awaits, which is what keeps notifications in wire order.
#[derive(Clone)]
pub struct Handle {
    tx: mpsc::Sender<Msg>,
    queued: Arc<Queued>,
}

/// Messages sent to the actor and not yet taken in, shared by both sides.
#[derive(Default)]
struct Queued {
    /// Document edits: a parse running meanwhile is already out of date.
    edits: AtomicUsize,
    /// Every message: a publish running meanwhile keeps them waiting.
    all: AtomicUsize,
}

impl Queued {
    fn add(&self, msg: &Msg, n: isize) {
        let step = |counter: &AtomicUsize| {
            if n > 0 {
                counter.fetch_add(1, Ordering::SeqCst);
            } else {
                counter.fetch_sub(1, Ordering::SeqCst);
            }
        };
        step(&self.all);
        if is_edit(msg) {
            step(&self.edits);
        }
    }
}

impl Handle {
    pub fn send(&self, msg: Msg) {
        self.queued.add(&msg, 1);
        if let Err(mpsc::SendError(msg)) = self.tx.send(msg) {
            self.queued.add(&msg, -1);
            tracing::error!("the document actor has stopped; message dropped");
        }
    }
}

/// Starts the actor on its own thread.
pub fn spawn(out: tmpsc::UnboundedSender<Outbound>) -> Handle {
    let (tx, rx) = mpsc::channel();
    let queued = Arc::new(Queued::default());
    let actor = Actor {
        queued: Arc::clone(&queued),
        docs: HashMap::new(),
        parsers: HashMap::new(),
        suspended: HashMap::new(),
        settings: Arc::new(Settings::default()),
        editor_layer: ConfigFile::default(),
        last_good: HashMap::new(),
        config_errors: Vec::new(),
        encoding: Encoding::Utf16,
        ws: Workspace::new(Arc::new(RealFs)),
        client_named_roots: true,
        said_no_root: false,
        building: HashMap::new(),
        designated: None,
        log_on_disk: None,
        git_status: HashMap::new(),
        resolutions: Default::default(),
        handled: 0,
        out,
    };
    let spawned = std::thread::Builder::new()
        .name("tagls-documents".into())
        .spawn(move || actor.run(rx));
    if let Err(e) = spawned {
        tracing::error!("cannot start the document actor: {e}");
    }
    Handle { tx, queued }
}

/// When a document's diagnostics are due: at once when its publish let a
/// message go first, else once it has been quiet for [`QUIET`] and at most
/// [`MAX_DELAY`] after its first unpublished change.
fn due_at(e: &Entry, now: Instant) -> Option<Instant> {
    if e.deferred {
        return Some(now);
    }
    e.pending
        .map(|(first, last)| (last + QUIET).min(first + MAX_DELAY))
}

/// When a document's pending diagnostics are to be worked out ahead of
/// their publish: [`PREPARE_AFTER`] into the quiet time, once per state of
/// the actor (`handled`, the number of messages it has taken in).
fn prepare_at(e: &Entry, handled: u64) -> Option<Instant> {
    if e.deferred || e.prepare_tried == Some(handled) {
        return None;
    }
    e.pending.map(|(_, last)| last + PREPARE_AFTER)
}

/// Whether a message changes a document's text.
fn is_edit(msg: &Msg) -> bool {
    matches!(
        msg,
        Msg::Open { .. } | Msg::Change { .. } | Msg::Close { .. }
    )
}

struct Entry {
    version: i32,
    /// The file behind the document, for `file:` URIs.
    path: Option<PathBuf>,
    content: Content,
    /// When the first and the last unpublished change arrived.
    pending: Option<(Instant, Instant)>,
    /// The analysis and the workspace generation it was made against.
    analysis: Option<(u64, Analysis)>,
    /// Changed since it was last parsed.
    stale: bool,
    /// Semantic tokens were answered from an older parse.
    tokens_behind: bool,
    /// The pending publish has already let a waiting message go first.
    deferred: bool,
    /// Diagnostics worked out during the quiet time, and the state of the
    /// actor they hold for: sent as they are if nothing came in since.
    prepared: Option<(u64, Vec<ls_types::Diagnostic>)>,
    /// The state of the actor in which they were last worked out or tried.
    prepare_tried: Option<u64>,
}

enum Content {
    Parsed(Document),
    /// The implementation log: Markdown, parsed whole on each change.
    Log {
        rope: Rope,
        log: LogDoc,
    },
    /// Too large or binary: kept as text so later edits still apply, but not
    /// parsed.
    Skipped {
        rope: Rope,
        lang: Language,
    },
}

struct Actor {
    /// Shared with [`Handle`]: messages sent and not yet taken in.
    queued: Arc<Queued>,
    docs: HashMap<Uri, Entry>,
    parsers: HashMap<Language, Parser>,
    /// The document and version whose parse a language's parser gave up
    /// and holds, to resume.
    suspended: HashMap<Language, (Uri, i32)>,
    settings: Arc<Settings>,
    /// The editor's settings, the top configuration layer.
    editor_layer: ConfigFile,
    /// The last version of each configuration file that parsed.
    last_good: HashMap<PathBuf, ConfigFile>,
    /// Configuration files that currently carry an error diagnostic.
    config_errors: Vec<PathBuf>,
    encoding: Encoding,
    ws: Workspace,
    /// False when the client named no root (Helix without a root marker):
    /// then each document's folder becomes a root.
    client_named_roots: bool,
    said_no_root: bool,
    /// Changes seen while a root's index was being built, replayed on it.
    building: HashMap<PathBuf, Vec<Change>>,
    /// The document that carries the missing-log note.
    designated: Option<Uri>,
    /// What git reported changed, per root, with the workspace generation
    /// and when it was asked: `git status` runs at most once per state of
    /// the workspace and [`GIT_STATUS_AGE`], not on every keystroke in the log.
    git_status: HashMap<PathBuf, (u64, Instant, Option<Vec<crate::log::unlogged::Unlogged>>)>,
    /// What is wrong with the log on disk, for a workspace generation.
    log_on_disk: Option<(u64, PathBuf, Option<LogProblem>)>,
    /// Resolutions reused across keystrokes until the workspace changes.
    resolutions: crate::resolve::Cache,
    /// How many messages the actor has taken in: any message may change
    /// what a document's diagnostics are.
    handled: u64,
    out: tmpsc::UnboundedSender<Outbound>,
}

impl Actor {
    fn run(mut self, rx: mpsc::Receiver<Msg>) {
        loop {
            let wait = self.next_deadline().map_or(Duration::from_secs(3600), |d| {
                d.saturating_duration_since(Instant::now())
            });
            match rx.recv_timeout(wait) {
                Ok(msg) => {
                    self.queued.add(&msg, -1);
                    self.handled += 1;
                    self.handle_contained(msg)
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            self.publish_due();
            self.prepare_due();
        }
    }

    /// Handles one message; a panic drops the document it concerned, never
    /// the server.
    fn handle_contained(&mut self, msg: Msg) {
        let uri = match &msg {
            Msg::Open { uri, .. }
            | Msg::Change { uri, .. }
            | Msg::Close { uri }
            | Msg::Snapshot { uri, .. }
            | Msg::Complete { uri, .. } => Some(uri.clone()),
            Msg::Configure { .. }
            | Msg::Roots(_)
            | Msg::IndexBuilt { .. }
            | Msg::FsChanges(_)
            | Msg::EditorSettings(_)
            | Msg::Inspect { .. } => None,
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            self.handle(msg);
            self.update_designated();
        }));
        if outcome.is_err() {
            let Some(uri) = uri else { return };
            self.docs.remove(&uri);
            self.log(
                MessageType::ERROR,
                format!("internal error while processing {}; the document is no longer checked until it is reopened", uri.as_str()),
            );
            self.send(Outbound::Publish {
                uri,
                version: None,
                diagnostics: Vec::new(),
            });
        }
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Configure { encoding } => self.encoding = encoding,
            Msg::Roots(roots) => {
                self.client_named_roots = !roots.is_empty();
                for root in roots {
                    self.add_root(root, false);
                }
                self.reload_config();
            }
            Msg::EditorSettings(value) => match ConfigFile::from_json(&value) {
                Ok(layer) => {
                    self.editor_layer = layer;
                    self.reload_config();
                }
                Err(e) => self.warn(format!("tagls: the editor's tagls settings are not valid ({e}); the previous settings stay in force")),
            },
            Msg::IndexBuilt { root, index, rules } => {
                tracing::debug!("index of {} built: {} entries", root.display(), index.len());
                self.ws.set_index(&root, index);
                self.ws.set_walk_rules(&root, rules, Listed::Watched);
                let missed = self.building.remove(&root).unwrap_or_default();
                self.ws.apply(&missed);
                self.invalidate_all();
            }
            Msg::FsChanges(changes) => {
                tracing::debug!("changes on disk: {changes:?}");
                for pending in self.building.values_mut() {
                    pending.extend(changes.iter().cloned());
                }
                let config_changed = changes.iter().any(|c| match c {
                    Change::Created(p) | Change::Changed(p) | Change::Removed(p) => {
                        p.file_name().is_some_and(|n| n == config::FILE_NAME) || Some(p.clone()) == config::user_file()
                    }
                    Change::Rescan => true,
                });
                if self.ws.apply(&changes) {
                    self.invalidate_all();
                }
                if config_changed {
                    self.reload_config();
                }
            }
            Msg::Open {
                uri,
                language_id,
                version,
                text,
            } => self.open(uri, &language_id, version, text),
            Msg::Change {
                uri,
                version,
                changes,
            } => self.change(&uri, version, changes),
            Msg::Close { uri } => {
                self.suspended.retain(|_, (held, _)| *held != uri);
                if self.docs.remove(&uri).is_some() {
                    self.send(Outbound::Publish {
                        uri,
                        version: None,
                        diagnostics: Vec::new(),
                    });
                }
            }
            Msg::Snapshot {
                uri,
                tags_by,
                reply,
            } => {
                let snap = match tags_by {
                    Some(by) => self.tags_snapshot(&uri, by),
                    None => self.snapshot(&uri),
                };
                // The requester may have been cancelled; nothing to do then.
                let _ = reply.send(snap);
            }
            Msg::Complete { uri, position, reply } => {
                let items = self.complete(&uri, position);
                let _ = reply.send(items);
            }
            Msg::Inspect { path, reply } => {
                let path = crate::workspace::paths::normalize(&path);
                let open = self
                    .docs
                    .iter()
                    .find(|(_, e)| e.path.as_deref() == Some(&path))
                    .map(|(uri, e)| {
                        let rope = match &e.content {
                            Content::Parsed(doc) => doc.rope().clone(),
                            Content::Log { rope, .. } | Content::Skipped { rope, .. } => {
                                rope.clone()
                            }
                        };
                        (uri.clone(), e.version, rope)
                    });
                let _ = reply.send(Inspected {
                    root: self.ws.root_for(&path).map(|r| r.path.clone()),
                    lookup: self.ws.lookup(&path),
                    open,
                    encoding: self.encoding,
                    log: self.settings.log.clone(),
                });
            }
        }
    }

    fn open(&mut self, uri: Uri, language_id: &str, version: i32, text: String) {
        self.suspended.retain(|_, (held, _)| *held != uri);
        let path = uri.to_file_path().map(|p| p.into_owned());
        let is_log = path
            .as_deref()
            .is_some_and(|p| p.ends_with(DEFAULT_LOG_PATH));
        let lang = Language::detect(Some(language_id), uri.path().as_str());
        if lang.is_none() && !is_log {
            tracing::debug!("not a tagged language: {} ({language_id})", uri.as_str());
            return;
        }
        // Without a client root, a document's folder stands in; for the log,
        // the folder that holds `.orchestration/`.
        let stand_in = path.as_deref().and_then(|p| {
            if is_log {
                p.ancestors().nth(2)
            } else {
                p.parent()
            }
        });
        if let Some(dir) = stand_in
            && !self.client_named_roots
            && self.ws.root_for(dir).is_none()
        {
            if !self.said_no_root {
                self.said_no_root = true;
                self.log(
                    MessageType::INFO,
                    format!(
                        "the client named no workspace root; paths are resolved against each document's folder, starting with {}",
                        dir.display()
                    ),
                );
            }
            self.add_root(dir.to_path_buf(), true);
        }
        let content = match lang {
            _ if is_log => Content::Log {
                log: log::parse(&text, &self.settings.registry),
                rope: Rope::from_str(&text),
            },
            Some(lang) => self.parse_or_skip(&uri, lang, Rope::from_str(&text), &text),
            None => return,
        };
        self.docs.insert(
            uri.clone(),
            Entry {
                version,
                path,
                content,
                pending: None,
                analysis: None,
                stale: false,
                tokens_behind: false,
                deferred: false,
                prepared: None,
                prepare_tried: None,
            },
        );
        // At once and whole: the first diagnostics of a document do not wait
        // for other messages.
        self.publish(&uri, false);
    }

    fn parse_or_skip(&mut self, uri: &Uri, lang: Language, rope: Rope, text: &str) -> Content {
        if let Some(why) = unparseable(&rope, self.settings.max_file_size) {
            self.log(
                MessageType::INFO,
                format!("{}: {why}; tags in it are not checked", uri.as_str()),
            );
            return Content::Skipped { rope, lang };
        }
        let parser = self.parsers.entry(lang).or_insert_with(|| lang.parser());
        Content::Parsed(Document::new(lang, text, parser, &self.settings.registry))
    }

    fn change(&mut self, uri: &Uri, version: i32, changes: Vec<TextDocumentContentChangeEvent>) {
        let enc = self.encoding;
        let Some(entry) = self.docs.get_mut(uri) else {
            tracing::debug!("change for a document that is not open: {}", uri.as_str());
            return;
        };
        entry.version = version;
        entry.analysis = None;
        let now = Instant::now();
        entry.pending = Some((entry.pending.map_or(now, |(first, _)| first), now));
        match &mut entry.content {
            Content::Parsed(doc) => {
                for c in &changes {
                    doc.apply_change(
                        c.range
                            .map(|r| (proto::line_col(r.start), proto::line_col(r.end))),
                        &c.text,
                        enc,
                    );
                }
                if let Some(why) = unparseable(doc.rope(), self.settings.max_file_size) {
                    let rope = doc.rope().clone();
                    let lang = doc.language();
                    entry.content = Content::Skipped { rope, lang };
                    self.log(
                        MessageType::INFO,
                        format!("{}: {why}; tags in it are not checked", uri.as_str()),
                    );
                    return;
                }
                // Reparsed when next needed (a request, or the debounced
                // publish): a burst of keystrokes costs one reparse, and a
                // slow one (tree-sitter recovering from a syntax error) is
                // not paid per keystroke.
                entry.stale = true;
            }
            Content::Log { rope, .. } => {
                for c in &changes {
                    apply_to_rope(rope, c, enc);
                }
                entry.stale = true;
            }
            Content::Skipped { rope, lang } => {
                for c in &changes {
                    apply_to_rope(rope, c, enc);
                }
                if unparseable(rope, self.settings.max_file_size).is_none() {
                    let (lang, text) = (*lang, rope.to_string());
                    let rope = Rope::from_str(&text);
                    let content = self.parse_or_skip(uri, lang, rope, &text);
                    if let Some(entry) = self.docs.get_mut(uri) {
                        entry.content = content;
                    }
                }
            }
        }
    }

    fn add_root(&mut self, root: PathBuf, fallback: bool) {
        if self.ws.add_root(&root, fallback) {
            self.building.insert(root.clone(), Vec::new());
            self.send(Outbound::RootAdded(root));
            self.invalidate_all();
        }
    }

    /// The workspace changed: every open document is checked again, within
    /// the usual debounce.
    fn invalidate_all(&mut self) {
        let now = Instant::now();
        for e in self.docs.values_mut() {
            e.pending = Some(e.pending.map_or((now, now), |(first, _)| (first, now)));
        }
    }

    fn analysis(&mut self, uri: &Uri) -> Option<Analysis> {
        // For the log: what git reports changed (cached; asked first, while
        // nothing else is borrowed).
        let log_path = self
            .docs
            .get(uri)
            .filter(|e| matches!(e.content, Content::Log { .. }))
            .and_then(|e| e.path.clone());
        let changed = log_path.and_then(|p| self.git_changes(&p));
        let generation = self.ws.generation();
        self.reparse(uri, &mut || false);
        let ignored = self.is_ignored(uri);
        let entry = self.docs.get_mut(uri)?;
        if let Some((g, a)) = &entry.analysis
            && *g == generation
        {
            return Some(a.clone());
        }
        let a = match &entry.content {
            Content::Parsed(doc) => {
                if ignored {
                    Analysis::default()
                } else {
                    analysis::analyze_cached(
                        doc,
                        entry.path.as_deref(),
                        &mut self.ws,
                        &mut self.resolutions,
                        &self.settings,
                    )
                }
            }
            Content::Log { rope, log } => match entry.path.as_deref() {
                Some(path) => {
                    analysis::analyze_log(log, &rope.to_string(), path, &mut self.ws, changed)
                }
                None => Analysis::default(),
            },
            Content::Skipped { .. } => Analysis::default(),
        };
        entry.analysis = Some((generation, a.clone()));
        Some(a)
    }

    /// Parses a changed document again; false, with the document as it
    /// was, when `stop` cut the parse short.
    fn reparse(&mut self, uri: &Uri, stop: &mut dyn FnMut() -> bool) -> bool {
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
                if !doc.reparse_until(parser, &self.settings.registry, stop) {
                    self.suspended.insert(lang, this);
                    return false;
                }
                self.suspended.remove(&lang);
            }
            Content::Log { rope, log } => {
                *log = log::parse(&rope.to_string(), &self.settings.registry)
            }
            Content::Skipped { .. } => {}
        }
        entry.stale = false;
        true
    }

    /// A snapshot for semantic tokens: the tags only, from a reparse that
    /// may last until `by` and no newer edit. Past either, the tags of the
    /// last parse answer, moved along by the edits since; the next publish
    /// parses in full and asks the client to refresh.
    fn tags_snapshot(&mut self, uri: &Uri, by: Instant) -> Option<Snapshot> {
        let parsed = matches!(self.docs.get(uri)?.content, Content::Parsed(_));
        if !parsed {
            return self.snapshot(uri);
        }
        let queued = Arc::clone(&self.queued);
        let done = self.reparse(uri, &mut || {
            queued.edits.load(Ordering::SeqCst) > 0 || Instant::now() > by
        });
        let generation = self.ws.generation();
        let ignored = self.is_ignored(uri);
        let entry = self.docs.get_mut(uri)?;
        if !done {
            entry.tokens_behind = true;
        }
        let analysis = match (&entry.analysis, &entry.content) {
            (Some((g, a)), _) if done && *g == generation => a.clone(),
            (_, Content::Parsed(_)) if ignored => Analysis::default(),
            (_, Content::Parsed(doc)) => analysis::tags_only(doc),
            _ => Analysis::default(),
        };
        self.snapshot_with(uri, analysis)
    }

    /// Whether the configuration leaves the document's file out.
    fn is_ignored(&self, uri: &Uri) -> bool {
        self.docs
            .get(uri)
            .and_then(|e| e.path.as_deref())
            .is_some_and(|p| {
                self.ws
                    .root_for(p)
                    .and_then(|r| p.strip_prefix(&r.path).ok())
                    .is_some_and(|rel| self.settings.is_ignored(rel))
            })
    }

    fn snapshot(&mut self, uri: &Uri) -> Option<Snapshot> {
        let analysis = self.analysis(uri)?;
        self.snapshot_with(uri, analysis)
    }

    fn snapshot_with(&self, uri: &Uri, analysis: Analysis) -> Option<Snapshot> {
        let entry = self.docs.get(uri)?;
        let rope = match &entry.content {
            Content::Parsed(doc) => doc.rope().clone(),
            Content::Log { rope, .. } | Content::Skipped { rope, .. } => rope.clone(),
        };
        Some(Snapshot {
            uri: uri.clone(),
            path: entry.path.clone(),
            root: entry
                .path
                .as_deref()
                .and_then(|p| self.ws.root_for(p))
                .map(|r| r.path.clone()),
            is_log: matches!(entry.content, Content::Log { .. }),
            version: entry.version,
            rope,
            analysis,
            settings: self.settings.clone(),
            encoding: self.encoding,
        })
    }

    fn complete(
        &mut self,
        uri: &Uri,
        position: ls_types::Position,
    ) -> Vec<ls_types::CompletionItem> {
        let Some(snap) = self.snapshot(uri) else {
            return Vec::new();
        };
        let offset = proto::offset(&snap.rope, position, snap.encoding);
        let Some(entry) = self.docs.get(uri) else {
            return Vec::new();
        };
        let in_comment = match &entry.content {
            Content::Parsed(doc) => doc.in_comment(offset),
            Content::Log { .. } => true,
            Content::Skipped { .. } => false,
        };
        let root = snap
            .root
            .clone()
            .and_then(|r| self.ws.roots().iter().find(|x| x.path == r));
        let env_names: Vec<String> = {
            let mut names: Vec<String> = root
                .map(|r| {
                    r.env
                        .files()
                        .iter()
                        .flat_map(|f| f.keys.iter().map(|k| k.name.clone()))
                        .collect()
                })
                .unwrap_or_default();
            names.sort();
            names.dedup();
            names
        };
        let index = root.and_then(|r| r.index.as_ref());
        let list_dir = |dir: &str| {
            index
                .map(|i| i.children(std::path::Path::new(dir)))
                .unwrap_or_default()
        };
        let cx = crate::complete::Context {
            rope: &snap.rope,
            registry: &snap.settings.registry,
            tags: &snap.analysis.tags,
            in_comment,
            is_log: snap.is_log,
            list_dir: &list_dir,
            env_names: &env_names,
        };
        crate::complete::complete(&cx, offset)
            .into_iter()
            .map(|item| proto::completion_item(&snap.rope, item, snap.encoding))
            .collect()
    }

    fn next_deadline(&self) -> Option<Instant> {
        let now = Instant::now();
        self.docs
            .values()
            .flat_map(|e| [due_at(e, now), prepare_at(e, self.handled)])
            .flatten()
            .min()
    }

    /// Works out the diagnostics of documents quiet for [`PREPARE_AFTER`],
    /// unless a message is waiting.
    fn prepare_due(&mut self) {
        let now = Instant::now();
        let handled = self.handled;
        for uri in self.docs_where(|e| prepare_at(e, handled).is_some_and(|at| now >= at)) {
            if self.queued.all.load(Ordering::SeqCst) > 0 {
                return;
            }
            self.contained(&uri, |actor| actor.prepare(&uri));
        }
    }

    /// Works out a document's diagnostics for its coming publish; given up
    /// for any message that comes in meanwhile.
    fn prepare(&mut self, uri: &Uri) {
        let stamp = self.handled;
        let Some(entry) = self.docs.get_mut(uri) else {
            return;
        };
        entry.prepare_tried = Some(stamp);
        let queued = Arc::clone(&self.queued);
        let waiting = move || queued.all.load(Ordering::SeqCst) > 0;
        if !self.reparse(uri, &mut || waiting()) || waiting() {
            return;
        }
        let Some(snap) = self.snapshot(uri) else {
            return;
        };
        if waiting() {
            return;
        }
        let diagnostics = self.diagnostics(uri, &snap);
        if let Some(entry) = self.docs.get_mut(uri) {
            entry.prepared = Some((stamp, diagnostics));
        }
    }

    /// What a document's publish holds.
    fn diagnostics(&mut self, uri: &Uri, snap: &Snapshot) -> Vec<ls_types::Diagnostic> {
        let mut all = snap.analysis.findings(&snap.settings);
        if self.designated.as_ref() == Some(uri)
            && let Some(f) = self.missing_log_finding(snap)
        {
            all.insert(0, f);
        }
        proto::diagnostics(&snap.rope, &all, snap.encoding)
    }

    fn publish_due(&mut self) {
        let now = Instant::now();
        for uri in self.docs_where(|e| due_at(e, now).is_some_and(|at| now >= at)) {
            self.contained(&uri, |actor| actor.publish(&uri, true));
        }
    }

    /// The documents whose entry satisfies `pred`.
    fn docs_where(&self, pred: impl Fn(&Entry) -> bool) -> Vec<Uri> {
        self.docs
            .iter()
            .filter(|(_, e)| pred(e))
            .map(|(u, _)| u.clone())
            .collect()
    }

    /// Works on one document; a panic drops that document, never the
    /// server.
    fn contained(&mut self, uri: &Uri, work: impl FnOnce(&mut Actor)) {
        if catch_unwind(AssertUnwindSafe(|| work(self))).is_err() {
            self.docs.remove(uri);
            self.log(
                MessageType::ERROR,
                format!("internal error while checking {}", uri.as_str()),
            );
        }
    }

    /// Publishes a document's diagnostics. With `yielding`, the publish of
    /// an edited document, a waiting message goes first: the parse is given
    /// up for it, and once the analysis is done it is let through once.
    fn publish(&mut self, uri: &Uri, yielding: bool) {
        // Worked out during the quiet time, and nothing came in since: sent
        // as it is.
        let handled = self.handled;
        if let Some(entry) = self.docs.get_mut(uri)
            && let Some((_, diagnostics)) = entry.prepared.take().filter(|(s, _)| *s == handled)
        {
            let version = entry.version;
            self.send_diagnostics(uri, version, diagnostics);
            return;
        }
        // A parse that a newer message would wait for is given up: an edit
        // makes it stale, and a request is answered first (from the last
        // parse, for highlighting). The publish comes once the typing pauses.
        let queued = Arc::clone(&self.queued);
        if !self.reparse(uri, &mut || {
            yielding && queued.all.load(Ordering::SeqCst) > 0
        }) {
            if let Some(entry) = self.docs.get_mut(uri) {
                let now = Instant::now();
                entry.pending.get_or_insert((now, now));
            }
            return;
        }
        let Some(snap) = self.snapshot(uri) else {
            return;
        };
        // A waiting message is answered before the rest, once per publish
        // (the analysis is kept, so the next attempt goes straight on).
        let waiting = yielding && self.queued.all.load(Ordering::SeqCst) > 0;
        if let Some(entry) = self.docs.get_mut(uri)
            && waiting
            && !std::mem::replace(&mut entry.deferred, true)
        {
            return;
        }
        let diagnostics = self.diagnostics(uri, &snap);
        self.send_diagnostics(uri, snap.version, diagnostics);
    }

    /// Sends a document's diagnostics: its publish is no longer pending,
    /// and highlighting answered from an older parse is refreshed first.
    fn send_diagnostics(
        &mut self,
        uri: &Uri,
        version: i32,
        diagnostics: Vec<ls_types::Diagnostic>,
    ) {
        if let Some(entry) = self.docs.get_mut(uri) {
            entry.deferred = false;
            entry.pending = None;
            if std::mem::take(&mut entry.tokens_behind) {
                self.send(Outbound::RefreshTokens);
            }
        }
        self.send(Outbound::Publish {
            uri: uri.clone(),
            version: Some(version),
            diagnostics,
        });
    }

    /// The open source document that carries the note about a missing log:
    /// the first, by URI, that has tags. One note, not one per file.
    fn pick_designated(&self) -> Option<Uri> {
        self.docs
            .iter()
            .filter(|(_, e)| match &e.content {
                Content::Parsed(doc) => doc.tags().next().is_some() && e.path.is_some(),
                _ => false,
            })
            .map(|(u, _)| u)
            .min_by(|a, b| a.as_str().cmp(b.as_str()))
            .cloned()
    }

    /// Re-picks the designated document; both the old and the new one are
    /// published again when it moves.
    fn update_designated(&mut self) {
        let now = self.pick_designated();
        if now == self.designated {
            return;
        }
        let old = std::mem::replace(&mut self.designated, now.clone());
        let t = Instant::now();
        for uri in [old, now].into_iter().flatten() {
            if let Some(e) = self.docs.get_mut(&uri) {
                e.pending = Some(e.pending.map_or((t, t), |(first, _)| (first, t)));
            }
        }
    }

    /// The note that the implementation log is missing, empty or holds no
    /// claim, on the first tag of `snap`.
    fn missing_log_finding(&mut self, snap: &Snapshot) -> Option<crate::findings::Finding> {
        let first = snap.analysis.tags.first()?;
        let root = snap.root.clone()?;
        // A folder that stands in for a root the client did not name says
        // nothing about where the log should be.
        if self.ws.roots().iter().any(|r| r.path == root && r.fallback) {
            return None;
        }
        let log_path = root.join(&self.settings.log);
        // The log as the editor has it, else as the disk has it: read once
        // per state of the workspace, not on every publish.
        let registry = &self.settings.registry;
        let open = self
            .docs
            .values()
            .find_map(|e| match (&e.content, &e.path) {
                (Content::Log { log, rope }, Some(p)) if *p == log_path => Some(log_problem(
                    log,
                    rope.len_bytes() > 0 && rope.chars().any(|c| !c.is_whitespace()),
                    registry,
                )),
                _ => None,
            });
        let problem = match open {
            Some(p) => p,
            None => {
                let generation = self.ws.generation();
                match &self.log_on_disk {
                    Some((g, path, p)) if *g == generation && *path == log_path => *p,
                    _ => {
                        let p = match self.ws.read(&log_path, 64 * 1024 * 1024) {
                            Ok(bytes) => {
                                let text = String::from_utf8_lossy(&bytes);
                                log_problem(
                                    &log::parse(&text, registry),
                                    !text.trim().is_empty(),
                                    registry,
                                )
                            }
                            Err(crate::workspace::model::ReadError::Missing) => {
                                Some(LogProblem::Missing)
                            }
                            Err(_) => None,
                        };
                        self.log_on_disk = Some((generation, log_path.clone(), p));
                        p
                    }
                }
            }
        }?;
        let what = match problem {
            LogProblem::Missing => "is missing",
            LogProblem::Empty => "is empty",
            LogProblem::NoClaim => {
                "holds no claim (#FILE_CREATED, #FILE_MODIFIED or #SCREENSHOT_CLAIMED)"
            }
        };
        Some(crate::findings::Finding {
            range: first.head_range(),
            severity: crate::tags::Severity::Warning,
            code: crate::findings::Code::MissingLog,
            tag: first.name.clone(),
            message: format!(
                "this workspace uses tags, but its implementation log {} {what}",
                self.settings.log
            ),
            fix: (problem != LogProblem::NoClaim)
                .then_some(crate::findings::Fix::CreateLog { path: log_path }),
        })
    }

    /// The files git reports changed under the root of `path`, cached.
    /// Commits touch only `.git`, which is not watched, so the answer also
    /// expires with age.
    fn git_changes(
        &mut self,
        path: &std::path::Path,
    ) -> Option<Vec<crate::log::unlogged::Unlogged>> {
        let root = self.ws.root_for(path)?.path.clone();
        let generation = self.ws.generation();
        if let Some((g, at, changed)) = self.git_status.get(&root)
            && *g == generation
            && at.elapsed() < GIT_STATUS_AGE
        {
            return changed.clone();
        }
        let changed = crate::log::unlogged::changed_files(&root);
        self.git_status
            .insert(root, (generation, Instant::now(), changed.clone()));
        changed
    }

    fn warn(&self, message: String) {
        tracing::warn!("{message}");
        self.send(Outbound::Show {
            typ: MessageType::WARNING,
            message,
        });
    }

    /// Reads the configuration files again and, if what is in force
    /// changed, checks every open document again with it. A file that does
    /// not parse gets an error diagnostic at the offending text, and its
    /// last good version stays in force.
    fn reload_config(&mut self) {
        let root = self
            .ws
            .roots()
            .iter()
            .find(|r| !r.fallback)
            .or(self.ws.roots().first())
            .map(|r| r.path.clone());
        let files = [
            config::user_file(),
            root.as_deref().and_then(config::workspace_file),
        ];
        let mut merged = ConfigFile::default();
        let mut errors = Vec::new();
        for path in files.into_iter().flatten() {
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(_) => {
                    self.last_good.remove(&path);
                    continue;
                }
            };
            match ConfigFile::parse(&text, &path) {
                Ok(layer) => {
                    self.last_good.insert(path.clone(), layer.clone());
                    merged = merged.merged(layer);
                }
                Err(e) => {
                    if let Some(good) = self.last_good.get(&path) {
                        merged = merged.merged(good.clone());
                    }
                    errors.push((e, text));
                }
            }
        }
        // Errors on the files, cleared from the files that are fine again.
        let now_bad: Vec<PathBuf> = errors.iter().map(|(e, _)| e.path.clone()).collect();
        for path in std::mem::take(&mut self.config_errors) {
            if !now_bad.contains(&path)
                && let Some(uri) = Uri::from_file_path(&path)
            {
                self.send(Outbound::Publish {
                    uri,
                    version: None,
                    diagnostics: Vec::new(),
                });
            }
        }
        for (e, text) in &errors {
            self.log(
                MessageType::ERROR,
                format!("{e}; the last good configuration stays in force"),
            );
            let Some(uri) = Uri::from_file_path(&e.path) else {
                continue;
            };
            let rope = Rope::from_str(text);
            let range = e.range.unwrap_or_default();
            let diagnostic = ls_types::Diagnostic {
                range: proto::range(&rope, range, self.encoding),
                severity: Some(ls_types::DiagnosticSeverity::ERROR),
                code: Some(ls_types::NumberOrString::String("config".to_owned())),
                source: Some(proto::SOURCE.to_owned()),
                message: format!("{}; the last good configuration stays in force", e.message),
                ..ls_types::Diagnostic::default()
            };
            self.send(Outbound::Publish {
                uri,
                version: None,
                diagnostics: vec![diagnostic],
            });
        }
        self.config_errors = now_bad;
        let settings = Settings::from_file(&merged.merged(self.editor_layer.clone()));
        self.apply_settings(settings);
    }

    /// Puts new settings in force: documents are scanned again from their
    /// text (the registry may have changed) and published again.
    fn apply_settings(&mut self, settings: Settings) {
        let same = self.settings.log == settings.log
            && format!("{:?}", self.settings) == format!("{settings:?}");
        if same {
            return;
        }
        self.settings = Arc::new(settings);
        self.ws.set_env_files(self.settings.env_files.clone());
        let registry = self.settings.registry.clone();
        for entry in self.docs.values_mut() {
            match &mut entry.content {
                Content::Parsed(doc) => {
                    let lang = doc.language();
                    let text = doc.rope().to_string();
                    let parser = self.parsers.entry(lang).or_insert_with(|| lang.parser());
                    *doc = Document::new(lang, &text, parser, &registry);
                }
                Content::Log { .. } => entry.stale = true,
                Content::Skipped { .. } => {}
            }
            entry.analysis = None;
        }
        self.invalidate_all();
    }

    fn log(&self, typ: MessageType, message: String) {
        tracing::info!("{message}");
        self.send(Outbound::Log { typ, message });
    }

    fn send(&self, out: Outbound) {
        // The receiver is gone only while the server shuts down.
        let _ = self.out.send(out);
    }
}

/// Why the log does not satisfy the method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LogProblem {
    Missing,
    Empty,
    NoClaim,
}

/// What is wrong with a log that exists (`has_text` false: only blanks).
fn log_problem(
    log: &LogDoc,
    has_text: bool,
    registry: &crate::tags::Registry,
) -> Option<LogProblem> {
    let has_claim = log.entries.iter().any(|e| {
        registry
            .get(&e.tag.name)
            .is_some_and(|d| d.family == crate::tags::Family::Claim)
    });
    if !has_text {
        Some(LogProblem::Empty)
    } else if !has_claim {
        Some(LogProblem::NoClaim)
    } else {
        None
    }
}

/// Why a text is not parsed, if it is not.
fn unparseable(rope: &Rope, limit: u64) -> Option<String> {
    if rope.len_bytes() as u64 > limit {
        return Some(format!(
            "larger than the size limit of {limit} bytes ({} bytes; see max-file-size)",
            rope.len_bytes()
        ));
    }
    // Text with NUL bytes is binary content that an editor opened as text.
    let head = rope.byte_slice(..rope.len_bytes().min(8192));
    if head.chunks().any(|c| c.as_bytes().contains(&0)) {
        return Some("binary content".to_owned());
    }
    None
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
