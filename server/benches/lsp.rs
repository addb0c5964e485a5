//! The client the protocol benches drive the real server with: the binary on
//! stdio with Content-Length framing, a reader thread that stamps each
//! message with the instant its body was read, and automatic answers to the
//! server's requests (`workspace/configuration` with nulls, anything else
//! with null) from a thread of their own, so the server never waits on the
//! bench.
//!
//! Shared through `#[path = "lsp.rs"] mod lsp;`; each bench uses a subset.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long a response or the server's exit may take before the bench gives
/// up.
pub const TIMEOUT: Duration = Duration::from_secs(20);
/// How many unclaimed messages a client keeps for later waits.
const BACKLOG: usize = 10_000;

pub fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

// ---------------------------------------------------------------------------
// The client: the binary on stdio, a reader thread, automatic answers.

/// One message from the server, stamped when its body had been read.
pub struct Msg {
    pub at: Instant,
    pub v: Value,
}

impl Msg {
    pub fn method(&self) -> &str {
        self.v["method"].as_str().unwrap_or("")
    }

    /// The URI of a `publishDiagnostics`, else None.
    pub fn publish_uri(&self) -> Option<&str> {
        (self.method() == "textDocument/publishDiagnostics")
            .then(|| self.v["params"]["uri"].as_str())
            .flatten()
    }

    pub fn is_progress_end(&self) -> bool {
        self.method() == "$/progress" && self.v["params"]["value"]["kind"] == "end"
    }

    pub fn is_response(&self, id: i64) -> bool {
        self.v.get("method").is_none() && self.v["id"] == json!(id)
    }
}

pub fn frame(v: &Value) -> Vec<u8> {
    let body = serde_json::to_vec(v).expect("serializable");
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(&body);
    out
}

pub struct Server {
    child: Child,
    pid: u32,
    writer: Arc<Mutex<ChildStdin>>,
    rx: Receiver<Msg>,
    /// Messages received but not yet claimed by a wait.
    backlog: std::collections::VecDeque<Msg>,
    next_id: i64,
    reader: Option<JoinHandle<()>>,
    answerer: Option<JoinHandle<()>>,
    finished: bool,
}

impl Server {
    /// The bench's own build of the server, its stderr on the bench's.
    pub fn spawn() -> Server {
        Server::spawn_binary(Path::new(env!("CARGO_BIN_EXE_tagls")), Stdio::inherit()).0
    }

    /// The binary `bin` as a server; also the instant just before it was
    /// started.
    pub fn spawn_binary(bin: &Path, stderr: Stdio) -> (Server, Instant) {
        let t0 = Instant::now();
        let mut child = Command::new(bin)
            .arg("--stdio")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
        let pid = child.id();
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let writer = Arc::new(Mutex::new(stdin));
        let (tx, rx) = mpsc::channel();
        // The reader never blocks on the writer: it hands its answers to a
        // thread of their own, so the server's output is always drained.
        let (atx, arx) = mpsc::channel::<Vec<u8>>();
        let w = writer.clone();
        let answerer = std::thread::Builder::new()
            .name("answerer".into())
            .spawn(move || {
                for bytes in arx {
                    let mut w = w.lock().unwrap_or_else(|e| e.into_inner());
                    if w.write_all(&bytes).and_then(|()| w.flush()).is_err() {
                        return;
                    }
                }
            })
            .expect("spawn the answerer thread");
        let reader = std::thread::Builder::new()
            .name("reader".into())
            .spawn(move || read_loop(stdout, tx, atx))
            .expect("spawn the reader thread");
        let server = Server {
            child,
            pid,
            writer,
            rx,
            backlog: std::collections::VecDeque::new(),
            next_id: 1,
            reader: Some(reader),
            answerer: Some(answerer),
            finished: false,
        };
        (server, t0)
    }

    /// Writes one message; returns the instant just before the write.
    pub fn send(&self, v: &Value) -> Instant {
        let bytes = frame(v);
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let t0 = Instant::now();
        w.write_all(&bytes)
            .and_then(|()| w.flush())
            .expect("the server reads its stdin");
        t0
    }

    pub fn notify(&self, method: &str, params: Value) -> Instant {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }))
    }

    pub fn request(&mut self, method: &str, params: Value) -> (i64, Instant) {
        let id = self.next_id;
        self.next_id += 1;
        let t0 =
            self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        (id, t0)
    }

    /// The next message: from the backlog first, then from the reader;
    /// panics after `deadline` or when the server closes its output.
    pub fn next(&mut self, what: &str, deadline: Instant, timeout: Duration) -> Msg {
        if let Some(m) = self.backlog.pop_front() {
            return m;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(left) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => {
                panic!("timed out after {timeout:?} waiting for {what}")
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("the server closed its output while the bench waited for {what}")
            }
        }
    }

    /// Feeds every message (the backlog first) to `f` until it returns true;
    /// the messages fed are consumed.
    pub fn pump(&mut self, what: &str, timeout: Duration, mut f: impl FnMut(&Msg) -> bool) {
        let deadline = Instant::now() + timeout;
        loop {
            let m = self.next(what, deadline, timeout);
            if f(&m) {
                return;
            }
        }
    }

    /// The first message that satisfies `pred` within `timeout`, from the
    /// backlog or as it comes, or None; the others are kept, in order, for
    /// later waits (a publish may come before the response the bench waits
    /// for first).
    pub fn wait_for(&mut self, timeout: Duration, pred: impl Fn(&Msg) -> bool) -> Option<Msg> {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return Some(self.backlog.remove(i).expect("index in range"));
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let m = match self.rx.recv_timeout(left) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => return None,
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the server closed its output while the bench waited")
                }
            };
            if pred(&m) {
                return Some(m);
            }
            if self.backlog.len() >= BACKLOG {
                self.backlog.pop_front();
            }
            self.backlog.push_back(m);
        }
    }

    /// As [`Server::wait_for`]; panics after `timeout`.
    pub fn wait(&mut self, what: &str, timeout: Duration, pred: impl Fn(&Msg) -> bool) -> Msg {
        self.wait_for(timeout, pred)
            .unwrap_or_else(|| panic!("timed out after {timeout:?} waiting for {what}"))
    }

    /// Forgets every message received so far: what follows is measured
    /// against a state the server reaches only after the next action.
    pub fn forget(&mut self) {
        self.backlog.clear();
        while self.rx.try_recv().is_ok() {}
    }

    pub fn response(&mut self, id: i64, what: &str) -> Msg {
        let m = self.wait(what, TIMEOUT, |m| m.is_response(id));
        if let Some(err) = m.v.get("error") {
            panic!("{what} failed: {err}");
        }
        m
    }

    /// A round trip through the document actor: its messages are handled in
    /// order, so everything sent to it before (an opened document, the built
    /// index) has been applied when this returns. `uri` need not be open.
    pub fn sync_actor(&mut self, uri: &str) {
        let (id, _) = self.request(
            "textDocument/semanticTokens/full",
            json!({ "textDocument": { "uri": uri } }),
        );
        self.response(id, "a round trip through the actor");
    }

    pub fn open(&self, uri: &str, language: &str, text: &str) -> Instant {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": language, "version": 1, "text": text } }),
        )
    }

    /// (VmRSS, VmHWM) of the server process, in KiB.
    pub fn mem(&self) -> (u64, u64) {
        (self.status("VmRSS:"), self.status("VmHWM:"))
    }

    /// A field of the server's `/proc/<pid>/status`, in KiB (`VmRSS:`,
    /// `RssAnon:` ...).
    pub fn status(&self, name: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .expect("read /proc/<pid>/status");
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/<pid>/status"))
    }

    /// `shutdown`, `exit`, and a clean exit within the timeout.
    pub fn finish(mut self) {
        self.finished = true;
        let (id, _) = self.request("shutdown", Value::Null);
        self.response(id, "the response to shutdown");
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("waitable") {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("the server did not exit within {TIMEOUT:?} of `exit`");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        assert!(status.success(), "the server exited with {status}");
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        if let Some(a) = self.answerer.take() {
            let _ = a.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A panicking bench leaves no server behind.
        if !self.finished && matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn read_loop(out: std::process::ChildStdout, tx: Sender<Msg>, answers: Sender<Vec<u8>>) {
    let mut r = BufReader::with_capacity(1 << 16, out);
    let mut line = String::new();
    loop {
        let mut len = None;
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some(v) = l.strip_prefix("Content-Length: ") {
                len = v.trim().parse::<usize>().ok();
            }
        }
        let Some(len) = len else {
            panic!("a message from the server without Content-Length")
        };
        let mut body = vec![0; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        let at = Instant::now();
        let v: Value = serde_json::from_slice(&body).expect("the server sends valid JSON");
        if v.get("method").is_some() && v.get("id").is_some() {
            let result = match v["method"].as_str() {
                Some("workspace/configuration") => {
                    let n = v["params"]["items"].as_array().map_or(0, Vec::len);
                    json!(vec![Value::Null; n])
                }
                // window/workDoneProgress/create, client/registerCapability
                // and anything else: a null result.
                _ => Value::Null,
            };
            let _ = answers.send(frame(
                &json!({ "jsonrpc": "2.0", "id": v["id"], "result": result }),
            ));
        }
        // The bench may have stopped listening; keep draining regardless.
        let _ = tx.send(Msg { at, v });
    }
}
