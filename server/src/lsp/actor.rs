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
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use ls_types::{Diagnostic, MessageType, TextDocumentContentChangeEvent, Uri};
use ropey::Rope;
use tokio::sync::{mpsc as tmpsc, oneshot};

use crate::analysis::{self, Analysis};
use crate::config::{self, ConfigFile, Loader, RootSettings, Settings};
use crate::findings::Finding;
use crate::log::{self, LogProblem};
use crate::text::Encoding;
use crate::workspace::fs::RealFs;
use crate::workspace::index::FileIndex;
use crate::workspace::model::{Change, Listed, Lookup, Workspace};
use crate::workspace::paths::display_rel;
use crate::workspace::walk::Excludes;

use super::documents::{Content, Documents, Entry, Kind, Opened};
use super::proto;

/// How long a document must be quiet before its diagnostics are published.
pub const QUIET: Duration = Duration::from_millis(50);
/// How long a document's blame is trusted before `HEAD` is asked again:
/// commits touch only `.git`, which is not watched.
const BLAME_AGE: Duration = Duration::from_secs(2);
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
    /// The editor saved the document.
    Saved {
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
    /// Every root with its configuration in force, for a workspace-wide
    /// check through the gate.
    Configured {
        reply: oneshot::Sender<Vec<(PathBuf, ConfigFile)>>,
    },
    /// The files of a root that hold tags on disk, as a check of the root
    /// found them in the workspace state `generation`.
    Tagged {
        root: PathBuf,
        generation: u64,
        files: Vec<String>,
        /// The gate's verdict on the root.
        verdict: crate::findings::Verdict,
        /// The tags of the root's code that its phase state must record.
        code_tags: Vec<crate::phase::CodeTag>,
    },
    /// Which commit introduced each line of a document's `version`, as git
    /// blamed it against `head` on another thread.
    Blamed {
        uri: Uri,
        version: i32,
        head: Option<String>,
        origins: Option<Origins>,
    },
}

/// The origin of each line (1-based) of a document, from git blame.
pub type Origins = Arc<HashMap<u32, crate::history::blame::Origin>>;

/// A document's blame: for which version and `HEAD`, when it was last
/// confirmed, and whether a blame is running.
struct Blame {
    version: i32,
    head: Option<String>,
    origins: Option<Origins>,
    /// `None` once the file changed on disk: to be confirmed again.
    checked: Option<Instant>,
    running: bool,
}

/// A path as the workspace sees it.
pub struct Inspected {
    /// The root that holds it; None when it is outside every root.
    pub root: Option<PathBuf>,
    pub lookup: Lookup,
    /// The document, when the editor has it open: its URI, version and text.
    pub open: Option<(Uri, i32, Rope)>,
    pub encoding: Encoding,
    /// Whether the path is an env file of its root, as configured.
    pub is_env: bool,
    /// The settings in force at the path.
    pub settings: Arc<Settings>,
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
    /// What the disk says changed: inlay hints and code lenses, which show
    /// whether references resolve, are out of date.
    RefreshDerived,
    /// A document's code lens says something else than when it was last
    /// published (a tag added, a reference resolved by an edit).
    RefreshLenses,
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
    /// The gate's verdict on the document's root, when a check of the root
    /// in the workspace's current state has answered.
    pub verdict: Option<crate::findings::Verdict>,
    /// Which commit introduced each line, when git has answered for this
    /// version of the document.
    pub origins: Option<Origins>,
}

/// The sending side of the actor's mailbox. Sending never blocks and never
/// awaits, which is what keeps notifications in wire order.
#[derive(Clone)]
pub struct Handle {
    tx: Arc<mpsc::Sender<Msg>>,
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
    let handle = Handle {
        tx: Arc::new(tx),
        queued,
    };
    let actor = Actor {
        queued: Arc::clone(&handle.queued),
        me: Arc::downgrade(&handle.tx),
        docs: Documents::default(),
        config: RootSettings::default(),
        loader: Loader::default(),
        editor_layer: ConfigFile::default(),
        config_errors: Vec::new(),
        encoding: Encoding::Utf16,
        ws: Workspace::new(Arc::new(RealFs)),
        client_named_roots: true,
        said_no_root: false,
        building: HashMap::new(),
        designated: Vec::new(),
        log_state: HashMap::new(),
        tagged: HashMap::new(),
        git_status: HashMap::new(),
        resolutions: Default::default(),
        handled: 0,
        disk_changed: false,
        day: crate::tags::due::today(),
        lenses: HashMap::new(),
        lenses_changed: false,
        blames: HashMap::new(),
        out,
    };
    let spawned = std::thread::Builder::new()
        .name("tagls-documents".into())
        .spawn(move || actor.run(rx));
    if let Err(e) = spawned {
        tracing::error!("cannot start the document actor: {e}");
    }
    handle
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

/// What a root's check found of its tagged files, for the note about a
/// missing log: the files in path order, or `None` while the check runs.
struct Tagged {
    generation: u64,
    files: Option<Vec<String>>,
    /// The gate's verdict on the root, from the same check.
    verdict: Option<crate::findings::Verdict>,
    /// The tags of the root's code that its phase state must record, from
    /// the same check (the last answer while a check runs).
    code_tags: Option<Arc<[crate::phase::CodeTag]>>,
}

struct Actor {
    /// Shared with [`Handle`]: messages sent and not yet taken in.
    queued: Arc<Queued>,
    /// The actor's own mailbox, for work it hands to other threads; weak,
    /// so that the actor stops once every handle is gone.
    me: std::sync::Weak<mpsc::Sender<Msg>>,
    docs: Documents,
    /// The configuration in force at each root.
    config: RootSettings,
    /// Reads the configuration files, keeping the last good version of each.
    loader: Loader,
    /// The editor's settings, the top configuration layer.
    editor_layer: ConfigFile,
    /// Configuration files that currently carry an error diagnostic.
    config_errors: Vec<PathBuf>,
    encoding: Encoding,
    ws: Workspace,
    /// False when the client named no root (Helix without a root marker):
    /// then each document's root is found as `tagls check` finds it.
    client_named_roots: bool,
    said_no_root: bool,
    /// Changes seen while a root's index was being built, replayed on it.
    building: HashMap<PathBuf, Vec<Change>>,
    /// The documents that carry the note about a missing log, one per root.
    designated: Vec<Uri>,
    /// What is wrong with each root's log on disk, for a workspace
    /// generation.
    log_state: HashMap<PathBuf, (u64, Option<LogProblem>)>,
    /// Each root's tagged files on disk.
    tagged: HashMap<PathBuf, Tagged>,
    /// What git reported changed, per root, with the workspace generation
    /// and when it was asked: `git status` runs at most once per state of
    /// the workspace and [`GIT_STATUS_AGE`], not on every keystroke in the log.
    #[allow(clippy::type_complexity)]
    git_status: HashMap<
        PathBuf,
        (
            u64,
            Instant,
            Option<String>,
            Option<Arc<crate::log::git::GitState>>,
        ),
    >,
    /// Resolutions reused across keystrokes until the workspace changes.
    resolutions: crate::resolve::Cache,
    /// How many messages the actor has taken in: any message may change
    /// what a document's diagnostics are.
    handled: u64,
    /// The disk changed since the last publish: hints and lenses are to be
    /// refreshed with it.
    disk_changed: bool,
    /// The day (UTC) the open documents were last published on: when it
    /// changes, they are published again, since a due date may have passed.
    day: jiff::civil::Date,
    /// Each open document's code lens title: as last worked out, and as
    /// last published with its diagnostics.
    lenses: HashMap<Uri, (Option<String>, Option<Option<String>>)>,
    /// A published lens changed since the lenses were last refreshed.
    lenses_changed: bool,
    /// Each open document's blame, computed off this thread.
    blames: HashMap<Uri, Blame>,
    out: tmpsc::UnboundedSender<Outbound>,
}

/// How long until the next day begins in UTC (a second past midnight).
fn until_next_day() -> Duration {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    Duration::from_secs(86_400 - now % 86_400 + 1)
}

impl Actor {
    fn run(mut self, rx: mpsc::Receiver<Msg>) {
        loop {
            let wait = self
                .next_deadline()
                .map_or(Duration::from_secs(3600), |d| {
                    d.saturating_duration_since(Instant::now())
                })
                .min(until_next_day());
            match rx.recv_timeout(wait) {
                Ok(msg) => {
                    self.queued.add(&msg, -1);
                    self.handled += 1;
                    self.handle_contained(msg)
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            let today = crate::tags::due::today();
            if today != self.day {
                // Findings are made again from the analyses kept: cheap,
                // once a day.
                self.day = today;
                for e in self.docs.values_mut() {
                    e.prepared = None;
                }
                self.invalidate_all();
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
            | Msg::Saved { uri }
            | Msg::Snapshot { uri, .. }
            | Msg::Complete { uri, .. } => Some(uri.clone()),
            Msg::Configure { .. }
            | Msg::Roots(_)
            | Msg::IndexBuilt { .. }
            | Msg::FsChanges(_)
            | Msg::EditorSettings(_)
            | Msg::Inspect { .. }
            | Msg::Configured { .. }
            | Msg::Tagged { .. }
            | Msg::Blamed { .. } => None,
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            self.handle(msg);
            self.update_designated();
        }));
        if outcome.is_err() {
            let Some(uri) = uri else {
                self.log(
                    MessageType::ERROR,
                    "internal error while processing a change of the workspace or the settings"
                        .to_owned(),
                );
                return;
            };
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
                self.disk_changed = true;
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
                    self.disk_changed = true;
                    self.invalidate_all();
                }
                self.blames_changed_on_disk(&changes);
                self.warn_of_diverging_logs(&changes);
                // A folder or log of the method that appears or goes can
                // change a root's dialect, or where its log is by default.
                let method_files = changes.iter().any(|c| match c {
                    Change::Created(p) | Change::Removed(p) => p.components().any(|c| {
                        c.as_os_str() == ".claude" || c.as_os_str() == ".orchestration"
                    }),
                    Change::Changed(_) => false,
                    Change::Rescan => true,
                });
                if config_changed {
                    self.reload_config();
                }
                if method_files && self.config.refresh_dialects() {
                    self.apply_settings();
                }
            }
            Msg::Open {
                uri,
                language_id,
                version,
                text,
            } => self.open(uri, language_id, version, text),
            Msg::Change {
                uri,
                version,
                changes,
            } => self.change(&uri, version, changes),
            Msg::Close { uri } => {
                self.lenses.remove(&uri);
                self.blames.remove(&uri);
                if self.docs.remove(&uri).is_some() {
                    self.send(Outbound::Publish {
                        uri,
                        version: None,
                        diagnostics: Vec::new(),
                    });
                }
            }
            Msg::Saved { uri } => {
                if let Some(e) = self.docs.get_mut(&uri) {
                    e.unsaved = false;
                }
            }
            Msg::Snapshot {
                uri,
                tags_by,
                reply,
            } => {
                let snap = match tags_by {
                    Some(by) => self.tags_snapshot(&uri, by),
                    None => {
                        let snap = self.snapshot(&uri);
                        if snap.as_ref().is_some_and(|s| !s.analysis.tags.is_empty()) {
                            self.blame(&uri);
                        }
                        snap
                    }
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
                let open = self.docs.by_path(&path).map(|(uri, e)| {
                    (uri.clone(), e.version, e.content.rope().clone())
                });
                let settings = Arc::clone(self.config.for_path(Some(&path)));
                let _ = reply.send(Inspected {
                    root: self.ws.root_for(&path).map(|r| r.path.clone()),
                    lookup: self.ws.lookup(&path),
                    open,
                    encoding: self.encoding,
                    is_env: self.ws.is_env_path(&path),
                    settings,
                });
            }
            Msg::Configured { reply } => {
                let roots = self
                    .ws
                    .roots()
                    .iter()
                    .map(|r| {
                        let file = self.config.file_of(&r.path).cloned().unwrap_or_default();
                        (r.path.clone(), file)
                    })
                    .collect();
                let _ = reply.send(roots);
            }
            Msg::Tagged {
                root,
                generation,
                files,
                verdict,
                code_tags,
            } => {
                if self.tagged.get(&root).is_some_and(|t| t.generation == generation) {
                    self.tagged.insert(
                        root.clone(),
                        Tagged {
                            generation,
                            files: Some(files),
                            verdict: Some(verdict),
                            code_tags: Some(code_tags.into()),
                        },
                    );
                    // The phase state's analysis depends on the tags of the
                    // whole root: it is made again.
                    for e in self.docs.values_mut() {
                        if matches!(e.content, Content::Phase { .. })
                            && e.path.as_deref().is_some_and(|p| p.starts_with(&root))
                        {
                            e.analysis = None;
                        }
                    }
                    self.invalidate_under(&root);
                }
            }
            Msg::Blamed {
                uri,
                version,
                head,
                origins,
            } => self.blamed(uri, version, head, origins),
        }
    }

    /// Starts a blame of a document on another thread, unless its answer
    /// for this version was confirmed within [`BLAME_AGE`] or one runs. A
    /// file outside the workspace, or not on disk, is never blamed.
    fn blame(&mut self, uri: &Uri) {
        let Some(entry) = self.docs.get(uri) else {
            return;
        };
        let version = entry.version;
        if let Some(b) = self.blames.get(uri)
            && (b.running
                || (b.version == version && b.checked.is_some_and(|at| at.elapsed() < BLAME_AGE)))
        {
            return;
        }
        let Some(path) = entry.path.clone() else {
            return;
        };
        let Some(root) = self.root_of(Some(&path)) else {
            return;
        };
        let Some(rel) = path
            .strip_prefix(&root)
            .ok()
            .and_then(|r| r.to_str())
            .map(|r| r.replace(std::path::MAIN_SEPARATOR, "/"))
        else {
            return;
        };
        if !matches!(self.ws.lookup(&path), Lookup::Found(_)) {
            return;
        }
        // A rope clone is O(1): the text is made on the blame's thread.
        let rope = entry.content.rope().clone();
        // What is known of this version: reused when `HEAD` has not moved.
        let known = self
            .blames
            .get(uri)
            .filter(|b| b.version == version && b.checked.is_some())
            .map(|b| (b.head.clone(), b.origins.clone()));
        let Some(tx) = self.me.upgrade() else {
            return;
        };
        let me = Handle {
            tx,
            queued: Arc::clone(&self.queued),
        };
        let job_uri = uri.clone();
        let spawned = std::thread::Builder::new()
            .name("tagls-blame".into())
            .spawn(move || {
                let blamed = catch_unwind(AssertUnwindSafe(|| {
                    let head = crate::history::blame::head(&root);
                    if let Some((h, origins)) = known
                        && h == head
                    {
                        return (head, origins);
                    }
                    let origins = head
                        .as_ref()
                        .and_then(|_| {
                            crate::history::blame::contents(&root, &rel, &rope.to_string())
                        })
                        .map(Arc::new);
                    (head, origins)
                }));
                let (head, origins) = blamed.unwrap_or_else(|_| {
                    tracing::error!("blaming {} failed", root.join(&rel).display());
                    (None, None)
                });
                me.send(Msg::Blamed {
                    uri: job_uri,
                    version,
                    head,
                    origins,
                });
            });
        match spawned {
            Ok(_) => {
                let b = self.blames.entry(uri.clone()).or_insert(Blame {
                    version,
                    head: None,
                    origins: None,
                    checked: None,
                    running: false,
                });
                b.running = true;
            }
            Err(e) => tracing::error!("cannot start a blame: {e}"),
        }
    }

    /// Keeps a blame that answers for the document's current version; its
    /// code lenses are asked for again when they may show it.
    fn blamed(&mut self, uri: Uri, version: i32, head: Option<String>, origins: Option<Origins>) {
        let current = self.docs.get(&uri).map(|e| e.version);
        let Some(b) = self.blames.get_mut(&uri) else {
            return;
        };
        b.running = false;
        if current != Some(version) {
            // Edited meanwhile: the version the editor shows is blamed.
            if current.is_some() {
                self.blame(&uri);
            }
            return;
        }
        let changed = b.version != version || b.origins != origins;
        *b = Blame {
            version,
            head,
            origins,
            checked: Some(Instant::now()),
            running: false,
        };
        let path = self.docs.get(&uri).and_then(|e| e.path.clone());
        if changed && self.settings_for(path.as_deref()).age_hint_days > 0 {
            self.send(Outbound::RefreshLenses);
        }
    }

    /// A file that changed on disk is blamed again when next asked.
    fn blames_changed_on_disk(&mut self, changes: &[Change]) {
        for change in changes {
            let path = match change {
                Change::Created(p) | Change::Changed(p) | Change::Removed(p) => {
                    crate::workspace::paths::normalize(p)
                }
                Change::Rescan => {
                    for b in self.blames.values_mut() {
                        b.checked = None;
                    }
                    continue;
                }
            };
            if let Some((uri, _)) = self.docs.by_path(&path) {
                let uri = uri.clone();
                if let Some(b) = self.blames.get_mut(&uri) {
                    b.checked = None;
                }
            }
        }
    }

    /// A log open with unsaved changes that changed on disk too (a `tagls
    /// log` run, another editor): nothing is lost, but the two now differ,
    /// and the user is told so.
    fn warn_of_diverging_logs(&mut self, changes: &[Change]) {
        for change in changes {
            let (Change::Created(p) | Change::Changed(p)) = change else {
                continue;
            };
            let path = crate::workspace::paths::normalize(p);
            let Some((_, e)) = self.docs.by_path(&path) else {
                continue;
            };
            if !e.unsaved || !matches!(e.content, Content::Log { .. }) {
                continue;
            }
            let buffer = e.content.rope().to_string();
            let Ok(Some(disk)) = log::read(&mut self.ws, &path) else {
                continue;
            };
            if disk != buffer {
                let shown = self
                    .root_of(Some(&path))
                    .map_or_else(|| path.display().to_string(), |r| display_rel(&path, &r));
                self.warn(format!(
                    "tagls: {shown} changed on disk while the editor holds unsaved changes to it; tagls checks the editor's text. Save it (keeping your changes) or reload it from disk, so that the log and the editor agree"
                ));
            }
        }
    }

    /// The settings in force at a document's file.
    fn settings_for(&self, path: Option<&Path>) -> Arc<Settings> {
        Arc::clone(self.config.for_path(path))
    }

    /// What a document is under the settings of its root, and those
    /// settings.
    fn kind_of(&self, uri: &Uri, path: Option<&Path>, language_id: &str) -> (Kind, Arc<Settings>) {
        let root = self.root_of(path);
        let settings = self.settings_for(path);
        let kind = super::documents::kind(path, root.as_deref(), language_id, uri, &settings);
        (kind, settings)
    }

    /// The root a document belongs to, if any.
    fn root_of(&self, path: Option<&Path>) -> Option<PathBuf> {
        path.and_then(|p| self.ws.root_for(p))
            .map(|r| r.path.clone())
    }

    fn open(&mut self, uri: Uri, language_id: String, version: i32, text: String) {
        let path = uri.to_file_path().map(|p| p.into_owned());
        // Without a client root, the root is found as `tagls check` and
        // `tagls log` find it; failing that, the document's folder stands in.
        if let Some(p) = path.as_deref()
            && !self.client_named_roots
            && self.ws.root_for(p).is_none()
        {
            let (dir, found) = match crate::workspace::root::find_root(p) {
                Some(root) => (root, true),
                None => (p.parent().unwrap_or(p).to_path_buf(), false),
            };
            if !self.said_no_root {
                self.said_no_root = true;
                self.log(
                    MessageType::INFO,
                    format!(
                        "the client named no workspace root; using {} as the root",
                        dir.display()
                    ),
                );
            }
            self.add_root(dir, !found);
            self.reload_config();
        }
        let (kind, settings) = self.kind_of(&uri, path.as_deref(), &language_id);
        let opened = Opened {
            uri: uri.clone(),
            path,
            language_id,
            version,
            text: &text,
        };
        let why = self.docs.open(opened, kind, &settings);
        if let Some(why) = why {
            self.log(
                MessageType::INFO,
                format!("{}: {why}; tags in it are not checked", uri.as_str()),
            );
        }
        if kind == Kind::Plain {
            tracing::debug!("not a tagged language: {}", uri.as_str());
            return;
        }
        // At once and whole: the first diagnostics of a document do not wait
        // for other messages.
        self.publish(&uri, false);
    }

    fn change(&mut self, uri: &Uri, version: i32, changes: Vec<TextDocumentContentChangeEvent>) {
        let path = self.docs.get(uri).and_then(|e| e.path.clone());
        let settings = self.settings_for(path.as_deref());
        if let Some(why) = self
            .docs
            .change(uri, version, &changes, self.encoding, &settings)
        {
            self.log(
                MessageType::INFO,
                format!("{}: {why}; tags in it are not checked", uri.as_str()),
            );
        }
        if let Some(e) = self.docs.get_mut(uri)
            && matches!(e.content, Content::Plain { .. })
        {
            e.pending = None;
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
            if !matches!(e.content, Content::Plain { .. }) {
                e.pending = Some(e.pending.map_or((now, now), |(first, _)| (first, now)));
            }
        }
    }

    /// Every open document under a root is checked again.
    fn invalidate_under(&mut self, root: &Path) {
        let now = Instant::now();
        for e in self.docs.values_mut() {
            if e.path.as_deref().is_some_and(|p| p.starts_with(root))
                && !matches!(e.content, Content::Plain { .. })
            {
                e.pending = Some(e.pending.map_or((now, now), |(first, _)| (first, now)));
            }
        }
    }

    fn analysis(&mut self, uri: &Uri) -> Option<Analysis> {
        // For the log: what git reports changed (cached; asked first, while
        // nothing else is borrowed).
        let path = self.docs.get(uri)?.path.clone();
        let settings = self.settings_for(path.as_deref());
        let is_log = matches!(self.docs.get(uri)?.content, Content::Log { .. });
        let changed = match (&path, is_log) {
            (Some(p), true) => self.git_changes(p),
            _ => None,
        };
        // For the phase state: the tags of its root's code, as the last
        // check of the root found them (one is asked for, once per state of
        // the workspace).
        let is_phase = matches!(self.docs.get(uri)?.content, Content::Phase { .. });
        let phase_tags = match (&path, is_phase) {
            (Some(p), true) => self.root_of(Some(p)).and_then(|root| {
                self.check_tagged(&root);
                self.tagged.get(&root).and_then(|t| t.code_tags.clone())
            }),
            _ => None,
        };
        let generation = self.ws.generation();
        self.docs.reparse(uri, &settings, &mut || false);
        let ignored = self.is_ignored(uri);
        let entry = self.docs.get_mut(uri)?;
        if let Some((g, a)) = &entry.analysis
            && *g == generation
        {
            return Some(a.clone());
        }
        let a = match &entry.content {
            Content::Parsed(_) if ignored => Analysis::default(),
            Content::Parsed(doc) => analysis::analyze_cached(
                doc,
                entry.path.as_deref(),
                &mut self.ws,
                &mut self.resolutions,
                &settings,
            ),
            Content::Log { rope, log } => match entry.path.as_deref() {
                Some(path) => analysis::analyze_log(
                    log,
                    &rope.to_string(),
                    path,
                    &mut self.ws,
                    changed.as_deref(),
                    &settings,
                ),
                None => Analysis::default(),
            },
            // Not parsed: what `tagls check` says of the same file on disk.
            Content::Skipped { rope, .. } if !ignored => {
                match super::documents::skip_of(rope, settings.max_file_size) {
                    Some(skip) => analysis::skipped(
                        &skip,
                        &crate::text::head_bytes(rope, analysis::SKIPPED_HEAD as usize),
                    ),
                    None => Analysis::default(),
                }
            }
            Content::Phase { rope } => match entry.path.as_deref() {
                Some(path) => analysis::analyze_phase(
                    &rope.to_string(),
                    path,
                    &mut self.ws,
                    &settings,
                    phase_tags.as_deref(),
                ),
                None => Analysis::default(),
            },
            Content::Plan { .. } if ignored => Analysis::default(),
            // A notebook's cell or a document with no file has its tags,
            // with nothing resolved.
            Content::Plan { read, .. } => read.analyze(
                entry.path.as_deref(),
                &mut self.ws,
                &mut self.resolutions,
                &settings,
            ),
            Content::Skipped { .. } | Content::Plain { .. } => Analysis::default(),
        };
        entry.analysis = Some((generation, a.clone()));
        Some(a)
    }

    /// A snapshot for semantic tokens: the tags only, from a reparse that
    /// may last until `by` and no newer edit. Past either, the tags of the
    /// last parse answer, moved along by the edits since; the next publish
    /// parses in full and asks the client to refresh.
    fn tags_snapshot(&mut self, uri: &Uri, by: Instant) -> Option<Snapshot> {
        let entry = self.docs.get(uri)?;
        if !matches!(entry.content, Content::Parsed(_)) {
            return self.snapshot(uri);
        }
        let settings = self.settings_for(entry.path.as_deref());
        let queued = Arc::clone(&self.queued);
        let done = self.docs.reparse(uri, &settings, &mut || {
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
        let Some(path) = self.docs.get(uri).and_then(|e| e.path.as_deref()) else {
            return false;
        };
        self.ws
            .root_for(path)
            .and_then(|r| path.strip_prefix(&r.path).ok())
            .is_some_and(|rel| self.config.for_path(Some(path)).is_ignored(rel))
    }

    fn snapshot(&mut self, uri: &Uri) -> Option<Snapshot> {
        let analysis = self.analysis(uri)?;
        // Cleaning up tags is offered only once the gate has PASSED the
        // root: a document that has some asks for the root's verdict.
        let settings = self.settings_for(self.docs.get(uri)?.path.as_deref());
        if !crate::housekeeping::cleanup_tags(&analysis, &settings.registry).is_empty()
            && let Some(root) = self.root_of(self.docs.get(uri)?.path.as_deref())
        {
            self.check_tagged(&root);
        }
        self.snapshot_with(uri, analysis)
    }

    fn snapshot_with(&self, uri: &Uri, analysis: Analysis) -> Option<Snapshot> {
        let entry = self.docs.get(uri)?;
        let root = self.root_of(entry.path.as_deref());
        Some(Snapshot {
            uri: uri.clone(),
            path: entry.path.clone(),
            is_log: matches!(entry.content, Content::Log { .. }),
            version: entry.version,
            rope: entry.content.rope().clone(),
            analysis,
            settings: self.settings_for(entry.path.as_deref()),
            encoding: self.encoding,
            verdict: root
                .as_ref()
                .and_then(|r| self.tagged.get(r))
                .filter(|t| t.generation == self.ws.generation())
                .and_then(|t| t.verdict),
            root,
            origins: self
                .blames
                .get(uri)
                .filter(|b| b.version == entry.version)
                .and_then(|b| b.origins.clone()),
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
            Content::Log { .. } | Content::Plan { .. } => true,
            Content::Skipped { .. } | Content::Plain { .. } | Content::Phase { .. } => false,
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
            today: crate::tags::due::today(),
        };
        crate::complete::complete(&cx, offset)
            .into_iter()
            .map(|item| proto::completion_item(&snap.rope, item, snap.encoding))
            .collect()
    }

    fn next_deadline(&self) -> Option<Instant> {
        let now = Instant::now();
        self.docs
            .iter()
            .flat_map(|(_, e)| [due_at(e, now), prepare_at(e, self.handled)])
            .flatten()
            .min()
    }

    /// Works out the diagnostics of documents quiet for [`PREPARE_AFTER`],
    /// unless a message is waiting.
    fn prepare_due(&mut self) {
        let now = Instant::now();
        let handled = self.handled;
        for uri in self
            .docs
            .uris_where(|e| prepare_at(e, handled).is_some_and(|at| now >= at))
        {
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
        let path = entry.path.clone();
        let settings = self.settings_for(path.as_deref());
        let queued = Arc::clone(&self.queued);
        let waiting = move || queued.all.load(Ordering::SeqCst) > 0;
        if !self.docs.reparse(uri, &settings, &mut || waiting()) || waiting() {
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

    /// What a document's publish holds: its findings, the same the gate
    /// reports for its file, converted once.
    fn diagnostics(&mut self, uri: &Uri, snap: &Snapshot) -> Vec<ls_types::Diagnostic> {
        let lens = super::handlers::code_lenses(snap)
            .into_iter()
            .find_map(|l| l.command.map(|c| c.title));
        self.lenses.entry(uri.clone()).or_default().0 = lens;
        let mut all = snap.analysis.findings(&snap.settings);
        if self.designated.contains(uri)
            && let Some(f) = self.missing_log_finding(snap)
        {
            all.push(f);
            all.sort_by_key(|f| f.range.start);
        } else if let Some(root) = snap.root.clone()
            && snap.path.as_deref() == Some(snap.settings.log_path(&root).as_path())
            && self.log_problem(&root, &snap.settings.clone()).is_some()
        {
            // Whether the log carries the note depends on whether any file
            // holds a tag: the check of the root says.
            self.check_tagged(&root);
        }
        proto::diagnostics(&snap.rope, &all, snap.encoding)
    }

    fn publish_due(&mut self) {
        let now = Instant::now();
        for uri in self
            .docs
            .uris_where(|e| due_at(e, now).is_some_and(|at| now >= at))
        {
            self.contained(&uri, |actor| actor.publish(&uri, true));
        }
        // Everything derived from the disk goes together: once the
        // documents that a change on disk touched are published, hints and
        // lenses are asked for again.
        if self.disk_changed && !self.docs.iter().any(|(_, e)| e.pending.is_some()) {
            self.disk_changed = false;
            self.lenses_changed = false;
            self.send(Outbound::RefreshDerived);
        }
        // Lenses that edits changed, once every pending publish went out.
        if self.lenses_changed && !self.docs.iter().any(|(_, e)| e.pending.is_some()) {
            self.lenses_changed = false;
            self.send(Outbound::RefreshLenses);
        }
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
        let Some(entry) = self.docs.get_mut(uri) else {
            return;
        };
        if let Some((_, diagnostics)) = entry.prepared.take().filter(|(s, _)| *s == handled) {
            let version = entry.version;
            self.send_diagnostics(uri, version, diagnostics);
            return;
        }
        let path = entry.path.clone();
        let settings = self.settings_for(path.as_deref());
        // A parse that a newer message would wait for is given up: an edit
        // makes it stale, and a request is answered first (from the last
        // parse, for highlighting). The publish comes once the typing pauses.
        let queued = Arc::clone(&self.queued);
        if !self.docs.reparse(uri, &settings, &mut || {
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
        // The first publish of a document is not a change: the editor asks
        // for its lenses when it shows it.
        if let Some((now, shown)) = self.lenses.get_mut(uri)
            && shown.as_ref() != Some(now)
        {
            self.lenses_changed |= shown.is_some();
            *shown = Some(now.clone());
        }
        self.send(Outbound::Publish {
            uri: uri.clone(),
            version: Some(version),
            diagnostics,
        });
    }

    /// The first file, in path order, of a root that holds a tag, as the
    /// editor sees them: open documents as they are in the editor, the
    /// others as the last check of the root found them on disk. This is
    /// where the gate puts the note about a missing log.
    fn first_tagged(&self, root: &Path) -> Option<String> {
        let mut open: Vec<(String, bool)> = Vec::new();
        for (_, e) in self.docs.iter() {
            let Some(path) = e.path.as_deref().filter(|p| p.starts_with(root)) else {
                continue;
            };
            if self.ws.root_for(path).map(|r| r.path.as_path()) != Some(root) {
                continue;
            }
            let tagged = match &e.content {
                // A notebook's cells have its path: notebooks never carry
                // the note, as in the gate.
                Content::Parsed(doc) => {
                    analysis::has_tags(doc, &self.config.for_path(Some(path)).registry)
                        && !self.is_ignored_path(path)
                        && !path
                            .to_str()
                            .is_some_and(crate::syntax::notebook::is_notebook)
                }
                _ => false,
            };
            open.push((display_rel(path, root), tagged));
        }
        let on_disk = self
            .tagged
            .get(root)
            .and_then(|t| t.files.as_ref())
            .into_iter()
            .flatten()
            .filter(|f| !open.iter().any(|(o, _)| o == *f))
            .cloned();
        open.iter()
            .filter(|(_, tagged)| *tagged)
            .map(|(rel, _)| rel.clone())
            .chain(on_disk)
            .min_by(|a, b| a.as_bytes().cmp(b.as_bytes()))
    }

    fn is_ignored_path(&self, path: &Path) -> bool {
        self.ws
            .root_for(path)
            .and_then(|r| path.strip_prefix(&r.path).ok())
            .is_some_and(|rel| self.config.for_path(Some(path)).is_ignored(rel))
    }

    /// The open documents that carry the note about a missing log: for
    /// each root the client named, its first tagged file, when it is open.
    fn pick_designated(&self) -> Vec<Uri> {
        let mut out = Vec::new();
        for root in self.ws.roots().iter().filter(|r| !r.fallback) {
            let path = match self.first_tagged(&root.path) {
                Some(rel) => root.path.join(&rel),
                // No file holds a tag, as the last check found: the log
                // carries the note, when it is open.
                None if self
                    .tagged
                    .get(&root.path)
                    .is_some_and(|t| t.files.is_some()) =>
                {
                    self.config.for_path(Some(&root.path)).log_path(&root.path)
                }
                None => continue,
            };
            if let Some((uri, _)) = self.docs.by_path(&path) {
                out.push(uri.clone());
            }
        }
        out.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        out
    }

    /// Re-picks the designated documents; those that changed are published
    /// again.
    fn update_designated(&mut self) {
        let now = self.pick_designated();
        if now == self.designated {
            return;
        }
        let old = std::mem::replace(&mut self.designated, now.clone());
        let t = Instant::now();
        for uri in old
            .iter()
            .chain(&now)
            .filter(|u| !(old.contains(u) && now.contains(u)))
        {
            if let Some(e) = self.docs.get_mut(uri) {
                e.pending = Some(e.pending.map_or((t, t), |(first, _)| (first, t)));
            }
        }
    }

    /// The note that the implementation log is missing, empty or holds no
    /// claim, on the first tag of `snap`, the root's first tagged file.
    /// In a root where no file holds a tag, the log itself carries it, at
    /// its start, when it exists: a log is the method in use.
    fn missing_log_finding(&mut self, snap: &Snapshot) -> Option<Finding> {
        let root = snap.root.clone()?;
        let settings = Arc::clone(&snap.settings);
        let log_path = settings.log_path(&root);
        let is_log = snap.path.as_deref() == Some(log_path.as_path());
        let range = if is_log {
            crate::text::TextRange::new(0, 0)
        } else {
            snap.analysis
                .tags
                .iter()
                .find(|t| settings.registry.get(&t.name).is_some())?
                .head_range()
        };
        let problem = self
            .log_problem(&root, &settings)
            .filter(|p| !is_log || p.without_tags())?;
        // The gate's answer needs every tagged file of the root: a check
        // of the root on disk is asked for, once per state of the workspace.
        self.check_tagged(&root);
        let finding = log::missing_log(problem, &settings.log, &log_path, range, is_log);
        settings.apply(vec![finding]).pop()
    }

    /// What is wrong with a root's log: as the editor has it when it is
    /// open, else as the disk has it, read once per state of the workspace.
    fn log_problem(&mut self, root: &Path, settings: &Settings) -> Option<LogProblem> {
        let log_path = settings.log_path(root);
        if let Some((_, e)) = self.docs.by_path(&log_path)
            && let Content::Log { log, rope } = &e.content
        {
            // Asked on the publishes of a tagged document: the open log is
            // not copied, its lines are read up to the first of prose.
            let shape = log::Shape::of(rope.lines().map(|l| l.to_string()));
            return LogProblem::of_parsed(log, shape, &settings.registry);
        }
        let generation = self.ws.generation();
        if let Some((g, p)) = self.log_state.get(root)
            && *g == generation
        {
            return *p;
        }
        let problem = log::problem_on_disk(&mut self.ws, &log_path, &settings.registry);
        self.log_state
            .insert(root.to_path_buf(), (generation, problem));
        problem
    }

    /// Starts a check of a root on another thread, to learn which of its
    /// files hold tags on disk, unless one ran for this state of the
    /// workspace.
    fn check_tagged(&mut self, root: &Path) {
        let generation = self.ws.generation();
        if self
            .tagged
            .get(root)
            .is_some_and(|t| t.generation == generation)
        {
            return;
        }
        // Until the check answers, the last answer stands for the files;
        // a verdict is only trusted for the state it was reached in.
        let (kept, kept_tags) = self
            .tagged
            .remove(root)
            .map_or((None, None), |t| (t.files, t.code_tags));
        self.tagged.insert(
            root.to_path_buf(),
            Tagged {
                generation,
                files: kept,
                verdict: None,
                code_tags: kept_tags,
            },
        );
        let config = self.config.file_of(root).cloned().unwrap_or_default();
        let Some(tx) = self.me.upgrade() else {
            return;
        };
        let me = Handle {
            tx,
            queued: Arc::clone(&self.queued),
        };
        let root = root.to_path_buf();
        let spawned = std::thread::Builder::new()
            .name("tagls-check".into())
            .spawn(move || {
                let cache = crate::scan_cache::default_dir();
                let roots = [(root.clone(), config)];
                let checked = catch_unwind(AssertUnwindSafe(|| {
                    crate::gate::scan(&roots, cache.as_deref(), &mut |_| {})
                }));
                let Ok(report) = checked else {
                    tracing::error!("checking {} failed", root.display());
                    return;
                };
                let verdict = report.verdict();
                let settings = crate::config::Settings::for_root(&roots[0].1, &root);
                let log = settings.log.clone();
                let code_tags = crate::gate::phase_code_tags(&report.tags, &root, &settings);
                // Code only: the log, Markdown (plans too) and notebooks
                // never carry the note about a missing log, as in the gate.
                let mut files: Vec<String> = report
                    .tags
                    .into_iter()
                    .filter(|t| t.path != log && settings.registry.get(&t.name).is_some())
                    .filter(|t| {
                        crate::markup::reader(&settings, &root, &root.join(&t.path)).is_none()
                    })
                    .map(|t| t.path)
                    .collect();
                files.dedup();
                me.send(Msg::Tagged {
                    root,
                    generation,
                    files,
                    verdict,
                    code_tags,
                });
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start a check: {e}");
        }
    }

    /// The files git reports changed under the root of `path`, cached.
    /// Commits touch only `.git`, which is not watched, so the answer also
    /// expires with age.
    fn git_changes(&mut self, path: &Path) -> Option<Arc<crate::log::git::GitState>> {
        let root = self.ws.root_for(path)?.path.clone();
        let base = self.settings_for(Some(path)).git_base.clone();
        let generation = self.ws.generation();
        if let Some((g, at, b, changed)) = self.git_status.get(&root)
            && *g == generation
            && at.elapsed() < GIT_STATUS_AGE
            && *b == base
        {
            return changed.clone();
        }
        let changed = crate::log::git::state(&root, base.as_deref()).map(Arc::new);
        self.git_status
            .insert(root, (generation, Instant::now(), base, changed.clone()));
        changed
    }

    fn warn(&self, message: String) {
        tracing::warn!("{message}");
        self.send(Outbound::Show {
            typ: MessageType::WARNING,
            message,
        });
    }

    /// Reads every root's configuration files again and, where what is in
    /// force changed, checks the open documents again with it. A file that
    /// does not parse gets an error diagnostic at the offending text, and
    /// its last good version stays in force.
    fn reload_config(&mut self) {
        let roots: Vec<PathBuf> = self.ws.roots().iter().map(|r| r.path.clone()).collect();
        let mut errors: Vec<(config::ConfigError, String)> = Vec::new();
        let mut changed = self.config.set_outside(&self.editor_layer);
        for root in roots {
            let loaded = self.loader.load(&root, None);
            for e in loaded.errors {
                if !errors.iter().any(|(x, _)| x.path == e.0.path) {
                    errors.push(e);
                }
            }
            let file = loaded.file.merged(self.editor_layer.clone());
            if self.config.set(&root, file) {
                changed = true;
                let env_files = self.config.for_path(Some(&root)).env_files.clone();
                self.ws.set_env_files(&root, env_files);
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
            let diagnostic = proto::config_diagnostic(&Rope::from_str(text), e, self.encoding);
            self.send(Outbound::Publish {
                uri,
                version: None,
                diagnostics: vec![diagnostic],
            });
        }
        self.config_errors = now_bad;
        if changed {
            self.apply_settings();
        }
    }

    /// Puts new settings in force: every document is classified and made
    /// again from its text (the registry or the log's path may have
    /// changed) and published again.
    fn apply_settings(&mut self) {
        let uris = self.docs.uris_where(|_| true);
        for uri in uris {
            let Some(e) = self.docs.get(&uri) else {
                continue;
            };
            let was_plain = matches!(e.content, Content::Plain { .. });
            let (path, language_id) = (e.path.clone(), e.language_id.clone());
            let (kind, settings) = self.kind_of(&uri, path.as_deref(), &language_id);
            self.docs.remake(&uri, kind, &settings);
            // A document that is no longer checked loses its diagnostics.
            if kind == Kind::Plain && !was_plain {
                self.send(Outbound::Publish {
                    uri: uri.clone(),
                    version: None,
                    diagnostics: Vec::new(),
                });
            }
        }
        self.log_state.clear();
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
