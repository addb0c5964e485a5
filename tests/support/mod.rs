//! The test client: speaks LSP over the real codec to the server, in process
//! (over in-memory pipes) or as a spawned binary (over its stdio).
//!
//! Server-to-client requests are answered automatically; every message the
//! server sends is kept, so tests can wait for the notification they expect.
//! [`TestClient::finish`] shuts the server down and fails the test if the
//! server did not exit cleanly.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How long a test waits for an event before it fails: long enough for a
/// loaded machine (a million-line log takes seconds to check in a debug
/// build), and only ever reached when the event does not come.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// How the test client presents itself in `initialize`.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// `general.positionEncodings`; `None` leaves the field out.
    pub encodings: Option<Vec<&'static str>>,
    pub root: Option<PathBuf>,
    /// `workspaceFolders`; empty leaves the field out.
    pub folders: Vec<PathBuf>,
    /// `rootPath`, the deprecated field some clients still send (Helix sends
    /// only this when it finds no root marker); left out when `None`.
    pub root_path: Option<PathBuf>,
    /// Whether the client offers to watch files for the server.
    pub watch_registration: bool,
    /// Whether the client shows server-initiated progress.
    pub progress: bool,
    pub client_name: Option<&'static str>,
    pub initialization_options: Option<Value>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            encodings: Some(vec!["utf-16"]),
            root: None,
            folders: Vec::new(),
            root_path: None,
            watch_registration: false,
            progress: false,
            client_name: None,
            initialization_options: None,
        }
    }
}

pub struct TestClient {
    writer: Box<dyn AsyncWrite + Unpin + Send>,
    incoming: mpsc::UnboundedReceiver<Value>,
    backlog: VecDeque<Value>,
    next_id: i64,
    server: Option<JoinHandle<()>>,
    child: Option<tokio::process::Child>,
    finished: bool,
    pub initialize_result: Value,
    /// Documents the client has open: version and text, kept current when
    /// the server edits them, as an editor does.
    pub docs: std::collections::HashMap<String, (i64, String)>,
    /// Answer `workspace/applyEdit` with `applied: false`.
    pub reject_edits: bool,
}

/// Starts tagls in process over in-memory pipes and initializes it.
pub async fn start(opts: ClientOptions) -> TestClient {
    // `TAGLS_LOG=debug cargo test ...` shows the server's logs of a failing test.
    if let Ok(filter) = std::env::var("TAGLS_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(filter)
            .try_init();
    }
    let (client_side, server_side) = tokio::io::duplex(1 << 20);
    let (server_read, server_write) = tokio::io::split(server_side);
    let server = tokio::spawn(tagls::lsp::serve(server_read, server_write));
    let (read, write) = tokio::io::split(client_side);
    let mut c = TestClient::new(Box::new(read), Box::new(write));
    c.server = Some(server);
    c.initialize(opts).await;
    c
}

/// Starts the built binary, as an editor does, and initializes it.
/// The binary at `bin`, opened on the folder `root` by a client that
/// speaks UTF-16 only (as VS Code does): positions are checked in it.
pub async fn start_utf16(bin: &Path, root: &Path) -> TestClient {
    start_binary(
        bin,
        ClientOptions {
            encodings: Some(vec!["utf-16"]),
            root: Some(root.to_path_buf()),
            ..ClientOptions::default()
        },
    )
    .await
}

pub async fn start_binary(bin: &Path, opts: ClientOptions) -> TestClient {
    let mut c = start_binary_uninitialized(bin).await;
    c.initialize(opts).await;
    c
}

impl TestClient {
    fn new(
        read: Box<dyn AsyncRead + Unpin + Send>,
        writer: Box<dyn AsyncWrite + Unpin + Send>,
    ) -> TestClient {
        let (tx, incoming) = mpsc::unbounded_channel();
        tokio::spawn(read_messages(read, tx));
        TestClient {
            writer,
            incoming,
            backlog: VecDeque::new(),
            next_id: 1,
            server: None,
            child: None,
            finished: false,
            initialize_result: Value::Null,
            docs: std::collections::HashMap::new(),
            reject_edits: false,
        }
    }

    async fn initialize(&mut self, opts: ClientOptions) {
        let mut general = json!({});
        if let Some(encs) = &opts.encodings {
            general["positionEncodings"] = json!(encs);
        }
        let root_uri = opts.root.as_ref().map(|p| file_uri(p));
        let mut params = json!({
            "processId": null,
            "rootUri": root_uri,
            "clientInfo": opts.client_name.map(|n| json!({ "name": n })),
            "initializationOptions": opts.initialization_options,
            "capabilities": {
                "general": general,
                "window": { "workDoneProgress": opts.progress },
                "workspace": {
                    "didChangeWatchedFiles": { "dynamicRegistration": opts.watch_registration },
                    "semanticTokens": { "refreshSupport": true },
                    "inlayHint": { "refreshSupport": true },
                    "codeLens": { "refreshSupport": true },
                },
                "textDocument": {
                    "publishDiagnostics": { "versionSupport": true },
                    "semanticTokens": { "requests": { "full": true, "range": true }, "tokenTypes": [], "tokenModifiers": [], "formats": ["relative"] },
                }
            },
        });
        if let Some(path) = &opts.root_path {
            params["rootPath"] = json!(path);
        }
        if !opts.folders.is_empty() {
            params["workspaceFolders"] = opts
                .folders
                .iter()
                .map(|p| json!({ "uri": file_uri(p), "name": p.display().to_string() }))
                .collect();
        }
        let result = self.request("initialize", params).await;
        self.initialize_result = result;
        self.notify("initialized", json!({})).await;
    }

    pub async fn send(&mut self, msg: Value) {
        let body = serde_json::to_vec(&msg).expect("serializable");
        self.send_raw(&body).await;
    }

    /// Sends bytes as one framed message, whatever they are.
    pub async fn send_raw(&mut self, body: &[u8]) {
        let header = format!("Content-Length: {}\r\n\r\n", body.len());
        self.writer
            .write_all(header.as_bytes())
            .await
            .expect("server reads");
        self.writer.write_all(body).await.expect("server reads");
        self.writer.flush().await.expect("server reads");
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }))
            .await;
    }

    /// Sends a request and returns its `result`; panics on an error response.
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let resp = self.request_raw(method, params).await;
        if let Some(err) = resp.get("error") {
            panic!("{method} failed: {err}");
        }
        resp.get("result").cloned().unwrap_or(Value::Null)
    }

    /// Sends a request and returns the whole response.
    pub async fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }))
            .await;
        self.wait_for(
            |m| m.get("id") == Some(&json!(id)) && m.get("method").is_none(),
            &format!("the response to {method}"),
        )
        .await
    }

    /// Waits for the end of a work-done progress (the index's, for a client
    /// with `progress`), and returns that message.
    pub async fn progress_end(&mut self, what: &str) -> Value {
        self.wait_for(
            |m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end",
            what,
        )
        .await
    }

    /// Waits for a message matching `pred`, answering server requests on the
    /// way. Messages that do not match are kept for later waits.
    pub async fn wait_for(&mut self, pred: impl Fn(&Value) -> bool, what: &str) -> Value {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(i).expect("index in range");
        }
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let msg = match tokio::time::timeout_at(deadline, self.incoming.recv()).await {
                Ok(Some(m)) => m,
                Ok(None) => panic!("the server closed its output while waiting for {what}"),
                Err(_) => panic!("timed out waiting for {what}; unread: {:#?}", self.backlog),
            };
            if msg.get("method").is_some() && msg.get("id").is_some() {
                self.answer_server_request(&msg).await;
            }
            if pred(&msg) {
                return msg;
            }
            self.backlog.push_back(msg);
        }
    }

    async fn answer_server_request(&mut self, req: &Value) {
        let result = match req["method"].as_str() {
            Some("workspace/configuration") => {
                let n = req["params"]["items"].as_array().map_or(0, Vec::len);
                json!(vec![Value::Null; n])
            }
            Some("workspace/applyEdit") => self.apply_edit(&req["params"]["edit"]).await,
            _ => Value::Null,
        };
        self.send(json!({ "jsonrpc": "2.0", "id": req["id"], "result": result }))
            .await;
    }

    /// Applies a workspace edit to the open documents, as an editor does:
    /// versioned edits must match the buffer's version, and each changed
    /// buffer is reported back with `didChange` before the answer.
    async fn apply_edit(&mut self, edit: &Value) -> Value {
        if self.reject_edits {
            return json!({ "applied": false, "failureReason": "rejected by the test" });
        }
        let Some(changes) = edit["documentChanges"].as_array() else {
            return json!({ "applied": false, "failureReason": "only documentChanges are supported" });
        };
        let mut updated = Vec::new();
        for change in changes {
            let uri = change["textDocument"]["uri"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let Some((version, text)) = self.docs.get(&uri).cloned() else {
                return json!({ "applied": false, "failureReason": format!("{uri} is not open") });
            };
            if change["textDocument"]["version"].as_i64() != Some(version) {
                return json!({ "applied": false, "failureReason": "version mismatch" });
            }
            let mut edits: Vec<(usize, usize, String)> = change["edits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    let at = |p: &Value| {
                        offset_utf16(
                            &text,
                            p["line"].as_u64().unwrap() as usize,
                            p["character"].as_u64().unwrap() as usize,
                        )
                    };
                    (
                        at(&e["range"]["start"]),
                        at(&e["range"]["end"]),
                        e["newText"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            edits.sort_by_key(|e| std::cmp::Reverse(e.0));
            let mut new = text.clone();
            for (a, b, t) in edits {
                new.replace_range(a..b, &t);
            }
            updated.push((uri, version + 1, new));
        }
        for (uri, version, text) in updated {
            self.docs.insert(uri.clone(), (version, text.clone()));
            self.notify(
                "textDocument/didChange",
                json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
            )
            .await;
        }
        json!({ "applied": true })
    }

    /// Reads and answers what the server sends until `done` holds.
    pub async fn pump_until(&mut self, done: impl Fn(&TestClient) -> bool, what: &str) {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        while !done(self) {
            let msg = match tokio::time::timeout_at(deadline, self.incoming.recv()).await {
                Ok(Some(m)) => m,
                Ok(None) => panic!("the server closed its output while waiting for {what}"),
                Err(_) => panic!("timed out waiting for {what}; unread: {:#?}", self.backlog),
            };
            if msg.get("method").is_some() && msg.get("id").is_some() {
                self.answer_server_request(&msg).await;
            }
            self.backlog.push_back(msg);
        }
    }

    /// Sends a request without waiting; returns its id.
    /// Waits for a `window/showMessage` whose text contains `containing`
    /// (any, when empty) and returns it.
    pub async fn shown(&mut self, containing: &str) -> Value {
        self.wait_for(
            |m| {
                m["method"] == "window/showMessage"
                    && m["params"]["message"]
                        .as_str()
                        .is_some_and(|s| s.contains(containing))
            },
            &format!("a message shown to the user, containing {containing:?}"),
        )
        .await
    }

    pub async fn request_nowait(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }))
            .await;
        id
    }

    /// Waits for the response to a request sent with [`Self::request_nowait`].
    pub async fn response(&mut self, id: i64) -> Value {
        self.wait_for(
            |m| m.get("id") == Some(&json!(id)) && m.get("method").is_none(),
            "a response",
        )
        .await
    }

    /// Waits for `textDocument/publishDiagnostics` for `uri` that satisfies
    /// `pred`, returning its params.
    pub async fn diagnostics_where(&mut self, uri: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let uri = uri.to_owned();
        let msg = self
            .wait_for(
                |m| {
                    m["method"] == "textDocument/publishDiagnostics"
                        && m["params"]["uri"] == uri.as_str()
                        && pred(&m["params"])
                },
                &format!("diagnostics for {uri}"),
            )
            .await;
        msg["params"].clone()
    }

    /// The next diagnostics published for `uri`.
    pub async fn diagnostics(&mut self, uri: &str) -> Value {
        self.diagnostics_where(uri, |_| true).await
    }

    pub async fn open(&mut self, uri: &str, language_id: &str, text: &str) {
        self.docs.insert(uri.to_owned(), (1, text.to_owned()));
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": language_id, "version": 1, "text": text } }),
        )
        .await;
    }

    /// The messages received so far that no wait has taken, in the order
    /// they arrived: a message that is not here when a later one was taken
    /// came after it.
    pub fn unread(&self) -> impl Iterator<Item = &Value> {
        self.backlog.iter()
    }

    /// Everything received so far, as text (for leak checks).
    pub async fn drain(&mut self) -> String {
        while let Ok(msg) = self.incoming.try_recv() {
            self.backlog.push_back(msg);
        }
        self.backlog
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Shuts the server down and checks that it exits cleanly.
    pub async fn finish(mut self) {
        self.finished = true;
        let resp = self.request_raw("shutdown", Value::Null).await;
        assert!(resp.get("error").is_none(), "shutdown failed: {resp}");
        self.notify("exit", Value::Null).await;
        if let Some(server) = self.server.take() {
            let joined = tokio::time::timeout(TIMEOUT, server)
                .await
                .expect("the server exits after `exit`");
            joined.expect("the server task ends without a panic");
        }
        if let Some(mut child) = self.child.take() {
            let status = tokio::time::timeout(TIMEOUT, child.wait())
                .await
                .expect("the binary exits after `exit`")
                .expect("waitable");
            assert!(status.success(), "the binary exited with {status}");
        }
    }
}

impl Drop for TestClient {
    fn drop(&mut self) {
        if !self.finished && !std::thread::panicking() {
            panic!(
                "a TestClient must end with `finish().await`, which checks that the server exits cleanly"
            );
        }
    }
}

async fn read_messages(read: Box<dyn AsyncRead + Unpin + Send>, tx: mpsc::UnboundedSender<Value>) {
    let mut reader = BufReader::new(read);
    loop {
        let mut len = None;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                len = v.parse::<usize>().ok();
            }
        }
        let Some(len) = len else { return };
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let msg: Value = serde_json::from_slice(&body).expect("the server sends valid JSON");
        if tx.send(msg).is_err() {
            return;
        }
    }
}

/// Waits until a file on disk satisfies `pred`, returning its text.
pub async fn file_where(path: &Path, pred: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if pred(&text) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {}; it holds:\n{text}",
            path.display()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The byte offset of a UTF-16 line/column in `text`.
pub fn offset_utf16(text: &str, line: usize, character: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i == line {
            let mut units = 0;
            for (b, ch) in l.char_indices() {
                if units >= character || ch == '\n' || ch == '\r' {
                    return offset + b;
                }
                units += ch.len_utf16();
            }
            return offset + l.trim_end_matches(['\n', '\r']).len();
        }
        offset += l.len();
    }
    text.len()
}

/// Writes `text` to `rel` under `root`, making its folders.
pub fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

pub fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Positions of `$0` markers: the text without them and each marker's
/// (line, UTF-16 column, UTF-8 column).
pub fn markers(text: &str) -> (String, Vec<(u32, u32, u32)>) {
    let mut out = String::new();
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("$0") {
        out.push_str(&rest[..i]);
        rest = &rest[i + 2..];
        let line_start = out.rfind('\n').map_or(0, |n| n + 1);
        let line_text = &out[line_start..];
        let line = out.matches('\n').count() as u32;
        found.push((
            line,
            line_text.encode_utf16().count() as u32,
            line_text.len() as u32,
        ));
    }
    out.push_str(rest);
    (out, found)
}

// Helpers for the abuse, hostile-workspace, secrets and log-fault suites
// (tests/abuse.rs, tests/hostile.rs, tests/secrets.rs, tests/log_faults.rs).

/// Starts a command that serves LSP on its stdio (the binary under strace,
/// or with its stderr captured) and initializes it. The caller sets the
/// program, its arguments and its stderr; stdin and stdout are piped here.
pub async fn start_command(cmd: tokio::process::Command, opts: ClientOptions) -> TestClient {
    let mut c = spawn_client(cmd);
    c.initialize(opts).await;
    c
}

/// A client on a spawned command's stdio, not yet initialized.
fn spawn_client(mut cmd: tokio::process::Command) -> TestClient {
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the server command starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let stdin = child.stdin.take().expect("piped stdin");
    let mut c = TestClient::new(Box::new(stdout), Box::new(stdin));
    c.child = Some(child);
    c
}

/// Starts the built binary without sending `initialize`.
pub async fn start_binary_uninitialized(bin: &Path) -> TestClient {
    let mut cmd = tokio::process::Command::new(bin);
    cmd.arg("--stdio").stderr(std::process::Stdio::inherit());
    spawn_client(cmd)
}

impl TestClient {
    /// Sends `initialize` and `initialized` now (after
    /// [`start_binary_uninitialized`]).
    pub async fn initialize_now(&mut self, opts: ClientOptions) {
        self.initialize(opts).await;
    }

    /// Writes bytes to the server as they are, without framing.
    pub async fn write_unframed(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("server reads");
        self.writer.flush().await.expect("server reads");
    }

    /// Waits for a request from the server with this method and returns it
    /// unanswered; no other server request is answered meanwhile (they are
    /// kept, unanswered, with the other messages).
    pub async fn take_unanswered(&mut self, method: &str) -> Value {
        let is_it = |m: &Value| m["method"] == method && m.get("id").is_some();
        if let Some(i) = self.backlog.iter().position(is_it) {
            return self.backlog.remove(i).expect("index in range");
        }
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let msg = match tokio::time::timeout_at(deadline, self.incoming.recv()).await {
                Ok(Some(m)) => m,
                Ok(None) => panic!("the server closed its output while waiting for {method}"),
                Err(_) => panic!(
                    "timed out waiting for {method}; unread: {:#?}",
                    self.backlog
                ),
            };
            if is_it(&msg) {
                return msg;
            }
            self.backlog.push_back(msg);
        }
    }

    /// Sends `exit` (after a `shutdown` the test sent itself, or none) and
    /// returns how the binary exited.
    pub async fn exit_now(mut self) -> std::process::ExitStatus {
        self.finished = true;
        self.notify("exit", Value::Null).await;
        let mut child = self.child.take().expect("exit_now is for a spawned binary");
        tokio::time::timeout(TIMEOUT, child.wait())
            .await
            .expect("the binary exits after `exit`")
            .expect("waitable")
    }

    /// Waits for the binary to exit on its own, sending nothing, and
    /// returns how it exited.
    pub async fn exited(mut self) -> std::process::ExitStatus {
        self.finished = true;
        let mut child = self.child.take().expect("exited is for a spawned binary");
        tokio::time::timeout(TIMEOUT, child.wait())
            .await
            .expect("the binary exits on its own")
            .expect("waitable")
    }
}
