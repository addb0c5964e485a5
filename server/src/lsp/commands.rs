//! Commands behind the code actions that write: entries in the log, a
//! missing file, a variable in `.env.example`, the log itself.
//!
//! Every command names its target in its arguments (code actions keep no
//! state) and every target is checked again here, since arguments come from
//! the client. Writes are serialised: a command runs only once the previous
//! one is applied, so two actions fired back to back never compute the same
//! insertion point. A file open in the editor is changed through a versioned
//! `workspace/applyEdit` on its buffer; a file that is not open is changed on
//! disk, atomically (`log::write::update_file`), because clients leave edits
//! to unopened files as unsaved buffers.
//!
//! One command only asks: `tagls.logPath`, where the implementation log is,
//! so that editors can open it without knowing the configuration.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ls_types::{
    ApplyWorkspaceEditParams, CodeAction, CodeActionKind, CodeActionOrCommand, Command,
    DocumentChanges, MessageType, OneOf, OptionalVersionedTextDocumentIdentifier,
    ShowDocumentParams, TextDocumentEdit, TextEdit, Uri, WorkspaceEdit,
};
use ropey::Rope;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tower_lsp_server::Client;

use crate::findings::Fix;
use crate::log::write::{self, Edit, NewEntry};
use crate::workspace::fs::FileKind;
use crate::workspace::model::Lookup;
use crate::workspace::paths::display_rel;

use super::actor::{self, Inspected, Msg, Snapshot};
use super::proto;

pub const LOG_CREATED: &str = "tagls.logCreated";
pub const LOG_MODIFIED: &str = "tagls.logModified";
pub const CREATE_FILE: &str = "tagls.createFile";
pub const ADD_ENV_VAR: &str = "tagls.addEnvVar";
pub const CREATE_LOG: &str = "tagls.createLog";
pub const LOG_CHANGED: &str = "tagls.logChanged";
pub const MOVE_ASSUMPTION: &str = "tagls.moveAssumption";
/// A query, answered at once: where the implementation log is (see
/// [`log_path`]). Editors ask it to open the log.
pub const LOG_PATH: &str = "tagls.logPath";
/// A query, answered when the check is done: the gate's answer for the
/// workspace (see [`super::project`]), for the editors' whole-project view.
pub const GATE: &str = "tagls.gate";

/// Every command the server executes.
pub const ALL: [&str; 9] = [
    LOG_CREATED,
    LOG_MODIFIED,
    CREATE_FILE,
    ADD_ENV_VAR,
    CREATE_LOG,
    LOG_CHANGED,
    MOVE_ASSUMPTION,
    LOG_PATH,
    GATE,
];

/// How long the client has to apply an edit, and then to report it back.
const APPLY_TIMEOUT: Duration = Duration::from_secs(10);
const ECHO_TIMEOUT: Duration = Duration::from_secs(3);

fn command(title: String, name: &str, arg: Value) -> Command {
    Command {
        title,
        command: name.to_owned(),
        arguments: Some(vec![arg]),
    }
}

fn action(
    title: String,
    kind: CodeActionKind,
    cmd: Command,
    diagnostic: Option<&ls_types::Diagnostic>,
) -> CodeActionOrCommand {
    CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(kind),
        diagnostics: diagnostic.map(|d| vec![d.clone()]),
        command: Some(cmd),
        ..CodeAction::default()
    })
}

/// The writing actions for a document: quick fixes for the diagnostics the
/// client sends, and the log actions for any source file in a root.
pub fn code_actions(
    snap: Option<&Snapshot>,
    params: &ls_types::CodeActionParams,
) -> Vec<CodeActionOrCommand> {
    let only = params.context.only.as_ref();
    let wants = |kind: &CodeActionKind| {
        only.is_none_or(|only| only.iter().any(|k| kind.as_str().starts_with(k.as_str())))
    };
    let mut out = Vec::new();
    if wants(&CodeActionKind::QUICKFIX) {
        for d in &params.context.diagnostics {
            if d.source.as_deref() != Some(proto::SOURCE) {
                continue;
            }
            let Some(fix) = d.data.as_ref().and_then(proto::fix_from_data) else {
                continue;
            };
            match fix {
                Fix::CreateFile { path } => {
                    let shown = show(snap, &path);
                    let arg = json!({ "path": path, "log": false });
                    out.push(action(
                        format!("Create {shown}"),
                        CodeActionKind::QUICKFIX,
                        command(format!("Create {shown}"), CREATE_FILE, arg),
                        Some(d),
                    ));
                    let arg = json!({ "path": path, "log": true });
                    let title = format!("Create {shown} and log it");
                    out.push(action(
                        title.clone(),
                        CodeActionKind::QUICKFIX,
                        command(title, CREATE_FILE, arg),
                        Some(d),
                    ));
                }
                Fix::AddEnvVar { name, file } => {
                    let title = format!(
                        "Add {name}= to {}",
                        file.file_name()
                            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
                    );
                    let arg = json!({ "name": name, "file": file });
                    out.push(action(
                        title.clone(),
                        CodeActionKind::QUICKFIX,
                        command(title, ADD_ENV_VAR, arg),
                        Some(d),
                    ));
                }
                Fix::CreateLog { path } => {
                    let title = "Create the implementation log".to_owned();
                    out.push(action(
                        title.clone(),
                        CodeActionKind::QUICKFIX,
                        command(title, CREATE_LOG, json!({ "path": path })),
                        Some(d),
                    ));
                }
                Fix::LogChanged { root, count } => {
                    // One action for all of them, once.
                    if out.iter().any(|a| matches!(a, CodeActionOrCommand::CodeAction(c) if c.title.starts_with("Log all"))) {
                        continue;
                    }
                    let title = format!("Log all {count} changed files");
                    out.push(action(
                        title.clone(),
                        CodeActionKind::QUICKFIX,
                        command(title, LOG_CHANGED, json!({ "root": root })),
                        Some(d),
                    ));
                }
                Fix::CorrectCount { claimed, lines } => {
                    if let Some(snap) = snap.filter(|s| s.is_log) {
                        out.extend(correct_count(snap, d, claimed, lines));
                    }
                }
                Fix::RenameTag { .. } => {}
            }
        }
    }
    if let Some(snap) = snap
        && !snap.is_log
    {
        out.extend(housekeeping_actions(snap, params, &wants));
    }
    let source = CodeActionKind::new("source.tagls");
    if let Some(snap) = snap
        && wants(&source)
        && !snap.is_log
        && snap.root.is_some()
        && let Some(path) = &snap.path
    {
        let shown = show(Some(snap), path);
        let arg = json!({ "file": path });
        let title = format!("Log #FILE_CREATED for {shown}");
        out.push(action(
            title.clone(),
            source.clone(),
            command(title, LOG_CREATED, arg.clone()),
            None,
        ));
        let title = format!("Log #FILE_MODIFIED for {shown}");
        out.push(action(
            title.clone(),
            source,
            command(title, LOG_MODIFIED, arg),
            None,
        ));
    }
    out
}

/// "Correct to 29 lines" for a `false-claim` about a line count: the count
/// the log states is replaced in the log's buffer, by a versioned edit, once
/// it is found where the diagnostic says and still reads `claimed`.
fn correct_count(
    snap: &Snapshot,
    d: &ls_types::Diagnostic,
    claimed: usize,
    lines: usize,
) -> Option<CodeActionOrCommand> {
    let range = crate::text::TextRange::new(
        proto::offset(&snap.rope, d.range.start, snap.encoding),
        proto::offset(&snap.rope, d.range.end, snap.encoding),
    );
    let text = snap.rope.to_string();
    let (written, digits) = crate::log::check::count_at(&text, range)?;
    if written != claimed {
        return None;
    }
    let title = format!(
        "Correct to {lines} {}",
        if lines == 1 { "line" } else { "lines" }
    );
    Some(CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![d.clone()]),
        edit: Some(WorkspaceEdit {
            document_changes: Some(DocumentChanges::Edits(vec![TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier {
                    uri: snap.uri.clone(),
                    version: Some(snap.version),
                },
                edits: vec![OneOf::Left(TextEdit {
                    range: proto::range(&snap.rope, digits, snap.encoding),
                    new_text: lines.to_string(),
                })],
            }])),
            ..WorkspaceEdit::default()
        }),
        is_preferred: Some(true),
        ..CodeAction::default()
    }))
}

/// The file's cleanup, once the gate has PASSED its root (the method's
/// cleanup: every tag but decisions and suggestions), a file-wide source
/// action named for what it removes; and "Move assumption to the log" for
/// the assumptions under the cursor.
fn housekeeping_actions(
    snap: &Snapshot,
    params: &ls_types::CodeActionParams,
    wants: &dyn Fn(&CodeActionKind) -> bool,
) -> Vec<CodeActionOrCommand> {
    let mut out = Vec::new();
    // A notebook's text is JSON, and its cells are not files: neither is
    // edited line by line (a removal would break the JSON around a cell's
    // line), so their tags are cleaned up and moved by hand.
    if crate::syntax::notebook::is_notebook(snap.uri.path().as_str()) {
        return out;
    }
    let registry = &snap.settings.registry;
    let text = snap.rope.to_string();
    let remove_kind = CodeActionKind::new(CLEANUP_KIND);
    // The method cleans up only after the gate has PASSED.
    if wants(&remove_kind) && snap.verdict == Some(crate::findings::Verdict::Passed) {
        let edits: Vec<OneOf<TextEdit, ls_types::AnnotatedTextEdit>> =
            crate::housekeeping::cleanup_tags(&snap.analysis, registry)
                .into_iter()
                .filter_map(|t| crate::housekeeping::removal(&text, t))
                .map(|r| {
                    OneOf::Left(TextEdit {
                        range: proto::range(&snap.rope, r, snap.encoding),
                        new_text: String::new(),
                    })
                })
                .collect();
        if !edits.is_empty() {
            let title = cleanup_title(edits.len());
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title,
                kind: Some(remove_kind),
                edit: Some(WorkspaceEdit {
                    document_changes: Some(DocumentChanges::Edits(vec![TextDocumentEdit {
                        text_document: OptionalVersionedTextDocumentIdentifier {
                            uri: snap.uri.clone(),
                            version: Some(snap.version),
                        },
                        edits,
                    }])),
                    ..WorkspaceEdit::default()
                }),
                ..CodeAction::default()
            }));
        }
    }
    let move_kind = CodeActionKind::new("refactor.move");
    if wants(&move_kind)
        && let Some(path) = &snap.path
    {
        let (a, b) = (
            proto::offset(&snap.rope, params.range.start, snap.encoding),
            proto::offset(&snap.rope, params.range.end, snap.encoding),
        );
        for t in snap.analysis.tags.iter() {
            let is_assumption = registry
                .get(&t.name)
                .is_some_and(|d| d.family == crate::tags::Family::Assumption);
            if !is_assumption
                || !t.full_range().touches(crate::text::TextRange::new(a, b))
                || crate::housekeeping::removal(&text, t).is_none()
            {
                continue;
            }
            let line = snap.rope.byte_to_line(t.name_range.start);
            let title = format!("Move #{} to the log", t.name);
            let arg = json!({ "file": path, "line": line, "name": t.name });
            out.push(action(
                title.clone(),
                move_kind.clone(),
                command(title, MOVE_ASSUMPTION, arg),
                None,
            ));
        }
    }
    out
}

/// The kind of the cleanup after PASSED: a source action, for the whole
/// file, never a quick fix.
pub const CLEANUP_KIND: &str = "source.tagls.cleanup";

/// What the cleanup after PASSED does, in its title.
fn cleanup_title(n: usize) -> String {
    let tags = if n == 1 { "tag" } else { "tags" };
    format!(
        "Remove the {n} {tags} the method cleans up after PASSED (decisions and suggestions stay)"
    )
}

fn show(snap: Option<&Snapshot>, path: &Path) -> String {
    match snap.and_then(|s| s.root.as_deref()) {
        Some(root) => display_rel(path, root),
        None => path.display().to_string(),
    }
}

/// Runs the commands.
pub struct Runner {
    pub client: Client,
    pub actor: actor::Handle,
}

/// Runs queued commands one after the other, and tells the user about the
/// ones that did nothing.
pub async fn work(
    runner: Runner,
    mut queue: tokio::sync::mpsc::UnboundedReceiver<(String, Vec<Value>)>,
) {
    let runner = std::sync::Arc::new(runner);
    while let Some((name, args)) = queue.recv().await {
        let r = runner.clone();
        // Its own task, so that a panic in one command is contained.
        let outcome = tokio::spawn(async move { r.run(&name, &args).await })
            .await
            .unwrap_or_else(|_| Err("the command failed with an internal error".to_owned()));
        report(&runner.client, &outcome).await;
    }
}

/// Why a command did nothing; shown to the user.
type Outcome = Result<String, String>;

impl Runner {
    pub async fn run(&self, name: &str, args: &[Value]) -> Outcome {
        let arg = args.first().cloned().unwrap_or(Value::Null);
        let path = |key: &str| {
            arg.get(key)
                .and_then(Value::as_str)
                .filter(|p| p.starts_with('/'))
                .map(PathBuf::from)
        };
        match name {
            LOG_CREATED | LOG_MODIFIED => {
                let file = path("file").ok_or("the command needs an absolute `file` path")?;
                self.log_file(&file, name == LOG_CREATED).await
            }
            CREATE_FILE => {
                let file = path("path").ok_or("the command needs an absolute `path`")?;
                let and_log = arg.get("log").and_then(Value::as_bool).unwrap_or(false);
                self.create_file(&file, and_log).await
            }
            ADD_ENV_VAR => {
                let file = path("file").ok_or("the command needs an absolute `file` path")?;
                let name = arg
                    .get("name")
                    .and_then(Value::as_str)
                    .filter(|n| {
                        !n.is_empty()
                            && n.bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
                    })
                    .ok_or("the command needs a variable `name`")?
                    .to_owned();
                if !self.inspect(&file).await?.is_env {
                    return Err(format!("{} is not an env file", file.display()));
                }
                self.change(&file, move |text| write::plan_env_var(text, &name))
                    .await?;
                Ok(String::new())
            }
            CREATE_LOG => {
                let file = path("path").ok_or("the command needs an absolute `path`")?;
                let info = self.inspect(&file).await?;
                let is_log = info
                    .root
                    .as_deref()
                    .is_some_and(|root| info.settings.is_log(root, &file));
                if !is_log {
                    return Err(format!("{} is not the implementation log", file.display()));
                }
                self.change(&file, write::plan_new_log).await?;
                Ok(String::new())
            }
            LOG_CHANGED => {
                let root = path("root").ok_or("the command needs an absolute `root`")?;
                let info = self.inspect(&root.join("x")).await?;
                if info.root.as_deref() != Some(root.as_path()) {
                    return Err(format!("{} is not a workspace root", root.display()));
                }
                let r = root.clone();
                let base = info.settings.git_base.clone();
                let changed = tokio::task::spawn_blocking(move || {
                    crate::log::git::state(&r, base.as_deref())
                })
                .await
                .ok()
                .flatten()
                .ok_or_else(|| format!("{} is not a git work tree", root.display()))?
                .changed;
                let log_path = info.settings.log_path(&root);
                // Read as it is written: a log linked elsewhere, a FIFO or a
                // device is not read.
                let (r, l) = (root.clone(), log_path.clone());
                let log_text = tokio::task::spawn_blocking(move || write::read_writable(&r, &l))
                    .await
                    .map_err(|_| "the command failed with an internal error".to_owned())?
                    .map_err(|e| format!("cannot read {}: {e}", log_path.display()))?
                    .0;
                let claimed = crate::log::check::claimed_paths(&crate::log::parse(
                    &log_text,
                    &info.settings.registry,
                ));
                for f in crate::log::unlogged::unlogged(changed, &claimed) {
                    self.log_file(&root.join(&f.path), f.created).await?;
                }
                Ok(String::new())
            }
            MOVE_ASSUMPTION => {
                let file = path("file").ok_or("the command needs an absolute `file` path")?;
                let line = arg
                    .get("line")
                    .and_then(Value::as_u64)
                    .ok_or("the command needs a `line`")? as usize;
                let name = arg
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or("the command needs the tag's `name`")?
                    .to_owned();
                self.move_assumption(&file, line, &name).await
            }
            other => Err(format!("unknown command {other}")),
        }
    }

    async fn inspect(&self, path: &Path) -> Result<Inspected, String> {
        inspect(&self.actor, path).await
    }

    /// Logs `#FILE_CREATED` or `#FILE_MODIFIED` for a file.
    async fn log_file(&self, file: &Path, created: bool) -> Outcome {
        let info = self.inspect(file).await?;
        let root = info
            .root
            .clone()
            .ok_or_else(|| format!("{} is outside the workspace", file.display()))?;
        if info.lookup == Lookup::Outside {
            return Err(format!("{} is outside the workspace", file.display()));
        }
        // What the user sees: the buffer when the file is open, else the disk.
        let text = match &info.open {
            Some((_, _, rope)) => Some(rope.to_string()),
            None => read_inside(file, &info).await,
        };
        let Some(text) = text else {
            return Err(format!("{} cannot be read", display_rel(file, &root)));
        };
        // Without git, modified lines are those that differ from the saved
        // file: the disk when the editor has the file open, else nothing.
        let saved = match &info.open {
            Some(_) => read_inside(file, &info).await,
            None => Some(text.clone()),
        };
        let (root2, file2) = (root.clone(), file.to_path_buf());
        let entry = tokio::task::spawn_blocking(move || {
            write::entry_for(&root2, &file2, &text, created, saved.as_deref(), None)
        })
        .await
        .map_err(|_| "the command failed with an internal error".to_owned())?
        .map_err(|e| e.to_string())?;
        let log_path = info.settings.log_path(&root);
        let registry = info.settings.registry.clone();
        let (tag, rel) = (
            if created {
                "FILE_CREATED"
            } else {
                "FILE_MODIFIED"
            },
            display_rel(file, &root),
        );
        // An entry the log already holds as it would be written: nothing
        // to change, and the user is told where it is.
        let unchanged = std::sync::Arc::new(std::sync::Mutex::new(None));
        let seen = unchanged.clone();
        self.change(&log_path, move |text| {
            let edits = write::plan(text, &entry, &registry);
            if !edits.is_empty() && write::apply(text, &edits) != text {
                return edits;
            }
            if let Ok(mut seen) = seen.lock() {
                *seen = Some(write::logged_line(text, &entry, &registry));
            }
            Vec::new()
        })
        .await?;
        let unchanged = unchanged.lock().ok().and_then(|mut u| u.take());
        Ok(match unchanged {
            Some(line) => write::unchanged_message(&rel, tag, &display_rel(&log_path, &root), line),
            None => String::new(),
        })
    }

    /// Moves an assumption tag from a source file into the log's
    /// `## Assumptions Made`, with the file and line as context: the entry
    /// is written first, so the assumption is never lost in between.
    async fn move_assumption(&self, file: &Path, line: usize, name: &str) -> Outcome {
        let info = self.inspect(file).await?;
        let root = info
            .root
            .clone()
            .ok_or_else(|| format!("{} is outside the workspace", file.display()))?;
        let text = match &info.open {
            Some((_, _, rope)) => rope.to_string(),
            None => read_inside(file, &info)
                .await
                .ok_or_else(|| format!("{} cannot be read", file.display()))?,
        };
        let lang = crate::syntax::Language::detect(None, &file.to_string_lossy())
            .ok_or("not a tagged language")?;
        let doc = crate::document::Document::new(
            lang,
            &text,
            &mut lang.parser(),
            &info.settings.registry,
        );
        let tag = doc
            .tags()
            .find(|t| t.name == name && doc.rope().byte_to_line(t.name_range.start) == line)
            .cloned()
            .ok_or_else(|| {
                format!(
                    "#{name} is no longer on line {} of {}",
                    line + 1,
                    file.display()
                )
            })?;
        let removal = crate::housekeeping::removal(&text, &tag)
            .ok_or("the tag shares its line with code and cannot be moved")?;
        let entry = NewEntry::Assumption {
            tag: tag.name.to_string(),
            payload: tag.payload.to_string(),
            context: format!("{}:{}", display_rel(file, &root), line + 1),
        };
        let registry = info.settings.registry.clone();
        self.change(&info.settings.log_path(&root), move |t| {
            write::plan(t, &entry, &registry)
        })
        .await?;
        // Only if the file is still as it was read; otherwise the entry is in
        // the log and the tag stays, which loses nothing.
        self.change(file, move |now| {
            if now == text {
                vec![Edit {
                    range: removal,
                    text: String::new(),
                }]
            } else {
                Vec::new()
            }
        })
        .await?;
        Ok(String::new())
    }

    async fn create_file(&self, file: &Path, and_log: bool) -> Outcome {
        let info = self.inspect(file).await?;
        if info.root.is_none() || info.lookup == Lookup::Outside {
            return Err(format!(
                "{} is outside the workspace; not created",
                file.display()
            ));
        }
        if let Lookup::Found(_) = info.lookup {
            return Err(format!("{} exists already", file.display()));
        }
        let target = file.to_path_buf();
        tokio::task::spawn_blocking(move || {
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&target)
                .map(|_| ())
        })
        .await
        .map_err(|_| "creating the file failed".to_owned())?
        .map_err(|e| format!("cannot create {}: {e}", file.display()))?;
        if let Some(uri) = Uri::from_file_path(file) {
            let show = ShowDocumentParams {
                uri,
                external: None,
                take_focus: Some(true),
                selection: None,
            };
            // Opening the new file is a courtesy; a client may not support it.
            let _ = tokio::time::timeout(ECHO_TIMEOUT, self.client.show_document(show)).await;
        }
        if and_log {
            // Just created, so empty: no need to wait for the disk to tell.
            let root = info.root.clone().unwrap_or_default();
            let entry = NewEntry::Created {
                path: display_rel(file, &root),
                lines: Some(0),
                description: None,
            };
            let registry = info.settings.registry.clone();
            self.change(&info.settings.log_path(&root), move |text| {
                write::plan(text, &entry, &registry)
            })
            .await?;
        }
        Ok(String::new())
    }

    /// Applies planned edits to a file: through the editor when it has the
    /// file open, on disk otherwise.
    async fn change(
        &self,
        path: &Path,
        plan: impl FnOnce(&str) -> Vec<Edit> + Send + 'static,
    ) -> Result<(), String> {
        let info = self.inspect(path).await?;
        let root = match &info.root {
            Some(root) if info.lookup != Lookup::Outside => root.clone(),
            _ => {
                return Err(format!(
                    "{} is outside the workspace; not changed",
                    path.display()
                ));
            }
        };
        if matches!(info.lookup, Lookup::Found(FileKind::Dir | FileKind::Other)) {
            return Err(format!("{} is not a regular file", path.display()));
        }
        match info.open {
            Some((uri, version, rope)) => {
                let edits = plan(&rope.to_string());
                if edits.is_empty() {
                    return Ok(());
                }
                self.apply_to_buffer(uri, version, &rope, edits, info.encoding)
                    .await
            }
            None => {
                let target = path.to_path_buf();
                tokio::task::spawn_blocking(move || {
                    write::update_file(&root, &target, |old| write::apply(old, &plan(old)))
                })
                .await
                .map_err(|_| "writing failed".to_owned())?
                .map_err(|e| format!("cannot write {}: {e}", path.display()))
            }
        }
    }

    async fn apply_to_buffer(
        &self,
        uri: Uri,
        version: i32,
        rope: &Rope,
        edits: Vec<Edit>,
        enc: crate::text::Encoding,
    ) -> Result<(), String> {
        let edits: Vec<OneOf<TextEdit, _>> = edits
            .into_iter()
            .map(|e| {
                OneOf::Left(TextEdit {
                    range: proto::range(rope, e.range, enc),
                    new_text: e.text,
                })
            })
            .collect();
        let edit = WorkspaceEdit {
            document_changes: Some(DocumentChanges::Edits(vec![TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier {
                    uri: uri.clone(),
                    version: Some(version),
                },
                edits,
            }])),
            ..WorkspaceEdit::default()
        };
        let params = ApplyWorkspaceEditParams {
            label: Some("tagls".to_owned()),
            edit,
        };
        let answer = tokio::time::timeout(
            APPLY_TIMEOUT,
            self.client
                .send_request::<ls_types::request::ApplyWorkspaceEdit>(params),
        )
        .await;
        match answer {
            Ok(Ok(r)) if r.applied => {}
            Ok(Ok(r)) => {
                let why = r
                    .failure_reason
                    .unwrap_or_else(|| "no reason given".to_owned());
                return Err(format!(
                    "the editor did not apply the edit to {}: {why}",
                    uri.as_str()
                ));
            }
            Ok(Err(e)) => {
                return Err(format!(
                    "the editor refused the edit to {}: {}",
                    uri.as_str(),
                    e.message
                ));
            }
            Err(_) => {
                return Err(format!(
                    "the editor did not answer the edit to {} in time",
                    uri.as_str()
                ));
            }
        }
        // The next command must see this edit: wait for the editor's change
        // notification to reach the document.
        let deadline = tokio::time::Instant::now() + ECHO_TIMEOUT;
        while tokio::time::Instant::now() < deadline {
            let (reply, rx) = oneshot::channel();
            self.actor.send(Msg::Snapshot {
                uri: uri.clone(),
                tags_by: Some(std::time::Instant::now() + actor::TOKENS_WITHIN),
                reply,
            });
            match rx.await.ok().flatten() {
                Some(s) if s.version > version => return Ok(()),
                None => return Ok(()),
                Some(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
        tracing::warn!("{} did not report the applied edit back", uri.as_str());
        Ok(())
    }
}

/// What the workspace knows of a path, as of now.
async fn inspect(actor: &actor::Handle, path: &Path) -> Result<Inspected, String> {
    let (reply, rx) = oneshot::channel();
    actor.send(Msg::Inspect {
        path: path.to_path_buf(),
        reply,
    });
    rx.await
        .map_err(|_| "the server is shutting down".to_owned())
}

/// Answers [`LOG_PATH`]: `{ "path": "<absolute path of the log>" }` for the
/// root that holds the argument's `file` (an absolute path or a `file:`
/// URI), else for `first_root`; `null` when neither is in a root. The log
/// need not exist.
pub async fn log_path(
    actor: &actor::Handle,
    first_root: Option<PathBuf>,
    args: &[Value],
) -> Result<Option<Value>, String> {
    let file = match args.first().and_then(|a| a.get("file")) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(
            file_of(s)
                .ok_or_else(|| format!("`file` is not an absolute path or a file URI: {s}"))?,
        ),
        Some(other) => return Err(format!("`file` must be a path or a URI, not {other}")),
    };
    for path in file.into_iter().chain(first_root) {
        let info = inspect(actor, &path).await?;
        if let Some(root) = info.root {
            let log = info.settings.log_path(&root);
            // JSON carries text only.
            let log = log
                .to_str()
                .ok_or_else(|| format!("the log's path is not UTF-8: {}", log.display()))?;
            return Ok(Some(json!({ "path": log })));
        }
    }
    Ok(None)
}

/// The roots [`GATE`] answers for: the one that holds the argument's
/// `file` (an absolute path or a `file:` URI) when there is one, else all.
pub async fn gate_roots(
    actor: &actor::Handle,
    roots: Vec<(PathBuf, crate::config::ConfigFile)>,
    args: &[Value],
) -> Result<Vec<(PathBuf, crate::config::ConfigFile)>, String> {
    let file = match args.first().and_then(|a| a.get("file")) {
        None | Some(Value::Null) => return Ok(roots),
        Some(Value::String(s)) => file_of(s)
            .ok_or_else(|| format!("`file` is not an absolute path or a file URI: {s}"))?,
        Some(other) => return Err(format!("`file` must be a path or a URI, not {other}")),
    };
    let root = inspect(actor, &file).await?.root;
    Ok(roots
        .into_iter()
        .filter(|(r, _)| Some(r) == root.as_ref())
        .collect())
}

/// An absolute path, or the path of a `file:` URI.
fn file_of(s: &str) -> Option<PathBuf> {
    if s.starts_with('/') {
        return Some(PathBuf::from(s));
    }
    let uri: Uri = s.parse().ok()?;
    uri.to_file_path().map(|p| p.into_owned())
}

/// Reads a file the workspace allows, off the async threads.
async fn read_inside(file: &Path, info: &Inspected) -> Option<String> {
    if !matches!(info.lookup, Lookup::Found(FileKind::File)) {
        return None;
    }
    let file = file.to_path_buf();
    tokio::task::spawn_blocking(move || {
        std::fs::read(&file)
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    })
    .await
    .ok()
    .flatten()
}

/// Tells the user why a command did nothing, or what it found.
pub async fn report(client: &Client, outcome: &Outcome) {
    match outcome {
        Err(why) => {
            client
                .show_message(MessageType::ERROR, format!("tagls: {why}"))
                .await;
        }
        Ok(said) if !said.is_empty() => {
            client
                .show_message(MessageType::INFO, format!("tagls: {said}"))
                .await;
        }
        Ok(_) => {}
    }
}
