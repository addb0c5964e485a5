//! The input side of the protocol stream, checked before tower-lsp-server
//! sees it: its codec ends the read loop on the first frame it cannot
//! decode (tokio-util's `FramedRead` yields `None` after a decoder error),
//! so one malformed message would stop the server. Each frame is checked
//! here; one that is not a JSON-RPC message is replaced by a request to
//! [`INVALID_MESSAGE`] with a null id, which the backend answers with the
//! error that was due: -32700 (not JSON, or a header that cannot be read) or
//! -32600 (not a message, or a frame over [`MAX_FRAME`]).
//!
//! After a frame that cannot be trusted (a bad header, a frame too large to
//! read) the input is skipped to the next `Content-Length`; a header that
//! follows the rest of a message cut short by a too small `Content-Length`
//! on the same line is found there. Nothing a client sends is held in
//! memory beyond one frame of at most [`MAX_FRAME`] bytes.

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tower_lsp_server::jsonrpc::{Request, Response};

/// The method that stands in for a message that could not be read.
pub const INVALID_MESSAGE: &str = "tagls/invalidMessage";

/// The largest frame read: far above any document tagls checks (their
/// limit is `maxFileSize`, 2 MiB by default), low enough that a claimed
/// length is never a reason to run out of memory. A larger frame is
/// answered -32600 and skipped unread.
pub const MAX_FRAME: usize = 64 * 1024 * 1024;

/// How much of a header line is kept: a real one is a few dozen bytes. Of a
/// longer line (the rest of a cut message, garbage) only the end is kept,
/// which is where a header that follows it is.
const LINE_TAIL: usize = 1024;

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;

/// A frame that was not read, and the error it is answered with.
struct Refused {
    code: i64,
    why: String,
}

/// Copies framed messages from `input` to the returned stream, replacing
/// the ones that cannot be decoded.
pub fn checked<R>(input: R) -> tokio::io::DuplexStream
where
    R: AsyncRead + Unpin + Send + 'static,
{
    let (mut out, server_side) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        let mut reader = BufReader::new(input);
        let mut carry = Vec::new();
        let mut resync = false;
        while let Some(frame) = next_frame(&mut reader, &mut carry, &mut resync).await {
            let (body, exit) = match frame {
                Ok(body) => check(body),
                Err(refused) => (substitute(refused.code, &refused.why), false),
            };
            let header = format!("Content-Length: {}\r\n\r\n", body.len());
            if out.write_all(header.as_bytes()).await.is_err()
                || out.write_all(&body).await.is_err()
            {
                return;
            }
            // Nothing is read after `exit`: a read left waiting on stdin
            // would keep the runtime from shutting down.
            if exit {
                return;
            }
        }
        // The end of the input: dropping `out` ends the server's read loop.
    });
    server_side
}

/// The body of the next frame; `Err` for a frame that is not read (the
/// input is then skipped to the next `Content-Length`); `None` at the end.
/// `carry` holds the start of a header line already read while skipping;
/// `resync` says that the input must first be skipped (after a refused
/// frame, whose error is answered before waiting for the next message).
async fn next_frame<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
    carry: &mut Vec<u8>,
    resync: &mut bool,
) -> Option<Result<Vec<u8>, Refused>> {
    if std::mem::take(resync) {
        *carry = skip_to_next_header(reader).await?;
    }
    let mut len = None;
    let mut bad = None;
    let mut seen_header = false;
    loop {
        let mut raw = std::mem::take(carry);
        let dropped = read_line_tail(reader, &mut raw).await?;
        let mut line = raw.as_slice();
        while let [rest @ .., b'\r' | b'\n'] = line {
            line = rest;
        }
        if line.is_empty() {
            if seen_header {
                break;
            }
            continue;
        }
        // A `Content-Length` inside a line starts the frame there: before
        // it is the rest of a message cut short, not part of this frame.
        // Lines before it that are not headers are of that message too.
        if let Some(at) = rfind_content_length(line) {
            if at > 0 || dropped > 0 || bad.is_some() {
                tracing::warn!(
                    "skipped input that is not a message, up to a Content-Length header"
                );
            }
            line = &line[at..];
            bad = None;
        }
        seen_header = true;
        let line = String::from_utf8_lossy(line);
        match line.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(n) => len = Some(n),
                    Err(_) => bad = Some(format!("invalid Content-Length: {}", value.trim())),
                }
            }
            Some(_) => {}
            None => bad = Some(format!("invalid header line: {line}")),
        }
    }
    let refused = match (bad, len) {
        (None, Some(n)) if n > MAX_FRAME => Refused {
            code: INVALID_REQUEST,
            why: format!(
                "the message is {n} bytes, over the limit of {} MiB; it is skipped",
                MAX_FRAME >> 20
            ),
        },
        (None, Some(n)) => return read_body(reader, n).await.map(Ok),
        (Some(why), _) => Refused {
            code: PARSE_ERROR,
            why,
        },
        (None, None) => Refused {
            code: PARSE_ERROR,
            why: "missing Content-Length".to_owned(),
        },
    };
    *resync = true;
    Some(Err(refused))
}

/// Reads a body of `n` bytes, allocating as the bytes arrive rather than
/// what the header claims; `None` if the input ends first.
async fn read_body<R: AsyncRead + Unpin>(reader: &mut BufReader<R>, n: usize) -> Option<Vec<u8>> {
    let mut body = Vec::with_capacity(n.min(1 << 20));
    (&mut *reader)
        .take(n as u64)
        .read_to_end(&mut body)
        .await
        .ok()?;
    (body.len() == n).then_some(body)
}

/// Appends the input up to and including the next `\n` to `line`, keeping
/// only its last [`LINE_TAIL`] bytes; returns how many were dropped, or
/// `None` if the input ends first.
async fn read_line_tail<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
    line: &mut Vec<u8>,
) -> Option<usize> {
    let mut dropped = 0;
    loop {
        let buf = reader.fill_buf().await.ok()?;
        if buf.is_empty() {
            return None;
        }
        let (n, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        line.extend_from_slice(&buf[..n]);
        reader.consume(n);
        if line.len() > LINE_TAIL {
            let cut = line.len() - LINE_TAIL;
            line.drain(..cut);
            dropped += cut;
        }
        if done {
            return Some(dropped);
        }
    }
}

/// Where the last `Content-Length` (in any case) starts in a header line.
fn rfind_content_length(line: &[u8]) -> Option<usize> {
    memchr::memmem::rfind(&line.to_ascii_lowercase(), b"content-length")
}

/// Discards input up to the next `Content-Length` (in any case), returning
/// that word.
async fn skip_to_next_header<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Option<Vec<u8>> {
    const MARK: &[u8] = b"content-length";
    // The input being searched, in lower case, after the end of what was
    // already discarded (in case the mark straddles two reads).
    let mut seen: Vec<u8> = Vec::with_capacity(MARK.len());
    loop {
        let buf = reader.fill_buf().await.ok()?;
        if buf.is_empty() {
            return None;
        }
        let kept = seen.len();
        seen.extend(buf.iter().map(u8::to_ascii_lowercase));
        let n = buf.len();
        if let Some(at) = memchr::memmem::find(&seen, MARK) {
            // The mark ends inside this read: at least its last byte is new.
            reader.consume(at + MARK.len() - kept);
            return Some(MARK.to_vec());
        }
        reader.consume(n);
        seen.drain(..seen.len() - (MARK.len() - 1).min(seen.len()));
    }
}

/// The body itself when tower-lsp-server can decode it, else a stand-in;
/// and whether it is the `exit` notification.
fn check(body: Vec<u8>) -> (Vec<u8>, bool) {
    let Ok(text) = std::str::from_utf8(&body) else {
        return (substitute(PARSE_ERROR, "the message is not UTF-8"), false);
    };
    if let Ok(req) = serde_json::from_str::<Request>(text) {
        let exit = req.method() == "exit";
        return (body, exit);
    }
    if text.is_empty() || serde_json::from_str::<Response>(text).is_ok() {
        return (body, false);
    }
    let stand_in = match serde_json::from_str::<Value>(text) {
        Err(e) => substitute(PARSE_ERROR, &format!("the message is not JSON: {e}")),
        Ok(_) => substitute(
            INVALID_REQUEST,
            "the message is not a JSON-RPC 2.0 request, notification or response",
        ),
    };
    (stand_in, false)
}

fn substitute(code: i64, message: &str) -> Vec<u8> {
    json!({
        "jsonrpc": "2.0",
        "id": null,
        "method": INVALID_MESSAGE,
        "params": { "code": code, "message": message },
    })
    .to_string()
    .into_bytes()
}
